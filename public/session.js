// The session view: a modal <dialog> with the whole transcript, the search's words marked in it
// (`/v1/sessions/{id}?q=`), the hit turn scrolled into view, and the recording when there is one.
// Which session is open lives in the URL; app.js decides when to show and hide it.

import { $, api, closeOnBackdrop, el, formatDate, formatDuration, formatOffset, plural, roleLabel } from './util.js';

let shown = '';
let request;

/** Show session `id` with turn `turn` (a string, '' for none) as the target, marking `q`. Throws the API's error. */
export async function showSession(id, turn, q) {
  const dialog = $('session');
  const key = `${id}#${turn}#${q}`;
  if (key === shown && dialog.open) return;
  request?.abort();
  const controller = new AbortController();
  request = controller;
  const params = q ? new URLSearchParams({ q }) : undefined;
  const session = await api(`/v1/sessions/${encodeURIComponent(id)}`, params, controller.signal);
  if (controller.signal.aborted) return;
  shown = key;
  fill(session, turn === '' ? -1 : Number(turn));
  if (!dialog.open) dialog.showModal();
  dialog.scrollTop = 0;
  const target = dialog.querySelector('li.target') ?? dialog.querySelector('li.match');
  target?.scrollIntoView({ block: 'center' });
}

/** ✕, Escape and a click on the backdrop close the dialog; `onClose` runs once it is closed. */
export function wireSessionDialog(onClose) {
  $('session-close').addEventListener('click', () => $('session').close());
  closeOnBackdrop($('session'));
  $('session').addEventListener('close', onClose);
}

export function hideSession() {
  request?.abort();
  shown = '';
  if ($('session').open) $('session').close();
}

function fill(session, target) {
  $('session-title').replaceChildren(session.companionId ?? 'Session', el('span', { id: 'session-id', textContent: session.sessionId }));
  const facts = [
    ['Client', session.externalClientId],
    ['Tenant', session.tenantId],
    ['Started', formatDate(session.startedAt ?? session.createdAt)],
    ['Duration', session.inProgress ? 'in progress' : formatDuration(session.durationSeconds)],
    ['Turns', String(session.turnCount)],
    ['Knowledge base', session.knowledgeBaseId],
    ['Functions', session.functions?.join(', ')],
    ['FAQs', session.faqIds?.join(', ')],
    ...Object.entries(session.tags ?? {}),
  ].filter(([, value]) => value);
  $('session-meta').replaceChildren(...facts.map(([name, value]) => el('div', {}, [el('dt', { textContent: name }), el('dd', { textContent: value })])));

  // Only through the API's /recording route, which signs a fresh http(s) link: the stored vendor URI
  // (s3://…) is never a link on the page.
  const player = session.hasRecording ? recordingPlayer(session.sessionId) : null;
  $('session-player').replaceChildren(...(player ? [player.audio] : []));
  const items = session.turns.map((turn) => {
    const text = el('p', { className: 'text' });
    if (turn.highlight) text.innerHTML = turn.highlight;
    else text.textContent = turn.text;
    const time = el('span', { className: 'time' }, el('time', { textContent: formatOffset(turn.offsetSeconds) }));
    if (player && turn.offsetSeconds != null) {
      time.prepend(el('button', {
        type: 'button', className: 'play', textContent: '▶', title: 'Play the recording from here',
        attrs: { 'aria-label': `Play recording from ${formatOffset(turn.offsetSeconds)}` },
        onclick: () => player.playFrom(turn.offsetSeconds),
      }));
    }
    const classes = [turn.turnIndex === target && 'target', turn.highlight && 'match', `by-${turn.role}`].filter(Boolean);
    const li = el('li', { className: classes.join(' '), dataset: { turnIndex: turn.turnIndex } }, [time, roleLabel(turn.role), text]);
    if (turn.turnIndex === target) li.setAttribute('aria-current', 'true');
    return li;
  });
  $('session-turns').replaceChildren(...items);
  matchNav(items.filter((li) => li.classList.contains('match')), items.findIndex((li) => li.classList.contains('target')));
}

/** "3 turns match", then "2 of 3" with ↑/↓ stepping through the marked turns. */
function matchNav(matches, targetIndex) {
  $('match-nav').hidden = matches.length === 0;
  if (matches.length === 0) return;
  let at = Math.max(0, matches.findIndex((li) => Number(li.dataset.turnIndex) >= targetIndex));
  const go = (step) => {
    at = (at + step + matches.length) % matches.length;
    for (const li of matches) li.classList.toggle('current', li === matches[at]);
    matches[at].scrollIntoView({ block: 'center' });
    $('match-info').textContent = `${at + 1} of ${matches.length}`;
  };
  $('match-info').textContent = `${plural(matches.length, 'turn')} match${matches.length === 1 ? 'es' : ''}`;
  $('match-prev').onclick = () => go(-1);
  $('match-next').onclick = () => go(1);
}

/**
 * The session's recording in an audio element. Its link is fetched when first played, and again once
 * it may have expired or fails: vendors sign it for minutes. The API hands out http(s) links only, and
 * the page checks again before an element loads one.
 */
const RECORDING_LINK_MS = 5 * 60_000;

function recordingPlayer(sessionId) {
  const audio = el('audio', { controls: true, preload: 'none', attrs: { 'aria-label': 'Recording of this session' } });
  let fetchedAt = 0;
  const load = async () => {
    const { url } = await api(`/v1/sessions/${encodeURIComponent(sessionId)}/recording`, new URLSearchParams({ redirect: 'false' }));
    if (!/^https?:\/\//i.test(url)) throw new Error('The recording link is not an http(s) URL');
    // `preload: none` keeps a dialog from fetching audio nobody plays; once asked, load it now.
    audio.preload = 'auto';
    audio.src = url;
    fetchedAt = Date.now();
    await new Promise((resolve, reject) => {
      audio.addEventListener('loadedmetadata', resolve, { once: true });
      audio.addEventListener('error', () => reject(new Error('The recording could not be loaded')), { once: true });
    });
  };
  const playFrom = async (seconds) => {
    try {
      if (!audio.src || Date.now() - fetchedAt > RECORDING_LINK_MS || audio.error) await load();
      audio.currentTime = seconds;
      await audio.play();
    } catch (error) {
      $('session-player').append(el('p', { className: 'hint error', attrs: { role: 'alert' }, textContent: `Recording: ${error.message}` }));
    }
  };
  return { audio, playFrom };
}
