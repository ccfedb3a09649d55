/**
 * A strict RFC 4180 reader, for checking what the exports write: records end with CRLF (a final one
 * included), a field is either bare (no `"`, `,`, CR or LF in it) or enclosed in double quotes with
 * its quotes doubled; anything else (a bare LF, a quote inside a bare field, text after a closing
 * quote, an unclosed quote) throws with the offset, so a sloppy writer cannot pass as a correct one.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`Invalid CSV at offset ${i}: ${why} (…${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}…)`);
  };
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail('unclosed quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') fail(`${JSON.stringify(text[i])} in an unquoted field`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
      if (i >= text.length) fail('a record ending in a comma');
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      records.push(record);
      record = [];
      continue;
    }
    fail(i >= text.length ? 'the last record is not ended by CRLF' : `${JSON.stringify(text[i])} after a field`);
  }
  return records;
}

/** Header row and records → one object per record, by column name; every record must have every column. */
export function csvObjects(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('No header row');
  return rows.map((row, index) => {
    if (row.length !== header.length) throw new Error(`Record ${index + 1} has ${row.length} fields, the header ${header.length}`);
    return Object.fromEntries(header.map((name, column) => [name, row[column]!]));
  });
}
