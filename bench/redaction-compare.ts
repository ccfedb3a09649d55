import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redactor } from '../src/redact/redactor.js';
import { REDACT_KINDS, type RedactKind } from '../src/redact/kinds.js';
import { AGENTS_CORPUS, NAPSTER_CORPUS, readCorpus } from '../test/support/corpus.js';
import { generatePii, injectInto, leaks, PII_KINDS, seededRandom, type PiiKind, type PiiValue } from '../test/support/pii.js';

/*
 * How well redaction detectors do on our corpora (issue 19): every candidate library, and the
 * redactor this service ships (src/redact), on
 *   - recall: generated values of each kind (valid Luhn cards, mod-97 IBANs, phones in ten national
 *     and international formats, SSNs, IPv4/IPv6, e-mails), said in a sentence put into corpus turns;
 *     a value is caught when neither it nor a run of 4+ of its digits survives;
 *   - false positives: what each one redacts in the untouched turns of both corpora. The SGD corpus
 *     has agents reading out business phone numbers in many national formats: a phone-shaped span in
 *     a turn that (or whose previous turn) speaks of a phone, a number, calling or reaching counts as a
 *     phone the corpus holds; everything else redacted is a false positive (street numbers, balances,
 *     times, order numbers);
 *   - speed: one pass over the untouched turns.
 *
 *   node --import tsx bench/redaction-compare.ts [--modules DIR] [--per-kind N] [--only NAME] [--untouched-every N]
 *
 * The candidate libraries are not this project's dependencies: install them anywhere
 * (`npm install --prefix DIR @openredaction/openredaction@1.0.4 @redactpii/node@1.0.17 @arcjet/redact@1.4.0`)
 * and pass DIR/node_modules; without `--modules` only the shipped redactor is measured.
 */

type Span = { kind: string; start: number; end: number };
type Candidate = { name: string; kinds: readonly RedactKind[]; detect(text: string): Span[] | Promise<Span[]> };

const { values: options } = parseArgs({
  options: { modules: { type: 'string' }, 'per-kind': { type: 'string', default: '500' }, only: { type: 'string' }, 'untouched-every': { type: 'string', default: '1' } },
});
const PER_KIND = Number(options['per-kind']);
/** Every Nth untouched turn: a slow candidate (arcjet's WebAssembly, ~2 ms a call) is measured on a sample. */
const UNTOUCHED_EVERY = Number(options['untouched-every']);

async function importFrom(dir: string, name: string): Promise<Record<string, unknown>> {
  const require = createRequire(`${dir}/`);
  const resolved = require.resolve(name, { paths: [dir] });
  return (await import(pathToFileURL(resolved.replace(/index\.js$/, 'index.mjs')).href).catch(() => import(pathToFileURL(resolved).href))) as Record<string, unknown>;
}

/** Spans of a library that only answers redacted text: `marker` stands where each span was. */
function spansFromMarked(original: string, redacted: string, marker: string, kind: RedactKind): Span[] {
  const pieces = redacted.split(marker);
  const spans: Span[] = [];
  let at = 0;
  for (let i = 0; i < pieces.length - 1; i++) {
    const start = original.indexOf(pieces[i]!, at) + pieces[i]!.length;
    const next = pieces[i + 1]!;
    const end = next === '' ? (i + 1 === pieces.length - 1 ? original.length : start) : original.indexOf(next, start + 1);
    spans.push({ kind, start, end });
    at = end;
  }
  return spans;
}

async function candidates(dir: string | undefined): Promise<Candidate[]> {
  const shipped = new Redactor({ kinds: REDACT_KINDS, patterns: [] });
  const list: Candidate[] = [{ name: 'shipped (src/redact)', kinds: REDACT_KINDS, detect: (text) => shipped.detect(text) }];
  if (!dir) return list;

  const { OpenRedaction } = (await importFrom(dir, '@openredaction/openredaction')) as { OpenRedaction: new (options: object) => { detect(text: string): { detections: Array<{ type: string; position: [number, number] }> } } };
  const openKinds: Record<string, RedactKind> = {
    EMAIL: 'email', PHONE_US: 'phone', PHONE_UK: 'phone', PHONE_UK_MOBILE: 'phone', PHONE_INTERNATIONAL: 'phone',
    CREDIT_CARD: 'card', IBAN: 'iban', SSN: 'ssn', IPV4: 'ip', IPV6: 'ip',
  };
  const open = new OpenRedaction({ patterns: Object.keys(openKinds), includeNames: false, includeAddresses: false });
  list.push({
    name: '@openredaction/openredaction 1.0.4',
    kinds: REDACT_KINDS,
    detect: (text) => open.detect(text).detections.flatMap((d) => (openKinds[d.type] ? [{ kind: openKinds[d.type]!, start: d.position[0], end: d.position[1] }] : [])),
  });

  const { Redactor: PiiRedactor } = (await importFrom(dir, '@redactpii/node')) as { Redactor: new (options: object) => { redact(text: string): string } };
  const piiRules: Array<[string, RedactKind]> = [['EMAIL', 'email'], ['PHONE', 'phone'], ['CREDIT_CARD', 'card'], ['SSN', 'ssn']];
  const piiRedactors = piiRules.map(([rule, kind]) => ({ kind, redactor: new PiiRedactor({ rules: { CREDIT_CARD: false, EMAIL: false, NAME: false, PHONE: false, SSN: false, [rule]: true }, globalReplaceWith: '\u0000' }) }));
  list.push({
    name: '@redactpii/node 1.0.17',
    kinds: ['email', 'phone', 'card', 'ssn'],
    detect: (text) => piiRedactors.flatMap(({ kind, redactor }) => spansFromMarked(text, redactor.redact(text), '\u0000', kind)),
  });

  const { redact } = (await importFrom(dir, '@arcjet/redact')) as { redact(text: string, options: object): Promise<[string, unknown]> };
  const arcjetKinds: Record<string, RedactKind> = { email: 'email', 'phone-number': 'phone', 'credit-card-number': 'card', 'ip-address': 'ip' };
  list.push({
    name: '@arcjet/redact 1.4.0',
    kinds: ['email', 'phone', 'card', 'ip'],
    detect: async (text) => {
      const found: Span[] = [];
      let from = 0;
      // It answers redacted text and calls `replace` with each value in order: find each after the last.
      await redact(text, {
        entities: Object.keys(arcjetKinds),
        replace: (entity: string, plaintext: string) => {
          const start = text.indexOf(plaintext, from);
          if (start >= 0 && arcjetKinds[entity]) found.push({ kind: arcjetKinds[entity]!, start, end: start + plaintext.length });
          from = start + plaintext.length;
          return undefined;
        },
      });
      return found;
    },
  });

  const phones = (await importFrom(dir, 'libphonenumber-js/max')) as { findNumbers(text: string, options: object): Array<{ startsAt: number; endsAt: number }> };
  list.push({
    name: 'libphonenumber-js 1.13.16 (max metadata, default country US)',
    kinds: ['phone'],
    detect: (text) => phones.findNumbers(text, { defaultCountry: 'US', v2: true }).map((found) => ({ kind: 'phone' as const, start: found.startsAt, end: found.endsAt })),
  });
  return list;
}

function redactSpans(text: string, spans: Span[]): string {
  let out = '';
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at) continue;
    out += `${text.slice(at, span.start)}[${span.kind.toUpperCase()}]`;
    at = span.end;
  }
  return out + text.slice(at);
}

const PHONE_SHAPE = /(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,6}){0,5}(?!\w)/g;
const PHONE_TALK = /phone|number|call|contact|reach|dial|line/i;

/** Phone-shaped spans (7–15 digits) of a turn that, or whose previous turn, speaks of phoning. */
function corpusPhones(text: string, previous: string): Array<[number, number]> {
  if (!PHONE_TALK.test(text) && !PHONE_TALK.test(previous)) return [];
  return [...text.matchAll(PHONE_SHAPE)].filter((m) => (m[0].match(/\d/g)?.length ?? 0) >= 7 && (m[0].match(/\d/g)?.length ?? 0) <= 15).map((m) => [m.index, m.index + m[0].length]);
}

async function main() {
  const turns: Array<{ text: string; previous: string }> = [];
  for (const file of [NAPSTER_CORPUS, AGENTS_CORPUS]) {
    for await (const record of readCorpus<{ conversation?: { items: Array<{ text: string }> }; transcript?: Array<{ text: string }> }>(file)) {
      const items = record.conversation?.items ?? record.transcript ?? [];
      items.forEach((item, i) => turns.push({ text: item.text, previous: items[i - 1]?.text ?? '' }));
    }
  }
  const random = seededRandom(19);
  const injected: Array<{ value: PiiValue; text: string; original: string }> = [];
  const used = new Set<number>();
  for (const kind of PII_KINDS) {
    for (let i = 0; i < PER_KIND; i++) {
      let at: number;
      do at = Math.floor(random() * turns.length);
      while (used.has(at));
      used.add(at);
      const value = generatePii(kind, random);
      injected.push({ value, original: turns[at]!.text, text: injectInto(turns[at]!.text, value, random) });
    }
  }
  const characters = turns.reduce((sum, turn) => sum + turn.text.length, 0);
  process.stderr.write(`${turns.length} turns (${(characters / 1e6).toFixed(1)} M characters), ${injected.length} injected values\n`);

  for (const candidate of (await candidates(options.modules)).filter((c) => options.only === undefined || c.name.includes(options.only!))) {
    const recall: Record<string, { caught: number; of: number; missedFormats: Map<string, number> }> = {};
    for (const { value, text, original } of injected) {
      const entry = (recall[value.kind] ??= { caught: 0, of: 0, missedFormats: new Map() });
      entry.of++;
      const redacted = redactSpans(text, await candidate.detect(text));
      if (!leaks(value.value, redacted, original)) entry.caught++;
      else entry.missedFormats.set(value.format, (entry.missedFormats.get(value.format) ?? 0) + 1);
    }
    const started = performance.now();
    const found: Array<{ turn: number; spans: Span[] }> = [];
    let measured = 0;
    for (let i = 0; i < turns.length; i += UNTOUCHED_EVERY) {
      measured++;
      const spans = await candidate.detect(turns[i]!.text);
      if (spans.length > 0) found.push({ turn: i, spans });
    }
    const seconds = (performance.now() - started) / 1000;
    const detections: Record<string, { corpusPhones: number; falsePositives: number; examples: Map<string, number> }> = {};
    for (const { turn, spans } of found) {
      const phones = corpusPhones(turns[turn]!.text, turns[turn]!.previous);
      for (const span of spans) {
        const entry = (detections[span.kind] ??= { corpusPhones: 0, falsePositives: 0, examples: new Map() });
        if (span.kind === 'phone' && phones.some(([start, end]) => span.start < end && start < span.end)) entry.corpusPhones++;
        else {
          entry.falsePositives++;
          const shown = turns[turn]!.text.slice(Math.max(0, span.start - 20), span.end + 12).replace(/\s+/g, ' ');
          entry.examples.set(shown, (entry.examples.get(shown) ?? 0) + 1);
        }
      }
    }
    const row = {
      candidate: candidate.name,
      recall: Object.fromEntries(
        PII_KINDS.map((kind: PiiKind) => {
          const entry = recall[kind]!;
          const supported = (candidate.kinds as readonly string[]).includes(kind);
          return [kind, { caught: entry.caught, of: entry.of, percent: Number(((100 * entry.caught) / entry.of).toFixed(1)), supported, missed: Object.fromEntries(entry.missedFormats) }];
        }),
      ),
      untouched: Object.fromEntries(Object.entries(detections).map(([kind, entry]) => [kind, { corpusPhones: entry.corpusPhones, falsePositives: entry.falsePositives, examples: [...entry.examples].sort((a, b) => b[1] - a[1]).slice(0, 20) }])),
      untouchedTurns: measured,
      seconds: Number(seconds.toFixed(2)),
      microsecondsPerTurn: Number(((seconds * 1e6) / measured).toFixed(1)),
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}

await main();
