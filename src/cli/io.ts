/**
 * Where a command writes: results (JSON lines, search hits) on stdout; progress and problems on
 * stderr. `out` is stdout as a stream, for output too large to hold at once (exports), which is
 * written chunk by chunk, waiting for `drain`.
 */
export type CliIo = { stdout: (text: string) => void; stderr: NodeJS.WriteStream; out: NodeJS.WritableStream };
