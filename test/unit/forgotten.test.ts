import { describe, expect, it } from 'vitest';
import { ForgottenSet, type ForgottenClient } from '../../src/ingest/forgotten.js';
import type { Scope } from '../../src/model.js';

function record(externalClientId: string, ...scopes: Scope[]): ForgottenClient {
  return {
    id: `forgotten-${externalClientId}`,
    kind: 'forgotten',
    externalClientId,
    entries: scopes.map((scope) => ({ scope, forgottenAt: '2026-01-01T00:00:00.000Z', forgottenBy: 'ops' })),
  };
}

const session = (externalClientId: string | null, companionId: string | null, tenantId: string | null = null) => ({ externalClientId, companionId, tenantId });

describe('ForgottenSet', () => {
  const set = new ForgottenSet([
    record('everywhere', {}),
    record('scoped', { companions: ['comp_a'] }),
    record('two', { tenants: ['t1'] }, { companions: ['comp_b'], tenants: ['t2'] }),
  ]);

  it('covers every session of a client forgotten without scope', () => {
    expect(set.covers(session('everywhere', 'comp_z'))).toBe(true);
    expect(set.covers(session('everywhere', null))).toBe(true);
  });

  it('covers only the companions of a scoped forget', () => {
    expect(set.covers(session('scoped', 'comp_a'))).toBe(true);
    expect(set.covers(session('scoped', 'comp_b'))).toBe(false);
    expect(set.covers(session('scoped', null))).toBe(false);
  });

  it('covers what any of several forgets covers, each scope ANDing its kinds', () => {
    expect(set.covers(session('two', 'comp_x', 't1'))).toBe(true);
    expect(set.covers(session('two', 'comp_b', 't2'))).toBe(true);
    expect(set.covers(session('two', 'comp_x', 't2'))).toBe(false);
    expect(set.covers(session('two', 'comp_b', null))).toBe(false);
  });

  it('compares client ids exactly: case, width and spaces make another client', () => {
    for (const variant of ['EVERYWHERE', 'Everywhere', ' everywhere', 'everywhere ', 'ｅverywhere', 'everywhere\u200b']) {
      expect(set.covers(session(variant, 'comp_a')), variant).toBe(false);
    }
  });

  it('covers no session without a client, nor of other clients', () => {
    expect(set.covers(session(null, 'comp_a'))).toBe(false);
    expect(set.covers(session('someone', 'comp_a'))).toBe(false);
  });

  it('partitions sessions into kept and refused, keeping their order', () => {
    const sessions = [
      { ...session('someone', 'comp_a'), n: 1 },
      { ...session('everywhere', 'comp_a'), n: 2 },
      { ...session('scoped', 'comp_b'), n: 3 },
      { ...session('scoped', 'comp_a'), n: 4 },
    ];
    const { kept, refused } = set.partition(sessions);
    expect(kept.map((s) => s.n)).toEqual([1, 3]);
    expect(refused.map((s) => s.n)).toEqual([2, 4]);
  });
});
