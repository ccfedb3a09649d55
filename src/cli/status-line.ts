import { createLogger, type Logger, type LogLevel } from '../logger.js';

/*
 * One line of progress on stderr, redrawn in place, when stderr is a terminal; nothing at all when it
 * is not (a log file or a pipe would fill with carriage returns). Lines printed meanwhile (problems,
 * a file's outcome) go above it, so it never overwrites them.
 */

/** Redraws at most this often: a sync reports progress per session, far faster than anyone reads. */
const REDRAW_MS = 100;
/** Clears from the cursor to the end of the line (ECMA-48 EL), after a carriage return. */
const CLEAR_LINE = '\r\u001b[K';

export class StatusLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #active: boolean;
  /** What is on screen now, so a line printed above it can redraw it. */
  #shown = '';
  #drawnAt = 0;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
    this.#active = stream.isTTY === true;
  }

  /** Replaces the status; cut to the terminal's width, since a wrapped line cannot be redrawn with `\r`. */
  show(text: string): void {
    if (!this.#active || Date.now() - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = Date.now();
    const width = this.#stream.columns > 1 ? this.#stream.columns - 1 : Infinity;
    this.#shown = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.#stream.write(`${CLEAR_LINE}${this.#shown}`);
  }

  /** Writes a line of its own, above the status. */
  print(line: string): void {
    if (!this.#shown) {
      this.#stream.write(`${line}\n`);
      return;
    }
    this.#stream.write(`${CLEAR_LINE}${line}\n${this.#shown}`);
  }

  /** Takes the status off the screen, for the summary that follows. */
  clear(): void {
    if (!this.#shown) return;
    this.#stream.write(CLEAR_LINE);
    this.#shown = '';
  }
}

/** `1,234` in any locale: progress is read by people, summaries (JSON) by programs. */
export function count(value: number): string {
  return value.toLocaleString('en');
}

/** Per second since `startedAt`, whole. */
export function perSecond(value: number, startedAt: number): string {
  const seconds = (Date.now() - startedAt) / 1000;
  return count(seconds > 0 ? Math.round(value / seconds) : 0);
}

/** A status line on `stderr`, and a logger whose lines go above it instead of being appended to it. */
export function statusLineWithLog(stderr: NodeJS.WriteStream, level: LogLevel): { status: StatusLine; log: Logger } {
  const status = new StatusLine(stderr);
  return { status, log: createLogger(level, (line) => status.print(line.trimEnd())) };
}
