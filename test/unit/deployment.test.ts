import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so what production relies
 * on is checked by reading them: the official engine image in production mode with a master key from
 * the environment, a volume and a health check; the service built from the Dockerfile, started once
 * the engine is healthy, health-checked and not running as root.
 */
const root = new URL('../../', import.meta.url);

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  user?: string;
};

const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

function environment(service: Service): Record<string, string> {
  expect(service.environment).toBeTypeOf('object');
  return service.environment!;
}

const [engineName, engine] = Object.entries(compose.services).find(([, service]) => service.image?.startsWith('getmeili/meilisearch'))!;
const [, app] = Object.entries(compose.services).find(([, service]) => service.build !== undefined)!;

/** The last stage of the Dockerfile the service is built from: what runs in production. */
function finalStage(): string {
  const build = typeof app.build === 'string' ? { context: app.build } : app.build!;
  const file = new URL(`${build.context ?? '.'}/${build.dockerfile ?? 'Dockerfile'}`, root);
  expect(existsSync(file)).toBe(true);
  const stages = readFileSync(file, 'utf8').split(/^FROM /m);
  expect(stages.length).toBeGreaterThan(2); // multi-stage: build tools stay out of the image
  return stages.at(-1)!;
}

describe('docker-compose.yml: the engine', () => {
  it('runs the official Meilisearch 1.21 image in production mode', () => {
    expect(engine.image).toBe('getmeili/meilisearch:v1.21');
    expect(environment(engine).MEILI_ENV).toBe('production');
  });

  it('takes its master key from the environment, required', () => {
    expect(environment(engine).MEILI_MASTER_KEY).toMatch(/^\$\{MEILI_MASTER_KEY:\?.+\}$/);
  });

  it('keeps its database on a named volume at the image’s data path', () => {
    const volume = engine.volumes?.find((entry) => entry.endsWith(':/meili_data'));
    expect(volume).toBeDefined();
    expect(compose.volumes).toHaveProperty(volume!.split(':')[0]!);
  });

  it('has a health check on /health', () => {
    expect(JSON.stringify(engine.healthcheck?.test)).toContain(':7700/health');
  });
});

describe('docker-compose.yml: the service', () => {
  it('is built from the Dockerfile and waits for the engine to be healthy', () => {
    finalStage();
    expect(app.depends_on?.[engineName]).toEqual({ condition: 'service_healthy' });
  });

  it('talks to the engine service with the same master key', () => {
    const env = environment(app);
    expect(env.MEILI_URL).toBe(`http://${engineName}:7700`);
    expect(env.MEILI_MASTER_KEY).toMatch(/^\$\{MEILI_MASTER_KEY[:}]/);
  });

  it('listens beyond loopback only with API keys', () => {
    const env = environment(app);
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.API_KEYS_FILE).toBeTruthy();
  });

  it('has a health check (its own, or the Dockerfile’s) on /health', () => {
    const check = app.healthcheck ? JSON.stringify(app.healthcheck.test) : /^HEALTHCHECK .*$/ms.exec(finalStage())?.[0];
    expect(check).toContain('/health');
  });

  it('does not run as root', () => {
    const user = app.user ?? /^USER (\S+)/m.exec(finalStage())?.[1];
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('holds the files the service reads at run time beside dist/', () => {
    const stage = finalStage();
    expect(stage).toMatch(/^COPY (--from=build \/app\/)?public \.?\/?public\/?$/m);
    expect(stage).toMatch(/^COPY package\.json /m);
    expect(stage).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
  });

  it('runs node as the main process, so SIGTERM reaches the graceful shutdown', () => {
    // The entry script's shebang execs node through `env` (which replaces itself), with its flags.
    expect(finalStage()).toMatch(/^ENTRYPOINT \["\.\/dist\/main\.js"\]$/m);
    expect(readFileSync(new URL('../../src/main.ts', import.meta.url), 'utf8')).toMatch(/^#!\/usr\/bin\/env -S node /);
  });
});
