// The trackers page: every tracker the key may see, with its recent counts and a sparkline, and for the
// one selected (the URL: `?tracker=ID`, `&interval=week`) its trend, its latest matches (each opens the
// session as on the search page), its webhook deliveries, and edit, rotate and delete. Trends are in
// UTC days (weeks from Monday), as the API counts them, and the page says so; other times are local.

import { onHitClick, turnHit } from './hits.js';
import { hideSession, showSession, wireSessionDialog } from './session.js';
import { clearFormError, describeSearch, readTrackerFields, secretPanel, showFormError, trackerFields } from './tracker-parts.js';
import { $, api, apiSend, closeOnBackdrop, el, formatDate, formatNumber, formatUtcDay, plural } from './util.js';

/** The list's counts and sparkline: the last 30 UTC days, today included. */
const RECENT_DAYS = 30;
const WEEK = 7;
/** The day chart shows this many days to today; the week chart the whole history. */
const CHART_DAYS = 90;
const PAGE_SIZE = 10;
const DAY_MS = 86_400_000;

/** The UTC day `daysAgo` days before today, as the trend endpoint takes `from` and `to`. */
const utcDay = (daysAgo = 0) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

// ---- State: the URL ----

function readState() {
  const params = new URLSearchParams(location.search);
  return { tracker: params.get('tracker') ?? '', interval: params.get('interval') === 'week' ? 'week' : 'day' };
}

let state = readState();

function urlOf(s) {
  const params = new URLSearchParams();
  if (s.tracker) params.set('tracker', s.tracker);
  if (s.interval !== 'day') params.set('interval', s.interval);
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}`;
}

function navigate(changes, { push = true } = {}) {
  state = { ...state, ...changes };
  if (push) history.pushState(null, '', urlOf(state));
  else history.replaceState(null, '', urlOf(state));
  render();
}

/** The trackers as last listed (undefined until then), and the one whose details are shown. */
let trackers;
let shown = '';
/** Said with the count once the list is loaded again ("Deleted “X”."). */
let announcement = '';
/** The list being fetched: a render that arrives meanwhile waits for the same answer. */
let listing;

async function render({ focus = true } = {}) {
  document.body.classList.toggle('has-selection', Boolean(state.tracker));
  for (const radio of document.querySelectorAll('input[name="interval"]')) radio.checked = radio.value === state.interval;
  if (!trackers) await (listing ??= loadList().finally(() => (listing = undefined)));
  for (const item of $('tracker-list').children) {
    const selected = item.dataset.tracker === state.tracker;
    item.classList.toggle('selected', selected);
    item.querySelector('a.tracker-link')?.toggleAttribute('aria-current', selected);
  }
  const tracker = trackers?.find((t) => t.id === state.tracker);
  if (state.tracker && trackers && !tracker) {
    setStatus(`No tracker '${state.tracker}': it may have been deleted.`, true);
    navigate({ tracker: '' }, { push: false });
    return;
  }
  $('detail').hidden = !tracker;
  document.title = tracker ? `${tracker.name} – Trackers – transcript-search` : 'Trackers – transcript-search';
  if (!tracker) {
    shown = '';
    return;
  }
  if (shown !== tracker.id) {
    shown = tracker.id;
    showDetail(tracker);
    if (focus) $('detail-name').focus();
  } else {
    drawTrend(tracker);
  }
}

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

// ---- The list ----

async function loadList() {
  try {
    ({ trackers } = await api('/v1/trackers'));
  } catch (error) {
    if (error.status === 401) $('key-form').hidden = false;
    setStatus(error.message, true);
    return;
  }
  $('tracker-list').replaceChildren(...trackers.map(listItem));
  if (trackers.length === 0) {
    $('tracker-list').append(el('li', { className: 'empty' }, [
      el('p', { textContent: 'No trackers yet.' }),
      el('p', {}, ['Search on the ', el('a', { href: '/', textContent: 'search page' }), ' and choose “Save as tracker” to watch for that search in every new session.']),
    ]));
  }
  setStatus(`${announcement}${trackers.length > 0 ? plural(trackers.length, 'tracker') : ''}`.trim());
  announcement = '';
  for (const tracker of trackers) fillRecent(tracker);
}

function listItem(tracker) {
  const link = el('a', { className: 'tracker-link', href: urlOf({ ...state, tracker: tracker.id }), textContent: tracker.name, dataset: { tracker: tracker.id } });
  const count = (days) => el('div', {}, [el('dt', { textContent: `${days} days` }), el('dd', { className: `recent-${days}`, textContent: '…' })]);
  return el('li', { className: 'tracker', dataset: { tracker: tracker.id } }, [
    el('div', { className: 'tracker-title' }, [link, ...badges(tracker)]),
    describeSearch(tracker.search),
    el('div', { className: 'recent' }, [
      el('dl', { className: 'recent-counts', attrs: { 'aria-label': 'Matching sessions' } }, [count(WEEK), count(RECENT_DAYS)]),
      el('div', { className: 'sparkline-slot' }),
    ]),
  ]);
}

function badges(tracker) {
  return [
    tracker.hasWebhook ? el('span', { className: 'badge', textContent: 'Webhook' }) : null,
    tracker.threshold ? el('span', { className: 'badge', textContent: `Alert > ${formatNumber(tracker.threshold.sessionsPerDay)}/day` }) : null,
  ].filter(Boolean);
}

/**
 * Sessions in the last 7 and 30 UTC days, summed from the trend's days (a session that spans midnight
 * counts on both), and a sparkline of those 30 days.
 */
async function fillRecent(tracker) {
  const item = $('tracker-list').querySelector(`li[data-tracker="${CSS.escape(tracker.id)}"]`);
  try {
    const { buckets } = await api(`/v1/trackers/${encodeURIComponent(tracker.id)}/trend`, new URLSearchParams({ interval: 'day', from: utcDay(RECENT_DAYS - 1), to: utcDay() }));
    const sum = (list) => list.reduce((n, bucket) => n + bucket.sessions, 0);
    item.querySelector(`.recent-${WEEK}`).textContent = plural(sum(buckets.slice(-WEEK)), 'session');
    item.querySelector(`.recent-${RECENT_DAYS}`).textContent = plural(sum(buckets), 'session');
    item.querySelector('.sparkline-slot').replaceChildren(sparkline(buckets));
  } catch (error) {
    item.querySelector('.recent').replaceChildren(el('p', { className: 'hint error', textContent: `Counts: ${error.message}` }));
  }
}

// ---- Charts: inline SVG, coloured by the stylesheet ----

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Bars of sessions per bucket, on a box one unit wide per bucket, stretched to the element's size. */
function bars(buckets, { top, className, label, title }) {
  return svg('svg', { class: className, viewBox: `0 0 ${buckets.length} ${top}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label }, [
    svg('line', { class: 'baseline', x1: 0, x2: buckets.length, y1: top, y2: top }),
    ...buckets.map((bucket, i) => svg('g', { class: `bucket${bucket.aboveThreshold ? ' above' : ''}` }, [
      title ? svg('title', {}, [title(bucket)]) : null,
      // The whole column takes the pointer, so a day without sessions shows its tooltip too.
      svg('rect', { class: 'slot', x: i, y: 0, width: 1, height: top }),
      svg('rect', { class: 'bar', x: i + 0.12, y: top - bucket.sessions, width: 0.76, height: bucket.sessions }),
    ])),
  ]);
}

function sparkline(buckets) {
  const peak = Math.max(1, ...buckets.map((bucket) => bucket.sessions));
  const label = `Sessions per day over the last ${RECENT_DAYS} days, at most ${formatNumber(peak)}`;
  return bars(buckets, { top: peak, className: 'sparkline', label });
}

// ---- The selected tracker ----

function showDetail(tracker) {
  $('detail-name').textContent = tracker.name;
  $('detail-search').replaceChildren(describeSearch(tracker.search));
  $('open-in-search').href = `/?${tracker.search}`;
  const fact = (name, value) => el('div', {}, [el('dt', { textContent: name }), el('dd', {}, value)]);
  const webhook = tracker.webhookUrl ?? (tracker.hasWebhook ? 'set (its URL is shown to admin keys)' : 'none');
  $('detail-facts').replaceChildren(
    fact('Webhook', webhook),
    fact('Alert', tracker.threshold ? `more than ${plural(tracker.threshold.sessionsPerDay, 'session')} a day` : 'none'),
    fact('Created', `${formatDate(tracker.createdAt)} by ${tracker.createdBy}`),
  );
  showNotice('');
  drawTrend(tracker);
  loadMatches(tracker, 1);
  loadDeliveries(tracker, 1);
}

function showNotice(text) {
  $('notice').hidden = !text;
  $('notice-text').textContent = text;
}

let trendRequest;

async function drawTrend(tracker) {
  trendRequest?.abort();
  const controller = new AbortController();
  trendRequest = controller;
  const { interval } = state;
  const params = new URLSearchParams({ interval, to: utcDay() });
  if (interval === 'day') params.set('from', utcDay(CHART_DAYS - 1));
  $('trend').setAttribute('aria-busy', 'true');
  try {
    const { buckets } = await api(`/v1/trackers/${encodeURIComponent(tracker.id)}/trend`, params, controller.signal);
    if (controller.signal.aborted) return;
    $('trend').replaceChildren(...trendChart(tracker, buckets, interval));
  } catch (error) {
    if (error.name === 'AbortError') return;
    $('trend').replaceChildren(el('p', { className: 'hint error', textContent: `Trend: ${error.message}` }));
    $('trend-summary').textContent = '';
  } finally {
    if (trendRequest === controller) $('trend').removeAttribute('aria-busy');
  }
}

function trendChart(tracker, buckets, interval) {
  const unit = interval === 'day' ? 'day' : 'week';
  const when = (bucket) => (interval === 'day' ? formatUtcDay(bucket.start) : `week of ${formatUtcDay(bucket.start)}`);
  const turns = buckets.reduce((n, bucket) => n + bucket.turns, 0);
  const peak = buckets.reduce((best, bucket) => (bucket.sessions > (best?.sessions ?? 0) ? bucket : best), undefined);
  const above = buckets.filter((bucket) => bucket.aboveThreshold).length;
  const range = interval === 'day' ? `the last ${CHART_DAYS} days` : 'all weeks with matches, to this one';
  $('trend-summary').textContent = [
    `Sessions per UTC ${unit}, ${range}: ${plural(turns, 'matching turn')}`,
    peak ? `at most ${plural(peak.sessions, 'session')} (${when(peak)})` : null,
    tracker.threshold ? `${plural(above, unit)} above the alert` : null,
  ].filter(Boolean).join('; ') + '.';
  if (buckets.length === 0) return [el('p', { className: 'empty', textContent: 'Nothing has matched yet.' })];

  // A threshold is per day: drawn on the day chart, and marks the weeks one of whose days passed it.
  const line = interval === 'day' ? tracker.threshold?.sessionsPerDay : undefined;
  const top = Math.max(1, peak?.sessions ?? 0, line ?? 0);
  const chart = bars(buckets, {
    top,
    className: 'trend-chart',
    label: `Sessions per UTC ${unit} from ${formatUtcDay(buckets[0].start)} to ${formatUtcDay(buckets.at(-1).start)}`,
    title: (bucket) => `${when(bucket)}: ${plural(bucket.sessions, 'session')}, ${plural(bucket.turns, 'turn')}${bucket.aboveThreshold ? ', above the alert' : ''}`,
  });
  if (line) chart.append(svg('line', { class: 'threshold', x1: 0, x2: buckets.length, y1: top - line, y2: top - line }));

  const middle = buckets[Math.floor((buckets.length - 1) / 2)];
  const table = el('table', {}, [
    el('thead', {}, el('tr', {}, [unit === 'day' ? 'Day (UTC)' : 'Week from (UTC)', 'Sessions', 'Turns', tracker.threshold ? 'Above the alert' : null]
      .filter(Boolean).map((text) => el('th', { scope: 'col', textContent: text })))),
    el('tbody', {}, buckets.map((bucket) => el('tr', {}, [
      el('th', { scope: 'row', textContent: formatUtcDay(bucket.start) }),
      el('td', { textContent: formatNumber(bucket.sessions) }),
      el('td', { textContent: formatNumber(bucket.turns) }),
      tracker.threshold ? el('td', { textContent: bucket.aboveThreshold ? 'yes' : '' }) : null,
    ]))),
  ]);
  return [
    el('div', { className: 'chart' }, [
      el('div', { className: 'y-axis', attrs: { 'aria-hidden': 'true' } }, [el('span', { textContent: formatNumber(top) }), el('span', { textContent: '0' })]),
      chart,
      el('div', { className: 'x-axis', attrs: { 'aria-hidden': 'true' } }, [buckets[0], middle, buckets.at(-1)].map((bucket) => el('span', { textContent: formatUtcDay(bucket.start) }))),
    ]),
    el('figcaption', { className: 'legend' }, [
      el('span', { className: 'key key-bar', textContent: `sessions per ${unit}` }),
      tracker.threshold ? el('span', { className: 'key key-above', textContent: `above the alert (more than ${formatNumber(tracker.threshold.sessionsPerDay)} a day)` }) : null,
      line ? el('span', { className: 'key key-line', textContent: 'alert' }) : null,
    ]),
    el('details', { className: 'chart-table' }, [el('summary', { textContent: 'As a table' }), table]),
  ];
}

/** A list that grows a page at a time: `load(page)` fills it, its button asks for the next. */
const pages = { matches: { page: 1, request: undefined }, deliveries: { page: 1, request: undefined } };

async function fetchPage(name, tracker, page, params = new URLSearchParams()) {
  const slot = pages[name];
  slot.request?.abort();
  const controller = new AbortController();
  slot.request = controller;
  params.set('page', String(page));
  params.set('hitsPerPage', String(PAGE_SIZE));
  const answer = await api(`/v1/trackers/${encodeURIComponent(tracker.id)}/${name}`, params, controller.signal);
  if (controller.signal.aborted || shown !== tracker.id) throw Object.assign(new Error('superseded'), { name: 'AbortError' });
  slot.page = page;
  return answer;
}

function morePages(button, answer) {
  button.hidden = answer.page >= answer.totalPages;
}

async function loadMatches(tracker, page) {
  if (page === 1) $('matches').replaceChildren();
  try {
    const answer = await fetchPage('matches', tracker, page);
    const href = (hit) => `/?${tracker.search}&${new URLSearchParams({ session: hit.sessionId, turn: String(hit.turnIndex) })}`;
    $('matches-count').textContent = answer.totalHits > 0 ? `${plural(answer.totalHits, 'turn')}, newest first` : '';
    if (answer.totalHits === 0) $('matches').replaceChildren(el('li', { className: 'empty', textContent: 'No turn matches this search yet.' }));
    else $('matches').append(...answer.hits.map((hit) => turnHit(hit, href(hit))));
    morePages($('more-matches'), answer);
  } catch (error) {
    if (error.name === 'AbortError') return;
    $('matches').replaceChildren(el('li', { className: 'hint error', textContent: `Matches: ${error.message}` }));
    $('more-matches').hidden = true;
  }
}

const STATUS_LABELS = { pending: 'Pending', delivered: 'Delivered', dead: 'Failed' };

async function loadDeliveries(tracker, page) {
  if (page === 1) $('deliveries').replaceChildren();
  try {
    const answer = await fetchPage('deliveries', tracker, page);
    $('deliveries-count').textContent = answer.totalHits > 0 ? `${plural(answer.totalHits, 'delivery', 'deliveries')}, newest first` : '';
    if (answer.totalHits === 0) {
      const why = tracker.hasWebhook
        ? 'None yet: matches in sessions that arrive after the tracker was made are sent to its webhook.'
        : 'This tracker has no webhook: add one with Edit to have new matches sent.';
      $('deliveries').replaceChildren(el('li', { className: 'empty', textContent: why }));
    } else {
      $('deliveries').append(...answer.deliveries.map(deliveryItem));
    }
    morePages($('more-deliveries'), answer);
  } catch (error) {
    if (error.name === 'AbortError') return;
    const text = error.status === 403 ? 'Only admin keys read the delivery log.' : `Deliveries: ${error.message}`;
    $('deliveries').replaceChildren(el('li', { className: error.status === 403 ? 'empty' : 'hint error', textContent: text }));
    $('more-deliveries').hidden = true;
  }
}

function deliveryItem(delivery) {
  const fact = (name, value) => (value ? el('div', {}, [el('dt', { textContent: name }), el('dd', { textContent: value })]) : null);
  const what = delivery.type === 'threshold'
    ? 'Alert: a day above the threshold'
    : `${plural(delivery.matchCount, 'match', 'matches')} in ${plural(delivery.sessionIds.length, 'session')}`;
  return el('li', { className: `delivery ${delivery.status}` }, [
    el('div', { className: 'delivery-head' }, [
      el('span', { className: `badge status-${delivery.status}`, textContent: STATUS_LABELS[delivery.status] ?? delivery.status }),
      el('span', { className: 'what', textContent: what }),
      el('time', { dateTime: delivery.createdAt, textContent: formatDate(delivery.createdAt) }),
    ]),
    el('dl', { className: 'delivery-facts' }, [
      fact('Attempts', formatNumber(delivery.attempts)),
      fact('Last answer', delivery.lastStatus == null ? (delivery.attempts > 0 ? 'none' : '') : `HTTP ${delivery.lastStatus}`),
      fact('Delivered', formatDate(delivery.deliveredAt)),
      fact('Next attempt', formatDate(delivery.nextAttemptAt)),
      // A refusal's error is its status, said already.
      fact('Last error', delivery.lastError === `HTTP ${delivery.lastStatus}` ? null : delivery.lastError),
    ]),
  ]);
}

// ---- Changes: edit, rotate, delete ----

const current = () => trackers.find((t) => t.id === shown);

function openEdit() {
  const tracker = current();
  $('edit-fields').replaceChildren(...trackerFields('edit', tracker));
  clearFormError($('edit-form'));
  $('edit-dialog').showModal();
  $('edit-name').focus();
}

async function saveEdit(event) {
  event.preventDefault();
  const tracker = current();
  const form = $('edit-form');
  const fields = readTrackerFields(form);
  // Only what changed: an unchanged webhook URL is not checked again.
  const changes = Object.fromEntries(Object.entries(fields).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(tracker[name] ?? null)));
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    if (Object.keys(changes).length > 0) await apiSend('PATCH', `/v1/trackers/${encodeURIComponent(tracker.id)}`, changes);
    $('edit-dialog').close();
    await reload(`Saved “${fields.name}”.`);
  } catch (error) {
    showFormError(form, error);
  } finally {
    submit.disabled = false;
  }
}

/** Lists the trackers again and redraws the one shown, saying `message`. */
async function reload(message = '') {
  trackers = undefined;
  shown = '';
  announcement = message ? `${message} ` : '';
  await render({ focus: false });
}

let confirmAction;
let afterConfirm;

/**
 * A confirmation in a dialog. `action` may return what to show in it afterwards (the new secret);
 * otherwise the dialog closes and `then` runs (once focus may move elsewhere).
 */
function confirm({ title, text, ok, danger = false, action, then }) {
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = ok;
  $('confirm-ok').className = danger ? 'danger' : 'primary';
  confirmAction = action;
  afterConfirm = then;
  clearFormError($('confirm-form'));
  $('confirm-form').hidden = false;
  $('confirm-result').hidden = true;
  $('confirm-dialog').showModal();
  // A question whose answer cannot be undone starts on "Cancel".
  $('confirm-form').querySelector('.dialog-cancel').focus();
}

async function runConfirmed(event) {
  event.preventDefault();
  const form = $('confirm-form');
  $('confirm-ok').disabled = true;
  try {
    const result = await confirmAction();
    if (!result) {
      $('confirm-dialog').close();
      afterConfirm?.();
      return;
    }
    form.hidden = true;
    $('confirm-result').replaceChildren(...result, el('div', { className: 'dialog-actions' }, el('button', {
      type: 'button', className: 'primary', textContent: 'Done', onclick: () => $('confirm-dialog').close(),
    })));
    $('confirm-result').hidden = false;
    $('confirm-result').querySelector('input')?.focus();
  } catch (error) {
    showFormError(form, error);
  } finally {
    $('confirm-ok').disabled = false;
  }
}

function rotate() {
  const tracker = current();
  confirm({
    title: 'Rotate the secret?',
    text: `Webhooks of “${tracker.name}” are signed with a new secret from now on; the current one stops working at once. The new one is shown once.`,
    ok: 'Rotate secret',
    action: async () => {
      const { secret } = await apiSend('PATCH', `/v1/trackers/${encodeURIComponent(tracker.id)}`, { rotateSecret: true });
      return [el('p', { className: 'saved', attrs: { role: 'status' }, textContent: 'The secret is rotated.' }), secretPanel(secret, 'rotated-secret')];
    },
  });
}

function remove() {
  const tracker = current();
  confirm({
    title: `Delete “${tracker.name}”?`,
    text: 'Its match records and delivery log go with it, and pending webhooks are not sent. The sessions it matched stay searchable.',
    ok: 'Delete tracker',
    danger: true,
    action: () => apiSend('DELETE', `/v1/trackers/${encodeURIComponent(tracker.id)}`).then(() => undefined),
    then: () => {
      trackers = undefined;
      announcement = `Deleted “${tracker.name}”. `;
      navigate({ tracker: '' });
      $('list-heading').focus();
    },
  });
}

// ---- Wiring ----

$('tracker-list').addEventListener('click', (event) => {
  const item = event.target.closest('li.tracker');
  const link = item?.querySelector('a.tracker-link');
  if (!link) return;
  if (event.target.closest('a') === link) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  } else if (event.target.closest('a, button, summary') || String(getSelection()) !== '') {
    return;
  }
  event.preventDefault();
  navigate({ tracker: link.dataset.tracker });
});
$('back').addEventListener('click', (event) => {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate({ tracker: '' });
  $('list-heading').focus();
});
for (const radio of document.querySelectorAll('input[name="interval"]')) {
  radio.addEventListener('change', () => navigate({ interval: radio.value }));
}
$('more-matches').addEventListener('click', () => loadMatches(current(), pages.matches.page + 1));
$('more-deliveries').addEventListener('click', () => loadDeliveries(current(), pages.deliveries.page + 1));
$('notice-close').addEventListener('click', () => showNotice(''));

/** The link that opened the session, to return to when it closes. */
let opener;
onHitClick($('matches'), async (sessionId, turn, link) => {
  opener = link;
  try {
    await showSession(sessionId, turn, new URLSearchParams(current().search).get('q') ?? '');
  } catch (error) {
    if (error.name !== 'AbortError') showNotice(`Session '${sessionId}': ${error.message}`);
  }
});
wireSessionDialog(() => {
  hideSession();
  opener?.focus();
});

$('edit').addEventListener('click', openEdit);
$('edit-form').addEventListener('submit', saveEdit);
$('rotate').addEventListener('click', rotate);
$('delete').addEventListener('click', remove);
$('confirm-form').addEventListener('submit', runConfirmed);
for (const dialog of [$('edit-dialog'), $('confirm-dialog')]) {
  closeOnBackdrop(dialog);
  for (const button of dialog.querySelectorAll('.dialog-close, .dialog-cancel')) button.addEventListener('click', () => dialog.close());
}
// A rotated secret is shown once: closing forgets it.
$('confirm-dialog').addEventListener('close', () => $('confirm-result').replaceChildren());

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('apiKey', $('api-key').value);
  $('key-form').hidden = true;
  reload();
});

window.addEventListener('popstate', () => {
  state = readState();
  render();
});

render({ focus: false });
