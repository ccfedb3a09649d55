import { describe, expect, it } from 'vitest';
import { ForgottenSet, type ForgottenClient } from '../../src/ingest/forgotten.js';

function record(externalClientId: string, companions: string[] | null): ForgottenClient {
  return { id: `forgotten-${externalClientId}`, kind: 'forgotten', externalClientId, companions, forgottenAt: '2026-01-01T00:00:00.000Z', forgottenBy: 'ops' };
}

describe('ForgottenSet', () => {
  const set = new ForgottenSet([record('everywhere', null), record('scoped', ['comp_a'])]);

  it('covers every session of a client forgotten without scope', () => {
    expect(set.covers({ externalClientId: 'everywhere', companionId: 'comp_z' })).toBe(true);
    expect(set.covers({ externalClientId: 'everywhere', companionId: null })).toBe(true);
  });

  it('covers only the companions of a scoped forget', () => {
    expect(set.covers({ externalClientId: 'scoped', companionId: 'comp_a' })).toBe(true);
    expect(set.covers({ externalClientId: 'scoped', companionId: 'comp_b' })).toBe(false);
    expect(set.covers({ externalClientId: 'scoped', companionId: null })).toBe(false);
  });

  it('covers no session without a client, nor of other clients', () => {
    expect(set.covers({ externalClientId: null, companionId: 'comp_a' })).toBe(false);
    expect(set.covers({ externalClientId: 'someone', companionId: 'comp_a' })).toBe(false);
  });

  it('partitions sessions into kept and refused, keeping their order', () => {
    const sessions = [
      { externalClientId: 'someone', companionId: 'comp_a', n: 1 },
      { externalClientId: 'everywhere', companionId: 'comp_a', n: 2 },
      { externalClientId: 'scoped', companionId: 'comp_b', n: 3 },
      { externalClientId: 'scoped', companionId: 'comp_a', n: 4 },
    ];
    const { kept, refused } = set.partition(sessions);
    expect(kept.map((s) => s.n)).toEqual([1, 3]);
    expect(refused.map((s) => s.n)).toEqual([2, 4]);
  });
});
