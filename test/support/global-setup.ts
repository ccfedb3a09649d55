import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedEngine } from '../../src/engine/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    engineUrl: string;
    engineKey: string;
  }
}

/**
 * One real Meilisearch for the whole run, on a free loopback port with a temporary database. Test
 * files isolate themselves with their own index prefix.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-test-'));
  const engine = await startEmbeddedEngine({ dataDir });
  project.provide('engineUrl', engine.url);
  project.provide('engineKey', engine.masterKey);
  return async () => {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
