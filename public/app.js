// The search page: plain ES modules, no build step. All state lives in the URL, so any search can be
// shared and reloaded. Only `highlight`/`snippet` are inserted as HTML: the API escapes them and
// adds nothing but <mark>; every other value is set as text.

import { conditionCount, conditionParams, describeCondition, renderConditions, sentSaid, showConditionsError, wireConditions } from './conditions.js';
import { FACETS, ROLES, countedFacets, renderFacets } from './facets.js';
import { hitMeta, hitTurn, onHitClick, turnHit } from './hits.js';
import { hideSession, showSession, wireSessionDialog } from './session.js';
import { clearFormError, describeSearch, readTrackerFields, secretPanel, showFormError, trackerFields } from './tracker-parts.js';
import { $, api, apiFile, apiSend, closeOnBackdrop, el, formatDay, formatDuration, formatNumber, localDayBound, plural, saveFile, TIME_ZONE } from './util.js';

const HITS_PER_PAGE = 20;
const READY_POLL_MS = 1500;
const PARAMS = FACETS.map((facet) => facet.param);

// ---- State: the URL ----

function readState() {
  const params = new URLSearchParams(location.search);
  const values = (name) => [...new Set(params.getAll(name).filter(Boolean))];
  return {
    q: params.get('q') ?? '',
    mode: params.get('mode') === 'sessions' ? 'sessions' : 'turns',
    ...Object.fromEntries(PARAMS.map((name) => [name, values(name)])),
    role: values('role').filter((role) => ROLES.includes(role)),
    // Every condition where it was given, repeats included: the n-th `said` is what order=said orders.
    said: params.getAll('said'),
    notSaid: params.getAll('notSaid'),
    order: params.get('order') === 'said',
    within: params.get('within') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    sort: params.get('sort') ?? 'relevance',
    page: Math.max(1, Math.floor(Number(params.get('page'))) || 1),
    session: params.get('session') ?? '',
    turn: params.get('turn') ?? '',
  };
}

let state = readState();

function urlOf(s) {
  const params = new URLSearchParams();
  if (s.q) params.set('q', s.q);
  if (s.mode !== 'turns') params.set('mode', s.mode);
  for (const name of PARAMS) for (const value of s[name]) params.append(name, value);
  if (s.from) params.set('from', s.from);
  if (s.to) params.set('to', s.to);
  for (const name of ['said', 'notSaid']) for (const value of s[name]) params.append(name, value);
  if (s.order) params.set('order', 'said');
  if (s.order && s.within !== '') params.set('within', s.within);
  if (s.sort !== 'relevance') params.set('sort', s.sort);
  if (s.page > 1) params.set('page', String(s.page));
  if (s.session) params.set('session', s.session);
  if (s.turn !== '') params.set('turn', s.turn);
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}`;
}

/**
 * The filters as the API takes them, leaving out `except` (a facet's own, for its disjunctive value
 * search). Picker days become the bounds of those days in the browser's zone.
 */
function filterParams(s, except) {
  const params = new URLSearchParams();
  for (const name of PARAMS) {
    if (name === except || name === 'role') continue;
    for (const value of s[name]) params.append(name, value);
  }
  if (s.from) params.set('from', localDayBound(s.from, 'from'));
  if (s.to) params.set('to', localDayBound(s.to, 'to'));
  return params;
}

function searchParams(s) {
  const params = filterParams(s);
  if (s.q) params.set('q', s.q);
  // Both roles ticked is everyone: no filter.
  if (s.role.length === 1) params.set('role', s.role[0]);
  // Turn searches take no conditions: in turns mode they wait in the URL for a switch back.
  if (s.mode === 'sessions') for (const [name, value] of conditionParams(s)) params.append(name, value);
  if (s.sort !== 'relevance') params.set('sort', s.sort);
  if (s.page > 1) params.set('page', String(s.page));
  return params;
}

/** The current search as an export takes it: every match, so no page (nor hitsPerPage, facets, or the context shown). */
function exportParams(s) {
  const params = searchParams(s);
  params.delete('page');
  return params;
}

const conditionsApply = (s) => s.mode === 'sessions' && conditionCount(s) > 0;

const activeFilters = (s) => PARAMS.reduce((n, name) => n + s[name].length, 0) + (s.from ? 1 : 0) + (s.to ? 1 : 0);

/**
 * Every change goes through here. Typing replaces the history entry; clicks add one, so Back undoes a
 * filter. `entry` marks the history entry (opening a session marks its own, so closing can go back).
 */
function navigate(changes, { push = true, entry = null, keepNotice = false } = {}) {
  state = { ...state, ...changes };
  if (!keepNotice) showNotice('');
  if (push) history.pushState(entry, '', urlOf(state));
  else history.replaceState(entry, '', urlOf(state));
  render();
}

let searched = '';

function render() {
  document.title = state.q ? `${state.q} – transcript-search` : 'transcript-search';
  syncForm();
  renderRefinements();
  // Opening or closing a session changes the URL, not the results: keep the hits (and focus) as they are.
  const key = `${state.mode}?${searchParams(state)}`;
  if (key !== searched) {
    searched = key;
    runSearch();
  }
  renderSession();
}

function syncForm() {
  if (document.activeElement !== $('q')) $('q').value = state.q;
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.checked = radio.value === state.mode;
  $('from').value = /^\d{4}-\d{2}-\d{2}$/.test(state.from) ? state.from : '';
  $('to').value = /^\d{4}-\d{2}-\d{2}$/.test(state.to) ? state.to : '';
  $('sort').value = state.sort;
  $('conversation').hidden = state.mode !== 'sessions';
  renderConditions(state);
  conditionsNote();
  const count = activeFilters(state);
  $('filter-count').textContent = count ? ` (${count})` : '';
  $('clear').hidden = count === 0;
}

// ---- Search and results ----

let inFlight;
let lastResult;

async function runSearch() {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const params = searchParams(state);
  params.set('hitsPerPage', String(HITS_PER_PAGE));
  params.set('facets', countedFacets(state.mode).join(','));
  params.set('facetMode', 'disjunctive');
  if (state.mode === 'turns') params.set('context', '1');
  // What each hit's `matches` refer to by position, as this request sends them.
  const said = state.mode === 'sessions' ? sentSaid(state) : [];
  const withConditions = conditionsApply(state);
  $('results').setAttribute('aria-busy', 'true');
  try {
    const result = await api(`/v1/search/${state.mode}`, params, controller.signal);
    await readiness;
    if (controller.signal.aborted) return;
    lastResult = result;
    showConditionsError('');
    showResult(result, said);
  } catch (error) {
    if (error.name === 'AbortError') return;
    lastResult = undefined;
    if (error.status === 401) $('key-form').hidden = false;
    // A refusal of a search with conditions names what is wrong with them: say it beside them.
    if (error.status === 400 && withConditions) {
      showConditionsError(error.message);
      setStatus('No results: the conditions above need a change.', true);
    } else {
      showConditionsError('');
      setStatus(error.message, true);
    }
    $('hits').replaceChildren();
    $('stats').hidden = true;
    $('pager').hidden = true;
  } finally {
    if (inFlight === controller) {
      $('results').removeAttribute('aria-busy');
      $('export-toggle').disabled = !lastResult;
    }
  }
}

/** `said`: the `said` conditions the search sent, which each session hit's `matches` refer to. */
function showResult(result, said) {
  const what = state.mode === 'turns' ? 'turn' : 'session';
  const limits = [activeFilters(state) && 'filters', conditionsApply(state) && 'conditions'].filter(Boolean).join(' and ');
  if (result.totalHits > 0) setStatus(`${plural(result.totalHits, what)} found${indexing ? ' so far (indexing…)' : ''}`);
  else if (indexing) setStatus('Indexing…');
  else setStatus(`No ${what}s match${state.q ? ` “${state.q}”` : ''}${limits ? ` with these ${limits}` : ''}.`);
  $('filters-done').textContent = `Show ${plural(result.totalHits, what)}`;
  $('hits').replaceChildren(...(result.totalHits > 0 ? result.hits.map((hit) => (state.mode === 'turns' ? turnHit(hit, sessionHref(hit)) : sessionHit(hit, said))) : [emptyState()]));
  renderFacets({
    counts: result.facets,
    mode: state.mode,
    q: state.q,
    selected: (param) => state[param],
    toggle: (param, value, on) => navigate({ [param]: on ? [...state[param], value] : state[param].filter((v) => v !== value), page: 1 }),
    filtersWithout: (param) => filterParams(state, param),
  });
  renderStats(state.mode === 'sessions' && result.totalHits > 0 ? result.stats : undefined);
  $('pager').hidden = result.totalPages <= 1 && result.page <= 1;
  $('page-info').textContent = `Page ${formatNumber(result.page)} of ${formatNumber(result.totalPages)}`;
  $('prev').disabled = result.page <= 1;
  $('next').disabled = result.page >= result.totalPages;
}

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

function emptyState() {
  if (indexing) {
    return el('li', { className: 'empty indexing' }, el('p', { textContent: 'The first sync is still running: sessions appear here as they are indexed.' }));
  }
  const clear = activeFilters(state) ? el('button', { type: 'button', className: 'link', textContent: 'Clear the filters', onclick: clearFilters }) : null;
  const advice = state.q ? 'Try fewer words, or other ones.' : conditionsApply(state) ? 'Try other conditions, or fewer.' : 'Try other filters.';
  return el('li', { className: 'empty' }, [el('p', { textContent: advice }), clear]);
}

/** Where a hit's session opens: this search with the session shown. */
const sessionHref = (hit) => urlOf({ ...state, session: hit.sessionId, turn: hitTurn(hit) });

function sessionHit(hit, said) {
  const extra = [
    el('span', { textContent: plural(hit.turnCount, 'turn') }),
    el('span', { className: 'duration', textContent: hit.inProgress ? 'in progress' : formatDuration(hit.durationSeconds) }),
    hit.costUsd == null ? null : el('span', { textContent: `$${hit.costUsd.toFixed(4)}` }),
  ];
  const snippet = el('p', { className: 'turn snippet' });
  snippet.innerHTML = hit.snippet;
  return el('li', { className: 'hit' }, [hitMeta(hit, hit.startedAt ?? hit.createdAt, extra, sessionHref(hit)), snippet, conversationMatches(hit, said)]);
}

/**
 * The turn that satisfies each `said` condition, marked as the API marks it (escaped, <mark> only),
 * each a link that opens the session at that turn.
 */
function conversationMatches(hit, said) {
  if (!hit.matches?.length) return null;
  return el('ul', { className: 'matches', attrs: { 'aria-label': 'Turns that satisfy the conditions' } }, hit.matches.map((match) => {
    const text = el('span', { className: 'text' });
    text.innerHTML = match.highlight;
    const turn = String(match.turnIndex);
    return el('li', {}, el('a', {
      className: 'match', href: urlOf({ ...state, session: hit.sessionId, turn }), dataset: { session: hit.sessionId, turn },
    }, [el('span', { className: 'condition-label', textContent: describeCondition(said[match.condition]) }), text]));
  }));
}

function renderStats(stats) {
  const box = $('stats');
  box.hidden = !stats;
  if (!stats) return;
  const item = (label, value) => el('div', {}, [el('dt', { textContent: label }), el('dd', { textContent: value })]);
  box.replaceChildren(
    el('dl', { className: 'stats-list' }, [
      item('Sessions', formatNumber(stats.count)),
      item('Total duration', formatDuration(stats.durationSeconds.sum)),
      item('Turns', formatNumber(stats.turnCount.sum)),
      // Each vendor total on its own: input and output tokens are priced differently.
      item('Input tokens', formatNumber(stats.llmInputTokens.sum)),
      item('Output tokens', formatNumber(stats.llmOutputTokens.sum)),
      item('Audio transcribed', formatDuration(stats.sttAudioSeconds.sum)),
      item('Characters spoken', formatNumber(stats.ttsCharacters.sum)),
      item('Cost', stats.costUsd.sum == null ? '–' : `$${stats.costUsd.sum.toFixed(2)}`),
    ]),
  );
}

/** The active filters as removable chips above the results: on a phone the panels are out of sight. */
function renderRefinements() {
  const chips = [];
  const chip = (label, changes) => chips.push(el('li', {}, el('button', {
    type: 'button', className: 'chip', textContent: `${label} ✕`, attrs: { 'aria-label': `Remove filter ${label}` },
    onclick: () => navigate({ ...changes, page: 1 }),
  })));
  for (const facet of FACETS) {
    for (const value of state[facet.param]) chip(`${facet.label}: ${value}`, { [facet.param]: state[facet.param].filter((v) => v !== value) });
  }
  if (state.from) chip(`From ${formatDay(state.from)}`, { from: '' });
  if (state.to) chip(`To ${formatDay(state.to)}`, { to: '' });
  if (chips.length > 1) chips.push(el('li', {}, el('button', { type: 'button', className: 'link', textContent: 'Clear all', onclick: clearFilters })));
  $('refinements').replaceChildren(...chips);
  $('refinements').hidden = chips.length === 0;
}

/** In turns mode, conditions kept for sessions are said to be there rather than silently ignored. */
function conditionsNote() {
  const count = conditionCount(state);
  const note = $('conditions-note');
  note.hidden = state.mode !== 'turns' || count === 0;
  if (note.hidden) return;
  note.replaceChildren(
    `${count === 1 ? 'A conversation condition applies' : `${formatNumber(count)} conversation conditions apply`} to sessions only. `,
    el('button', { type: 'button', className: 'link', textContent: 'Show sessions', onclick: () => navigate({ mode: 'sessions', page: 1 }) }),
  );
}

function clearFilters() {
  navigate({ ...Object.fromEntries(PARAMS.map((name) => [name, []])), from: '', to: '', page: 1 });
}

// ---- The session dialog and history ----

/** What had focus when a session opened, to return to when it closes; and which session is shown. */
let opener;
let shownSession = '';

function openSession(sessionId, turn, from) {
  opener = from;
  navigate({ session: sessionId, turn }, { entry: { openedSession: true } });
}

async function renderSession() {
  if (!state.session) {
    hideSession();
    return;
  }
  try {
    await showSession(state.session, state.turn, state.q);
    shownSession = state.session;
  } catch (error) {
    if (error.name === 'AbortError') return;
    // Said above the results and kept there: the search that follows does not overwrite it.
    showNotice(error.status === 404 ? error.message : `Session '${state.session}': ${error.message}`);
    navigate({ session: '', turn: '' }, { push: false, keepNotice: true });
  }
}

/**
 * Closing never adds a history entry: a session opened from this page goes back to the entry it was
 * opened from; one opened by a link (no such entry) has its parameter removed from the entry.
 */
function closeSession() {
  if (!state.session) return;
  if (history.state?.openedSession) history.back();
  else navigate({ session: '', turn: '' }, { push: false });
}

/** Back to the card that opened the session, else the card of that session, else the results. */
function restoreFocus() {
  const card = opener?.isConnected ? opener : $('hits').querySelector(`a.hit-link[data-session="${CSS.escape(shownSession)}"]`);
  opener = undefined;
  (card ?? $('results')).focus();
}

function showNotice(text) {
  $('notice').hidden = !text;
  $('notice-text').textContent = text;
}

// ---- Export ----

function setExportMenu(open) {
  $('export-menu').hidden = !open;
  $('export-toggle').setAttribute('aria-expanded', String(open));
}

/** An export being downloaded: the button says so and opens no menu until it is saved. */
let exporting = false;

/** Downloads every match of the current search; a refusal is said above the results, as other failures are. */
async function exportSearch(format) {
  setExportMenu(false);
  const toggle = $('export-toggle');
  // Not disabled: the button keeps the focus the menu item had.
  toggle.focus();
  const params = exportParams(state);
  params.set('format', format);
  exporting = true;
  toggle.textContent = 'Exporting…';
  try {
    const { blob, name } = await apiFile(`/v1/export/${state.mode}`, params);
    saveFile(blob, name);
  } catch (error) {
    if (error.status === 401) $('key-form').hidden = false;
    showNotice(`Export: ${error.message}`);
  } finally {
    exporting = false;
    toggle.textContent = 'Export';
  }
}

// ---- Save as tracker ----

/** The search as a tracker keeps it: its text and filters, in either mode; never page, order or facets. */
function trackerSearch(s) {
  const params = new URLSearchParams();
  if (s.q) params.set('q', s.q);
  if (s.role.length === 1) params.set('role', s.role[0]);
  for (const [name, value] of filterParams(s)) params.append(name, value);
  return params.toString();
}

/** The search being saved: taken when the dialog opens, so typing behind it changes nothing. */
let savingSearch = '';

function openTrackerDialog() {
  savingSearch = trackerSearch(state);
  const form = $('tracker-form');
  $('tracker-fields').replaceChildren(...trackerFields('tracker', { name: state.q.replace(/"/g, '').trim() }));
  clearFormError(form);
  form.hidden = false;
  $('tracker-saved').hidden = true;
  $('tracker-search').replaceChildren(describeSearch(savingSearch));
  $('tracker-dates').hidden = !state.from && !state.to;
  $('tracker-conditions').hidden = !conditionsApply(state);
  $('tracker-dialog').showModal();
  $('tracker-name').focus();
}

async function saveTracker(event) {
  event.preventDefault();
  const form = $('tracker-form');
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    const tracker = await apiSend('POST', '/v1/trackers', { ...readTrackerFields(form), search: savingSearch });
    form.hidden = true;
    const link = el('a', { href: `/trackers?tracker=${encodeURIComponent(tracker.id)}`, textContent: 'Open it on the trackers page' });
    $('tracker-saved').replaceChildren(
      el('p', { className: 'saved', attrs: { role: 'status' } }, ['Saved ', el('strong', { textContent: `“${tracker.name}”` }), '. ', link]),
      secretPanel(tracker.secret, 'tracker-secret'),
      el('div', { className: 'dialog-actions' }, el('button', { type: 'button', className: 'primary', textContent: 'Done', onclick: () => $('tracker-dialog').close() })),
    );
    $('tracker-saved').hidden = false;
    $('tracker-secret').focus();
  } catch (error) {
    showFormError(form, error);
  } finally {
    submit.disabled = false;
  }
}

// ---- Indexing: a first sync in progress ----

let indexing = false;

/** Resolves once /ready has answered the first time, so the first results know whether to say "indexing…". */
const readiness = checkReady();

async function checkReady() {
  const was = indexing;
  try {
    const ready = await fetch('/ready', { headers: { accept: 'application/json' } }).then((response) => response.json());
    indexing = ready.indexing === true;
  } catch {
    indexing = false;
  }
  if (indexing) setTimeout(checkReady, READY_POLL_MS);
  // Fill an empty page as sessions arrive, and refresh once the sync is done.
  if (was && (!indexing || lastResult?.totalHits === 0)) runSearch();
}

// ---- The filters drawer (narrow screens) ----

const narrow = matchMedia('(max-width: 800px)');

function setDrawer(open, { focus = true } = {}) {
  $('filters').classList.toggle('open', open);
  $('filters-toggle').setAttribute('aria-expanded', String(open));
  $('drawer-backdrop').hidden = !open;
  // The rest of the page is out of reach while the drawer covers it, as with a modal dialog.
  for (const id of ['top', 'results']) $(id).inert = open;
  document.querySelector('.skip').inert = open;
  if (focus) (open ? $('filters-heading') : $('filters-toggle')).focus();
}

const drawerOpen = () => $('filters').classList.contains('open');

// ---- Wiring ----

for (const node of document.querySelectorAll('.zone')) node.textContent = TIME_ZONE;

let typing;
$('q').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => navigate({ q: $('q').value.trim(), page: 1 }, { push: false }), 200);
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(typing);
  navigate({ q: $('q').value.trim(), page: 1 });
});
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => navigate({ mode: radio.value, page: 1 }));
}
$('from').addEventListener('change', () => navigate({ from: $('from').value, page: 1 }));
$('to').addEventListener('change', () => navigate({ to: $('to').value, page: 1 }));
$('sort').addEventListener('change', () => navigate({ sort: $('sort').value, page: 1 }));
$('clear').addEventListener('click', clearFilters);
for (const [id, step] of [['prev', -1], ['next', 1]]) {
  $(id).addEventListener('click', () => {
    navigate({ page: state.page + step });
    $('results').focus();
  });
}

onHitClick($('hits'), openSession);

wireSessionDialog(() => {
  closeSession();
  restoreFocus();
});

wireConditions(navigate);

$('export-toggle').addEventListener('click', () => setExportMenu(!exporting && $('export-menu').hidden));
for (const button of $('export-menu').querySelectorAll('button')) button.addEventListener('click', () => exportSearch(button.dataset.format));
// The menu closes as menus do: on a click elsewhere, or Escape (back to its button).
document.addEventListener('click', (event) => {
  if (!event.target.closest('.export')) setExportMenu(false);
});
$('export-menu').closest('.export').addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || $('export-menu').hidden) return;
  event.preventDefault();
  setExportMenu(false);
  $('export-toggle').focus();
});
// And when the keyboard moves on past it.
$('export-menu').closest('.export').addEventListener('focusout', (event) => {
  // Only to another element: a click that focuses nothing (buttons in Safari) is the click handler's.
  if (event.relatedTarget && !event.currentTarget.contains(event.relatedTarget)) setExportMenu(false);
});

$('save-tracker').addEventListener('click', openTrackerDialog);
$('tracker-form').addEventListener('submit', saveTracker);
for (const button of $('tracker-dialog').querySelectorAll('.dialog-close, .dialog-cancel')) button.addEventListener('click', () => $('tracker-dialog').close());
closeOnBackdrop($('tracker-dialog'));
// The secret is shown once: closing forgets it.
$('tracker-dialog').addEventListener('close', () => $('tracker-saved').replaceChildren());

$('filters-toggle').addEventListener('click', () => setDrawer(!drawerOpen()));
for (const id of ['filters-close', 'filters-done', 'drawer-backdrop']) $(id).addEventListener('click', () => setDrawer(false));
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && drawerOpen()) {
    event.preventDefault();
    setDrawer(false);
  }
});
narrow.addEventListener('change', () => {
  if (!narrow.matches && drawerOpen()) setDrawer(false, { focus: false });
});

$('notice-close').addEventListener('click', () => showNotice(''));

// "/" jumps to the search box, as on most search pages, unless the key is being typed somewhere.
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (event.target.closest?.('input, textarea, select, [contenteditable]') || $('session').open || $('tracker-dialog').open || drawerOpen()) return;
  event.preventDefault();
  $('q').focus();
  $('q').select();
});

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('apiKey', $('api-key').value);
  $('key-form').hidden = true;
  searched = '';
  render();
});

window.addEventListener('popstate', () => {
  state = readState();
  render();
});

render();
