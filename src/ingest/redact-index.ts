import { createHash } from 'node:crypto';
import { documentKey, exactKey, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { keyedAnyOf } from '../engine/filter.js';
import { errorMessage } from '../errors.js';
import { addCounts, type RedactionCounts } from '../redact/kinds.js';
import type { Redactor, RedactSettings } from '../redact/redactor.js';
import { SOURCE_NAMES } from '../sources/registry.js';
import type { IngestDeps } from './deps.js';

/*
 * `transcript-search redact --apply`: what the engine already holds, rewritten under the current
 * rules, so turning REDACT on (or adding a pattern) does not need the vendors to still have the
 * sessions. Sessions are taken in the order of their ids, 500 at a time; after each batch is indexed a
 * checkpoint in the state index names the last one, so an interrupted run resumes after it (as long as
 * the rules are the same). Only documents that change are written, and a second run changes nothing.
 *
 * Beyond the documents: the text of webhook deliveries not yet delivered or given up on (their bodies
 * quote turns), the sync statuses' errors and skip reasons, and the engine's task list, where a
 * finished task may still quote what it was given or failed on: tasks of these indexes in which the
 * rules find something are deleted. Without `apply`, nothing is written: the counts say what would be.
 */

export type RewriteProgress = { checked: number; of: number; rewritten: { sessions: number; turns: number }; redactions: RedactionCounts };

export type RewriteResult = RewriteProgress & {
  applied: boolean;
  /** The session id the run resumed after, when an earlier run under the same rules was interrupted. */
  resumedAfter: string | null;
  deliveries: number;
  syncStatuses: number;
  tasksDeleted: number;
};

type Checkpoint = { id: 'redaction-rewrite'; kind: 'redaction'; rules: string; lastSessionId: string | null; finishedAt: string | null };

const CHUNK = 500;
const CHECKPOINT_ID = 'redaction-rewrite';

/** Which rules a checkpoint was made under: a run under other rules starts again from the first session. */
export function rulesDigest(settings: RedactSettings): string {
  const rules = { kinds: [...settings.kinds].sort(), patterns: settings.patterns.map((p) => [p.name, p.pattern.source, p.placeholder]) };
  return createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 32);
}

type StoredTurn = Pick<TurnDocument, 'id' | 'sessionId' | 'text' | 'tags' | 'tagKeys'>;
type StoredSession = Pick<SessionDocument, 'id' | 'sessionId' | 'tags' | 'tagKeys' | 'preview' | 'userText' | 'agentText'>;

/** `key:value` tags with their values redacted, and their exact keys to match. */
function redactTags(redactor: Redactor, tags: readonly string[], counts: RedactionCounts): { tags: string[]; tagKeys: string[] } | undefined {
  let changed = false;
  const redacted = tags.map((tag) => {
    const colon = tag.indexOf(':');
    if (colon === -1) return tag;
    const value = redactor.redact(tag.slice(colon + 1), counts);
    if (value === tag.slice(colon + 1)) return tag;
    changed = true;
    return `${tag.slice(0, colon)}:${value}`;
  });
  return changed ? { tags: redacted, tagKeys: redacted.map(exactKey) } : undefined;
}

export async function rewriteIndexes(
  deps: Pick<IngestDeps, 'engine' | 'names' | 'redactor' | 'checkpoints' | 'log'>,
  settings: RedactSettings,
  options: { apply: boolean; onProgress?: (progress: RewriteProgress) => void },
): Promise<RewriteResult> {
  const { engine, names, redactor } = deps;
  const rules = rulesDigest(settings);
  const previous = await engine.getDocument<Checkpoint>(names.state, CHECKPOINT_ID);
  const resumedAfter = options.apply && previous?.rules === rules && previous.finishedAt === null ? previous.lastSessionId : null;

  const ids: string[] = [];
  for await (const doc of engine.documents<{ sessionId: string }>(names.sessions, { fields: ['sessionId'] })) ids.push(doc.sessionId);
  ids.sort();
  const todo = resumedAfter === null ? ids : ids.filter((id) => id > resumedAfter);
  const progress: RewriteProgress = { checked: ids.length - todo.length, of: ids.length, rewritten: { sessions: 0, turns: 0 }, redactions: {} };
  const saveCheckpoint = async (lastSessionId: string | null, finishedAt: string | null) => {
    const checkpoint: Checkpoint = { id: CHECKPOINT_ID, kind: 'redaction', rules, lastSessionId, finishedAt };
    await engine.waitForTask(await engine.addDocuments(names.state, [checkpoint]));
  };
  if (options.apply) await saveCheckpoint(resumedAfter, null);

  for (let i = 0; i < todo.length; i += CHUNK) {
    const chunk = todo.slice(i, i + CHUNK);
    const wanted = new Set(chunk);
    const counts: RedactionCounts = {};
    const turnUpdates: object[] = [];
    const sessionUpdates: object[] = [];
    const changedSessions = new Set<string>();
    for await (const turn of engine.documents<StoredTurn>(names.turns, { filter: keyedAnyOf('sessionId', chunk), fields: ['id', 'sessionId', 'text', 'tags', 'tagKeys'] })) {
      if (!wanted.has(turn.sessionId)) continue;
      const text = redactor.redact(turn.text, counts);
      const tags = redactTags(redactor, turn.tags, counts);
      if (text === turn.text && !tags) continue;
      turnUpdates.push({ id: turn.id, text, ...tags });
      changedSessions.add(turn.sessionId);
    }
    const { results } = await engine.fetchDocuments<StoredSession>(names.sessions, {
      ids: chunk.map(documentKey),
      fields: ['id', 'sessionId', 'tags', 'tagKeys', 'preview', 'userText', 'agentText'],
      limit: chunk.length,
    });
    for (const session of results) {
      if (!wanted.has(session.sessionId)) continue;
      // The preview and the text arrays are the turns again: their redactions are counted there, not twice.
      const preview = redactor.redact(session.preview);
      const userText = (session.userText ?? []).map((text) => redactor.redact(text));
      const agentText = (session.agentText ?? []).map((text) => redactor.redact(text));
      const textChanged = userText.some((text, i) => text !== session.userText[i]) || agentText.some((text, i) => text !== session.agentText[i]);
      const tags = redactTags(redactor, session.tags, {});
      if (preview === session.preview && !tags && !textChanged && !changedSessions.has(session.sessionId)) continue;
      sessionUpdates.push({ id: session.id, preview, ...(textChanged ? { userText, agentText } : {}), ...tags });
      changedSessions.add(session.sessionId);
    }
    if (options.apply && (turnUpdates.length > 0 || sessionUpdates.length > 0)) {
      const tasks = [];
      if (turnUpdates.length > 0) tasks.push(await engine.updateDocuments(names.turns, turnUpdates));
      if (sessionUpdates.length > 0) tasks.push(await engine.updateDocuments(names.sessions, sessionUpdates));
      await engine.waitForTasks(tasks);
    }
    if (options.apply) await saveCheckpoint(chunk.at(-1)!, null);
    progress.checked += chunk.length;
    progress.rewritten.sessions += changedSessions.size;
    progress.rewritten.turns += turnUpdates.length;
    addCounts(progress.redactions, counts);
    options.onProgress?.(progress);
  }

  const deliveries = await rewriteDeliveries(deps, options.apply);
  const syncStatuses = await rewriteSyncStatuses(deps, options.apply);
  const tasksDeleted = await deleteTasksQuoting(deps, options.apply);
  if (options.apply) await saveCheckpoint(ids.at(-1) ?? null, new Date().toISOString());
  return { ...progress, applied: options.apply, resumedAfter, deliveries, syncStatuses, tasksDeleted };
}

type Delivery = { id: string; body: string | null };
type DeliveryBody = { matches?: Array<{ text?: string; highlight?: string }> };

/** Webhook bodies still kept (pending or given up on) quote the turns they report: redacted like them. */
async function rewriteDeliveries(deps: Pick<IngestDeps, 'engine' | 'names' | 'redactor'>, apply: boolean): Promise<number> {
  const { engine, names, redactor } = deps;
  const updates: Delivery[] = [];
  for await (const delivery of engine.documents<Delivery>(names.state, { filter: 'kind = "delivery"', fields: ['id', 'body'] })) {
    if (delivery.body === null) continue;
    const body = JSON.parse(delivery.body) as DeliveryBody;
    let changed = false;
    for (const match of body.matches ?? []) {
      for (const field of ['text', 'highlight'] as const) {
        const value = match[field];
        if (value === undefined) continue;
        const redacted = redactor.redact(value);
        if (redacted !== value) {
          match[field] = redacted;
          changed = true;
        }
      }
    }
    if (changed) updates.push({ id: delivery.id, body: JSON.stringify(body) });
  }
  if (apply && updates.length > 0) await engine.waitForTask(await engine.updateDocuments(names.state, updates));
  return updates.length;
}

/** The sync statuses keep the last error and skip reasons, which may quote a vendor's answer. */
async function rewriteSyncStatuses(deps: Pick<IngestDeps, 'redactor' | 'checkpoints'>, apply: boolean): Promise<number> {
  let rewritten = 0;
  for (const source of SOURCE_NAMES) {
    const status = await deps.checkpoints.get(source);
    if (!status) continue;
    const lastError = status.lastError === null ? null : deps.redactor.redact(status.lastError);
    const skippedSessions = status.skippedSessions.map((skipped) => ({ ...skipped, reason: deps.redactor.redact(skipped.reason) }));
    if (lastError === status.lastError && skippedSessions.every((skipped, i) => skipped.reason === status.skippedSessions[i]!.reason)) continue;
    rewritten++;
    if (apply) await deps.checkpoints.put({ ...status, lastError, skippedSessions });
  }
  return rewritten;
}

/** Finished tasks of these indexes whose details or error hold something the rules redact. */
async function deleteTasksQuoting(deps: Pick<IngestDeps, 'engine' | 'names' | 'redactor' | 'log'>, apply: boolean): Promise<number> {
  const { engine, names, redactor } = deps;
  const quoting: number[] = [];
  for await (const task of engine.tasks([names.turns, names.sessions, names.state], { statuses: ['succeeded', 'failed', 'canceled'] })) {
    if (redactor.detect(JSON.stringify([task.details ?? null, task.error ?? null])).length > 0) quoting.push(task.uid);
  }
  if (apply && quoting.length > 0) {
    try {
      await engine.deleteTasks(quoting);
    } catch (error) {
      deps.log.warn('could not remove tasks quoting redacted values from the engine task list', { error: errorMessage(error) });
      return 0;
    }
  }
  return quoting.length;
}
