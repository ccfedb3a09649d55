import type { Logger } from '../logger.js';

/**
 * Until a command installs its own handling, SIGINT or SIGTERM ends the process at once, but by
 * exiting rather than dying: that runs the exit hook stopping an embedded engine this process started
 * (it runs in a process group of its own, so the terminal's Ctrl+C does not reach it). Returns the
 * function that removes this handling.
 */
export function exitOnSignal(): () => void {
  const onSignal = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Orchestrators kill at ~10 s; whatever still holds the process by then is cut short just before. */
const HARD_STOP_MS = 9_500;

/**
 * Runs until SIGTERM or SIGINT, then stops gracefully (serve.ts: requests in flight, a sync's
 * checkpoint, the engine). A second signal ends the process at once, and so does one during start-up,
 * when there is nothing to drain yet.
 */
export async function serveUntilSignal(start: () => Promise<{ stop(): Promise<void> }>, log: Logger, stopExitingOnSignal: () => void): Promise<number> {
  const server = await start();
  stopExitingOnSignal();
  const signal = await nextSignal();
  log.info('shutting down', { signal });
  void nextSignal().then((again) => {
    log.warn('second signal: exiting without finishing the shutdown', { signal: again });
    process.exit(again === 'SIGINT' ? 130 : 143);
  });
  // Unreferenced: it fires only if something keeps the process alive after the shutdown has had its time.
  setTimeout(() => {
    log.error('shutdown did not finish in time; exiting', { waitedMs: HARD_STOP_MS });
    process.exit(process.exitCode ?? 1);
  }, HARD_STOP_MS).unref();
  await server.stop();
  return 0;
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
