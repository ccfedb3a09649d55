#!/usr/bin/env node
import { runCli } from './cli.js';

// The only reader of process.env and process.argv: everything below receives them as arguments.
const code = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: process.stderr,
});
process.exitCode = code;
