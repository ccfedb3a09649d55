/** Where a command writes: results (JSON lines, search hits) on stdout; progress and problems on stderr. */
export type CliIo = { stdout: (text: string) => void; stderr: NodeJS.WriteStream };
