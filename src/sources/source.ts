import type { z } from 'zod';
import type { Session } from '../model.js';
import type { SourceHttpStats } from './http.js';

/*
 * What the sync pipeline needs from a vendor: a listing (newest first, as vendors page) whose entries
 * can each be loaded into a canonical session. Napster's listing carries no transcript, so loading
 * fetches the detail; the agents listing carries it inline, so loading only validates and maps.
 */

export type ListedSession = {
  sessionId: string;
  createdAt: number;
  inProgress: boolean;
  /** Undefined when the session vanished upstream between listing and loading. */
  load(): Promise<Session | undefined>;
};

/** One listing entry that failed validation: reported and skipped, the rest of the run goes on. */
export type ListingProblem = { problem: string; sessionId?: string };

/**
 * What the vendor says it holds, over everything it would list: the number of sessions and, where the
 * vendor reports them, usage sums. Sync compares these with what the index holds.
 */
export type UpstreamTotals = {
  sessions: number;
  llmInputTokens?: number;
  llmOutputTokens?: number;
  sttAudioSeconds?: number;
  ttsCharacters?: number;
  costUsd?: number;
};

export type ListOptions = {
  /**
   * Unix seconds: only sessions created at or after this are wanted. Sources whose API filters by
   * creation time pass it on; the others list everything and the pipeline stops reading on its own.
   */
  since?: number;
};

export type SessionSource = {
  /** Its descriptor's name (registry.ts). */
  readonly name: string;
  list(options?: ListOptions): AsyncIterable<ListedSession | ListingProblem>;
  /** Loads one session by id: revisits open sessions, and confirms a session is gone before deletion. */
  loadById(sessionId: string): Promise<Session | undefined>;
  /** Undefined when the vendor reports no totals. */
  totals(): Promise<UpstreamTotals | undefined>;
  /**
   * A freshly signed, playable URL of the session's recording (presigned URLs expire, so they are
   * fetched when wanted, never stored); undefined when the vendor has none for it. Absent on sources
   * whose vendor keeps no recordings.
   */
  recordingUrl?(sessionId: string): Promise<string | undefined>;
  readonly stats: SourceHttpStats;
  close(): Promise<void>;
};

/** A record the vendor sent that does not match its schema; the message names the fields. */
export class InvalidRecordError extends Error {
  override name = 'InvalidRecordError';
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
