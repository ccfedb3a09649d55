import { randomUUID } from 'node:crypto';
import { startNapsterUpstream, type NapsterRecord } from '../../src/demo/napster-upstream.js';
import type { SourceFactory } from '../../src/ingest/sync-controller.js';
import type { SourceName } from '../../src/sources/registry.js';
import { startAgentsUpstream, type AgentRecord } from './agents-upstream.js';
import { AGENTS_CORPUS, containsPhrase, loadCorpus, NAPSTER_CORPUS } from './corpus.js';
import { agentsFactory, napsterFactory } from './sync.js';
import { agentTranscripts, napsterTranscripts, type Transcripts } from './transcripts.js';

/**
 * Either vendor fake behind one interface, so a scenario (sessions revealed, open sessions closing,
 * sessions arriving mid-listing, deletions) is written once and run against both sources. Derived
 * sessions reuse corpus text read at run time under new ids and creation times.
 */
export type Upstream = {
  source: SourceName;
  factory: SourceFactory;
  /** Sessions per list page the source client asks for. */
  pageSize: number;
  /** The variables that point a CLI process at this fake. */
  env: Record<string, string>;
  /** What the fake serves now, as transcripts: the truth an index must equal. */
  transcripts(): Transcripts;
  /** Served session ids, newest first. */
  ids(): string[];
  openIds(): string[];
  newestCreatedAt(): number;
  /** Serves the sessions held back at the start; returns how many. */
  revealWithheld(): number;
  /** New sessions copying the transcripts of served ones, created at the given Unix seconds. */
  derive(createdAt: number[]): void;
  remove(ids: string[]): void;
  /** Closes an open session, adding a last agent turn. */
  closeWithFinalTurn(id: string, text: string): void;
  /** Called before each list page is answered, with its 1-based number. */
  onListPage(hook: ((page: number) => void | Promise<void>) | undefined): void;
  close(): Promise<void>;
};

/**
 * Serves the withheld sessions and returns their turns that say `phrase`, as `sessionId#turnIndex`:
 * what a tracker of the phrase must send once they are synced.
 */
export function revealWithheldSaying(upstream: Upstream, phrase: string): Set<string> {
  const before = new Set(upstream.ids());
  upstream.revealWithheld();
  const revealed = upstream.ids().filter((sessionId) => !before.has(sessionId));
  return new Set(
    revealed.flatMap((sessionId) =>
      upstream.transcripts()[sessionId]!.flatMap((line, turnIndex) => (containsPhrase(line.slice(line.indexOf(': ') + 2), phrase) ? [`${sessionId}#${turnIndex}`] : [])),
    ),
  );
}

type AgentSession = AgentRecord & { session_id: string; created_at: string; finalized_at: string | null; transcript: Array<{ ts: number }> };
type NapsterSession = NapsterRecord & { closedAt: number | null; conversation: { items: Array<{ timestamp: number }> } };

/** The first `limit` corpus sessions (default all), the `withhold` newest of them held back until revealed. */
export async function agentsUpstream(options: { limit?: number; withhold?: number } = {}): Promise<Upstream> {
  const corpus = await loadCorpus<AgentSession>(AGENTS_CORPUS, options.limit);
  corpus.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  const withheld = corpus.slice(0, options.withhold ?? 0);
  const fake = await startAgentsUpstream({ records: corpus.slice(withheld.length) });
  const served = () => fake.records() as AgentSession[];
  const byId = (id: string) => served().find((record) => record.session_id === id)!;
  return {
    source: 'agents',
    factory: agentsFactory(fake),
    env: { AGENTS_API_KEY: fake.apiKey, AGENTS_BASE_URL: fake.url, AGENTS_LIST_PATH: fake.listPath, AGENTS_DETAIL_PATH: fake.detailPath },
    pageSize: 200,
    transcripts: () => agentTranscripts(served()),
    ids: () => served().map((record) => record.session_id),
    openIds: () => served().filter((record) => record.finalized_at === null).map((record) => record.session_id),
    newestCreatedAt: () => Date.parse(served()[0]!.created_at) / 1000,
    revealWithheld: () => {
      fake.upsert(withheld);
      return withheld.length;
    },
    derive: (createdAt) =>
      fake.upsert(
        createdAt.map((seconds, i) => ({ ...served()[i % served().length]!, session_id: randomUUID(), created_at: new Date(seconds * 1000).toISOString() })),
      ),
    remove: (ids) => ids.forEach((id) => fake.remove(id)),
    closeWithFinalTurn: (id, text) => {
      const record = byId(id);
      const last = record.transcript.at(-1)?.ts ?? 0;
      const transcript = [...record.transcript, { role: 'assistant', text, turn_index: record.transcript.length, ts: last + 2 }];
      const finalizedAt = new Date(Date.parse(record.created_at) + (last + 5) * 1000).toISOString();
      fake.upsert([{ ...record, transcript, turn_count: transcript.length, finalized_at: finalizedAt }]);
    },
    onListPage: (hook) => {
      // Page size 1 is the totals request at the end of a run, not part of the listing.
      fake.beforeListPage = hook && (({ page, pageSize }) => (pageSize === 1 ? undefined : hook(page)));
    },
    close: () => fake.close(),
  };
}

/** The first `limit` corpus sessions, the `withhold` newest of them held back until revealed. */
export async function napsterUpstream(options: { limit: number; withhold?: number }): Promise<Upstream> {
  const corpus = await loadCorpus<NapsterSession>(NAPSTER_CORPUS, options.limit);
  corpus.sort((a, b) => b.createdAt - a.createdAt);
  const withheld = corpus.slice(0, options.withhold ?? 0);
  const fake = await startNapsterUpstream({ records: corpus.slice(withheld.length), apiKey: 'test-napster-key' });
  const served = () => fake.records() as NapsterSession[];
  let derived = 0;
  return {
    source: 'napster',
    factory: napsterFactory(fake),
    env: { NAPSTER_API_KEY: fake.apiKey, NAPSTER_BASE_URL: fake.url },
    pageSize: 100,
    transcripts: () => napsterTranscripts(served()),
    ids: () => served().map((record) => record.id),
    openIds: () => served().filter((record) => record.closedAt === null).map((record) => record.id),
    newestCreatedAt: () => served()[0]!.createdAt,
    revealWithheld: () => {
      fake.upsert(withheld);
      return withheld.length;
    },
    derive: (createdAt) =>
      fake.upsert(
        createdAt.map((seconds, i) => {
          const template = served()[i % served().length]!;
          const shift = seconds - template.createdAt;
          const items = template.conversation.items.map((item) => ({ ...item, timestamp: item.timestamp + shift }));
          return {
            ...template,
            id: `sess_derived_${derived++}`,
            createdAt: seconds,
            startedAt: (template.startedAt as number) + shift,
            closedAt: template.closedAt === null ? null : template.closedAt + shift,
            conversation: { items },
          };
        }),
      ),
    remove: (ids) => ids.forEach((id) => fake.remove(id)),
    closeWithFinalTurn: (id, text) => {
      const record = served().find((candidate) => candidate.id === id)!;
      const last = record.conversation.items.at(-1)?.timestamp ?? record.createdAt;
      const items = [...record.conversation.items, { role: 'agent', text, timestamp: last + 2 }];
      fake.upsert([{ ...record, closedAt: last + 5, conversation: { items } }]);
    },
    onListPage: (hook) => {
      fake.beforeListPage = hook && ((pageIndex, pageSize) => (pageSize === 1 ? undefined : hook(pageIndex + 1)));
    },
    close: () => fake.close(),
  };
}
