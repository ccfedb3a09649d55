import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { hostileValue } from '../support/hostile.js';
import { loadCorpusSample, type CorpusRow, type CorpusSample, type CorpusSession } from '../support/scoped-corpus.js';

/**
 * Generated hostile values in every filter parameter and in `q`, through a scoped key's API against
 * the real engine, for each kind of scope (companions, tenants, external clients): no answer ever
 * holds a document, facet value or count outside the scope, and no answer holds more than the filters
 * (read as plain, exact values) allow. Seeds include the variants of real ids the engine's own
 * equality would take for them. Invalid values are a 400, never a 5xx. Truths come from the raw
 * corpus records, not from the product's own code.
 */
const KEY = 'scoped-property-key-0123456789';
const FILTER_PARAMS = ['companionId', 'externalClientId', 'tenantId', 'tag'] as const;
type FilterParam = (typeof FILTER_PARAMS)[number];
type Request = Partial<Record<FilterParam, string[]>> & { q?: string; role?: 'user' | 'agent' };

type ScopeKind = 'companions' | 'tenants' | 'externalClients';
const OWNER: Record<ScopeKind, (session: CorpusSession) => string | null> = {
  companions: (session) => session.companionId,
  tenants: (session) => session.tenantId,
  externalClients: (session) => session.clientId,
};

let engine: TestEngine;
let sample: CorpusSample;
let kind: ScopeKind;
let scope: string[];
let app: ReturnType<typeof createApp>;

const inScope = (session: CorpusSession) => {
  const owner = OWNER[kind](session);
  return owner !== null && scope.includes(owner);
};

const CONTROL = /[\u0000-\u001f\u007f]/;

/** The contract's rules for parameter values; a request breaking one must be a 400. */
function isInvalid(request: Request, maxQuery: number): boolean {
  for (const name of FILTER_PARAMS) {
    for (const value of request[name] ?? []) {
      if (value === '' || value.length > 512 || CONTROL.test(value)) return true;
      if (name === 'tag' && value.indexOf(':') <= 0) return true;
    }
  }
  return (request.q ?? '').length > maxQuery;
}

/** What the filters allow for a session, reading every value as a plain value, within the scope. */
function allows(request: Request, session: CorpusSession): boolean {
  const has = (values: string[] | undefined, value: string | null) => values === undefined || (value !== null && values.includes(value));
  return (
    inScope(session) &&
    has(request.companionId, session.companionId) &&
    has(request.externalClientId, session.clientId) &&
    has(request.tenantId, session.tenantId) &&
    (request.tag === undefined || session.tags.some((tag) => request.tag!.includes(tag)))
  );
}

const allowsTurn = (request: Request, row: CorpusRow) => allows(request, row) && (request.role === undefined || row.role === request.role);

function url(path: string, request: Request, extra: Record<string, string>): string {
  const parts: string[] = [];
  for (const [name, values] of Object.entries(request)) {
    for (const value of [values].flat()) parts.push(`${name}=${encodeURIComponent(value)}`);
  }
  for (const [name, value] of Object.entries(extra)) parts.push(`${name}=${encodeURIComponent(value)}`);
  return `${path}?${parts.join('&')}`;
}

async function call(path: string): Promise<{ status: number; body: any }> {
  const response = await app.request(path, { headers: { 'x-api-key': KEY } });
  return { status: response.status, body: await response.json() };
}

function tagsOf(tags: Record<string, string>): string[] {
  return Object.entries(tags).map(([key, value]) => `${key}:${value}`);
}

/** Every hit must satisfy the filters as plain values: a hostile value that matched more would show here. */
function expectHitAllowed(request: Request, hit: { companionId: string; externalClientId: string | null; tenantId: string | null; tags: Record<string, string> }) {
  expect(allows(request, { sessionId: '', companionId: hit.companionId, clientId: hit.externalClientId, tenantId: hit.tenantId, tags: tagsOf(hit.tags) })).toBe(true);
}

const FACET_OF_KIND: Record<ScopeKind, string> = { companions: 'companionId', tenants: 'tenantId', externalClients: 'externalClientId' };

function expectFacetsAllowed(facets: Record<string, Record<string, number>>) {
  for (const value of Object.keys(facets[FACET_OF_KIND[kind]] ?? {})) expect(scope).toContain(value);
}

let requestArb: fc.Arbitrary<Request>;

beforeAll(async () => {
  sample = await loadCorpusSample({ napster: 500, stride: 34, agents: 200 });
  engine = await createTestEngine('property');
  await writeSessions(engine.ingest, sample.records.map(parseVendorSession), { wait: true });
});

/** A key of one scope kind, and requests built around sessions inside it with seeds from outside it. */
function useScope(scopeKind: ScopeKind): void {
  kind = scopeKind;
  const owners = [...new Set(sample.sessions.map(OWNER[kind]).filter((owner): owner is string => owner !== null))].sort();
  // Two ids of the kind, leaving others outside (the sample has only two tenants: one of them).
  scope =
    kind === 'companions'
      ? [sample.companions[3]!, sample.companions[sample.companions.length - 2]!]
      : owners.length > 2
        ? [owners[0]!, owners[Math.floor(owners.length / 2)]!]
        : [owners[0]!];
  app = createApp({
    engine: engine.client,
    names: engine.names,
    log: silentLogger,
    keys: new ApiKeys([{ key: KEY, name: 'scoped', role: 'search', [kind]: scope }]),
  });

  const distinct = (values: Array<string | null>) => [...new Set(values.filter((value): value is string => value !== null))];
  const outside = sample.sessions.filter((session) => !inScope(session));
  const outsideValues: Record<FilterParam, string[]> = {
    companionId: distinct(outside.map((s) => s.companionId)),
    externalClientId: distinct(outside.map((s) => s.clientId)),
    tenantId: distinct(outside.map((s) => s.tenantId)),
    tag: distinct(outside.flatMap((s) => s.tags)),
  };
  // Seeds for hostile values: ids outside the scope, so an escape that worked would reach them, and
  // the scope's own ids, whose engine-equal variants (other case, width, spaces) are other ids.
  const seeds = [...outsideValues.companionId, ...outsideValues.externalClientId.slice(0, 20), ...outsideValues.tag.slice(0, 10), ...scope];
  const hostile = hostileValue(seeds);
  // Tags must look like key:value to pass validation; most hostile ones do, so they reach the engine.
  const hostileTag = fc.oneof(hostile, fc.tuple(fc.constantFrom('channel', 'environment', 'split'), hostile).map(([key, value]) => `${key}:${value}`));
  const inScopeSessions = sample.sessions.filter(inScope);
  const words = fc.constantFrom('the', 'thank you', '"thank you"', 'reservation', 'i would like', 'coffee', 'please');

  // Built around a session in scope, so that many requests do match something and a filter that
  // widened would show as extra hits, not only as hits where there should be none.
  requestArb = fc.constantFrom(...inScopeSessions).chain((session) => {
    const own: Record<FilterParam, string[]> = {
      companionId: [session.companionId],
      externalClientId: session.clientId === null ? [] : [session.clientId],
      tenantId: session.tenantId === null ? [] : [session.tenantId],
      tag: session.tags,
    };
    const extra = (name: FilterParam) =>
      outsideValues[name].length === 0
        ? name === 'tag' ? hostileTag : hostile
        : fc.oneof({ arbitrary: fc.constantFrom(...outsideValues[name]), weight: 1 }, { arbitrary: name === 'tag' ? hostileTag : hostile, weight: 2 });
    const values = (name: FilterParam) =>
      own[name].length === 0
        ? fc.array(extra(name), { minLength: 1, maxLength: 3 })
        : fc.oneof(
            {
              arbitrary: fc.tuple(fc.constantFrom(...own[name]), fc.array(extra(name), { maxLength: 2 })).chain(([mine, others]) => fc.shuffledSubarray([mine, ...others], { minLength: others.length + 1 })),
              weight: 3,
            },
            { arbitrary: fc.array(extra(name), { minLength: 1, maxLength: 3 }), weight: 1 },
          );
    const ownWords = [...new Set(sample.rows.filter((row) => row.sessionId === session.sessionId).flatMap((row) => row.text.toLowerCase().match(/[a-z]{4,}/g) ?? []))];
    const word = ownWords.length > 0 ? fc.constantFrom(...ownWords) : fc.constant('the');
    // One or two filter parameters at a time: with all four, hardly any request would match anything.
    return fc
      .record({
        names: fc.subarray([...FILTER_PARAMS], { minLength: 1, maxLength: 2 }),
        companionId: values('companionId'),
        externalClientId: values('externalClientId'),
        tenantId: values('tenantId'),
        tag: values('tag'),
        q: fc.option(fc.oneof({ arbitrary: word, weight: 3 }, { arbitrary: words, weight: 1 }, { arbitrary: hostile, weight: 2 }), { nil: undefined }),
        role: fc.option(fc.constantFrom('user' as const, 'agent' as const), { nil: undefined, freq: 2 }),
      })
      .map(({ names, q, role, ...all }) => {
        const request: Request = {};
        for (const name of names) request[name] = all[name];
        if (q !== undefined) request.q = q;
        if (role !== undefined) request.role = role;
        return request;
      });
  });
}

afterAll(async () => {
  await engine?.drop();
});

describe.each(['companions', 'tenants', 'externalClients'] as const)('a key scoped by %s under generated hostile filters', (scopeKind) => {
  beforeAll(() => useScope(scopeKind));

  it('never receives turns, or turn facets, outside its scope, nor more than the filters allow', async () => {
    await fc.assert(
      // Disjunctive facets drop one filter per facet: never the scope.
      fc.asyncProperty(requestArb, fc.integer({ min: 1, max: 20 }), fc.constantFrom('conjunctive', 'disjunctive'), async (request, hitsPerPage, facetMode) => {
        const { status, body } = await call(url('/v1/search/turns', request, { hitsPerPage: String(hitsPerPage), facets: 'companionId,externalClientId,tenantId,tags', facetMode }));
        if (isInvalid(request, 512)) {
          expect(status).toBe(400);
          expect(body.error.code).toBe('bad_request');
          return;
        }
        expect(status, JSON.stringify(body)).toBe(200);
        for (const hit of body.hits) expectHitAllowed(request, hit);
        expectFacetsAllowed(body.facets);
        expect(body.totalHits).toBeLessThanOrEqual(sample.rows.filter((row) => allowsTurn(request, row)).length);
      }),
      { numRuns: 400 },
    );
  });

  it('never receives sessions, session facets or stats outside its scope', async () => {
    await fc.assert(
      // Disjunctive facets drop one filter per facet: never the scope.
      fc.asyncProperty(requestArb, fc.integer({ min: 1, max: 20 }), fc.constantFrom('conjunctive', 'disjunctive'), async (request, hitsPerPage, facetMode) => {
        const { status, body } = await call(url('/v1/search/sessions', request, { hitsPerPage: String(hitsPerPage), facets: 'companionId,externalClientId,tenantId,tags', facetMode }));
        if (isInvalid(request, 512)) {
          expect(status).toBe(400);
          return;
        }
        expect(status, JSON.stringify(body)).toBe(200);
        for (const hit of body.hits) expectHitAllowed(request, hit);
        expectFacetsAllowed(body.facets);
        const bound = sample.sessions.filter((session) => allows(request, session)).length;
        expect(body.totalHits).toBeLessThanOrEqual(bound);
        expect(body.stats.count).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 150 },
    );
  });

  it('never lists facet values outside its scope, nor counts beyond what the filters allow', async () => {
    const facetArb = fc.constantFrom('companionId', 'externalClientId', 'tenantId', 'tags');
    await fc.assert(
      fc.asyncProperty(requestArb, facetArb, async ({ role: _role, q, ...filters }, facet) => {
        const prefix = q === undefined ? {} : { q: q.slice(0, 200) };
        const request: Request = { ...filters, ...prefix };
        const { status, body } = await call(url(`/v1/facets/${facet}`, request, {}));
        if (isInvalid(request, 200)) {
          expect(status).toBe(400);
          return;
        }
        expect(status, JSON.stringify(body)).toBe(200);
        const allowed = sample.sessions.filter((session) => allows(request, session));
        for (const { value, count } of body.values as Array<{ value: string; count: number }>) {
          const having = allowed.filter((session) =>
            facet === 'tags' ? session.tags.includes(value) : (facet === 'companionId' ? session.companionId : facet === 'externalClientId' ? session.clientId : session.tenantId) === value,
          );
          expect(count).toBeLessThanOrEqual(having.length);
          expect(count).toBeGreaterThan(0);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('gets a 404 for every session id but those in its scope', async () => {
    const mine = new Set(sample.sessions.filter(inScope).map((s) => s.sessionId));
    const ids = sample.sessions.map((s) => s.sessionId);
    const idArb = fc.oneof(fc.constantFrom(...ids), hostileValue(ids.slice(0, 50)));
    await fc.assert(
      fc.asyncProperty(idArb, async (id) => {
        const { status, body } = await call(`/v1/sessions/${encodeURIComponent(id)}`);
        if (mine.has(id)) {
          expect(status).toBe(200);
          expect(body.sessionId).toBe(id);
          return;
        }
        expect(status).toBe(404);
        expect(body.error.code).toBe('not_found');
      }),
      { numRuns: 80 },
    );
  });
});
