import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Env } from '../../src/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every environment variable the config schema reads, and no other', () => {
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## CLI'));
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(Env.shape).sort());
  });

  it('starts its Quick start with the demo and then the test command', () => {
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const commands = [...quickStart.matchAll(/^(npm [^#\n]+?)\s+#/gm)].map((match) => match[1]);
    expect(commands.slice(0, 2)).toEqual(['npm ci && npx transcript-search demo', 'npm test']);
  });
});
