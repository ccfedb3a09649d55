// Hit cards, as the search page and the trackers page list them: whose session and when, the turn
// with the search marked (the API's escaped `highlight`, the only HTML inserted), and a link that
// opens the session. A click anywhere on a card opens it, as the link does.

import { el, formatDate, formatOffset, roleLabel } from './util.js';

/**
 * The turn a hit points at, as URLs and the session view take it: a turn hit's own; a session hit's
 * turn that matches the text, else the turn that satisfies its first condition; '' for none.
 */
export function hitTurn(hit) {
  const turn = hit.turnIndex ?? hit.matchedTurnIndex ?? hit.matches?.[0]?.turnIndex;
  return turn == null ? '' : String(turn);
}

/** The card's link; its name says whose session, for a list of links read out of context. */
function sessionLink(hit, time, href) {
  const whose = el('span', { className: 'visually-hidden', textContent: ` with ${hit.companionId ?? 'no companion'}, ${formatDate(time)}` });
  return el('a', { className: 'hit-link', href, dataset: { session: hit.sessionId, turn: hitTurn(hit) } }, ['Open session', whose]);
}

export function turnLine(turn, { context = false, html } = {}) {
  const text = el('span', { className: 'text' });
  if (html !== undefined) text.innerHTML = html;
  else text.textContent = turn.text;
  return el('p', { className: `turn${context ? ' context' : ''}` }, [roleLabel(turn.role), text]);
}

/** Companion, client, tenant, time, `extra`, and the link to `href` (where the session opens without script). */
export function hitMeta(hit, time, extra, href) {
  return el('div', { className: 'meta' }, [
    el('span', { className: 'companion', textContent: hit.companionId ?? '—' }),
    hit.externalClientId ? el('span', { textContent: hit.externalClientId }) : null,
    hit.tenantId ? el('span', { textContent: hit.tenantId }) : null,
    el('time', { dateTime: time ?? '', textContent: formatDate(time) }),
    ...extra,
    sessionLink(hit, time, href),
  ]);
}

export function turnHit(hit, href) {
  const before = (hit.context?.before ?? []).map((turn) => turnLine(turn, { context: true }));
  const after = (hit.context?.after ?? []).map((turn) => turnLine(turn, { context: true }));
  const at = hit.offsetSeconds == null ? null : el('span', { textContent: `at ${formatOffset(hit.offsetSeconds)}` });
  return el('li', { className: 'hit' }, [hitMeta(hit, hit.timestamp, [at], href), ...before, turnLine(hit, { html: hit.highlight }), ...after]);
}

/**
 * Calls `open(sessionId, turn, link)` for a click anywhere on a card of `list`, unless it selects text;
 * the link inside the card is what the keyboard reaches (Enter) and what a middle or Ctrl-click opens
 * in a new tab. A link of the card to one of the session's turns (a condition's match) opens it there.
 */
export function onHitClick(list, open) {
  list.addEventListener('click', (event) => {
    const card = event.target.closest('.hit');
    const turnLink = event.target.closest('a[data-session]');
    const link = turnLink && card?.contains(turnLink) ? turnLink : card?.querySelector('a.hit-link');
    if (!link) return;
    if (event.target.closest('a') === link) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
    } else if (event.target.closest('a, button') || String(getSelection()) !== '') {
      return;
    }
    open(link.dataset.session, link.dataset.turn, link);
  });
}
