// The condition builder of session searches (CONTRACT.md §4a): "user said …", "agent never said …",
// optionally in the order given and within N turns. Conditions live in the URL as the API takes them
// (`said=ROLE:TEXT` and `notSaid=ROLE:TEXT`, repeated, in order; `order=said`; `within=N`), a row
// still being typed included, so Back undoes an added or removed row; a row without text is not sent.

import { $, el } from './util.js';

/** Who said it, as the API names them, and as the builder reads them. */
const SPEAKERS = { user: 'user', agent: 'agent', any: 'anyone' };
const KINDS = { said: 'said', notSaid: 'never said' };
const TYPING_DELAY_MS = 300;

/** `user:refund` → { role: 'user', text: 'refund' }; what is not a known role is kept as written, for the API to name. */
const parse = (raw) => {
  const colon = raw.indexOf(':');
  return colon === -1 ? { role: raw, text: '' } : { role: raw.slice(0, colon), text: raw.slice(colon + 1) };
};

const speaker = (role) => SPEAKERS[role] ?? (role === 'assistant' ? 'agent' : role);

/** "user said “refund”" (a phrase keeps its own quotes): what a `said` condition reads as beside the turn that satisfies it. */
export function describeCondition({ role, text }) {
  const words = text.trim();
  return `${speaker(role)} said ${/^".*"$/.test(words) ? words : `“${words}”`}`;
}

/** The `said` conditions a request sends, in order: the positions a hit's `matches` refer to. */
export const sentSaid = (s) => s.said.map(parse).filter((condition) => condition.text.trim() !== '');

/** The conditions as request parameters: rows with text, and the order when there is a `said` to order. */
export function conditionParams(s) {
  const params = [];
  const said = sentSaid(s);
  for (const { role, text } of said) params.push(['said', `${role}:${text.trim()}`]);
  for (const { role, text } of s.notSaid.map(parse)) if (text.trim() !== '') params.push(['notSaid', `${role}:${text.trim()}`]);
  if (s.order && said.length > 0) {
    params.push(['order', 'said']);
    if (s.within !== '') params.push(['within', s.within]);
  }
  return params;
}

/** The conditions a search in sessions mode sends, said or not. */
export const conditionCount = (s) => conditionParams(s).filter(([name]) => name === 'said' || name === 'notSaid').length;

let change;
let typing;
/** What the rows were drawn for: typing changes values, not rows, so it keeps the inputs (and the caret). */
let drawn = '';

/** Draws the builder for state `s`. */
export function renderConditions(s) {
  const shape = JSON.stringify([s.said.map((raw) => parse(raw).role), s.notSaid.map((raw) => parse(raw).role), s.order]);
  if (shape !== drawn) {
    drawn = shape;
    clearTimeout(typing);
    const active = document.activeElement?.closest('#condition-list') ? document.activeElement.dataset.key : undefined;
    $('condition-list').replaceChildren(...s.said.map((raw, i) => row('said', i, raw, s.order)), ...s.notSaid.map((raw, i) => row('notSaid', i, raw, false)));
    if (active) $('condition-list').querySelector(`[data-key="${CSS.escape(active)}"]`)?.focus();
  } else {
    for (const input of $('condition-list').querySelectorAll('input')) {
      if (input !== document.activeElement) input.value = parse(s[input.dataset.kind][Number(input.dataset.index)]).text;
    }
  }
  $('condition-list').hidden = s.said.length + s.notSaid.length === 0;
  // Order means something from two `said` rows on.
  $('condition-order').hidden = s.said.length < 2;
  $('order').checked = s.order;
  if (document.activeElement !== $('within')) $('within').value = s.within;
  $('within').disabled = !s.order;
}

function row(kind, index, raw, ordered) {
  const { role, text } = parse(raw);
  const label = `${ordered && index > 0 ? 'then ' : ''}${speaker(role)} ${KINDS[kind]}`;
  const input = el('input', {
    type: 'text', value: text, autocomplete: 'off', spellcheck: false, placeholder: 'words, or "a phrase"',
    dataset: { kind, index: String(index), role, key: `${kind}:${index}` }, attrs: { 'aria-label': `Condition: ${label}` },
  });
  input.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => change(typed(), { push: false }), TYPING_DELAY_MS);
  });
  // Leaving the box (for a facet, say) commits what was typed before the next change redraws it.
  input.addEventListener('change', () => {
    // A row being replaced (Back, say) has nothing left to commit.
    if (!input.isConnected) return;
    clearTimeout(typing);
    change(typed(), { push: false });
  });
  const remove = el('button', {
    type: 'button', className: 'remove', textContent: '✕', dataset: { key: `${kind}:${index}:remove` },
    attrs: { 'aria-label': `Remove condition: ${label}` },
    onclick: () => removeRow(kind, index),
  });
  return el('li', { className: `condition ${kind === 'said' ? 'said' : 'not-said'}` }, [el('span', { className: 'condition-label', textContent: label }), input, remove]);
}

/** The rows as their inputs hold them, text not yet in the URL included. */
function typed() {
  const lists = { said: [], notSaid: [] };
  for (const input of $('condition-list').querySelectorAll('input')) lists[input.dataset.kind].push(`${input.dataset.role}:${input.value.trim()}`);
  return { ...lists, page: 1 };
}

function addRow(kind, role) {
  clearTimeout(typing);
  const lists = typed();
  lists[kind] = [...lists[kind], `${role}:`];
  change(lists, { push: true });
  [...$('condition-list').querySelectorAll(`input[data-kind="${kind}"]`)].at(-1).focus();
}

function removeRow(kind, index) {
  clearTimeout(typing);
  const lists = typed();
  lists[kind] = lists[kind].filter((_, i) => i !== index);
  // Fewer than two `said` rows have no order: drop it rather than keep a setting nobody can see.
  const unordered = lists.said.length < 2 ? { order: false, within: '' } : {};
  change({ ...lists, ...unordered }, { push: true });
  const inputs = [...$('condition-list').querySelectorAll('input')];
  const flat = kind === 'said' ? index : lists.said.length + index;
  (inputs[Math.min(flat, inputs.length - 1)] ?? $('conversation').querySelector('.add button')).focus();
}

/** The message of a search the API refused while conditions were sent (they are what it names then); '' clears it. */
export function showConditionsError(message) {
  $('conditions-error').hidden = !message;
  $('conditions-error').textContent = message;
}

/**
 * `onChange(changes, { push })` navigates, as the page's other controls do: typing replaces the
 * history entry, adding and removing rows adds one.
 */
export function wireConditions(onChange) {
  change = onChange;
  for (const button of $('conversation').querySelectorAll('.add button')) {
    button.addEventListener('click', () => addRow(button.dataset.kind, button.dataset.role));
  }
  $('order').addEventListener('change', () => {
    clearTimeout(typing);
    change({ ...typed(), order: $('order').checked, within: $('order').checked ? $('within').value.trim() : '' }, { push: true });
  });
  const commitWithin = () => change({ ...typed(), within: $('within').value.trim() }, { push: false });
  $('within').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(commitWithin, TYPING_DELAY_MS);
  });
  $('within').addEventListener('change', () => {
    clearTimeout(typing);
    commitWithin();
  });
}
