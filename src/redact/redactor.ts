import { cardDetector, ibanDetector, ipDetector, ssnDetector, type Detector, type Span } from './detectors.js';
import { emailDetector } from './email.js';
import { PLACEHOLDERS, type RedactionCounts, type RedactKind } from './kinds.js';
import { phoneDetector } from './phone.js';

/*
 * The redactor REDACT configures: the detectors of the kinds it names and the operator's own patterns
 * (REDACT_PATTERNS_FILE), run over a text, their spans merged, each replaced by its placeholder. Where
 * spans overlap the operator's patterns win, then the kinds in the order of DETECTION_ORDER: a card
 * number is not also taken for a phone number.
 */

/** A pattern of REDACT_PATTERNS_FILE: `pattern` is global (every occurrence) and its name is the kind counted. */
export type CustomPattern = { name: string; pattern: RegExp; placeholder: string };

export type RedactSettings = { kinds: readonly RedactKind[]; patterns: readonly CustomPattern[] };

/** Every built-in kind has a digit, an `@` (e-mail) or a `:` (IPv6) in it. */
const CLUE = /[\d@:]/;

/** The most specific kinds first. */
const DETECTION_ORDER: readonly Detector[] = [ibanDetector, cardDetector, emailDetector, ssnDetector, ipDetector, phoneDetector];

export class Redactor {
  readonly #detectors: ReadonlyArray<{ kind: string; find(text: string): Span[] }>;
  readonly #placeholders: ReadonlyMap<string, string>;
  /** Without custom patterns, text with no digit, `@` or `:` holds nothing to redact: most turns. */
  readonly #needsClue: boolean;

  constructor(settings: RedactSettings) {
    const custom = settings.patterns.map((pattern) => ({
      kind: pattern.name,
      find: (text: string) => [...text.matchAll(pattern.pattern)].filter((match) => match[0] !== '').map((match) => ({ kind: pattern.name, start: match.index, end: match.index + match[0].length })),
    }));
    this.#detectors = [...custom, ...DETECTION_ORDER.filter((detector) => settings.kinds.includes(detector.kind))];
    this.#needsClue = custom.length === 0;
    this.#placeholders = new Map([
      ...settings.patterns.map((pattern): [string, string] => [pattern.name, pattern.placeholder]),
      ...settings.kinds.map((kind): [string, string] => [kind, PLACEHOLDERS[kind]]),
    ]);
  }

  /** Whether this redactor changes anything at all (REDACT unset and no patterns: it does not). */
  get active(): boolean {
    return this.#detectors.length > 0;
  }

  /** The spans to redact, in text order, none overlapping. */
  detect(text: string): Span[] {
    if (this.#needsClue && !CLUE.test(text)) return [];
    const kept: Span[] = [];
    for (const detector of this.#detectors) {
      for (const span of detector.find(text)) {
        if (!kept.some((other) => span.start < other.end && other.start < span.end)) kept.push(span);
      }
    }
    return kept.sort((a, b) => a.start - b.start);
  }

  /** The text with every span replaced by its placeholder, counting each kind into `counts`. */
  redact(text: string, counts?: RedactionCounts): string {
    if (this.#detectors.length === 0 || text === '') return text;
    const spans = this.detect(text);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start) + this.#placeholders.get(span.kind)!;
      at = span.end;
      if (counts) counts[span.kind] = (counts[span.kind] ?? 0) + 1;
    }
    return out + text.slice(at);
  }
}
