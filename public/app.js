// The search page: plain ES module, no build step. All state lives in the URL, so any search can be
// shared and reloaded. Only `highlight`/`snippet` are inserted as HTML: the API escapes them and
// adds nothing but <mark>; every other value is set as text.

const FILTERS = ['companionId', 'externalClientId', 'tenantId', 'tag', 'knowledgeBaseId', 'function', 'faqId'];
const SESSION_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'knowledgeBaseId', 'functions', 'faqIds'];
const FACETS = { turns: [...SESSION_FACETS, 'role'], sessions: SESSION_FACETS };
const FACET_LABELS = {
  companionId: 'Companion', externalClientId: 'Client', tenantId: 'Tenant', tags: 'Tags', role: 'Said by',
  knowledgeBaseId: 'Knowledge base', functions: 'Functions', faqIds: 'FAQs',
};
const FACET_PARAM = {
  companionId: 'companionId', externalClientId: 'externalClientId', tenantId: 'tenantId', tags: 'tag', role: 'role',
  knowledgeBaseId: 'knowledgeBaseId', functions: 'function', faqIds: 'faqId',
};
const SHOWN_VALUES = 8;
const HITS_PER_PAGE = 20;

const $ = (id) => document.getElementById(id);
const el = (tag, { dataset, ...props } = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  for (const child of [].concat(children)) if (child != null) node.append(child);
  return node;
};

function readState() {
  const params = new URLSearchParams(location.search);
  return {
    q: params.get('q') ?? '',
    mode: params.get('mode') === 'sessions' ? 'sessions' : 'turns',
    ...Object.fromEntries(FILTERS.map((name) => [name, params.getAll(name)])),
    role: params.get('role') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    sort: params.get('sort') ?? 'relevance',
    page: Math.max(1, Number(params.get('page')) || 1),
    session: params.get('session') ?? '',
    turn: params.get('turn') ?? '',
  };
}

let state = readState();
const expanded = new Set();

function stateParams(s, { forApi = false } = {}) {
  const params = new URLSearchParams();
  if (s.q) params.set('q', s.q);
  if (!forApi && s.mode !== 'turns') params.set('mode', s.mode);
  for (const name of FILTERS) for (const value of s[name]) params.append(name, value);
  if (s.role) params.set('role', s.role);
  if (s.from) params.set('from', s.from);
  if (s.to) params.set('to', s.to);
  if (s.sort !== 'relevance') params.set('sort', s.sort);
  if (s.page > 1) params.set('page', String(s.page));
  if (!forApi && s.session) params.set('session', s.session);
  if (!forApi && s.turn !== '') params.set('turn', s.turn);
  return params;
}

/** Typing replaces the history entry; clicks add one, so Back undoes a filter. */
function update(changes, { push = true } = {}) {
  state = { ...state, ...changes };
  const query = stateParams(state).toString();
  const url = `${location.pathname}${query ? `?${query}` : ''}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  render();
}

async function api(path, params, signal) {
  const headers = { accept: 'application/json' };
  const key = sessionStorage.getItem('apiKey');
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${path}${params ? `?${params}` : ''}`, { headers, signal });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

const formatOffset = (seconds) => {
  if (seconds == null) return '';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
};
const formatDate = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const formatDuration = (seconds) => {
  if (seconds == null) return '–';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`;
};
const formatNumber = (n) => (n == null ? '–' : n.toLocaleString());

function roleLabel(role) {
  return el('span', { className: `role role-${role}`, textContent: role });
}

function turnLine(turn, { context = false, html } = {}) {
  const text = el('span');
  if (html !== undefined) text.innerHTML = html;
  else text.textContent = turn.text;
  return el('p', { className: `turn${context ? ' context' : ''}` }, [el('span', { className: 'who' }, roleLabel(turn.role)), ' ', text]);
}

function openButton(sessionId, turnIndex) {
  return el('button', {
    type: 'button',
    className: 'open',
    textContent: 'Open session',
    onclick: () => update({ session: sessionId, turn: turnIndex == null ? '' : String(turnIndex) }),
  });
}

function renderTurnHit(hit) {
  const meta = el('div', { className: 'meta' }, [
    el('span', { textContent: hit.companionId ?? '—' }),
    el('span', { textContent: hit.externalClientId ?? '' }),
    el('time', { dateTime: hit.timestamp ?? '', textContent: formatDate(hit.timestamp) }),
    el('span', { textContent: hit.offsetSeconds == null ? '' : `at ${formatOffset(hit.offsetSeconds)}` }),
  ]);
  const before = (hit.context?.before ?? []).map((turn) => turnLine(turn, { context: true }));
  const after = (hit.context?.after ?? []).map((turn) => turnLine(turn, { context: true }));
  return el('li', { className: 'hit' }, [meta, ...before, turnLine(hit, { html: hit.highlight }), ...after, openButton(hit.sessionId, hit.turnIndex)]);
}

function renderSessionHit(hit) {
  const meta = el('div', { className: 'meta' }, [
    el('span', { textContent: hit.companionId ?? '—' }),
    el('span', { textContent: hit.externalClientId ?? '' }),
    el('time', { dateTime: hit.createdAt ?? '', textContent: formatDate(hit.createdAt) }),
    el('span', { textContent: `${hit.turnCount} turns` }),
    el('span', { textContent: hit.durationSeconds == null ? (hit.inProgress ? 'in progress' : '') : formatDuration(hit.durationSeconds) }),
    hit.costUsd == null ? null : el('span', { textContent: `$${hit.costUsd.toFixed(4)}` }),
  ]);
  const snippet = el('p', { className: 'turn' });
  snippet.innerHTML = hit.snippet;
  return el('li', { className: 'hit' }, [meta, snippet, openButton(hit.sessionId, hit.matchedTurnIndex)]);
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

function renderFacets(facets) {
  const panels = FACETS[state.mode].map((name) => {
    const param = FACET_PARAM[name];
    const selected = param === 'role' ? (state.role ? [state.role] : []) : state[param];
    const counts = facets?.[name] ?? {};
    let values = Object.keys(counts);
    if (name === 'role' && values.length === 0) values = ['user', 'agent'];
    for (const value of selected) if (!values.includes(value)) values.push(value);
    const showAll = expanded.has(name);
    const visible = showAll ? values : values.slice(0, SHOWN_VALUES);
    const options = visible.map((value) => {
      const input = el('input', { type: 'checkbox', checked: selected.includes(value), value });
      input.addEventListener('change', () => {
        if (param === 'role') update({ role: input.checked ? value : '', page: 1 });
        else update({ [param]: input.checked ? [...state[param], value] : state[param].filter((v) => v !== value), page: 1 });
      });
      return el('label', {}, [input, el('span', { textContent: value }), el('span', { className: 'count', textContent: counts[value] == null ? '' : counts[value].toLocaleString() })]);
    });
    const more = values.length > SHOWN_VALUES
      ? el('button', {
          type: 'button',
          className: 'more',
          textContent: showAll ? 'Show fewer' : `Show all ${values.length}`,
          onclick: () => {
            if (showAll) expanded.delete(name);
            else expanded.add(name);
            renderFacets(facets);
          },
        })
      : null;
    return el('fieldset', { dataset: { facet: name } }, [el('legend', { textContent: FACET_LABELS[name] }), ...(options.length ? options : [el('span', { className: 'hint', textContent: 'none' })]), more]);
  });
  $('facets').replaceChildren(...panels);
}

function syncForm() {
  if (document.activeElement !== $('q')) $('q').value = state.q;
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.checked = radio.value === state.mode;
  $('from').value = state.from.slice(0, 10);
  $('to').value = state.to.slice(0, 10);
  $('sort').value = state.sort;
}

let inFlight;

async function runSearch() {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const params = stateParams(state, { forApi: true });
  params.set('hitsPerPage', String(HITS_PER_PAGE));
  params.set('facets', FACETS[state.mode].join(','));
  if (state.mode === 'turns') params.set('context', '1');
  const status = $('status');
  status.classList.remove('error');
  try {
    const result = await api(`/v1/search/${state.mode}`, params, controller.signal);
    if (controller.signal.aborted) return;
    const what = state.mode === 'turns' ? 'turn' : 'session';
    status.textContent = `${result.totalHits.toLocaleString()} ${what}${result.totalHits === 1 ? '' : 's'} found`;
    $('hits').replaceChildren(...result.hits.map(state.mode === 'turns' ? renderTurnHit : renderSessionHit));
    renderFacets(result.facets);
    renderStats(state.mode === 'sessions' ? result.stats : undefined);
    $('pager').hidden = result.totalPages <= 1;
    $('page-info').textContent = `Page ${result.page} of ${result.totalPages.toLocaleString()}`;
    $('prev').disabled = result.page <= 1;
    $('next').disabled = result.page >= result.totalPages;
  } catch (error) {
    if (error.name === 'AbortError') return;
    if (error.status === 401) $('key-form').hidden = false;
    status.textContent = error.message;
    status.classList.add('error');
    $('hits').replaceChildren();
    renderStats(undefined);
  }
}

let shownSession = '';

async function renderSession() {
  const dialog = $('session');
  if (!state.session) {
    shownSession = '';
    if (dialog.open) dialog.close();
    return;
  }
  const key = `${state.session}#${state.turn}`;
  if (key === shownSession && dialog.open) return;
  shownSession = key;
  try {
    const session = await api(`/v1/sessions/${encodeURIComponent(state.session)}`);
    $('session-title').textContent = `${session.companionId ?? 'Session'} · ${session.sessionId}`;
    const meta = [
      session.externalClientId && `client ${session.externalClientId}`,
      formatDate(session.startedAt ?? session.createdAt),
      session.inProgress ? 'in progress' : formatDuration(session.durationSeconds),
      `${session.turnCount} turns`,
      session.knowledgeBaseId && `knowledge base ${session.knowledgeBaseId}`,
      session.functions?.length && `functions ${session.functions.join(', ')}`,
      session.faqIds?.length && `FAQs ${session.faqIds.join(', ')}`,
      ...Object.entries(session.tags ?? {}).map(([k, v]) => `${k}: ${v}`),
    ].filter(Boolean);
    $('session-meta').replaceChildren(meta.join(' · '));
    const target = state.turn === '' ? -1 : Number(state.turn);
    const player = session.hasRecording ? recordingPlayer(session.sessionId) : null;
    $('session-player').replaceChildren(...(player ? [player.audio] : []));
    const items = session.turns.map((turn) => {
      const time = el('time', { textContent: formatOffset(turn.offsetSeconds) });
      const cells = [time, roleLabel(turn.role), el('span', { textContent: turn.text })];
      if (player && turn.offsetSeconds != null) {
        const play = el('button', { type: 'button', className: 'play', textContent: '▶', title: 'Play the recording from here', onclick: () => player.playFrom(turn.offsetSeconds) });
        play.setAttribute('aria-label', `Play recording from ${formatOffset(turn.offsetSeconds)}`);
        time.prepend(play, ' ');
      }
      const li = el('li', { className: turn.turnIndex === target ? 'target' : '', dataset: { turnIndex: turn.turnIndex } }, cells);
      if (turn.turnIndex === target) li.setAttribute('aria-current', 'true');
      return li;
    });
    $('session-turns').replaceChildren(...items);
    if (!dialog.open) dialog.showModal();
    dialog.querySelector('li.target')?.scrollIntoView({ block: 'center' });
  } catch (error) {
    $('status').textContent = `Session: ${error.message}`;
    $('status').classList.add('error');
    update({ session: '', turn: '' }, { push: false });
  }
}

/**
 * The session's recording in an audio element. Its link is fetched when first played, and again once
 * it may have expired or fails: vendors sign it for minutes. The API hands out http(s) links only, and
 * the page checks again before an element loads one.
 */
const RECORDING_LINK_MS = 5 * 60_000;

function recordingPlayer(sessionId) {
  const audio = el('audio', { controls: true, preload: 'none' });
  audio.setAttribute('aria-label', 'Recording of this session');
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
      $('status').textContent = `Recording: ${error.message}`;
      $('status').classList.add('error');
    }
  };
  return { audio, playFrom };
}

function render() {
  syncForm();
  runSearch();
  renderSession();
}

let typing;
$('q').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => update({ q: $('q').value.trim(), page: 1 }, { push: false }), 200);
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(typing);
  update({ q: $('q').value.trim(), page: 1 });
});
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => update({ mode: radio.value, page: 1 }));
}
$('from').addEventListener('change', () => update({ from: $('from').value, page: 1 }));
$('to').addEventListener('change', () => update({ to: $('to').value, page: 1 }));
$('sort').addEventListener('change', () => update({ sort: $('sort').value, page: 1 }));
$('clear').addEventListener('click', () => update({ ...Object.fromEntries(FILTERS.map((name) => [name, []])), role: '', from: '', to: '', page: 1 }));
$('prev').addEventListener('click', () => {
  update({ page: state.page - 1 });
  $('results').focus();
});
$('next').addEventListener('click', () => {
  update({ page: state.page + 1 });
  $('results').focus();
});
$('session-close').addEventListener('click', () => $('session').close());
$('session').addEventListener('close', () => {
  if (state.session) update({ session: '', turn: '' });
});
$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('apiKey', $('api-key').value);
  $('key-form').hidden = true;
  render();
});
window.addEventListener('popstate', () => {
  state = readState();
  render();
});

render();
