import http from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type { EngineCall } from './engine-calls.js';

/**
 * The floor any Node service in front of the engine pays: a bare `node:http` server that answers each
 * benchmark query by sending the same engine requests the API would (over an undici Pool, as the API
 * does), parsing each answer as JSON and sending the last one back re-serialised. No framework, no
 * validation, no presentation. Started by relay-process.ts, which sends it the recorded calls over IPC.
 */
type Setup = { engineUrl: string; apiKey: string; calls: Array<[path: string, calls: EngineCall[]]> };

process.once('message', (message) => {
  const setup = message as Setup;
  const calls = new Map(setup.calls);
  const pool = new Pool(setup.engineUrl, { connections: 64 });
  const server = http.createServer(async (request, response) => {
    const list = calls.get(request.url ?? '');
    if (!list) {
      response.writeHead(404).end();
      return;
    }
    let answer: unknown;
    for (const call of list) {
      const headers: Record<string, string> = { authorization: `Bearer ${setup.apiKey}` };
      if (call.contentType) headers['content-type'] = call.contentType;
      const engineResponse = await pool.request({ method: call.method as Dispatcher.HttpMethod, path: call.path, headers, body: call.body });
      answer = JSON.parse(await engineResponse.body.text());
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.once('disconnect', () => {
    server.close();
    void pool.close();
  });
});
