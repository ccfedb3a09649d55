import { isIPv6 } from 'node:net';
import type { RedactKind } from './kinds.js';

/*
 * Our own rules, for what the libraries measured on our corpora miss (README, "Redaction"): each finds
 * candidates with a loose pattern and keeps only those that pass the kind's own check (a checksum, an
 * issued range), so a number that merely looks the part (an order number, a street number, a
 * timestamp, a version string) is left alone.
 */

export type Span = { kind: string; start: number; end: number };
export type Detector = { kind: RedactKind; find(text: string): Span[] };

/** Luhn (ISO/IEC 7812-1), the check digit of payment card numbers. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefixes and lengths of the card networks people read out (Visa, Mastercard, Amex, Discover,
 * JCB, Diners, UnionPay, Maestro): one random 16-digit number in ten passes Luhn, so a number must also
 * start the way a card does.
 */
const CARD_PREFIX = /^(?:4\d{12}(?:\d{3}){0,2}|5[1-5]\d{14}|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}|3[47]\d{13}|6(?:011|5\d\d|4[4-9]\d)\d{12,15}|35(?:2[89]|[3-8]\d)\d{12,15}|3(?:0[0-5]|[68]\d)\d{11,16}|62\d{14,17}|(?:5[06-8]|6\d)\d{10,17})$/;

export function cardNumberValid(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && CARD_PREFIX.test(digits) && luhnValid(digits);
}

/** Digits in groups, one kind of separator (space or dash) or none: `4111 1111 1111 1111`, `3782-822463-10005`. */
const CARD_CANDIDATE = /(?<![\w.,-])\d(?:\d|[ -](?=\d)){11,22}\d(?![\d]|[.,]\d)/g;

export const cardDetector: Detector = {
  kind: 'card',
  find(text) {
    const spans: Span[] = [];
    for (const match of text.matchAll(CARD_CANDIDATE)) {
      const separators = new Set(match[0].match(/[ -]/g));
      if (separators.size > 1) continue;
      if (cardNumberValid(match[0].replace(/[ -]/g, ''))) spans.push({ kind: 'card', start: match.index, end: match.index + match[0].length });
    }
    return spans;
  },
};

/** IBAN lengths by country (SWIFT's IBAN registry), for the countries that issue them. */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20,
};

/** ISO 13616: the country's length, and the number moved and read as digits is 1 modulo 97. */
export function ibanValid(compact: string): boolean {
  const iban = compact.toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban) || IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  let remainder = 0;
  for (const char of iban.slice(4) + iban.slice(0, 4)) {
    const value = char <= '9' ? char.charCodeAt(0) - 48 : char.charCodeAt(0) - 55;
    remainder = (value > 9 ? remainder * 100 + value : remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/** Compact, or in the printed groups of four: `DE89 3704 0044 0532 0130 00`. */
const IBAN_CANDIDATE = /\b[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?)\b/g;

export const ibanDetector: Detector = {
  kind: 'iban',
  find(text) {
    const spans: Span[] = [];
    for (const match of text.matchAll(IBAN_CANDIDATE)) {
      // The last group may be a short word that follows (`… 0130 00 is mine`): shorter readings too.
      const groups = match[0].split(' ');
      for (let count = groups.length; count >= Math.min(groups.length, 3); count--) {
        const candidate = groups.slice(0, count).join(' ');
        if (ibanValid(candidate.replace(/ /g, ''))) {
          spans.push({ kind: 'iban', start: match.index, end: match.index + candidate.length });
          break;
        }
      }
    }
    return spans;
  },
};

/**
 * US Social Security numbers as issued: area 001–899 except 666, group 01–99, serial 0001–9999, with
 * dashes or spaces. A longer run of digit groups around it (`1 202 55 1234 5`) is something else.
 */
const SSN = /(?<![\d-]|\d )(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-]| \d)/g;

export const ssnDetector: Detector = {
  kind: 'ssn',
  find: (text) => [...text.matchAll(SSN)].map((match) => ({ kind: 'ssn', start: match.index, end: match.index + match[0].length })),
};

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Not part of a longer dotted run (`1.2.3.4.5`, a version) and not a decimal continuing (`1.2.3.4.5`). */
const IPV4 = new RegExp(`(?<![\\w.]|\\d\\.)${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
/** Hex groups and colons; `12:30:45` (a time) is such a run too, which isIPv6 refuses. */
const IPV6_CANDIDATE = /(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:(?=:))(?:[0-9A-Fa-f]{0,4}:){1,6}[0-9A-Fa-f]{0,4}(?![\w:])/g;

export const ipDetector: Detector = {
  kind: 'ip',
  find(text) {
    const spans: Span[] = [...text.matchAll(IPV4)].map((match) => ({ kind: 'ip', start: match.index, end: match.index + match[0].length }));
    for (const match of text.matchAll(IPV6_CANDIDATE)) {
      const groups = match[0].split(':').filter(Boolean).length;
      if (groups >= 2 && isIPv6(match[0])) spans.push({ kind: 'ip', start: match.index, end: match.index + match[0].length });
    }
    return spans;
  },
};
