// What the search page and the trackers page share about trackers: a saved search as it reads (its
// words, and its filters as chips), the fields of a tracker's form and the API's errors beside them,
// and the webhook secret, which the API shows once.

import { FACETS } from './facets.js';
import { el, formatDate, formatUtcDay } from './util.js';

const LABELS = Object.fromEntries(FACETS.map((facet) => [facet.param, facet.label]));
const localDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A `from`/`to` bound as saved (a local day's first or last instant, an instant, Unix seconds, a UTC day). */
function formatBound(value, bound) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${formatUtcDay(value)} (UTC)`;
  const date = new Date(/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value);
  if (Number.isNaN(date.getTime())) return value;
  // The page saves whole local days: say the day, not its midnight.
  const wholeDay = bound === 'from'
    ? date.getHours() + date.getMinutes() + date.getSeconds() + date.getMilliseconds() === 0
    : date.getHours() === 23 && date.getMinutes() === 59 && date.getSeconds() === 59;
  return wholeDay ? localDay.format(date) : formatDate(date.toISOString());
}

/** A tracker's search (`q=…&companionId=…`) as it reads: its words, then its filters as chips. */
export function describeSearch(search) {
  const params = new URLSearchParams(search);
  const q = params.get('q')?.trim() ?? '';
  const chips = [];
  for (const [name, value] of params) {
    if (name === 'q') continue;
    const text = name === 'from' || name === 'to' ? `${name === 'from' ? 'From' : 'To'} ${formatBound(value, name)}` : `${LABELS[name] ?? name}: ${value}`;
    chips.push(el('li', { className: 'chip', textContent: text }));
  }
  return el('div', { className: 'saved-search' }, [
    el('span', { className: `words${q ? '' : ' every'}`, textContent: q || 'Every turn' }),
    chips.length > 0 ? el('ul', { className: 'chips', attrs: { 'aria-label': 'Filters' } }, chips) : null,
  ]);
}

/**
 * The fields of a tracker: name, webhook URL and threshold, with ids from `prefix` and `values` (a
 * tracker) filled in. Validation is the API's: its message is shown beside them (`showFormError`).
 */
export function trackerFields(prefix, values = {}) {
  const field = (name, label, input, hint, optional = false) => {
    const id = `${prefix}-${name}`;
    Object.assign(input, { id, name, autocomplete: 'off' });
    if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
    return el('div', { className: 'field' }, [
      el('label', { htmlFor: id }, [label, optional ? el('span', { className: 'optional', textContent: ' (optional)' }) : null]),
      input.type === 'number' ? el('div', { className: 'with-unit' }, [input, el('span', { textContent: 'sessions a day' })]) : input,
      hint ? el('p', { id: `${id}-hint`, className: 'hint', textContent: hint }) : null,
    ]);
  };
  return [
    field('name', 'Name', el('input', { value: values.name ?? '', required: true, maxLength: 200 })),
    field('webhookUrl', 'Webhook URL', el('input', {
      type: 'url', inputMode: 'url', spellcheck: false, value: values.webhookUrl ?? '', placeholder: 'https://example.com/hooks/transcripts',
    }), 'New matches are POSTed here as JSON, signed with the tracker\u2019s secret.', true),
    field('threshold', 'Alert above', el('input', {
      type: 'number', min: '1', step: '1', inputMode: 'numeric', value: values.threshold?.sessionsPerDay ?? '',
    }), 'Days with more matching sessions are marked in its trend, and sent to the webhook.', true),
  ];
}

/** What a tracker form says: an empty webhook or threshold is none. */
export function readTrackerFields(form) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const threshold = value('threshold');
  return {
    name: value('name'),
    webhookUrl: value('webhookUrl') || null,
    threshold: threshold === '' ? null : { sessionsPerDay: Number(threshold) },
  };
}

/** The API's message in the form's error box, and the field it names marked and focused. */
export function showFormError(form, error) {
  const box = form.querySelector('.form-error');
  box.textContent = error.message;
  box.hidden = false;
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  const named = /'(name|webhookUrl|threshold)\b/.exec(error.message)?.[1];
  const input = named ? form.elements.namedItem(named) : null;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

export function clearFormError(form) {
  form.querySelector('.form-error').hidden = true;
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
}

/** Copies, or selects the text for the user to copy where the clipboard is out of reach (plain http). */
async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select();
    return document.execCommand('copy');
  }
}

/** The webhook secret with a copy button, and why it must be copied now. */
export function secretPanel(secret, id) {
  const input = el('input', { id, className: 'secret-value', readOnly: true, value: secret, spellcheck: false, attrs: { 'aria-describedby': `${id}-note` } });
  const done = el('span', { className: 'copied', attrs: { role: 'status' } });
  const button = el('button', {
    type: 'button', textContent: 'Copy',
    onclick: async () => {
      done.textContent = (await copy(input)) ? 'Copied' : 'Selected: press Ctrl+C (⌘C) to copy';
    },
  });
  input.addEventListener('focus', () => input.select());
  return el('div', { className: 'secret' }, [
    el('label', { htmlFor: id, textContent: 'Webhook secret' }),
    el('div', { className: 'secret-row' }, [input, button]),
    done,
    el('p', { id: `${id}-note`, className: 'secret-note' }, [
      el('strong', { textContent: 'Shown only now.' }),
      ' Keep it with your webhook receiver: it signs every webhook (X-Signature-256: sha256=HMAC-SHA256 of the body). It cannot be shown again; rotating it makes a new one.',
    ]),
  ]);
}
