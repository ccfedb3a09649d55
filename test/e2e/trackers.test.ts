import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoSessions, type SyntheticNapsterSession } from '../../src/demo/synthetic.js';
import { createApp } from '../../src/http/app.js';
import { ingestDeps, type IngestDeps } from '../../src/ingest/deps.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { TrackerService } from '../../src/trackers/service.js';
import { DESKTOP, PHONE, poll, results, shot, TestBrowser } from '../support/browser.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Trackers in a real browser (Debian's Chromium) against the real app over HTTP: "Save as tracker" on
 * the search page, and the trackers page with its counts, sparklines and trend charts (checked against
 * the trend endpoint), matches that open the session, the webhook delivery log, edit, rotate and
 * delete; at 1400 px and 390 px, light and dark. The history is demo sessions spread over the 90 days
 * before now, so trends have days to show. Screenshots: test/artifacts/ui-trackers-*.png.
 */
const DAY_MS = 86_400_000;

type Json = Record<string, any>;
type Bucket = { start: string; turns: number; sessions: number; aboveThreshold?: boolean };

// What functions run in the page use of its globals (this project's types have no DOM library).
declare const document: { activeElement: unknown; documentElement: { scrollWidth: number }; body: unknown };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare function getComputedStyle(node: unknown): { backgroundColor: string; color: string; fill: string };

let engine: TestEngine;
let receiver: WebhookReceiver;
let trackers: TrackerService;
let ingest: IngestDeps;
let history: SyntheticNapsterSession[];
let server: ServerType;
let baseUrl: string;
let browser: TestBrowser;
/** Made through the API before the tests: table bookings (alert above 1 session a day, webhook), refunds. */
let bookings: Json;
let refunds: Json;

const BOOKINGS_SEARCH = new URLSearchParams({ q: '"book a table"', role: 'user' }).toString();

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const init = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const response = await fetch(`${baseUrl}${url}`, init);
  return { status: response.status, body: (await response.json()) as Json };
}

async function made(body: Json): Promise<Json> {
  const answer = await call('POST', '/v1/trackers', body);
  expect(answer.status).toBe(201);
  return answer.body;
}

/** The UTC day `daysAgo` days before today, as the page asks for it. */
const utcDay = (daysAgo = 0) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

async function trend(id: string, query: Record<string, string>): Promise<Bucket[]> {
  const answer = await call('GET', `/v1/trackers/${id}/trend?${new URLSearchParams(query)}`);
  expect(answer.status).toBe(200);
  return answer.body.buckets as Bucket[];
}

const sessions = (buckets: Bucket[]) => buckets.reduce((n, bucket) => n + bucket.sessions, 0);
const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Copies of history sessions in which a user asks to book a table, under new ids, as if they happened minutes ago. */
function lateBookings(count: number, label: string): SyntheticNapsterSession[] {
  const now = Math.floor(Date.now() / 1000);
  const saying = history.filter((s) => s.closedAt !== null && s.conversation.items.some((item) => item.role === 'user' && item.text.includes('book a table')));
  return saying.slice(0, count).map((session, i) => {
    const shift = now - 600 - session.startedAt;
    return {
      ...session,
      id: `sess_${label}_${i}`,
      createdAt: session.createdAt + shift,
      startedAt: session.startedAt + shift,
      closedAt: session.closedAt! + shift,
      conversation: { items: session.conversation.items.map((item) => ({ ...item, timestamp: item.timestamp + shift })) },
    };
  });
}

beforeAll(async () => {
  engine = await createTestEngine('ui_trackers');
  receiver = await startWebhookReceiver();
  // Retries an hour apart: a failed delivery stays in the log as pending, with its error.
  trackers = new TrackerService({ engine: engine.client, names: engine.names, log: silentLogger }, { retryBaseMs: 3_600_000, engineUrls: [engine.url] });
  ingest = ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, hooks: trackers.hooks() });
  history = generateDemoSessions(900, { now: Math.floor(Date.now() / 1000) });
  await writeSessions(engine.ingest, history.map(parseVendorSession), { wait: true });
  const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, trackers, ingest });
  server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(instance));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bookings = await made({ name: 'Table bookings', search: BOOKINGS_SEARCH, webhookUrl: receiver.url, threshold: { sessionsPerDay: 1 } });
  refunds = await made({ name: 'Refund requests', search: 'q=refund&companionId=comp_travel_agent' });
  browser = await TestBrowser.launch();
});

afterAll(async () => {
  await browser?.close();
  await trackers?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await receiver?.close();
  await engine?.drop();
});

afterEach(() => browser.endTest());

async function open(url: string, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await browser.page(options);
  await page.goto(`${baseUrl}${url}`);
  return page;
}

/** The trackers page, once its list and every tracker's counts are in. */
async function openTrackers(url = '/trackers', options: BrowserContextOptions = {}): Promise<Page> {
  const page = await open(url, options);
  await listed(page);
  if (new URL(page.url()).searchParams.has('tracker')) await detailed(page);
  return page;
}

async function listed(page: Page): Promise<void> {
  await poll(() => page.locator('#status').textContent()).toMatch(/tracker/);
  await poll(() => page.locator('.recent dd').evaluateAll((nodes) => nodes.some((node) => (node as { textContent: string }).textContent === '…'))).toBe(false);
}

/** The selected tracker, once its chart, matches and deliveries are in. */
async function detailed(page: Page): Promise<void> {
  await poll(async () => (await page.locator('#trend').getAttribute('aria-busy')) === null && (await page.locator('#matches > li').count()) > 0 && (await page.locator('#deliveries > li').count()) > 0).toBe(true);
}


const item = (page: Page, id: string) => page.locator(`#tracker-list li[data-tracker="${id}"]`);
const barHeights = (page: Page, selector: string) => page.locator(`${selector} rect.bar`).evaluateAll((nodes) => nodes.map((node) => Number((node as { getAttribute(name: string): string }).getAttribute('height'))));

describe('trackers at 1400 px', () => {
  it('saves the search as a tracker from the search page and shows its secret once, with a copy button', async () => {
    const page = await open(`/?${new URLSearchParams({ q: '"flight to Paris"', companionId: 'comp_travel_agent' })}`);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await results(page);
    await page.getByRole('button', { name: 'Save as tracker' }).click();
    const dialog = page.locator('#tracker-dialog');
    await poll(() => dialog.isVisible()).toBe(true);
    expect(await page.getByLabel('Name').inputValue()).toBe('flight to Paris');
    expect(await page.getByLabel('Name').evaluate((node) => node === document.activeElement)).toBe(true);
    expect(await dialog.locator('.saved-search .words').textContent()).toBe('"flight to Paris"');
    expect(await dialog.locator('.saved-search .chip').allTextContents()).toEqual(['Companion: comp_travel_agent']);

    // The API's own message, beside the form, on the field it names.
    await page.getByLabel('Webhook URL').fill('ftp://example.com/hooks');
    await dialog.getByRole('button', { name: 'Save tracker' }).click();
    await poll(() => dialog.locator('.form-error').textContent()).toMatch(/Invalid 'webhookUrl'.*http or https/);
    expect(await page.getByLabel('Webhook URL').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Webhook URL').evaluate((node) => node === document.activeElement)).toBe(true);

    await page.getByLabel('Webhook URL').fill(receiver.url);
    await page.getByLabel('Alert above').fill('3');
    await dialog.getByRole('button', { name: 'Save tracker' }).click();
    const secret = page.getByLabel('Webhook secret');
    await poll(() => secret.isVisible()).toBe(true);
    const value = await secret.inputValue();
    expect(value).toMatch(/^whsec_/);
    expect(await dialog.locator('.secret-note').textContent()).toMatch(/^Shown only now\./);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await poll(() => dialog.locator('.copied').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    await shot(page, 'ui-trackers-desktop-saved');

    const saved = (await call('GET', '/v1/trackers')).body.trackers.find((t: Json) => t.name === 'flight to Paris');
    expect(saved).toMatchObject({ search: 'q=%22flight+to+Paris%22&companionId=comp_travel_agent', webhookUrl: receiver.url, threshold: { sessionsPerDay: 3 } });
    expect(await dialog.getByRole('link', { name: 'Open it on the trackers page' }).getAttribute('href')).toBe(`/trackers?tracker=${saved.id}`);

    // Once closed, the secret is gone: the dialog opens on an empty form again.
    await dialog.getByRole('button', { name: 'Done' }).click();
    await poll(() => dialog.isVisible()).toBe(false);
    // Cleared by the dialog's `close` event, which the browser fires as a task of its own.
    await poll(() => page.locator('#tracker-secret').count()).toBe(0);
    await page.getByRole('button', { name: 'Save as tracker' }).click();
    expect(await dialog.locator('form').isVisible()).toBe(true);
    expect(await page.getByLabel('Webhook URL').inputValue()).toBe('');
    await page.keyboard.press('Escape');
    await call('DELETE', `/v1/trackers/${saved.id}`);
  });

  it('saves what a sessions search filters by, and says when its dates go with it', async () => {
    const page = await open('/?q=refund&mode=sessions&role=user&from=2026-01-01&sort=newest&page=2');
    await results(page);
    await page.getByRole('button', { name: 'Save as tracker' }).click();
    const dialog = page.locator('#tracker-dialog');
    expect(await dialog.locator('.saved-search .chip').allTextContents()).toEqual(['Said by: user', 'From Jan 1, 2026']);
    expect(await dialog.locator('#tracker-dates').isVisible()).toBe(true);
    await page.getByLabel('Name').fill('');
    await dialog.getByRole('button', { name: 'Save tracker' }).click();
    await poll(() => dialog.locator('.form-error').textContent()).toMatch(/Invalid 'name'/);
    await page.getByLabel('Name').fill('Refunds this year');
    await dialog.getByRole('button', { name: 'Save tracker' }).click();
    await poll(() => page.getByLabel('Webhook secret').isVisible()).toBe(true);
    const saved = (await call('GET', '/v1/trackers')).body.trackers.find((t: Json) => t.name === 'Refunds this year');
    // The first instant of Jan 1 in the browser's zone (Berlin, +01:00); never page, sort or mode.
    expect(saved.search).toBe('q=refund&role=user&from=2026-01-01T00%3A00%3A00.000%2B01%3A00');
    await call('DELETE', `/v1/trackers/${saved.id}`);
  });

  it('lists every tracker with its sessions in the last 7 and 30 days as the trend endpoint counts them, and a 30-day sparkline', async () => {
    const page = await openTrackers();
    const listedIds = await page.locator('#tracker-list li.tracker').evaluateAll((nodes) => nodes.map((node) => (node as unknown as { dataset: { tracker: string } }).dataset.tracker));
    expect(listedIds).toEqual([bookings.id, refunds.id]);
    for (const tracker of [bookings, refunds]) {
      const buckets = await trend(tracker.id, { interval: 'day', from: utcDay(29), to: utcDay() });
      expect(buckets).toHaveLength(30);
      expect(sessions(buckets)).toBeGreaterThan(0);
      expect(await item(page, tracker.id).locator('.recent-7').textContent()).toBe(plural(sessions(buckets.slice(-7)), 'session'));
      expect(await item(page, tracker.id).locator('.recent-30').textContent()).toBe(plural(sessions(buckets), 'session'));
      expect(await item(page, tracker.id).locator('svg.sparkline g.bucket').count()).toBe(30);
      expect(await barHeights(page, `#tracker-list li[data-tracker="${tracker.id}"] svg.sparkline`)).toEqual(buckets.map((b) => b.sessions));
    }
    expect(await item(page, bookings.id).locator('.saved-search').textContent()).toBe('"book a table"Said by: user');
    expect(await item(page, bookings.id).locator('.badge').allTextContents()).toEqual(['Webhook', 'Alert > 1/day']);
  });

  it("draws the selected tracker's sessions per day and per week, marking the buckets above its alert", async () => {
    const page = await openTrackers();
    await item(page, bookings.id).locator('.saved-search').click();
    await poll(() => new URL(page.url()).searchParams.get('tracker')).toBe(bookings.id);
    await detailed(page);
    expect(await page.locator('#detail-name').textContent()).toBe('Table bookings');
    expect(await page.locator('#detail-name').evaluate((node) => node === document.activeElement)).toBe(true);
    expect(await item(page, bookings.id).getAttribute('class')).toContain('selected');

    const days = await trend(bookings.id, { interval: 'day', from: utcDay(89), to: utcDay() });
    expect(days).toHaveLength(90);
    const chart = page.locator('#trend svg.trend-chart');
    expect(await chart.locator('g.bucket').count()).toBe(90);
    expect(await barHeights(page, '#trend svg.trend-chart')).toEqual(days.map((b) => b.sessions));
    const aboveDays = days.filter((b) => b.aboveThreshold).length;
    expect(aboveDays).toBeGreaterThan(0);
    expect(await chart.locator('g.bucket.above').count()).toBe(aboveDays);
    expect(await chart.locator('line.threshold').count()).toBe(1);
    expect(await page.locator('#trend-summary').textContent()).toContain(`${plural(aboveDays, 'day')} above the alert`);
    expect(await page.locator('#trend .chart-table tbody tr').count()).toBe(90);
    await shot(page, 'ui-trackers-desktop');

    await page.locator('#interval label').filter({ hasText: 'Weeks' }).click();
    await poll(() => new URL(page.url()).searchParams.get('interval')).toBe('week');
    const weeks = await trend(bookings.id, { interval: 'week', to: utcDay() });
    await poll(() => chart.locator('g.bucket').count()).toBe(weeks.length);
    expect(weeks.length).toBeGreaterThanOrEqual(13);
    expect(await barHeights(page, '#trend svg.trend-chart')).toEqual(weeks.map((b) => b.sessions));
    expect(await chart.locator('g.bucket.above').count()).toBe(weeks.filter((b) => b.aboveThreshold).length);
    // The alert is per day: no line across weekly bars.
    expect(await chart.locator('line.threshold').count()).toBe(0);
    await shot(page, 'ui-trackers-desktop-weeks');
    // Reloaded, the URL brings back the same view.
    await page.reload();
    await detailed(page);
    expect(await page.locator('#interval input[value="week"]').isChecked()).toBe(true);
    // Back returns to the days.
    await page.goBack();
    await poll(() => chart.locator('g.bucket').count()).toBe(90);
    expect(await page.locator('#interval input[value="day"]').isChecked()).toBe(true);
  });

  it("lists the latest matches newest first, marked, and opens a match's session with the tracked words marked", async () => {
    const page = await openTrackers(`/trackers?tracker=${bookings.id}`);
    const matches = (await call('GET', `/v1/trackers/${bookings.id}/matches?hitsPerPage=20`)).body;
    expect(matches.totalHits).toBeGreaterThan(10);
    const shownMatches = () => page.locator('#matches a.hit-link').evaluateAll((nodes) => nodes.map((node) => {
      const { session, turn } = (node as unknown as { dataset: { session: string; turn: string } }).dataset;
      return `${session}#${turn}`;
    }));
    const expected = matches.hits.map((hit: Json) => `${hit.sessionId}#${hit.turnIndex}`);
    expect(await shownMatches()).toEqual(expected.slice(0, 10));
    expect(await page.locator('#matches-count').textContent()).toBe(`${plural(matches.totalHits, 'turn')}, newest first`);
    expect((await page.locator('#matches .turn mark').first().textContent())!.toLowerCase()).toBe('book a table');
    await page.getByRole('button', { name: 'Show more matches' }).click();
    await poll(shownMatches).toEqual(expected.slice(0, 20));

    const first = matches.hits[0];
    await page.locator('#matches .hit').first().locator('.turn .text').click();
    const dialog = page.locator('#session');
    await poll(() => dialog.isVisible()).toBe(true);
    expect(await page.locator('#session-id').textContent()).toBe(first.sessionId);
    expect(await page.locator('#session-turns li.target').getAttribute('data-turn-index')).toBe(String(first.turnIndex));
    expect((await page.locator('#session-turns li.target mark').first().textContent())!.toLowerCase()).toBe('book a table');
    await shot(page, 'ui-trackers-desktop-session');
    await page.keyboard.press('Escape');
    await poll(() => dialog.isVisible()).toBe(false);
    expect(await page.locator('#matches a.hit-link').first().evaluate((node) => node === document.activeElement)).toBe(true);
    // Without script the link opens the same session on the search page, with the tracker's search.
    const href = new URL((await page.locator('#matches a.hit-link').first().getAttribute('href'))!, baseUrl);
    expect(href.pathname).toBe('/');
    expect(Object.fromEntries(href.searchParams)).toEqual({ q: '"book a table"', role: 'user', session: first.sessionId, turn: String(first.turnIndex) });
  });

  it('shows the webhook deliveries newest first with their status, attempts and last error', async () => {
    receiver.failNext(1);
    await writeSessions(ingest, lateBookings(2, 'late_a').map(parseVendorSession), { wait: true });
    const log = async () => (await call('GET', `/v1/trackers/${bookings.id}/deliveries`)).body;
    await poll(async () => (await log()).deliveries.some((d: Json) => d.attempts > 0 && d.lastStatus === 500)).toBe(true);
    await writeSessions(ingest, lateBookings(4, 'late_b').slice(2).map(parseVendorSession), { wait: true });
    await poll(async () => (await log()).deliveries.some((d: Json) => d.status === 'delivered')).toBe(true);

    const page = await openTrackers(`/trackers?tracker=${bookings.id}`);
    const { deliveries, totalHits } = await log();
    const labels: Record<string, string> = { pending: 'Pending', delivered: 'Delivered', dead: 'Failed' };
    expect(await page.locator('#deliveries .delivery .badge').allTextContents()).toEqual(deliveries.map((d: Json) => labels[d.status]));
    expect(await page.locator('#deliveries-count').textContent()).toBe(`${totalHits} ${totalHits === 1 ? 'delivery' : 'deliveries'}, newest first`);
    const failed = page.locator('#deliveries .delivery.pending').filter({ hasText: 'HTTP 500' }).first();
    expect(await failed.textContent()).toContain('Attempts1');
    expect(await failed.locator('.delivery-facts').textContent()).toMatch(/Next attempt/);
    expect(await page.locator('#deliveries .delivery.delivered').first().textContent()).toContain('HTTP 204');
    await page.locator('#deliveries').scrollIntoViewIfNeeded();
    await shot(page, 'ui-trackers-desktop-deliveries');
  });

  it('edits the name, webhook and alert, rotates the secret, and deletes after a confirmation', async () => {
    const temp = await made({ name: 'Temporary', search: 'q=cappuccino', webhookUrl: receiver.url });
    const page = await openTrackers(`/trackers?tracker=${temp.id}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('#edit-dialog');
    await poll(() => edit.isVisible()).toBe(true);
    expect(await page.getByLabel('Name').inputValue()).toBe('Temporary');
    expect(await page.getByLabel('Webhook URL').inputValue()).toBe(receiver.url);
    await page.getByLabel('Webhook URL').fill('file:///etc/passwd');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => edit.locator('.form-error').textContent()).toMatch(/http or https/);
    expect(await edit.isVisible()).toBe(true);
    await page.getByLabel('Name').fill('Cappuccino orders');
    await page.getByLabel('Webhook URL').fill('');
    await page.getByLabel('Alert above').fill('4');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => edit.isVisible()).toBe(false);
    await poll(() => page.locator('#detail-name').textContent()).toBe('Cappuccino orders');
    expect(await item(page, temp.id).locator('a.tracker-link').textContent()).toBe('Cappuccino orders');
    expect((await call('GET', `/v1/trackers/${temp.id}`)).body).toMatchObject({ name: 'Cappuccino orders', hasWebhook: false, webhookUrl: null, threshold: { sessionsPerDay: 4 } });
    expect(await page.locator('#detail-facts').textContent()).toContain('more than 4 sessions a day');

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const confirm = page.locator('#confirm-dialog');
    await poll(() => confirm.isVisible()).toBe(true);
    expect(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((node) => node === document.activeElement)).toBe(true);
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    await poll(() => page.getByLabel('Webhook secret').isVisible()).toBe(true);
    const rotated = await page.getByLabel('Webhook secret').inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(temp.secret);
    await confirm.getByRole('button', { name: 'Done' }).click();
    // Cleared by the dialog's `close` event, which the browser fires as a task of its own.
    await poll(() => page.locator('#rotated-secret').count()).toBe(0);

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    expect(await confirm.locator('#confirm-title').textContent()).toBe('Delete “Cappuccino orders”?');
    await shot(page, 'ui-trackers-desktop-delete');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await call('GET', `/v1/trackers/${temp.id}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.getByRole('button', { name: 'Delete tracker' }).click();
    await poll(() => page.locator('#status').textContent()).toBe('Deleted “Cappuccino orders”. 2 trackers');
    expect(new URL(page.url()).searchParams.has('tracker')).toBe(false);
    expect(await page.locator('#detail').isVisible()).toBe(false);
    expect(await item(page, temp.id).count()).toBe(0);
    expect(await page.locator('#list-heading').evaluate((node) => node === document.activeElement)).toBe(true);
    expect((await call('GET', `/v1/trackers/${temp.id}`)).status).toBe(404);
  });

  it("opens a tracker's search on the search page, whose link leads back to the trackers", async () => {
    const page = await openTrackers(`/trackers?tracker=${bookings.id}`);
    await page.getByRole('link', { name: 'Open in search' }).click();
    await poll(() => new URL(page.url()).pathname).toBe('/');
    await results(page);
    expect(new URL(page.url()).searchParams.get('q')).toBe('"book a table"');
    expect(new URL(page.url()).searchParams.getAll('role')).toEqual(['user']);
    const { totalHits } = (await call('GET', `/v1/trackers/${bookings.id}/matches`)).body;
    expect(await page.locator('#status').textContent()).toBe(`${plural(totalHits, 'turn')} found`);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Trackers' }).click();
    await poll(() => new URL(page.url()).pathname).toBe('/trackers');
    await listed(page);
  });

  it('says which tracker a link names when there is none', async () => {
    const page = await open('/trackers?tracker=trk_0000000000000000');
    await poll(() => page.locator('#status').textContent()).toBe("No tracker 'trk_0000000000000000': it may have been deleted.");
    expect(new URL(page.url()).searchParams.has('tracker')).toBe(false);
    expect(await page.locator('#tracker-list li.tracker').count()).toBe(2);
  });
});

describe('trackers at 390 px', () => {
  it('shows the list, then the selected tracker on its own with its chart, nothing wider than the screen', async () => {
    const page = await openTrackers('/trackers', { viewport: PHONE });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await item(page, bookings.id).locator('svg.sparkline g.bucket').count()).toBe(30);
    await shot(page, 'ui-trackers-mobile-list');
    await item(page, bookings.id).getByRole('link', { name: 'Table bookings' }).click();
    await detailed(page);
    expect(await page.locator('#list-panel').isVisible()).toBe(false);
    expect(await page.locator('#trend svg.trend-chart g.bucket').count()).toBe(90);
    const box = (await page.locator('#trend svg.trend-chart').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'ui-trackers-mobile');
    await page.getByRole('link', { name: '← All trackers' }).click();
    await poll(() => page.locator('#list-panel').isVisible()).toBe(true);
    expect(await page.locator('#detail').isVisible()).toBe(false);
  });

  it('saves a tracker from the search page in a sheet that fits the screen', async () => {
    const page = await open('/?q=refund', { viewport: PHONE });
    await results(page);
    const button = page.getByRole('button', { name: 'Save as tracker' });
    const box = (await button.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    await button.click();
    await page.getByLabel('Alert above').fill('2');
    await page.locator('#tracker-dialog').getByRole('button', { name: 'Save tracker' }).click();
    await poll(() => page.getByLabel('Webhook secret').isVisible()).toBe(true);
    const sheet = (await page.locator('#tracker-dialog').boundingBox())!;
    expect(sheet.width).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'ui-trackers-mobile-saved');
    const saved = (await call('GET', '/v1/trackers')).body.trackers.find((t: Json) => t.name === 'refund');
    await call('DELETE', `/v1/trackers/${saved.id}`);
  });
});

describe('trackers in dark mode', () => {
  it('follows the system preference: dark background, bars and text that stand out', async () => {
    for (const [viewport, name] of [[DESKTOP, 'ui-trackers-desktop-dark'], [PHONE, 'ui-trackers-mobile-dark']] as const) {
      const page = await openTrackers(`/trackers?tracker=${bookings.id}`, { viewport, colorScheme: 'dark' });
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe('rgb(13, 17, 23)');
      const bar = await page.locator('#trend g.bucket:not(.above) rect.bar').first().evaluate((node) => getComputedStyle(node).fill);
      expect(bar).toBe('rgb(108, 182, 255)');
      const above = await page.locator('#trend g.bucket.above rect.bar').first().evaluate((node) => getComputedStyle(node).fill);
      expect(above).toBe('rgb(255, 129, 130)');
      await shot(page, name);
    }
  });
});
