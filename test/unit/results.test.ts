import { describe, expect, it } from 'vitest';
import { exactKey } from '../../src/engine/documents.js';
import { FACET_VALUES_SHOWN, facetsView, numberStats } from '../../src/search/results.js';

/** Counts as the engine returns them for an id facet: on its exact keys. */
const keyed = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([id, n]) => [exactKey(id), n]));

describe('facetsView', () => {
  it('shows only the requested facets', () => {
    const distribution = { companionKey: keyed({ a: 2 }), role: { user: 5, agent: 4 } };
    expect(facetsView(distribution, ['role'])).toEqual({ role: { user: 5, agent: 4 } });
  });

  it('shows a requested facet without values as empty', () => {
    expect(facetsView({}, ['tags'])).toEqual({ tags: {} });
    expect(facetsView(undefined, ['tags', 'role'])).toEqual({ tags: {}, role: {} });
  });

  it('decodes id facets from their exact keys, so case and width variants count apart', () => {
    const view = facetsView({ clientKey: keyed({ user_1: 3, USER_1: 2, 'ｕser_1': 1 }) }, ['externalClientId']);
    expect(view.externalClientId).toEqual({ user_1: 3, USER_1: 2, 'ｕser_1': 1 });
  });

  it('is empty when no facets were requested', () => {
    expect(facetsView({ role: { user: 1 } }, [])).toEqual({});
  });

  it('orders values by count, then by name', () => {
    const view = facetsView({ companionKey: keyed({ b: 3, c: 9, a: 3 }) }, ['companionId']);
    expect(Object.entries(view.companionId!)).toEqual([
      ['c', 9],
      ['a', 3],
      ['b', 3],
    ]);
  });

  it(`keeps the ${FACET_VALUES_SHOWN} most frequent values`, () => {
    const values = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`client_${String(i).padStart(3, '0')}`, i + 1]));
    const shown = facetsView({ clientKey: keyed(values) }, ['externalClientId']).externalClientId!;
    expect(Object.keys(shown)).toHaveLength(FACET_VALUES_SHOWN);
    expect(Object.keys(shown)[0]).toBe('client_149');
    expect(shown.client_050).toBe(51);
    expect(shown.client_049).toBeUndefined();
  });
});

describe('numberStats', () => {
  it('sums value × count and counts the documents that have a value', () => {
    const stats = numberStats({ '10': 2, '30': 1 }, { min: 10, max: 30 }, 100);
    expect(stats).toEqual({ count: 3, sum: 50, min: 10, max: 30 });
  });

  it('rounds the sum to micro-units so costs add up without float noise', () => {
    const stats = numberStats({ '0.1': 1, '0.2': 1 }, { min: 0.1, max: 0.2 }, 100);
    expect(stats.sum).toBe(0.3);
    expect(numberStats({ '0.003586': 3 }, undefined, 100).sum).toBe(0.010758);
  });

  it('reports count and sum as unknown when the engine truncated the distribution', () => {
    const stats = numberStats({ '1': 1, '2': 1, '3': 1 }, { min: 1, max: 9 }, 3);
    expect(stats).toEqual({ count: null, sum: null, min: 1, max: 9 });
  });

  it('knows the count is 0 and the sum unknown when no document has a value', () => {
    expect(numberStats({}, undefined, 100)).toEqual({ count: 0, sum: null, min: null, max: null });
    expect(numberStats(undefined, undefined, 100)).toEqual({ count: 0, sum: null, min: null, max: null });
  });

  it('takes min and max from the engine’s stats', () => {
    expect(numberStats({ '5': 1 }, { min: 0, max: 5 }, 100)).toMatchObject({ min: 0, max: 5 });
  });
});
