import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The HTTP layer assembles downward: app.ts imports the routes, and nothing under src/http imports
 * app.ts or forms any other import cycle (type-only imports included), so a route file can be read,
 * tested and changed without the module that mounts it.
 */
const HTTP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/http');

/** Module → the modules under src/http it imports. */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(HTTP_DIR, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  return new Map(
    files.map((file) => {
      const source = readFileSync(path.join(HTTP_DIR, file), 'utf8');
      const imports = [...source.matchAll(/from '(\.[^']+)\.js'/g)]
        .map((match) => path.relative(HTTP_DIR, path.resolve(HTTP_DIR, path.dirname(file), `${match[1]}.ts`)))
        .filter((target) => !target.startsWith('..'));
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

describe('imports under src/http', () => {
  const graph = importGraph();

  it('reach app.ts from nowhere', () => {
    expect(graph.size).toBeGreaterThan(20);
    expect([...graph].filter(([, imports]) => imports.includes('app.ts')).map(([file]) => file)).toEqual([]);
  });

  it('form no cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });
});
