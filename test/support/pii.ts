/*
 * Generated personal data, for redaction tests and the comparison of detectors: values of every kind
 * REDACT knows, in the formats people say or type them, each valid where the kind has a checksum
 * (Luhn for cards, mod-97 for IBANs) and in real numbering ranges (phones, SSNs), so a detector that
 * validates cannot reject them. Deterministic from a seed: a failing run can be repeated.
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ip';
export const PII_KINDS: readonly PiiKind[] = ['email', 'phone', 'card', 'iban', 'ssn', 'ip'];

/** One value put into a text: what it is, in which format, and the sentence it was said in. */
export type PiiValue = { kind: PiiKind; format: string; value: string };

/** mulberry32: small, fast and good enough to pick formats and digits. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (random: Random, count: number): string => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');
const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

/** The Luhn check digit that makes `payload` + digit valid. */
export function luhnCheckDigit(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/** The two IBAN check digits for a country and BBAN (ISO 13616: mod 97 of the rearranged number is 1). */
export function ibanCheckDigits(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.toUpperCase().replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of rearranged) remainder = (remainder * 10 + Number(digit)) % 97;
  return String(98 - remainder).padStart(2, '0');
}

const group = (text: string, size: number, separator: string): string => text.match(new RegExp(`.{1,${size}}`, 'g'))!.join(separator);

const CARD_PREFIXES: ReadonlyArray<{ brand: string; prefix: (random: Random) => string; length: number }> = [
  { brand: 'visa', prefix: () => '4', length: 16 },
  { brand: 'mastercard', prefix: (random) => String(between(random, 51, 55)), length: 16 },
  { brand: 'amex', prefix: () => '37', length: 15 },
  { brand: 'discover', prefix: () => '6011', length: 16 },
];

function card(random: Random): PiiValue {
  const { brand, prefix, length } = pick(random, CARD_PREFIXES);
  const start = prefix(random);
  const payload = start + digits(random, length - start.length - 1);
  const number = payload + luhnCheckDigit(payload);
  const style = pick(random, ['spaces', 'dashes', 'plain']);
  const grouped =
    style === 'plain'
      ? number
      : brand === 'amex'
        ? [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(style === 'spaces' ? ' ' : '-')
        : group(number, 4, style === 'spaces' ? ' ' : '-');
  return { kind: 'card', format: `${brand} ${style}`, value: grouped };
}

const FIRST = ['maria', 'james', 'li', 'fatima', 'olga', 'kwame', 'sofia', 'noah', 'ines', 'raj'];
const LAST = ['garcia', 'smith', 'wang', 'haddad', 'petrova', 'mensah', 'rossi', 'brown', 'silva', 'patel'];
const DOMAINS = ['example.com', 'mail.example.org', 'example.co.uk', 'corp-example.net', 'example.io'];

function email(random: Random): PiiValue {
  const first = pick(random, FIRST);
  const last = pick(random, LAST);
  const style = pick(random, ['first.last', 'f_last99', 'first+tag', 'Capitalised']);
  const local =
    style === 'first.last'
      ? `${first}.${last}`
      : style === 'f_last99'
        ? `${first[0]}_${last}${between(random, 1, 99)}`
        : style === 'first+tag'
          ? `${first}+orders`
          : `${first[0]!.toUpperCase()}${first.slice(1)}.${last[0]!.toUpperCase()}${last.slice(1)}`;
  return { kind: 'email', format: style, value: `${local}@${pick(random, DOMAINS)}` };
}

/** Area codes in service (libphonenumber checks the numbering plan), exchanges 2xx–9xx. */
const US_AREAS = ['212', '312', '415', '617', '206', '303', '512', '404', '713', '305'];

function phone(random: Random): PiiValue {
  const area = pick(random, US_AREAS);
  const exchange = `${between(random, 2, 9)}${digits(random, 2)}`;
  const line = digits(random, 4);
  const formats: Array<[string, () => string]> = [
    ['us (ddd) ddd-dddd', () => `(${area}) ${exchange}-${line}`],
    ['us ddd-ddd-dddd', () => `${area}-${exchange}-${line}`],
    ['us ddd.ddd.dddd', () => `${area}.${exchange}.${line}`],
    ['us +1 ddd ddd dddd', () => `+1 ${area} ${exchange} ${line}`],
    ['us +1dddddddddd', () => `+1${area}${exchange}${line}`],
    ['uk +44 20', () => `+44 20 ${between(random, 7, 8)}${digits(random, 3)} ${digits(random, 4)}`],
    ['uk 020 national', () => `020 ${between(random, 7, 8)}${digits(random, 3)} ${digits(random, 4)}`],
    ['uk mobile 07', () => `07${between(random, 4, 9)}${digits(random, 2)} ${digits(random, 6)}`],
    ['de +49 30', () => `+49 30 ${between(random, 2, 9)}${digits(random, 7)}`],
    ['fr +33', () => `+33 ${between(random, 1, 5)} ${digits(random, 2)} ${digits(random, 2)} ${digits(random, 2)} ${digits(random, 2)}`],
  ];
  const [format, make] = pick(random, formats);
  return { kind: 'phone', format, value: make() };
}

const IBAN_COUNTRIES: ReadonlyArray<{ country: string; bban: (random: Random) => string }> = [
  { country: 'DE', bban: (random) => digits(random, 18) },
  { country: 'GB', bban: (random) => `${pick(random, ['NWBK', 'BARC', 'MIDL', 'LOYD'])}${digits(random, 14)}` },
  { country: 'FR', bban: (random) => `${digits(random, 10)}${digits(random, 11)}${digits(random, 2)}` },
  { country: 'NL', bban: (random) => `${pick(random, ['ABNA', 'INGB', 'RABO'])}${digits(random, 10)}` },
  { country: 'ES', bban: (random) => digits(random, 20) },
];

function iban(random: Random): PiiValue {
  const { country, bban } = pick(random, IBAN_COUNTRIES);
  const body = bban(random);
  const compact = `${country}${ibanCheckDigits(country, body)}${body}`;
  const style = pick(random, ['grouped', 'compact']);
  return { kind: 'iban', format: `${country} ${style}`, value: style === 'grouped' ? group(compact, 4, ' ') : compact };
}

function ssn(random: Random): PiiValue {
  // Issued ranges: area 001–899 but not 666, group 01–99, serial 0001–9999.
  let area = between(random, 1, 899);
  if (area === 666) area = 667;
  const parts = [String(area).padStart(3, '0'), String(between(random, 1, 99)).padStart(2, '0'), String(between(random, 1, 9999)).padStart(4, '0')];
  const style = pick(random, ['dashes', 'spaces']);
  return { kind: 'ssn', format: style, value: parts.join(style === 'dashes' ? '-' : ' ') };
}

function ip(random: Random): PiiValue {
  const style = pick(random, ['v4 public', 'v4 private', 'v6 full', 'v6 compressed']);
  if (style === 'v4 public') return { kind: 'ip', format: style, value: `${between(random, 11, 223)}.${between(random, 0, 255)}.${between(random, 0, 255)}.${between(random, 1, 254)}` };
  if (style === 'v4 private') return { kind: 'ip', format: style, value: `192.168.${between(random, 0, 255)}.${between(random, 1, 254)}` };
  const hextet = () => between(random, 1, 0xffff).toString(16);
  if (style === 'v6 full') return { kind: 'ip', format: style, value: `2001:db8:${Array.from({ length: 6 }, hextet).join(':')}` };
  return { kind: 'ip', format: style, value: `2001:db8:${hextet()}::${hextet()}` };
}

const GENERATORS: Record<PiiKind, (random: Random) => PiiValue> = { email, phone, card, iban, ssn, ip };

export function generatePii(kind: PiiKind, random: Random): PiiValue {
  return GENERATORS[kind](random);
}

/**
 * Sentences a user says a value in: some name the kind, some do not (a detector that needs the word
 * "SSN" before a number misses "sure, it is 123-45-6789").
 */
const SENTENCES: Record<PiiKind, readonly string[]> = {
  email: ['my email is {v}', 'send it to {v} please', 'it is {v}', 'you can write to {v}, thanks'],
  phone: ['my number is {v}', 'call me back on {v}', 'sure, it is {v}', 'reach me at {v} after five'],
  card: ['my card number is {v}', 'the card is {v}', 'ok it is {v}', 'use {v} for the payment'],
  iban: ['my IBAN is {v}', 'please transfer it to {v}', 'the account is {v}', 'it is {v}'],
  ssn: ['my SSN is {v}', 'my social security number is {v}', 'sure, it is {v}', 'it should be {v}'],
  ip: ['my IP address is {v}', 'the router shows {v}', 'it says {v}', 'connecting from {v} right now'],
};

/** Says the value in a sentence and puts it at the start, the end or between two words of `text`. */
export function injectInto(text: string, value: PiiValue, random: Random): string {
  const sentence = pick(random, SENTENCES[value.kind]).replace('{v}', value.value);
  const where = pick(random, ['start', 'end', 'middle']);
  if (where === 'start' || text === '') return `${sentence}. ${text}`.trim();
  if (where === 'end') return `${text} ${sentence}.`;
  const spaces = [...text.matchAll(/ /g)].map((match) => match.index);
  if (spaces.length === 0) return `${text} ${sentence}.`;
  const at = pick(random, spaces);
  return `${text.slice(0, at)}, ${sentence}, ${text.slice(at + 1)}`;
}

/**
 * Whether `value` survives in `redacted`: the value itself, or a run of four or more of its digits
 * (a phone cut in half leaks its line number) that `original` did not already hold as many times.
 */
export function leaks(value: string, redacted: string, original: string): boolean {
  if (redacted.includes(value)) return true;
  const count = (text: string, part: string) => text.split(part).length - 1;
  for (const run of value.match(/\d{4,}/g) ?? []) if (count(redacted, run) > count(original, run) - count(original, value)) return true;
  return false;
}
