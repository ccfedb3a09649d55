import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyOf, quote } from '../../src/engine/filter.js';
import type { SearchFilters } from '../../src/search/params.js';
import { buildFilter, type FilterTarget } from '../../src/search/query.js';
import { hostileValue, readLiteral } from '../support/hostile.js';

/**
 * Whatever the values, buildFilter's output parses back into exactly the clauses asked for, each
 * value one quoted literal equal to the input, and a scope that only ever narrows. The parser below
 * accepts only the shapes the builder means to produce, so an injected operator fails the parse.
 */
type Clause = { attribute: string; values: string[] } | { attribute: string; operator: string; number: number };

const ATTRIBUTES = ['companionId', 'externalClientId', 'tenantId', 'tags', 'knowledgeBaseId', 'functions', 'faqIds', 'role', 'timestamp', 'startedAt', 'sessionStartedAt'];

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

const valuesOf = (clauses: Clause[], attribute: string) => {
  const clause = clauses.find((c) => c.attribute === attribute);
  return clause && 'values' in clause ? clause.values : undefined;
};

const someValues = fc.array(hostileValue(['comp_a', 'comp_b', 'comp_z']), { maxLength: 4 });
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
const scopeArb = fc.option(fc.uniqueArray(fc.oneof(fc.constantFrom('comp_a', 'comp_b'), hostileValue()), { maxLength: 3 }), { nil: undefined });

describe('buildFilter under generated hostile values', () => {
  it('parses back into the requested clauses, every value a single literal equal to its input', () => {
    fc.assert(
      fc.property(filtersArb, targetArb, scopeArb, (filters, target, companions) => {
        const filter = buildFilter(filters, target, { companions });
        let expectedCompanions = filters.companionId;
        if (companions) {
          expectedCompanions = filters.companionId.length > 0 ? filters.companionId.filter((id) => companions.includes(id)) : companions;
          if (expectedCompanions.length === 0) {
            expect(filter).toBe('companionId IN []');
            return;
          }
        }
        if (filter === undefined) {
          expect(filters).toMatchObject({ companionId: [], externalClientId: [], tenantId: [], tags: [], knowledgeBaseId: [], functions: [], faqIds: [], from: undefined, to: undefined });
          return;
        }
        const clauses = parseFilter(filter);
        expect(valuesOf(clauses, 'companionId')).toEqual(expectedCompanions.length > 0 ? expectedCompanions : undefined);
        for (const [attribute, values] of [
          ['externalClientId', filters.externalClientId],
          ['tenantId', filters.tenantId],
          ['tags', filters.tags],
          ['knowledgeBaseId', filters.knowledgeBaseId],
          ['functions', filters.functions],
          ['faqIds', filters.faqIds],
        ] as const) {
          expect(valuesOf(clauses, attribute)).toEqual(values.length > 0 ? values : undefined);
        }
        expect(valuesOf(clauses, 'role')).toEqual(filters.role && target !== 'sessions' ? [filters.role] : undefined);
        const comparisons = clauses.filter((clause) => 'number' in clause);
        expect(comparisons.map((clause) => ('number' in clause ? clause.number : NaN))).toEqual(
          [filters.from, filters.to].filter((value) => value !== undefined),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('never lets a scoped filter name a companion outside the scope', () => {
    fc.assert(
      fc.property(filtersArb, targetArb, fc.uniqueArray(fc.constantFrom<string>('comp_a', 'comp_b', 'comp_c'), { maxLength: 3 }), (filters, target, companions) => {
        const clauses = parseFilter(buildFilter(filters, target, { companions })!);
        const named = valuesOf(clauses, 'companionId');
        expect(named).toBeDefined();
        expect(named!.every((id) => companions.includes(id))).toBe(true);
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
