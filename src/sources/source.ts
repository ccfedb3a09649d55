import type { z } from 'zod';
import type { Session } from '../model.js';
import type { SourceName } from '../config.js';
import type { SourceHttpStats } from './http.js';

/**
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

export type SessionSource = {
  readonly name: SourceName;
  list(): AsyncIterable<ListedSession | ListingProblem>;
  /** Loads one session by id, for revisiting sessions that were still in progress. */
  loadById(sessionId: string): Promise<Session | undefined>;
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
