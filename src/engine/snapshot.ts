import { chmodSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, EngineError } from '../errors.js';
import type { EngineClient } from './client.js';
import { embeddedSnapshotFile } from './embedded.js';

/** The engine as the operator configured it: its client holds the key given (see runtime.ts). */
type SnapshotTarget = { client: EngineClient; url: string; isMaster: boolean; embedded?: { dataDir: string } };

/**
 * `transcript-search snapshot`: asks the engine for a snapshot of its whole database (every index,
 * the sync checkpoints in `sync_state`, API keys, tasks) and waits until it is written. The engine
 * writes it, on its own disk; restoring is starting Meilisearch with `--import-snapshot` (README).
 */
export type SnapshotResult = { taskUid: number; status: string; durationMs: number; file: string | null; where: string };

/** A large database takes a while to copy; the engine finishes the snapshot even if we stop waiting. */
const SNAPSHOT_TIMEOUT_MS = 6 * 3_600_000;

export async function createSnapshot(connection: SnapshotTarget): Promise<SnapshotResult> {
  const started = Date.now();
  let taskUid: number;
  try {
    taskUid = await connection.client.createSnapshot();
  } catch (error) {
    if (error instanceof EngineError && ['invalid_api_key', 'missing_authorization_header'].includes(error.engineCode ?? '')) {
      throw new ConfigError(
        `A snapshot needs the engine's master key (MEILI_MASTER_KEY) or a key allowed snapshots.create; the engine at ${connection.url} refused ${connection.isMaster ? 'MEILI_MASTER_KEY' : 'MEILI_API_KEY'} (${error.message})`,
      );
    }
    throw error;
  }
  const task = await connection.client.waitForTask(taskUid, { timeoutMs: SNAPSHOT_TIMEOUT_MS });
  const file = connection.embedded ? embeddedSnapshotFile(connection.embedded.dataDir) : null;
  if (file) {
    // The engine writes the snapshot readable by everyone (0444, in a 0755 directory when it started
    // under an older version); it holds every transcript and key.
    chmodSync(path.dirname(file), 0o700);
    chmodSync(file, 0o600);
  }
  return {
    taskUid,
    status: task.status,
    durationMs: Date.now() - started,
    file,
    where: file
      ? `${file} (the next snapshot replaces it: copy it elsewhere to keep it)`
      : `on the engine's machine, as data.ms.snapshot in its --snapshot-dir (default ./snapshots where it runs; /meili_data/snapshots in the official Docker image)`,
  };
}
