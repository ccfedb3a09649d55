// What the page's modules share: building DOM, calling the API, and how numbers, durations and times
// read. Every time the page shows or sends is in the browser's time zone, and the page says which.

export const $ = (id) => document.getElementById(id);

export const el = (tag, { dataset, attrs, ...props } = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  for (const child of [].concat(children)) if (child != null && child !== false) node.append(child);
  return node;
};

/** GET `path?params`; the answer's JSON, or an Error with the API's message and `status`. */
export function api(path, params, signal) {
  const query = params?.toString();
  return call(`${path}${query ? `?${query}` : ''}`, { signal });
}

/** A write (POST, PATCH, DELETE) with a JSON body; answers and errors as `api`. */
export function apiSend(method, path, body) {
  const json = body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  return call(path, { method, ...json });
}

async function call(url, { headers, ...init }) {
  const response = await fetch(url, { ...init, headers: withKey({ accept: 'application/json', ...headers }) });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw apiError(response, body);
  return body;
}

/**
 * GET a file the API writes (an export): its bytes as a Blob and the name the API gives it, or an
 * Error as `api` throws. Fetched rather than linked to, so that the key (a header) goes with it and a
 * refusal can be shown; the cost is that the whole file is held until it is saved.
 */
export async function apiFile(path, params) {
  const response = await fetch(`${path}?${params}`, { headers: withKey({}) });
  if (!response.ok) throw apiError(response, await response.json().catch(() => ({})));
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export';
  return { blob: await response.blob(), name };
}

function withKey(headers) {
  const key = sessionStorage.getItem('apiKey');
  return key ? { ...headers, authorization: `Bearer ${key}` } : headers;
}

/** The API's message (its `{error:{message}}`) and status, as an Error. */
function apiError(response, body) {
  const error = new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  error.status = response.status;
  return error;
}

/** Hands a Blob to the browser as a download named `name`. */
export function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the object URL after the click has returned: revoke it once that is surely done.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Closes a modal <dialog> on a click on its backdrop (outside its box); Escape closes it already. */
export function closeOnBackdrop(dialog) {
  dialog.addEventListener('click', (event) => {
    if (event.target !== dialog) return;
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close();
  });
}

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** An instant from the API (ISO, UTC) as the browser's local date and time. */
export const formatDate = (iso) => (iso ? dateTime.format(new Date(iso)) : '');

/** A picker's day as the page shows it in a chip ("Nov 30, 2025"). */
export const formatDay = (day) => {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return parts ? dayOnly.format(new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]))) : day;
};

const utcDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** A UTC day from the API (YYYY-MM-DD, as trend buckets start) as it reads, still that day. */
export const formatUtcDay = (day) => utcDay.format(new Date(`${day}T00:00:00Z`));

const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, '0');

function isoWithOffset(date) {
  const offset = -date.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}${zone}`;
}

/**
 * A picker's day (YYYY-MM-DD) as the first (`from`) or last (`to`) instant of that day in the browser's
 * time zone, ISO with its offset: the API reads a bare date as a UTC day, which is not the day the page
 * shows. Anything else (a date-time or Unix seconds from a shared link) is sent as it is.
 */
export function localDayBound(day, bound) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!parts) return day;
  const [year, month, date] = [Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])];
  // The next midnight less a millisecond, not 23:59:59.999: a day is not 24 hours when clocks change.
  const instant = bound === 'from' ? new Date(year, month, date) : new Date(new Date(year, month, date + 1).getTime() - 1);
  return isoWithOffset(instant);
}

/** Seconds into a session, as a player shows them: 0:31, 1:02:05. */
export function formatOffset(seconds) {
  if (seconds == null) return '';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${s}` : `${m}:${s}`;
}

/** A length of time: "42 s", "3 min 5 s", "25 min", "11 h 52 min" (never "0 min"). */
export function formatDuration(seconds) {
  if (seconds == null) return '–';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${m} min`;
  return m < 10 && s > 0 ? `${m} min ${s} s` : `${m} min`;
}

export const formatNumber = (n) => (n == null ? '–' : n.toLocaleString());

export const plural = (n, word, many = `${word}s`) => `${formatNumber(n)} ${n === 1 ? word : many}`;

export const roleLabel = (role) => el('span', { className: `role role-${role}`, textContent: role });
