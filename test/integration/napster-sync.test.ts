import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { createApp } from '../../src/http/app.js';
import { SyncPass } from '../../src/ingest/sync-pass.js';
import { silentLogger } from '../../src/logger.js';
import { createNapsterSource } from '../../src/sources/napster/client.js';
import { containsPhrase, loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

type CorpusSession = NapsterRecord & {
  companionId: string;
  externalClientId: string;
  tags: Record<string, string>;
  closedAt: number | null;
  conversation: { items: Array<{ role: 'user' | 'agent'; text: string; timestamp: number }> };
};

const SESSIONS = 2_000;
const PHRASES = ['san jose', 'thank you', 'one way', 'restaurant', 'new york', 'make a reservation', 'the movie', 'i would like'];

let corpus: CorpusSession[];
let upstream: NapsterUpstream;
let engine: TestEngine;
let app: ReturnType<typeof createApp>;

async function runSync(full = false) {
  const source = createNapsterSource({ apiKey: upstream.apiKey, baseUrl: upstream.url, rps: 5_000, concurrency: 16 });
  try {
    return await new SyncPass(engine.ingest, source, { full, concurrency: 16 }).run();
  } finally {
    await source.close();
  }
}

async function getJson(url: string) {
  const response = await app.request(url);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { totalHits: number; hits: Array<Record<string, unknown>>; facets: Record<string, Record<string, number>> };
}

/** Turns (and distinct sessions) of the corpus containing the phrase, under a predicate. */
function truth(phrase: string, keep: (session: CorpusSession, role: 'user' | 'agent') => boolean) {
  let turns = 0;
  const sessions = new Set<string>();
  for (const session of corpus) {
    for (const item of session.conversation.items) {
      if (keep(session, item.role) && containsPhrase(item.text, phrase)) {
        turns++;
        sessions.add(session.id);
      }
    }
  }
  return { turns, sessions: sessions.size };
}

beforeAll(async () => {
  corpus = await loadCorpus<CorpusSession>(NAPSTER_CORPUS, SESSIONS);
  upstream = await startNapsterUpstream({ records: corpus, apiKey: 'test-napster-key' });
  engine = await createTestEngine('napster');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
});

afterAll(async () => {
  await upstream?.close();
  await engine?.drop();
});

describe('sync from a Napster-shaped API of 3,000 corpus sessions', () => {
  const corpusTurns = () => corpus.reduce((sum, session) => sum + session.conversation.items.length, 0);

  it('indexes every listed session and every turn', async () => {
    const summary = await runSync();
    expect(summary.error).toBeNull();
    expect(summary).toMatchObject({ listed: SESSIONS, sessions: SESSIONS, turns: corpusTurns(), skipped: 0, failed: 0 });
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(SESSIONS);
    expect(await engine.client.documentCount(engine.names.turns)).toBe(corpusTurns());
  });

  it.each(PHRASES)('finds exactly the turns and sessions a corpus scan finds for "%s"', async (phrase) => {
    const q = encodeURIComponent(`"${phrase}"`);
    const all = truth(phrase, () => true);
    expect(all.turns).toBeGreaterThan(0);
    expect((await getJson(`/v1/search/turns?q=${q}&hitsPerPage=1`)).totalHits).toBe(all.turns);
    expect((await getJson(`/v1/search/sessions?q=${q}&hitsPerPage=1`)).totalHits).toBe(all.sessions);

    // The filters, each against the same scan: the companion and client with most matches, a tag, a role.
    const first = corpus.find((session) => session.conversation.items.some((item) => containsPhrase(item.text, phrase)))!;
    const cases: Array<[string, (session: CorpusSession, role: 'user' | 'agent') => boolean]> = [
      [`companionId=${encodeURIComponent(first.companionId)}`, (s) => s.companionId === first.companionId],
      [`externalClientId=${encodeURIComponent(first.externalClientId)}`, (s) => s.externalClientId === first.externalClientId],
      ['tag=channel:ios', (s) => s.tags.channel === 'ios'],
      ['tag=channel:ios&tag=channel:web', (s) => s.tags.channel === 'ios' || s.tags.channel === 'web'],
      ['role=user', (_s, role) => role === 'user'],
      ['role=agent&tag=environment:production', (s, role) => role === 'agent' && s.tags.environment === 'production'],
    ];
    for (const [filter, keep] of cases) {
      const expected = truth(phrase, keep);
      const turns = await getJson(`/v1/search/turns?q=${q}&${filter}&hitsPerPage=1`);
      const sessions = await getJson(`/v1/search/sessions?q=${q}&${filter}&hitsPerPage=1`);
      expect({ filter, turns: turns.totalHits, sessions: sessions.totalHits }).toEqual({ filter, ...expected });
    }
  });

  it('counts sessions, not turns, in session facets', async () => {
    const phrase = 'thank you';
    const result = await getJson(`/v1/search/sessions?q=${encodeURIComponent(`"${phrase}"`)}&facets=companionId&hitsPerPage=1`);
    const expected: Record<string, number> = {};
    for (const session of corpus) {
      if (session.conversation.items.some((item) => containsPhrase(item.text, phrase))) {
        expected[session.companionId] = (expected[session.companionId] ?? 0) + 1;
      }
    }
    expect(result.facets.companionId).toEqual(expected);
  });

  it('leaves the same documents after a second sync, incremental or full', async () => {
    const incremental = await runSync();
    expect(incremental.error).toBeNull();
    // Closed sessions already indexed are not fetched again; open ones are revisited.
    const open = corpus.filter((session) => session.closedAt === null).length;
    expect(incremental.sessions).toBe(open);
    const full = await runSync(true);
    expect(full).toMatchObject({ error: null, sessions: SESSIONS, deleted: 0 });
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(SESSIONS);
    expect(await engine.client.documentCount(engine.names.turns)).toBe(corpusTurns());
  });

  it('runs as the `sync` command: exit 0 and one JSON summary line', async () => {
    const cli = path.resolve('dist/main.js');
    const env = {
      PATH: process.env.PATH,
      MEILI_URL: engine.url,
      MEILI_MASTER_KEY: engine.key,
      INDEX_PREFIX: `${engine.prefix}cli_`,
      NAPSTER_API_KEY: upstream.apiKey,
      NAPSTER_BASE_URL: upstream.url,
      SOURCE_RPS: '5000',
      SOURCE_CONCURRENCY: '16',
      LOG_LEVEL: 'warn',
    };
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'sync'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out }));
    });
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ sessions: SESSIONS, turns: corpusTurns(), skipped: 0, failed: 0 });
    for (const uid of ['turns', 'sessions', 'sync_state']) {
      await engine.client.waitForTask(await engine.client.enqueue('DELETE', `/indexes/${engine.prefix}cli_${uid}`));
    }
  });
});
