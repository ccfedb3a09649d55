import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The source tree's layers point one way, and no import (type-only ones included) forms a cycle:
 *
 *   base (model, errors, logger, query parameters, env values)
 *     ← engine (the one door to Meilisearch), redact (what is taken out of text before it is stored)
 *     ← sources (vendor APIs, one folder each)
 *     ← ingest, search (writing and reading; neither uses the other)
 *     ← trackers (saved searches run on what ingest wrote)
 *     ← metrics, config, http (the API)
 *     ← runtime, serve, cli, demo, main (wiring)
 *
 * A module may import its own layer and those below it, never one above. HTTP route files are
 * mounted by app.ts and never import it.
 */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

const LAYERS: Array<[layer: number, test: (file: string) => boolean]> = [
  [0, (file) => ['model.ts', 'errors.ts', 'logger.ts', 'query-params.ts', 'env-values.ts'].includes(file)],
  [1, (file) => file.startsWith('engine/') || file.startsWith('redact/')],
  [2, (file) => file.startsWith('sources/')],
  [3, (file) => file.startsWith('ingest/')],
  [3, (file) => file.startsWith('search/')],
  [4, (file) => file.startsWith('trackers/')],
  [5, (file) => ['metrics.ts', 'config.ts'].includes(file) || file.startsWith('http/')],
  [6, (file) => ['runtime.ts', 'serve.ts', 'main.ts'].includes(file) || file.startsWith('cli/') || file.startsWith('demo/')],
];

function layerOf(file: string): number {
  const found = LAYERS.find(([, test]) => test(file));
  if (!found) throw new Error(`${file} belongs to no layer: add it to LAYERS`);
  return found[0];
}

/** Module → the modules under src it imports (relative imports, type-only ones included). */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  return new Map(
    files.map((file) => {
      const source = readFileSync(path.join(SRC, file), 'utf8');
      const imports = [...source.matchAll(/from '(\.[^']+)\.js'/g)].map((match) => path.relative(SRC, path.resolve(SRC, path.dirname(file), `${match[1]}.ts`)));
      return [file, imports];
    }),
  );
}

function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...trail.slice(trail.indexOf(next)), file, next].join(' → '));
      else if (!state.has(next)) visit(next, [...trail, file]);
    }
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, []);
  return found;
}

describe('imports under src', () => {
  const graph = importGraph();

  it('form no cycle', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(cycles(graph)).toEqual([]);
  });

  it('never reach a higher layer', () => {
    const upward = [...graph].flatMap(([file, imports]) => imports.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${file} → ${target}`));
    expect(upward).toEqual([]);
  });

  it('keep ingest and search apart, and app.ts out of the routes', () => {
    const crossing = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((target) => (file.startsWith('ingest/') && target.startsWith('search/')) || (file.startsWith('search/') && target.startsWith('ingest/')) || (file.startsWith('http/') && target === 'http/app.ts'))
        .map((target) => `${file} → ${target}`),
    );
    expect(crossing).toEqual([]);
  });
});
