// Facet panels: one list of checkboxes per facet, refinement lists as in InstantSearch. Counts come
// from the search in `facetMode=disjunctive`, so each facet is counted without its own selection:
// ticking one companion keeps the others listed with their counts, and ticking a second ORs them.
// A long facet gets a search box that asks /v1/facets for values by prefix, beyond the top 100.

import { $, api, el, formatNumber } from './util.js';

/** `name` as the search API counts it, `param` as it filters; the URL uses `param` too. */
export const FACETS = [
  { name: 'companionId', param: 'companionId', label: 'Companion', search: 'Search companions' },
  { name: 'role', param: 'role', label: 'Said by' },
  { name: 'externalClientId', param: 'externalClientId', label: 'Client', search: 'Search clients' },
  { name: 'tenantId', param: 'tenantId', label: 'Tenant', search: 'Search tenants' },
  { name: 'tags', param: 'tag', label: 'Tags', search: 'Search tags' },
  { name: 'knowledgeBaseId', param: 'knowledgeBaseId', label: 'Knowledge base', search: 'Search knowledge bases' },
  { name: 'functions', param: 'function', label: 'Functions', search: 'Search functions' },
  { name: 'faqIds', param: 'faqId', label: 'FAQs', search: 'Search FAQs' },
];
export const ROLES = ['user', 'agent'];

/** Sessions have no role to count (a session holds both sides), but filter by it: what that side said. */
export const countedFacets = (mode) => FACETS.filter((facet) => mode === 'turns' || facet.name !== 'role').map((facet) => facet.name);

const SHOWN_VALUES = 8;
/** The search API lists this many values of a facet at most (src/search/results.ts). */
const LISTED_VALUES = 100;
const SEARCH_DELAY_MS = 200;

const expanded = new Set();
/** Per facet name: the text typed in its search box and, once answered, the values found. */
const searches = new Map();
let current;

/**
 * `view`: { counts (the search's `facets`), mode, q, selected(param) → values, toggle(param, value, on),
 * filtersWithout(param) → URLSearchParams of every other filter, as /v1/facets takes them }.
 */
export function renderFacets(view) {
  current = view;
  // A tick re-renders every panel: keep the keyboard where it was, and what is being typed.
  const active = document.activeElement?.closest('#facets') ? document.activeElement : undefined;
  const typed = active?.type === 'search' ? { value: active.value, at: active.selectionStart } : undefined;
  $('facets').replaceChildren(...FACETS.filter((facet) => shouldShow(facet)).map(panel));
  const again = active && $('facets').querySelector(`[data-key="${CSS.escape(active.dataset.key)}"]`);
  again?.focus();
  if (again && typed) {
    again.value = typed.value;
    again.setSelectionRange(typed.at, typed.at);
  }
  for (const facet of FACETS) if (searches.get(facet.name)?.query) runFacetSearch(facet);
}

function shouldShow(facet) {
  if (facet.name === 'role') return true;
  return Object.keys(current.counts?.[facet.name] ?? {}).length > 0 || current.selected(facet.param).length > 0 || Boolean(searches.get(facet.name)?.query);
}

function panel(facet) {
  const counts = current.counts?.[facet.name] ?? {};
  const values = facet.name === 'role' ? ROLES : Object.keys(counts);
  const fieldset = el('fieldset', { className: 'facet', dataset: { facet: facet.name } }, el('legend', { textContent: facet.label }));
  const search = searches.get(facet.name) ?? { query: '' };
  if (facet.search && (values.length > SHOWN_VALUES || search.query)) {
    const input = el('input', {
      type: 'search', className: 'facet-search', placeholder: `${facet.search}…`, value: search.query, autocomplete: 'off', spellcheck: false,
      dataset: { key: `${facet.name}:search` }, attrs: { 'aria-label': facet.search },
    });
    let typing;
    input.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        searches.set(facet.name, { query: input.value.trim() });
        runFacetSearch(facet);
      }, SEARCH_DELAY_MS);
    });
    fieldset.append(input);
  }
  if (facet.name === 'role' && current.mode === 'sessions') {
    fieldset.append(el('p', { className: 'hint', textContent: 'Match only what this side said' }));
  }
  fieldset.append(el('div', { className: 'values' }));
  fillValues(fieldset, facet);
  return fieldset;
}

/** The checkboxes of a panel: the values its search box found, or the facet's counts. */
function fillValues(fieldset, facet) {
  const selected = current.selected(facet.param);
  const search = searches.get(facet.name);
  const box = fieldset.querySelector('.values');
  if (search?.query) {
    if (!search.values) return;
    const notes = [];
    if (search.error) notes.push(el('p', { className: 'hint error', textContent: search.error }));
    else if (search.values.length === 0) notes.push(el('p', { className: 'hint', textContent: `Nothing starts with “${search.query}”` }));
    // /v1/facets counts sessions under the filters only: say so where the panel's own counts differ.
    else if (current.mode === 'turns' || current.q) notes.push(el('p', { className: 'hint', textContent: 'Sessions per value (other filters apply, the search text does not)' }));
    box.replaceChildren(...notes, list(facet, search.values, selected));
    return;
  }
  const counts = current.counts?.[facet.name] ?? {};
  const found = facet.name === 'role' ? ROLES.map((value) => ({ value, count: counts[value] })) : Object.entries(counts).map(([value, count]) => ({ value, count }));
  // A selected value outside the listed top values stays visible, so it can be unticked.
  for (const value of selected) if (!found.some((item) => item.value === value)) found.push({ value, count: undefined });
  const all = expanded.has(facet.name);
  const more = found.length > SHOWN_VALUES
    ? el('button', {
        type: 'button', className: 'more link', textContent: all ? 'Show fewer' : `Show all ${formatNumber(found.length)}`,
        dataset: { key: `${facet.name}:more` }, attrs: { 'aria-expanded': String(all) },
        onclick: () => {
          if (all) expanded.delete(facet.name);
          else expanded.add(facet.name);
          fillValues(fieldset, facet);
          fieldset.querySelector('.more')?.focus();
        },
      })
    : null;
  const capped = all && Object.keys(counts).length >= LISTED_VALUES && facet.search
    ? el('p', { className: 'hint', textContent: `The top ${LISTED_VALUES} are listed; search for the others` })
    : null;
  box.replaceChildren(...[list(facet, all ? found : found.slice(0, SHOWN_VALUES), selected, all), capped, more].filter(Boolean));
}

function list(facet, items, selected, scroll = false) {
  return el('ul', { className: `value-list${scroll ? ' scroll' : ''}` }, items.map(({ value, count }) => {
    const input = el('input', { type: 'checkbox', value, checked: selected.includes(value), dataset: { key: `${facet.name}=${value}` } });
    input.addEventListener('change', () => current.toggle(facet.param, value, input.checked));
    return el('li', {}, el('label', {}, [input, el('span', { className: 'value', textContent: value }), el('span', { className: 'count', textContent: count == null ? '' : formatNumber(count) })]));
  }));
}

/** Per facet name: its search in flight, so a newer one replaces it. */
const facetRequests = new Map();

async function runFacetSearch(facet) {
  const search = searches.get(facet.name);
  const fieldset = $('facets').querySelector(`fieldset[data-facet="${facet.name}"]`);
  if (!search || !fieldset) return;
  if (!search.query) {
    searches.delete(facet.name);
    fillValues(fieldset, facet);
    return;
  }
  facetRequests.get(facet.name)?.abort();
  const controller = new AbortController();
  facetRequests.set(facet.name, controller);
  // The facet's own selection is left out, as in its counts: the box finds values to add to it.
  const params = current.filtersWithout(facet.param);
  params.set('q', search.query);
  try {
    const { values } = await api(`/v1/facets/${facet.name}`, params, controller.signal);
    searches.set(facet.name, { query: search.query, values });
  } catch (error) {
    if (error.name === 'AbortError') return;
    searches.set(facet.name, { query: search.query, values: [], error: error.message });
  }
  fillValues(fieldset, facet);
}
