import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { demoIndexPrefix } from '../runtime.js';
import { startServer } from '../serve.js';
import type { CliIo } from '../cli/io.js';
import { configuredSource } from '../sources/descriptor.js';
import { napsterSource } from '../sources/napster/descriptor.js';
import { startNapsterUpstream } from './napster-upstream.js';
import { generateDemoSessions } from './synthetic.js';

export const DEMO_SESSIONS = 2_000;

/**
 * `demo`: a local Napster-shaped upstream serving synthetic sessions, and `serve` configured to pull
 * from it through the real pipeline (HTTP, validation, flattening, batching). Its indexes carry a
 * `demo_` prefix so demo data never mixes with a real deployment's.
 */
export async function runDemo(config: Config, log: Logger, io: CliIo) {
  // Dated up to now, so `from`/`to` and `sort=newest` behave as they would on live data.
  const upstream = await startNapsterUpstream({ records: generateDemoSessions(DEMO_SESSIONS, { now: Math.floor(Date.now() / 1000) }) });
  const demoConfig: Config = {
    ...config,
    indexPrefix: demoIndexPrefix(config.indexPrefix),
    sources: [configuredSource(napsterSource, { apiKey: upstream.apiKey, baseUrl: upstream.url })],
    // The upstream is local: no vendor rate limit to respect.
    sourceRps: Math.max(config.sourceRps, 5_000),
    sourceConcurrency: Math.max(config.sourceConcurrency, 16),
    syncIntervalSeconds: config.syncIntervalSeconds === 0 ? 0 : Math.min(config.syncIntervalSeconds, 300),
  };
  let server;
  try {
    server = await startServer(demoConfig, log);
  } catch (error) {
    await upstream.close();
    throw error;
  }
  const first = await server.sync.run();
  // What the engine holds, not what this pass did: a pass after an earlier demo run only fetches
  // what changed, and one that failed part-way counts only what it got to.
  const { sessions, turns } = await server.indexed();
  const failures = first.flatMap((summary) => (summary.error === null ? [] : [`  The first sync did not finish: ${summary.error}`]));
  io.stdout(
    [
      '',
      `transcript-search demo: ${sessions.toLocaleString('en')} sessions (${turns.toLocaleString('en')} turns) indexed, pulled from a local Napster-shaped API serving ${DEMO_SESSIONS.toLocaleString('en')} synthetic sessions.`,
      ...failures,
      `  Search:  ${server.url}/   (open in a browser)`,
      `  API:     ${server.url}`,
      `  Try:     curl '${server.url}/v1/search/turns?q=refund&facets=companionId,role&hitsPerPage=3'`,
      `           curl '${server.url}/v1/search/sessions?q=%22book+a+table%22&facets=tags'`,
      '           npx transcript-search search refund     (in another terminal, from this directory)',
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      await upstream.close();
    },
  };
}
