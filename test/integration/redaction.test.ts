import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { createApp } from '../../src/http/app.js';
import { ingestDeps } from '../../src/ingest/deps.js';
import { createLogger } from '../../src/logger.js';
import { REDACT_KINDS } from '../../src/redact/kinds.js';
import { Redactor } from '../../src/redact/redactor.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { runBuiltCli, type CliRun } from '../support/cli.js';
import { AGENTS_CORPUS, loadCorpus, NAPSTER_CORPUS, type AgentCorpusRecord, type NapsterCorpusRecord } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { generatePii, injectInto, PII_KINDS, seededRandom, type PiiValue } from '../support/pii.js';

/*
 * Issue 19's corpus: sessions of both shared corpora with generated personal data said at known
 * places (a turn's text, a tag value), brought in every way there is: sync (the CLI, from the vendor
 * fakes), import (the CLI, a JSONL file) and push (the API). With REDACT=all nothing of it may reach
 * the engine (either index, or its task list), a search, a log line or DATA_DIR.
 */

const PER_WAY = 60;

type Injected = PiiValue & { sessionId: string; where: 'turn' | 'tag'; way: 'sync' | 'import' | 'push' };

const injected: Injected[] = [];
const random = seededRandom(1919);
let nextKind = 0;
const nextValue = () => generatePii(PII_KINDS[nextKind++ % PII_KINDS.length]!, random);

/** Two values said in turns of each session, a third in a tag value of every fourth session. */
function injectNapster(record: NapsterCorpusRecord, way: Injected['way'], index: number): NapsterCorpusRecord {
  const items = record.conversation.items.map((item) => ({ ...item }));
  for (let i = 0; i < 2; i++) {
    const value = nextValue();
    const turn = items[Math.floor(random() * items.length)]!;
    turn.text = injectInto(turn.text, value, random);
    injected.push({ ...value, sessionId: record.id, where: 'turn', way });
  }
  const tags = { ...record.tags };
  if (index % 4 === 0) {
    const value = nextValue();
    tags.note = `caller left ${value.value}`;
    injected.push({ ...value, sessionId: record.id, where: 'tag', way });
  }
  return { ...record, tags, conversation: { items } };
}

function injectAgents(record: AgentCorpusRecord, way: Injected['way'], index: number): AgentCorpusRecord {
  const transcript = record.transcript.map((turn) => ({ ...turn }));
  for (let i = 0; i < 2; i++) {
    const value = nextValue();
    const turn = transcript[Math.floor(random() * transcript.length)]!;
    turn.text = injectInto(turn.text, value, random);
    injected.push({ ...value, sessionId: record.session_id, where: 'turn', way });
  }
  const metadata = { ...record.metadata };
  if (index % 4 === 0) {
    const value = nextValue();
    metadata.callback = value.value;
    injected.push({ ...value, sessionId: record.session_id, where: 'tag', way });
  }
  return { ...record, transcript, metadata };
}

let engine: TestEngine;
let napsterFake: NapsterUpstream;
let agentsFake: AgentsUpstream;
let dataDir: string;
let app: ReturnType<typeof createApp>;
const logLines: string[] = [];
const results: Record<string, CliRun> = {};
let pushAnswer: { accepted: number; rejected: unknown[]; redactions: Record<string, number> };

function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const base = { MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, DATA_DIR: dataDir, LOG_LEVEL: 'debug', REDACT: 'all' };
  return runBuiltCli(args, { ...base, ...env });
}

/** Every document of both indexes, as one text to look values up in. */
async function everything(index: string): Promise<string> {
  const docs: unknown[] = [];
  for await (const doc of engine.client.documents(index, {})) docs.push(doc);
  return JSON.stringify(docs);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => path.join(dir, file))
    .filter((file) => statSync(file).isFile());
}

beforeAll(async () => {
  engine = await createTestEngine('redaction');
  dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-redaction-'));
  const napster = await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, 3 * PER_WAY);
  const agents = await loadCorpus<AgentCorpusRecord>(AGENTS_CORPUS, 3 * PER_WAY);
  const ways = ['sync', 'import', 'push'] as const;
  const prepared = Object.fromEntries(
    ways.map((way, w) => [
      way,
      [
        ...napster.slice(w * PER_WAY, (w + 1) * PER_WAY).map((record, i) => injectNapster(record, way, i)),
        ...agents.slice(w * PER_WAY, (w + 1) * PER_WAY).map((record, i) => injectAgents(record, way, i)),
      ],
    ]),
  ) as Record<(typeof ways)[number], Array<NapsterCorpusRecord | AgentCorpusRecord>>;
  const isNapster = (record: NapsterCorpusRecord | AgentCorpusRecord): record is NapsterCorpusRecord => 'conversation' in record;

  napsterFake = await startNapsterUpstream({ records: prepared.sync.filter(isNapster), apiKey: 'test-napster-key' });
  agentsFake = await startAgentsUpstream({ records: prepared.sync.filter((record) => !isNapster(record)) as unknown as AgentRecord[] });
  results.sync = await runCli(['sync'], {
    NAPSTER_API_KEY: napsterFake.apiKey,
    NAPSTER_BASE_URL: napsterFake.url,
    AGENTS_API_KEY: agentsFake.apiKey,
    AGENTS_BASE_URL: agentsFake.url,
    AGENTS_LIST_PATH: agentsFake.listPath,
    AGENTS_DETAIL_PATH: agentsFake.detailPath,
  });

  const file = path.join(dataDir, '..', `${path.basename(dataDir)}-export.jsonl`);
  // One broken line quoting a value: the import's report of it must not quote it back.
  const broken = injected.find((value) => value.kind === 'email')!.value;
  writeFileSync(file, `${prepared.import.map((record) => JSON.stringify(record)).join('\n')}\n{"id": "${broken}" oops\n`);
  results.import = await runCli(['import', file], {});
  rmSync(file);

  const redactor = new Redactor({ kinds: REDACT_KINDS, patterns: [] });
  const log = createLogger('debug', (line) => logLines.push(line));
  app = createApp({ engine: engine.client, names: engine.names, log, ingest: ingestDeps({ engine: engine.client, names: engine.names, log, redactor }) });
  const response = await app.request('/v1/sessions?wait=true', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(prepared.push) });
  pushAnswer = (await response.json()) as typeof pushAnswer;
});

afterAll(async () => {
  await napsterFake?.close();
  await agentsFake?.close();
  rmSync(dataDir, { recursive: true, force: true });
  await engine?.drop();
});

describe('with REDACT=all', () => {
  it('brings every session in by sync, import and push, counting redactions per kind and never a value', async () => {
    expect(results.sync!.code, results.sync!.stderr).toBe(0);
    const sync = JSON.parse(results.sync!.stdout) as { sessions: number; redactions: Record<string, number> };
    expect(sync.sessions).toBe(2 * PER_WAY);
    expect(results.import!.code, results.import!.stderr).toBe(2);
    const imported = JSON.parse(results.import!.stdout) as { sessions: number; skipped: number; redactions: Record<string, number> };
    expect(imported).toMatchObject({ sessions: 2 * PER_WAY, skipped: 1 });
    expect(pushAnswer).toMatchObject({ accepted: 2 * PER_WAY, rejected: [] });
    for (const [way, counts] of [['sync', sync.redactions], ['import', imported.redactions], ['push', pushAnswer.redactions]] as const) {
      const said = injected.filter((value) => value.way === way);
      // Every injected value at least; the corpus's own phone numbers (SGD agents read them out) add to phones.
      for (const kind of PII_KINDS) expect(counts[kind] ?? 0, `${way} ${kind}`).toBeGreaterThanOrEqual(said.filter((value) => value.kind === kind).length);
      expect(Object.keys(counts).every((kind) => (REDACT_KINDS as readonly string[]).includes(kind))).toBe(true);
    }
    // The same counts stay in each source's sync status (GET /v1/sync), and pushes reach the metrics.
    const napster = await engine.ingest.checkpoints.get('napster');
    expect(napster!.lastRun!.redactions!.card).toBeGreaterThan(0);
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(new RegExp(`^transcript_search_redactions_total\\{kind="card",via="push"\\} ${pushAnswer.redactions.card}$`, 'm'));
  });

  it('leaves at least 99 % of the injected values of each kind, every way in, in neither index (in fact none)', async () => {
    const turns = await everything(engine.names.turns);
    const sessions = await everything(engine.names.sessions);
    const found = injected.filter((value) => turns.includes(value.value) || sessions.includes(value.value));
    for (const way of ['sync', 'import', 'push']) {
      for (const kind of PII_KINDS) {
        const said = injected.filter((value) => value.way === way && value.kind === kind);
        const kept = found.filter((value) => value.way === way && value.kind === kind);
        expect(said.length).toBeGreaterThan(0);
        expect(1 - kept.length / said.length, `${way} ${kind}: ${kept.map((value) => value.value).join(', ')}`).toBeGreaterThanOrEqual(0.99);
      }
    }
    expect(found.map((value) => `${value.kind} ${value.format}: ${value.value}`)).toEqual([]);
    // What was said is still there around the placeholder, and the placeholder is findable.
    expect(turns).toContain('[CARD]');
    expect(sessions).toMatch(/"(note|callback):[^"]*\[(EMAIL|PHONE|CARD|IBAN|SSN|IP)\]/);
  });

  it('answers no search with a value, and finds where each kind was said by its placeholder', async () => {
    for (const value of injected.filter((_, i) => i % 3 === 0)) {
      for (const route of ['turns', 'sessions']) {
        const response = await app.request(`/v1/search/${route}?q=${encodeURIComponent(`"${value.value}"`)}&hitsPerPage=100`);
        expect(response.status).toBe(200);
        expect(await response.text(), `${route} ${value.value}`).not.toContain(value.value);
      }
    }
    for (const kind of PII_KINDS) {
      const response = await app.request(`/v1/search/sessions?q=${encodeURIComponent(`[${kind.toUpperCase()}]`)}&role=user&hitsPerPage=1`);
      const body = (await response.json()) as { totalHits: number; hits: Array<{ snippet: string }> };
      expect(body.totalHits, kind).toBeGreaterThan(0);
      expect(body.hits[0]!.snippet.replace(/<\/?mark>/g, '')).toContain(`[${kind.toUpperCase()}]`);
    }
  });

  it('logs no value, keeps none in DATA_DIR, and leaves none in the engine task list of these indexes', async () => {
    const logs = [results.sync!.stderr, results.import!.stderr, ...logLines].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    const files = filesUnder(dataDir).map((file) => readFileSync(file, 'latin1')).join('\n');
    const tasks: unknown[] = [];
    for await (const task of engine.client.tasks(Object.values(engine.names))) tasks.push(task);
    expect(tasks.length).toBeGreaterThan(0);
    const taskList = JSON.stringify(tasks);
    for (const where of [logs, files, taskList, results.sync!.stdout, results.import!.stdout]) {
      expect(injected.filter((value) => where.includes(value.value)).map((value) => value.value)).toEqual([]);
    }
  });
});
