#!/usr/bin/env -S node --max-semi-space-size=4
// The flag above caps V8's young generation: a sync allocates fast and short-lived (parse, validate,
// flatten, encode), and the default would let the young generation alone grow by ~50 MB of RSS.
import { runCli } from './cli/run.js';

// The only reader of process.env and process.argv: everything below receives them as arguments.
const code = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: process.stderr,
  out: process.stdout,
});
process.exitCode = code;
