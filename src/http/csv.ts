/*
 * CSV as RFC 4180 writes it: fields separated by commas, records ended by CRLF, a field holding a
 * comma, a double quote, CR or LF enclosed in double quotes with its quotes doubled. Text is UTF-8,
 * without a byte-order mark (RFC 4180 has none, and strict readers would take it for part of the
 * first field).
 *
 * Spreadsheets read a field starting with `=`, `+`, `-` or `@` as a formula, and some read one
 * starting with a tab or CR after dropping it, so a transcript line such as `=HYPERLINK(...)` would run
 * when the file is opened: such a field gets a leading `'`, which spreadsheets show as text (OWASP's
 * "CSV injection" advice). That one character is the only change to any value.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A value as a CSV field: text as it is, numbers and booleans as written in JSON, null as empty, objects and lists as JSON. */
export function csvField(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else text = JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF included. */
export function csvRecord(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
