import { describe, expect, it } from 'vitest';
import { cardNumberValid, ibanValid, luhnValid } from '../../src/redact/detectors.js';
import { REDACT_KINDS } from '../../src/redact/kinds.js';
import { Redactor } from '../../src/redact/redactor.js';
import { generatePii, ibanCheckDigits, luhnCheckDigit, PII_KINDS, seededRandom } from '../support/pii.js';

const all = new Redactor({ kinds: REDACT_KINDS, patterns: [] });
const redact = (text: string) => all.redact(text);

describe('checksums', () => {
  it('Luhn accepts valid card numbers and refuses one digit off', () => {
    for (const number of ['4111111111111111', '5500005555555559', '378282246310005', '6011111111111117', '79927398713']) expect(luhnValid(number)).toBe(true);
    for (const number of ['4111111111111112', '5500005555555558', '378282246310006', '79927398710']) expect(luhnValid(number)).toBe(false);
  });

  it('a card number also needs a network prefix and length: a Luhn-valid order number is not one', () => {
    expect(cardNumberValid('4111111111111111')).toBe(true);
    expect(cardNumberValid('378282246310005')).toBe(true);
    // Luhn-valid, but no network issues numbers starting 9 or of 12 digits.
    expect(luhnValid('9000000000000001')).toBe(true);
    expect(cardNumberValid('9000000000000001')).toBe(false);
    expect(cardNumberValid('411111111113')).toBe(false);
  });

  it('IBAN: mod 97 and the country length', () => {
    for (const iban of ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'gb82west12345698765432']) expect(ibanValid(iban)).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('DE8937040044053201300')).toBe(false);
    expect(ibanValid('XX89370400440532013000')).toBe(false);
  });

  it('the generators make values that pass their own checks', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const payload = String(Math.floor(random() * 1e15)).padStart(15, '4');
      expect(luhnValid(payload + luhnCheckDigit(payload))).toBe(true);
      const bban = String(Math.floor(random() * 1e15)).padStart(18, '0');
      expect(ibanValid(`DE${ibanCheckDigits('DE', bban)}${bban}`)).toBe(true);
    }
  });
});

describe('redaction of each kind', () => {
  it.each([
    ['my email is Maria.Garcia+orders@mail.example.org, thanks', 'my email is [EMAIL], thanks'],
    ['card 4111 1111 1111 1111 please', 'card [CARD] please'],
    ['amex 3782-822463-10005.', 'amex [CARD].'],
    ['it is 4111111111111111', 'it is [CARD]'],
    ['IBAN DE89 3704 0044 0532 0130 00 ok', 'IBAN [IBAN] ok'],
    ['IBAN GB82WEST12345698765432', 'IBAN [IBAN]'],
    ['my SSN is 123-45-6789', 'my SSN is [SSN]'],
    ['sure, it is 123 45 6789.', 'sure, it is [SSN].'],
    ['from 203.0.113.42 and 192.168.1.20', 'from [IP] and [IP]'],
    ['v6 2001:db8:85a3::8a2e:370:7334 and 2001:db8:0:0:1:0:0:1', 'v6 [IP] and [IP]'],
    ['call (415) 555-2671 or +44 20 7946 0958', 'call [PHONE] or [PHONE]'],
    ['or 020 7946 0958, or 415.555.2671', 'or [PHONE], or [PHONE]'],
  ])('%s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('redacts every generated value of every kind', () => {
    const random = seededRandom(19);
    for (const kind of PII_KINDS) {
      for (let i = 0; i < 100; i++) {
        const { value, format } = generatePii(kind, random);
        expect(redact(`ok so ${value} is it`), `${kind} ${format}: ${value}`).not.toContain(value);
      }
    }
  });
});

describe('what is not personal data stays', () => {
  it.each([
    ['an order number', 'your order number is 1234567890123'],
    ['an order id with a date', 'order #A-20240315-0042 is on its way'],
    ['a Luhn-valid 16-digit order number', 'reference 9000000000000001'],
    ['a timestamp', 'booked for 2019-03-12T11:30:00Z, that is 11:30 am'],
    ['a Unix time', 'created at 1749252965'],
    ['a time with seconds', 'it ends at 12:30:45'],
    ['a version string', 'running version 1.2.3 and 10.4.1.2.7'],
    ['a street address', 'they are at 1016-1098 North Center Court Street'],
    ['a price', 'the balance is $3226.85 and 1,234,567.89 euros'],
    ['a date', 'on 03/12/2019 or 2019-03-12'],
    ['a year range', 'from 1999-2005 we lived there'],
    ['a zip code and a room', 'zip 94103, room 4521'],
    ['a counting sentence', 'we need 2 tables for 4 people at 7 pm'],
    ['an at sign', 'meet @ the bar, or @maria on the app'],
  ])('%s', (_what, text) => {
    expect(redact(text)).toBe(text);
  });
});

describe('the redactor', () => {
  it('is idempotent: redacted text is left as it is', () => {
    const once = redact('mail maria@example.com, card 4111 1111 1111 1111, call (415) 555-2671, ip 203.0.113.42');
    expect(redact(once)).toBe(once);
  });

  it('counts each kind, never keeping the values', () => {
    const counts = {};
    all.redact('a@example.com b@example.com 4111111111111111', counts);
    expect(counts).toEqual({ email: 2, card: 1 });
  });

  it('redacts only the kinds it is given, and custom patterns first', () => {
    const emailOnly = new Redactor({ kinds: ['email'], patterns: [{ name: 'ticket', pattern: /\bTCK-\d{6}\b/gu, placeholder: '[TICKET]' }] });
    expect(emailOnly.redact('a@example.com 4111111111111111 TCK-123456')).toBe('[EMAIL] 4111111111111111 [TICKET]');
  });

  it('does nothing when given nothing', () => {
    const none = new Redactor({ kinds: [], patterns: [] });
    expect(none.active).toBe(false);
    expect(none.redact('a@example.com')).toBe('a@example.com');
  });
});
