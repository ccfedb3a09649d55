import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from '../../src/http/csv.js';
import { parseCsv } from '../support/csv.js';

/** The writer's one change to a value: a leading `'` before what a spreadsheet would run as a formula. */
const guarded = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

describe('CSV writer', () => {
  it('writes plain values bare and encloses those holding a comma, a quote, CR or LF, doubling quotes', () => {
    expect(csvRecord(['a', 'b c', 7, 1.5, true, null, undefined])).toBe('a,b c,7,1.5,true,,\r\n');
    expect(csvRecord(['a,b', 'say "hi"', 'one\ntwo', 'cr\rhere'])).toBe('"a,b","say ""hi""","one\ntwo","cr\rhere"\r\n');
  });

  it('writes objects and lists as JSON in one field', () => {
    expect(csvField({ plan: 'pro', 'a,b': 'c"d' })).toBe('"{""plan"":""pro"",""a,b"":""c\\""d""}"');
    expect(JSON.parse(parseCsv(csvRecord([['x', 'y'], { k: 'v' }]))[0]![1]!)).toEqual({ k: 'v' });
  });

  it("puts a ' before a field a spreadsheet would read as a formula, and changes nothing else", () => {
    expect(csvField('=HYPERLINK("http://evil.example","click")')).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    for (const text of ['+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) expect(parseCsv(csvRecord([text]))[0]![0]).toBe(`'${text}`);
    expect(csvField(-3)).toBe("'-3");
    for (const text of ['a=1', ' =1', '1-2', "'=already quoted", 'ｰ', '']) expect(parseCsv(csvRecord([text, 'x']))[0]![0]).toBe(text);
  });

  it('round-trips any text through a strict RFC 4180 reader', () => {
    const cell = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom('"', ',', '\r', '\n', '=', '+', '-', '@', '\t', 'a', ' ', 'é') }));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map((row) => csvRecord(row)).join('');
        expect(parseCsv(text)).toEqual(rows.map((row) => row.map(guarded)));
      }),
    );
  });

  it('is read strictly: the test reader refuses what RFC 4180 does not allow', () => {
    for (const bad of ['a\n', 'a,"b', 'a"b\r\n', '"a"b\r\n', 'a,b']) expect(() => parseCsv(bad), JSON.stringify(bad)).toThrow(/Invalid CSV/);
  });
});
