import { describe, expect, it } from 'vitest';
import { Env, envSchema, loadConfig } from '../../src/config.js';
import { integer, optionalString } from '../../src/env-values.js';
import { ConfigError } from '../../src/errors.js';
import { emptyUsage, Session, SourceKind } from '../../src/model.js';
import { sourceFactories } from '../../src/runtime.js';
import { defineSource, type SourceLimits, type SourceRegistry } from '../../src/sources/descriptor.js';
import { vendorSessionParser } from '../../src/sources/detect.js';
import { SOURCE_CHOICES, SOURCE_NAMES, SOURCE_SETUP_HINT, SOURCES, inWords } from '../../src/sources/registry.js';
import { InvalidRecordError, type ListedSession, type ListingProblem, type SessionSource } from '../../src/sources/source.js';

describe('the source registry', () => {
  it('names each source once, as a lowercase word sessions can carry', () => {
    expect(SOURCE_NAMES).toEqual(['napster', 'agents']);
    for (const name of SOURCE_NAMES) expect(SourceKind.safeParse(name).success).toBe(true);
  });

  it('offers records to every source, agents before Napster (agent records may carry an id too)', () => {
    expect(SOURCES.recognitionOrder.map((source) => source.name)).toEqual(['agents', 'napster']);
  });

  it('words the choices and the setup as the CLI and the API say them', () => {
    expect(SOURCE_CHOICES).toBe('napster or agents');
    expect(SOURCE_SETUP_HINT).toBe('set NAPSTER_API_KEY, or AGENTS_API_KEY and AGENTS_BASE_URL');
    expect(inWords(['a', 'b', 'c'], 'or')).toBe('a, b or c');
  });

  it("merges the sources' variables into the service's environment schema", () => {
    expect(Object.keys(Env.shape)).toEqual(expect.arrayContaining(['NAPSTER_API_KEY', 'NAPSTER_BASE_URL', 'AGENTS_API_KEY', 'AGENTS_DETAIL_PATH', 'PORT']));
  });

  it('refuses two parts reading one variable', () => {
    const rival = defineSource({ ...acme, name: 'rival', env: { NAPSTER_API_KEY: optionalString }, settings: () => undefined });
    expect(() => envSchema({ sources: [...SOURCES.sources, rival], recognitionOrder: [] })).toThrow(/NAPSTER_API_KEY is read twice/);
  });
});

/*
 * A third vendor defined here alone, in a registry of this test's own: nothing outside this file
 * learns about it, and configuration, source factories and record detection all take it in.
 */
type AcmeCall = { call_ref: string; started: number; lines: Array<{ who: 'caller' | 'bot'; said: string }> };

const calls: AcmeCall[] = [
  { call_ref: 'acme-2', started: 1_760_000_600, lines: [{ who: 'caller', said: 'Where is my parcel?' }, { who: 'bot', said: 'On its way.' }] },
  { call_ref: 'acme-1', started: 1_760_000_000, lines: [{ who: 'caller', said: 'Hello' }] },
];

function mapAcmeCall(call: AcmeCall): Session {
  return {
    sessionId: call.call_ref,
    source: 'acme',
    companionId: null,
    externalClientId: null,
    tenantId: null,
    tags: {},
    createdAt: call.started,
    startedAt: call.started,
    closedAt: null,
    durationSeconds: null,
    functions: [],
    knowledgeBaseId: null,
    faqIds: [],
    usage: emptyUsage,
    hasRecording: false,
    recordingUrl: null,
    turns: call.lines.map((line, turnIndex) => ({ turnIndex, role: line.who === 'caller' ? 'user' : 'agent', text: line.said, timestamp: null, offsetSeconds: null })),
  };
}

const created: Array<{ settings: { token: string; pageSize: number }; limits: SourceLimits }> = [];

function acmeClient(): SessionSource {
  return {
    name: 'acme',
    async *list(): AsyncIterable<ListedSession | ListingProblem> {
      for (const call of calls) yield { sessionId: call.call_ref, createdAt: call.started, inProgress: true, load: async () => mapAcmeCall(call) };
    },
    loadById: async (id) => calls.map(mapAcmeCall).find((session) => session.sessionId === id),
    totals: async () => ({ sessions: calls.length }),
    stats: { requests: 0, retries: 0, rateLimited: 0 },
    close: async () => {},
  };
}

const acme = defineSource({
  name: 'acme',
  env: { ACME_TOKEN: optionalString, ACME_PAGE_SIZE: integer(1, 500, 50) },
  enabledBy: 'ACME_TOKEN',
  settings: (env) => (env.ACME_TOKEN ? { token: env.ACME_TOKEN, pageSize: env.ACME_PAGE_SIZE } : undefined),
  create(settings, limits) {
    created.push({ settings, limits });
    return acmeClient();
  },
  records: {
    shape: 'an Acme call (call_ref, lines)',
    recognises: (record) => 'call_ref' in record,
    parse(record) {
      const call = record as Partial<AcmeCall>;
      if (typeof call.call_ref !== 'string' || !Array.isArray(call.lines)) throw new InvalidRecordError('Acme call: call_ref, lines: required');
      return mapAcmeCall(call as AcmeCall);
    },
  },
});

const withAcme: SourceRegistry = { sources: [...SOURCES.sources, acme], recognitionOrder: [...SOURCES.recognitionOrder, acme] };

describe('a third source registered alone', () => {
  it("reads its variables with theirs, defaults included, and enables it when they say so", () => {
    expect(Object.keys(envSchema(withAcme).shape)).toEqual(expect.arrayContaining([...Object.keys(Env.shape), 'ACME_TOKEN', 'ACME_PAGE_SIZE']));
    expect(loadConfig({}, withAcme).sources).toEqual([]);
    const config = loadConfig({ ACME_TOKEN: 'tok', NAPSTER_API_KEY: 'nk' }, withAcme);
    expect(config.sources.map((source) => [source.name, source.settings])).toEqual([
      ['napster', { apiKey: 'nk', baseUrl: 'https://companion-api.napster.com' }],
      ['acme', { token: 'tok', pageSize: 50 }],
    ]);
  });

  it('fails on a bad value of its variables, naming the variable', () => {
    expect(() => loadConfig({ ACME_TOKEN: 'tok', ACME_PAGE_SIZE: 'lots' }, withAcme)).toThrow(ConfigError);
    expect(() => loadConfig({ ACME_TOKEN: 'tok', ACME_PAGE_SIZE: 'lots' }, withAcme)).toThrow(/^Invalid configuration: ACME_PAGE_SIZE: /);
  });

  it('becomes a source factory held to the service-wide limits, whose client lists canonical sessions', async () => {
    const config = loadConfig({ ACME_TOKEN: 'tok', SOURCE_RPS: '3', SOURCE_CONCURRENCY: '2' }, withAcme);
    const [factory, ...others] = sourceFactories(config);
    expect(others).toEqual([]);
    expect(factory!.name).toBe('acme');
    const source = factory!.create();
    expect(created.at(-1)).toEqual({ settings: { token: 'tok', pageSize: 50 }, limits: { rps: 3, concurrency: 2, http: undefined } });
    const sessions: Session[] = [];
    for await (const listed of source.list()) if ('load' in listed) sessions.push((await listed.load())!);
    expect(sessions.map((session) => [session.sessionId, session.source])).toEqual([['acme-2', 'acme'], ['acme-1', 'acme']]);
    for (const session of sessions) expect(Session.safeParse(session).success).toBe(true);
  });

  it('recognises its pushed and imported records beside the other shapes, and names its shape when none fits', () => {
    const parse = vendorSessionParser(withAcme);
    expect(parse(calls[0]).source).toBe('acme');
    expect(parse({ ...calls[0], conversation: { items: [] } }).source).toBe('acme');
    expect(() => parse({ call_ref: 'acme-3' })).toThrow('Acme call: call_ref, lines: required');
    expect(() => parse({ ref: 'x' })).toThrow(
      'unknown shape: expected a Napster session (id, conversation), an agent session (session_id, transcript) or an Acme call (call_ref, lines)',
    );
  });
});
