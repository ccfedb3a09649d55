import { z } from 'zod';

/**
 * The vendor-neutral session every source is mapped to (CONTRACT.md §5). Times are Unix seconds, which
 * is what the engine filters and sorts on; the HTTP layer turns them into ISO-8601 for callers.
 */
export const Role = z.enum(['user', 'agent']);
export type Role = z.infer<typeof Role>;

/**
 * The source a session came from, by its name. The model names no vendor: which sources exist is the
 * registry's (src/sources/registry.ts), which depends on the model, never the other way round.
 */
export const SourceKind = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected a source name: a lowercase word');
export type SourceKind = z.infer<typeof SourceKind>;

/** 9999-12-31T23:59:59Z: every time the service stores can be shown as an ISO-8601 date. */
export const MAX_UNIX_SECONDS = 253_402_300_799;

const unixSeconds = z.number().finite().nonnegative().max(MAX_UNIX_SECONDS);

export const Turn = z.object({
  turnIndex: z.number().int().nonnegative(),
  role: Role,
  text: z.string(),
  timestamp: unixSeconds.nullable(),
  offsetSeconds: z.number().finite().nullable(),
});
export type Turn = z.infer<typeof Turn>;

export const Usage = z.object({
  llmInputTokens: z.number().nonnegative().nullable(),
  llmOutputTokens: z.number().nonnegative().nullable(),
  sttAudioSeconds: z.number().nonnegative().nullable(),
  ttsCharacters: z.number().nonnegative().nullable(),
  costUsd: z.number().nonnegative().nullable(),
  interruptionCount: z.number().nonnegative().nullable(),
});
export type Usage = z.infer<typeof Usage>;

export const Session = z.object({
  sessionId: z.string().min(1).max(512),
  source: SourceKind,
  companionId: z.string().nullable(),
  externalClientId: z.string().nullable(),
  tenantId: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  createdAt: unixSeconds,
  startedAt: unixSeconds.nullable(),
  closedAt: unixSeconds.nullable(),
  durationSeconds: z.number().nonnegative().nullable(),
  /** Napster's session configuration: the tools, knowledge base and FAQs the session had. */
  functions: z.array(z.string()),
  knowledgeBaseId: z.string().nullable(),
  faqIds: z.array(z.string()),
  usage: Usage,
  /** The vendor keeps a recording of the call (fetched fresh when played: its links expire). */
  hasRecording: z.boolean(),
  /** A recording link a browser may open: http(s) only, never `s3://` or `javascript:`. */
  recordingUrl: z.string().nullable(),
  turns: z.array(Turn),
});
export type Session = z.infer<typeof Session>;

export const emptyUsage: Usage = {
  llmInputTokens: null,
  llmOutputTokens: null,
  sttAudioSeconds: null,
  ttsCharacters: null,
  costUsd: null,
  interruptionCount: null,
};

/** Only http(s) URLs may become links in a page; anything else (s3://, javascript:, data:) is dropped. */
export function httpUrlOrNull(value: string | null | undefined): string | null {
  if (!value || !URL.canParse(value)) return null;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:' ? value : null;
}

/**
 * What a caller may see: sessions of these companions, tenants and external clients; undefined means
 * any. Kinds combine with AND, the ids of one kind with OR. Ids compare exactly, as the vendors treat
 * them (a different case is a different id).
 */
export type Scope = { companions?: readonly string[]; tenants?: readonly string[]; externalClients?: readonly string[] };

export type ScopeOwner = { companionId: string | null; tenantId: string | null; externalClientId: string | null };

/** The check made in code on every document before it is returned, written or deleted. */
export function inScope(owner: ScopeOwner, scope: Scope): boolean {
  const allowed = (list: readonly string[] | undefined, id: string | null) => list === undefined || (id !== null && list.includes(id));
  return allowed(scope.companions, owner.companionId) && allowed(scope.tenants, owner.tenantId) && allowed(scope.externalClients, owner.externalClientId);
}

/** Only the scope of something that carries one (a caller), for storing: no other field rides along. */
export function scopeOf(holder: Scope): Scope {
  const scope: { -readonly [K in keyof Scope]: Scope[K] } = {};
  if (holder.companions) scope.companions = [...holder.companions];
  if (holder.tenants) scope.tenants = [...holder.tenants];
  if (holder.externalClients) scope.externalClients = [...holder.externalClients];
  return scope;
}

export function isScoped(scope: Scope): boolean {
  return scope.companions !== undefined || scope.tenants !== undefined || scope.externalClients !== undefined;
}

/** What both scopes allow: per kind, the ids in both lists (or the one list given). */
export function scopeIntersection(a: Scope, b: Scope): Scope {
  const both = (x: readonly string[] | undefined, y: readonly string[] | undefined) => (x && y ? x.filter((id) => y.includes(id)) : (x ?? y));
  return scopeOf({ companions: both(a.companions, b.companions), tenants: both(a.tenants, b.tenants), externalClients: both(a.externalClients, b.externalClients) });
}

/** Whether everything `inner` allows, `outer` allows too: per kind `outer` restricts, `inner` restricts to a subset. */
export function scopeWithin(inner: Scope, outer: Scope): boolean {
  const within = (i: readonly string[] | undefined, o: readonly string[] | undefined) => o === undefined || (i !== undefined && i.every((id) => o.includes(id)));
  return within(inner.companions, outer.companions) && within(inner.tenants, outer.tenants) && within(inner.externalClients, outer.externalClients);
}
