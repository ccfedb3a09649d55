import { markedHtml } from '../engine/highlight.js';
import type { SearchPage } from '../search/results.js';
import type { SessionHit } from '../search/sessions.js';
import type { TurnView } from '../search/present.js';
import type { TurnHit } from '../search/turns.js';

/*
 * The one place where the search layer's marked text (engine/highlight.ts) becomes HTML: every
 * `highlight` and `snippet` the API answers passes here, escaped, with <mark> as its only markup, so
 * the search page can insert them as HTML. The other fields stay plain text.
 */

export function withHtmlHighlights<P extends SearchPage<TurnHit>>(page: P): P {
  return { ...page, hits: page.hits.map(htmlTurnHit) };
}

export function withHtmlSnippets<P extends SearchPage<SessionHit>>(page: P): P {
  return { ...page, hits: page.hits.map(htmlSessionHit) };
}

/** A turn hit as the API shows it, alone (exports write hits one by one). */
export function htmlTurnHit(hit: TurnHit): TurnHit {
  return { ...hit, highlight: markedHtml(hit.highlight) };
}

/** A session hit as the API shows it: its snippet and the highlight of each conversation match. */
export function htmlSessionHit(hit: SessionHit): SessionHit {
  return { ...hit, snippet: markedHtml(hit.snippet), matches: hit.matches.map((match) => ({ ...match, highlight: markedHtml(match.highlight) })) };
}

export function withHtmlTurnHighlights<S extends { turns: Array<TurnView & { highlight?: string }> }>(session: S): S {
  return { ...session, turns: session.turns.map((turn) => (turn.highlight === undefined ? turn : { ...turn, highlight: markedHtml(turn.highlight) })) };
}
