/*
 * Highlights. The engine marks matched words in text with two private-use characters that ingest
 * removes from stored text, so they can only be marks; the search layer returns text with those marks,
 * and each caller renders them its own way: the HTTP API as HTML-escaped text with <mark>, the CLI
 * with asterisks.
 */

export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

/** The engine's highlighting (and cropping, for snippets) of turn text, with our marks. */
export function highlightParams(crop: boolean): { attributesToHighlight: string[]; highlightPreTag: string; highlightPostTag: string; attributesToCrop?: string[]; cropLength?: number; cropMarker?: string } {
  return {
    attributesToHighlight: ['text'],
    highlightPreTag: MARK_START,
    highlightPostTag: MARK_END,
    ...(crop ? { attributesToCrop: ['text'], cropLength: 32, cropMarker: '…' } : {}),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/**
 * Marks that end inside a word are moved to its end: the engine marks only the characters a typo or
 * prefix match covered (`refnd` marks `[refun]d`, `refund` marks `[refund]s`), which reads as a
 * broken word. A whole word is what matched, so a whole word is marked.
 */
export function wholeWordMarks(marked: string): string {
  return marked.includes(MARK_END) ? marked.replace(/\uE001([\p{L}\p{M}\p{N}]+)/gu, '$1\uE001') : marked;
}

/** Marked text → HTML-escaped text whose only tags are <mark>…</mark>. */
export function markedHtml(marked: string): string {
  return escapeHtml(marked).replaceAll(MARK_START, '<mark>').replaceAll(MARK_END, '</mark>');
}

/** Marked text → plain text with the marks drawn as `open`/`close` (a terminal's `*word*`). */
export function markedText(marked: string, open: string, close = open): string {
  return marked.replaceAll(MARK_START, open).replaceAll(MARK_END, close);
}

/** Text as ingest stores it: without the two characters that mean "highlight" here. */
export function withoutMarks(text: string): string {
  return text.includes(MARK_START) || text.includes(MARK_END) ? text.replace(/[\uE000\uE001]/g, '') : text;
}
