import { request } from 'undici';
import { freeLoopbackPort } from '../src/engine/embedded.js';
import { cliEnv, spawnCli, tail } from './cli-process.js';
import { watchProcess } from './process-usage.js';

/** The project's `serve` command on a free loopback port, without periodic sync; ready when /ready is 200. */
/** `stop` may be called again (as cleanup after an error); it stops the process once. */
export type ServeProcess = { url: string; pid: number; stop(): Promise<{ peakRssMb: number }> };

const READY_TIMEOUT_MS = 60_000;

export async function startServe(engine: { url: string; masterKey: string }, prefix: string): Promise<ServeProcess> {
  const port = await freeLoopbackPort();
  const child = spawnCli(
    ['serve'],
    cliEnv({
      MEILI_URL: engine.url,
      MEILI_MASTER_KEY: engine.masterKey,
      INDEX_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      SYNC_INTERVAL_SECONDS: '0',
    }),
  );
  const usage = watchProcess(child.pid!, 250);
  const stderr = tail(child.stderr);
  tail(child.stdout);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${stderr()}`);
    const status = await request(`${url}/ready`).then(
      async (response) => {
        await response.body.dump();
        return response.statusCode;
      },
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let stopped: Promise<{ peakRssMb: number }> | undefined;
  return {
    url,
    pid: child.pid!,
    stop: () =>
      (stopped ??= (async () => {
        const { peakRssMb } = usage.stop();
        child.kill('SIGTERM');
        await exited;
        return { peakRssMb };
      })()),
  };
}
