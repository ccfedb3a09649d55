import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyOf, quote } from '../../src/engine/filter.js';
import type { SearchFilters } from '../../src/search/params.js';
import { buildFilter, type FilterTarget } from '../../src/search/query.js';
import { idOfKey } from '../../src/engine/documents.js';
import type { Scope } from '../../src/model.js';
import { engineEqualVariant, hostileValue, readLiteral } from '../support/hostile.js';

/**
 * Whatever the values, buildFilter's output parses back into exactly the clauses asked for, each
 * value one quoted literal equal to the input, and a scope that only ever narrows. The parser below
 * accepts only the shapes the builder means to produce, so an injected operator fails the parse.
 */
type Clause = { attribute: string; values: string[] } | { attribute: string; operator: string; number: number };

const ATTRIBUTES = ['companionKey', 'clientKey', 'tenantKey', 'tagKeys', 'tags', 'knowledgeBaseKey', 'functionKeys', 'faqKeys', 'role', 'timestamp', 'startedAt', 'sessionStartedAt'];

function parseFilter(filter: string): Clause[] {
  const clauses: Clause[] = [];
  const grouped = filter.startsWith('(');
  let i = 0;
  const expectText = (text: string) => {
    if (!filter.startsWith(text, i)) throw new Error(`expected '${text}' at ${i}: ${filter}`);
    i += text.length;
  };
  for (;;) {
    if (grouped) expectText('(');
    const attribute = /^[A-Za-z]+/.exec(filter.slice(i))?.[0] ?? '';
    if (!ATTRIBUTES.includes(attribute)) throw new Error(`unexpected attribute at ${i}: ${filter}`);
    i += attribute.length;
    if (filter.startsWith(' = ', i)) {
      const literal = readLiteral(filter, i + 3);
      clauses.push({ attribute, values: [literal.value] });
      i = literal.end;
    } else if (filter.startsWith(' IN [', i)) {
      i += 5;
      const values: string[] = [];
      while (filter[i] !== ']') {
        if (values.length > 0) expectText(', ');
        const literal = readLiteral(filter, i);
        values.push(literal.value);
        i = literal.end;
      }
      i++;
      clauses.push({ attribute, values });
    } else {
      const comparison = /^ (>=|<=) (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/.exec(filter.slice(i));
      if (!comparison) throw new Error(`unexpected operator at ${i}: ${filter}`);
      clauses.push({ attribute, operator: comparison[1]!, number: Number(comparison[2]) });
      i += comparison[0].length;
    }
    if (grouped) expectText(')');
    if (i === filter.length) return clauses;
    if (!grouped) throw new Error(`trailing text at ${i}: ${filter}`);
    expectText(' AND ');
  }
}

/** All clauses on one attribute, values decoded back from exact keys where the attribute holds keys. */
const valuesOf = (clauses: Clause[], attribute: string) =>
  clauses
    .filter((c) => c.attribute === attribute)
    .map((clause) => ('values' in clause ? clause.values.map((value) => (attribute.endsWith('Key') || attribute.endsWith('Keys') ? idOfKey(value) : value)) : []));

const seeds = ['comp_a', 'comp_b', 'comp_z'];
const someValues = fc.array(hostileValue(seeds), { maxLength: 4 });
const time = fc.option(fc.integer({ min: 0, max: 4_000_000_000 }), { nil: undefined });
const filtersArb: fc.Arbitrary<SearchFilters> = fc.record({
  companionId: someValues,
  externalClientId: someValues,
  tenantId: someValues,
  tags: someValues,
  knowledgeBaseId: someValues,
  functions: someValues,
  faqIds: someValues,
  role: fc.option(fc.constantFrom('user' as const, 'agent' as const), { nil: undefined }),
  from: time,
  to: time,
});
const targetArb = fc.constantFrom<FilterTarget>('turns', 'sessions', 'sessionTurns');
const scopeList = fc.option(fc.uniqueArray(fc.oneof(fc.constantFrom(...seeds), engineEqualVariant(seeds), hostileValue()), { maxLength: 3 }), { nil: undefined });
const scopeArb: fc.Arbitrary<Scope> = fc.record({ companions: scopeList, tenants: scopeList, externalClients: scopeList }, { requiredKeys: [] });

const FIELDS = [
  ['companionKey', 'companionId', 'companions'],
  ['clientKey', 'externalClientId', 'externalClients'],
  ['tenantKey', 'tenantId', 'tenants'],
  ['tagKeys', 'tags', undefined],
  ['knowledgeBaseKey', 'knowledgeBaseId', undefined],
  ['functionKeys', 'functions', undefined],
  ['faqKeys', 'faqIds', undefined],
] as const;

describe('buildFilter under generated hostile values', () => {
  it('parses back into the scope and the requested clauses, every id one exact key of exactly its input', () => {
    fc.assert(
      fc.property(filtersArb, targetArb, scopeArb, (filters, target, scope) => {
        const filter = buildFilter(filters, target, scope);
        const scoped = [scope.companions, scope.tenants, scope.externalClients].some((list) => list !== undefined);
        if (filter === undefined) {
          expect(scoped).toBe(false);
          expect(filters).toMatchObject({ companionId: [], externalClientId: [], tenantId: [], tags: [], knowledgeBaseId: [], functions: [], faqIds: [], from: undefined, to: undefined });
          return;
        }
        const clauses = parseFilter(filter);
        for (const [attribute, field, scopeKind] of FIELDS) {
          const expected = [
            ...(scopeKind && scope[scopeKind] ? [[...scope[scopeKind]!]] : []),
            ...(filters[field].length > 0 ? [filters[field]] : []),
          ];
          expect(valuesOf(clauses, attribute)).toEqual(expected);
        }
        expect(valuesOf(clauses, 'role')).toEqual(filters.role && target !== 'sessions' ? [[filters.role]] : []);
        const comparisons = clauses.filter((clause) => 'number' in clause);
        expect(comparisons.map((clause) => ('number' in clause ? clause.number : NaN))).toEqual(
          [filters.from, filters.to].filter((value) => value !== undefined),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('never lets a scoped filter drop a kind of its scope, nor widen it by a variant the engine would take as equal', () => {
    fc.assert(
      fc.property(filtersArb, targetArb, scopeArb, (filters, target, scope) => {
        const filter = buildFilter(filters, target, scope);
        const clauses = filter === undefined ? [] : parseFilter(filter);
        for (const [attribute, , scopeKind] of FIELDS) {
          if (!scopeKind || !scope[scopeKind]) continue;
          // The first clause on the attribute is the scope's, ANDed with everything else, and holds
          // exactly the scope's ids (decoded from hex keys, which no folding can make equal to others).
          expect(valuesOf(clauses, attribute)[0]).toEqual([...scope[scopeKind]!]);
          for (const clause of clauses) if (clause.attribute === attribute && 'values' in clause) for (const value of clause.values) expect(value).toMatch(/^[0-9a-f]*$/);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('quotes any string, lone surrogates and control characters included, into one literal that reads back as itself', () => {
    fc.assert(
      fc.property(fc.oneof(hostileValue(), fc.string({ unit: 'binary', maxLength: 40 })), (value) => {
        const quoted = quote(value);
        expect(readLiteral(quoted, 0)).toEqual({ value, end: quoted.length });
        expect(parseFilter(anyOf('tags', [value, value]))).toEqual([{ attribute: 'tags', values: [value, value] }]);
      }),
      { numRuns: 3_000 },
    );
  });
});
