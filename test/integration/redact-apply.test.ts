import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDeps } from '../../src/ingest/deps.js';
import { intakeRecords } from '../../src/ingest/intake.js';
import { rewriteIndexes, rulesDigest } from '../../src/ingest/redact-index.js';
import { emptyStatus } from '../../src/ingest/sync-state.js';
import { silentLogger } from '../../src/logger.js';
import { REDACT_KINDS } from '../../src/redact/kinds.js';
import { Redactor } from '../../src/redact/redactor.js';
import { runBuiltCli } from '../support/cli.js';
import { loadCorpus, NAPSTER_CORPUS, type NapsterCorpusRecord } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { generatePii, injectInto, PII_KINDS, seededRandom, type PiiValue } from '../support/pii.js';

/*
 * Sessions indexed before REDACT was set, with personal data in turns and tags, a webhook delivery
 * quoting one, a sync status quoting one and an engine task quoting one: `redact --apply` rewrites
 * all of it, a second run finds nothing to do, and an interrupted run resumes after its checkpoint.
 */

const SESSIONS = 120;
const settings = { kinds: REDACT_KINDS, patterns: [] };

let engine: TestEngine;
const values: PiiValue[] = [];

const runCli = (args: string[], env: Record<string, string>) =>
  runBuiltCli(args, { MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, ...env });

async function stored(): Promise<string> {
  const parts: unknown[] = [];
  for (const index of Object.values(engine.names)) for await (const doc of engine.client.documents(index, {})) parts.push(doc);
  for await (const task of engine.client.tasks(Object.values(engine.names))) parts.push(task);
  return JSON.stringify(parts);
}

const leaked = async () => {
  const everything = await stored();
  return values.filter((value) => everything.includes(value.value)).map((value) => value.value);
};

beforeAll(async () => {
  engine = await createTestEngine('redact_apply');
  const random = seededRandom(2024);
  const records = (await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, SESSIONS)).map((record, i) => {
    const value = generatePii(PII_KINDS[i % PII_KINDS.length]!, random);
    values.push(value);
    const items = record.conversation.items.map((item, turn) => (turn === 0 ? { ...item, text: injectInto(item.text, value, random) } : item));
    return { ...record, tags: { ...record.tags, note: `from ${value.value}` }, conversation: { items } };
  });
  // Written as a deployment without REDACT wrote them.
  const written = await intakeRecords(engine.ingest, records.map((record, i) => ({ record, origin: i })), { scope: {}, wait: true, duplicates: 'refuse' });
  expect(written.sessions).toBe(SESSIONS);
  const [first, second, third] = values;
  const { client, names } = engine;
  await client.waitForTask(
    await client.addDocuments(names.state, [
      {
        id: 'dlv_pending', kind: 'delivery', trackerId: 'trk_0000000000000001', status: 'pending', sessionIds: [records[0]!.id], clientKeys: [],
        body: JSON.stringify({ deliveryId: 'dlv_pending', tracker: { id: 'trk_0000000000000001', name: 't' }, matches: [{ text: `it is ${first!.value}`, highlight: `it is <mark>${first!.value}</mark>` }] }),
      },
    ]),
  );
  await engine.ingest.checkpoints.put({ ...emptyStatus('napster'), lastError: `vendor said: bad ${second!.value}`, skippedSessions: [{ sessionId: 'x', reason: `field note: ${second!.value}` }] });
  // A deletion keeps its filter in the task list, value and all.
  await client.waitForTask(await client.deleteDocumentsByFilter(names.sessions, `source = "${third!.value}"`));
});

afterAll(async () => {
  await engine?.drop();
});

describe('transcript-search redact', () => {
  it('refuses to run without REDACT or patterns, naming the variable (exit 78)', async () => {
    const result = await runCli(['redact', '--apply'], {});
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^REDACT: not set/);
  });

  it('without --apply only counts what it would change', async () => {
    const before = await leaked();
    expect(before.length).toBe(SESSIONS);
    const result = await runCli(['redact'], { REDACT: 'all' });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { applied: boolean; rewritten: { sessions: number }; deliveries: number; syncStatuses: number; tasksDeleted: number };
    expect(summary).toMatchObject({ applied: false, rewritten: { sessions: SESSIONS }, deliveries: 1, syncStatuses: 1 });
    expect(summary.tasksDeleted).toBeGreaterThanOrEqual(1);
    expect(await leaked()).toEqual(before);
  });

  it('--apply rewrites documents, deliveries, statuses and the task list, and a second run changes nothing', async () => {
    const result = await runCli(['redact', '--apply'], { REDACT: 'all' });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { applied: boolean; checked: number; rewritten: { sessions: number; turns: number }; redactions: Record<string, number> };
    expect(summary).toMatchObject({ applied: true, checked: SESSIONS, rewritten: { sessions: SESSIONS } });
    for (const kind of PII_KINDS) expect(summary.redactions[kind], kind).toBeGreaterThanOrEqual(values.filter((value) => value.kind === kind).length);
    expect(await leaked()).toEqual([]);
    const { hits } = await engine.client.search<{ text: string }>(engine.names.turns, { q: '[CARD]', page: 1, hitsPerPage: 5 });
    expect(hits.length).toBeGreaterThan(0);

    const again = await rewriteIndexes({ ...ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, redactor: new Redactor(settings) }) }, settings, { apply: true });
    expect(again).toMatchObject({ checked: SESSIONS, rewritten: { sessions: 0, turns: 0 }, redactions: {}, deliveries: 0, syncStatuses: 0, tasksDeleted: 0 });
  });

  it('resumes an interrupted run after the last session it checkpointed', async () => {
    const ids: string[] = [];
    for await (const doc of engine.client.documents<{ sessionId: string }>(engine.names.sessions, { fields: ['sessionId'] })) ids.push(doc.sessionId);
    ids.sort();
    const lastSessionId = ids[49]!;
    await engine.client.waitForTask(
      await engine.client.addDocuments(engine.names.state, [{ id: 'redaction-rewrite', kind: 'redaction', rules: rulesDigest(settings), lastSessionId, finishedAt: null }]),
    );
    const progress: number[] = [];
    const deps = ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, redactor: new Redactor(settings) });
    const resumed = await rewriteIndexes(deps, settings, { apply: true, onProgress: (p) => progress.push(p.checked) });
    expect(resumed).toMatchObject({ resumedAfter: lastSessionId, checked: SESSIONS });
    expect(progress).toEqual([SESSIONS]);
    // Other rules start again from the first session.
    const emailOnly = { kinds: ['email' as const], patterns: [] };
    const fresh = await rewriteIndexes({ ...deps, redactor: new Redactor(emailOnly) }, emailOnly, { apply: true });
    expect(fresh.resumedAfter).toBeNull();
  });
});
