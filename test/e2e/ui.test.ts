import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoSessions } from '../../src/demo/synthetic.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createAgentsSource } from '../../src/sources/agents/client.js';
import type { SessionSource } from '../../src/sources/source.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * The search page in a real browser (Debian's Chromium, installed by .ci/run) against the demo data,
 * served by the real app over HTTP.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test/artifacts');

let engine: TestEngine;
let agentsApi: AgentsUpstream;
let agentsVendor: SessionSource;
let recorded: Array<{ session_id: string; transcript: Array<{ ts: number }> }>;
let server: ServerType;
let baseUrl: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  engine = await createTestEngine('ui');
  // Agent sessions with recordings, served by a fake of their vendor that signs expiring audio links.
  recorded = (await loadCorpus<AgentRecord & { session_id: string; transcript: Array<{ ts: number }> }>(AGENTS_CORPUS, 30)).filter((r) => r.transcript.length >= 3);
  agentsApi = await startAgentsUpstream({ records: recorded });
  agentsVendor = createAgentsSource({ apiKey: agentsApi.apiKey, baseUrl: agentsApi.url, listPath: agentsApi.listPath, detailPath: agentsApi.detailPath, rps: 100, concurrency: 2 });
  const sessions = [...generateDemoSessions(400), ...recorded].map(parseVendorSession);
  await writeSessions(engine.ingest, sessions, { wait: true });
  const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, vendors: { agents: agentsVendor } });
  server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(instance));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => {
    throw error;
  });
});

afterAll(async () => {
  await browser?.close();
  await agentsVendor?.close();
  await agentsApi?.close();
  await new Promise((resolve) => server?.close(resolve));
  await engine?.drop();
});

describe('search page', () => {
  it('finds a phrase as you type and shows highlighted hits with context', async () => {
    await page.goto(baseUrl);
    await page.getByLabel('Search what users and agents said').fill('"book a table"');
    // Typing is debounced: wait until the search for the phrase has replaced the initial listing.
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('"book a table"');
    const marks = page.locator('#hits mark');
    await expect.poll(() => marks.count()).toBeGreaterThan(0);
    expect(await page.locator('#status').textContent()).toMatch(/^\d[\d,]* turns? found$/);
    expect((await marks.first().textContent())!.toLowerCase()).toContain('book');
    expect(await page.locator('#hits .turn.context').count()).toBeGreaterThan(0);
    expect(new URL(page.url()).searchParams.get('q')).toBe('"book a table"');
  });

  it('narrows by a facet value and keeps it in the URL', async () => {
    const companion = page.locator('fieldset[data-facet="companionId"] label').first();
    const name = (await companion.locator('span').first().textContent())!;
    const count = Number((await companion.locator('.count').textContent())!.replace(/\D/g, ''));
    await companion.locator('input').check();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('companionId')).toEqual([name]);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(new RegExp(`^${count.toLocaleString('en-US')} turns? found`));
    await expect.poll(() => page.locator('fieldset[data-facet="companionId"] input:checked').count()).toBe(1);
    const companions = await page.locator('#hits .hit .meta span:first-child').allTextContents();
    expect(new Set(companions)).toEqual(new Set([name]));
  });

  it('opens the session with the hit turn highlighted and in view', async () => {
    const hitText = (await page.locator('#hits .hit').first().locator('.turn:not(.context)').textContent())!;
    await page.locator('#hits .hit').first().getByRole('button', { name: 'Open session' }).click();
    const dialog = page.locator('dialog#session');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const target = dialog.locator('li.target');
    await expect.poll(() => target.count()).toBe(1);
    expect(hitText).toContain((await target.locator('span').last().textContent())!);
    expect(await target.isVisible()).toBe(true);
    const box = await target.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(900);
    expect(await dialog.locator('li time').first().textContent()).toMatch(/^\d+:\d{2}$/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-session.png') });
    expect(new URL(page.url()).searchParams.get('session')).toBeTruthy();
  });

  it('restores the same search from a shared link', async () => {
    const shared = page.url();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('dialog#session').isVisible()).toBe(false);
    const status = await page.locator('#status').textContent();
    const other = await browser.newPage();
    await other.goto(shared);
    await expect.poll(() => other.locator('#status').textContent()).toBe(status);
    expect(await other.locator('#q').inputValue()).toBe('"book a table"');
    expect(await other.locator('fieldset[data-facet="companionId"] input:checked').count()).toBe(1);
    await expect.poll(() => other.locator('dialog#session li.target').count()).toBe(1);
    await other.close();
  });

  it('switches to sessions with a stats strip', async () => {
    await page.getByRole('radio', { name: 'Sessions', exact: true }).check();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/sessions? found$/);
    expect(await page.locator('#stats').isVisible()).toBe(true);
    expect(await page.locator('#stats dt').allTextContents()).toEqual([
      'Sessions', 'Total duration', 'Turns', 'Input tokens', 'Output tokens', 'Audio transcribed', 'Characters spoken', 'Cost',
    ]);
    expect(await page.locator('#hits .hit mark').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-sessions.png') });
  });

  it('plays the recording from the offset of the turn whose ▶ is pressed, from a freshly signed vendor link', async () => {
    const session = recorded[0]!;
    const turn = session.transcript[2]!;
    await page.goto(`${baseUrl}/?session=${session.session_id}`);
    const dialog = page.locator('dialog#session');
    await expect.poll(() => dialog.locator('li').count()).toBe(session.transcript.length);
    expect(await dialog.locator('a[href^="s3:"], a[href^="javascript:"]').count()).toBe(0);
    await dialog.locator('li').nth(2).getByRole('button', { name: /Play recording from/ }).click();
    const audio = dialog.locator('#session-player audio');
    await expect.poll(() => audio.evaluate((node: { paused: boolean; currentTime: number; src: string }) => !node.paused && node.currentTime >= 0)).toBe(true);
    const { src, currentTime } = await audio.evaluate((node: { paused: boolean; currentTime: number; src: string }) => ({ src: node.src, currentTime: node.currentTime }));
    expect(src.startsWith(`${agentsApi.url}/recordings/${session.session_id}.wav?expires=`)).toBe(true);
    expect(currentTime).toBeGreaterThanOrEqual(turn.ts - 0.01);
    expect(currentTime).toBeLessThan(turn.ts + 5);
    expect(agentsApi.recordingRequests.served).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-recording.png') });
  });
});
