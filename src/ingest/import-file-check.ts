import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { errorMessage } from '../errors.js';

/*
 * What `import` can tell about a file before anything is written: its name is of a kind it reads, it
 * exists, is a regular file this user may read, and a `.gz` is whole gzip data: it is inflated once
 * and the output dropped, which costs a small part of what parsing and indexing it will (a truncated or
 * corrupt gzip would otherwise show only part-way through the import). A file that changes or fails
 * after this check is still caught while read: import-files.ts then says how far the file got.
 */

/** `.json` (read whole), `.jsonl` or `.ndjson` (a line at a time), each optionally gzipped. */
const IMPORTABLE_NAME = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/** Every gzip member starts with these two bytes (RFC 1952). */
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** Why `file` cannot be imported, or undefined when it looks importable. */
export async function whyNotImportable(file: string): Promise<string | undefined> {
  if (!IMPORTABLE_NAME.test(file)) return 'expected a .json, .jsonl or .ndjson file, optionally .gz';
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    return describeReadError(error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) return 'a directory, not a file';
    if (!stat.isFile()) return 'not a regular file';
    // Read from every file: opening succeeds on some that reading fails on (a disk or device error).
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(GZIP_MAGIC.length), 0, GZIP_MAGIC.length, 0);
    if (/\.gz$/i.test(file)) {
      if (bytesRead === 0) return 'empty, not gzip data';
      if (!buffer.equals(GZIP_MAGIC)) return 'not gzip data, although named .gz';
      return await gzipProblem(file);
    }
    return undefined;
  } catch (error) {
    return describeReadError(error);
  } finally {
    await handle.close();
  }
}

/** Why the file is not whole gzip data (truncated, corrupt), or undefined when it inflates to its end. */
async function gzipProblem(file: string): Promise<string | undefined> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(file), createGunzip(), discard);
    return undefined;
  } catch (error) {
    return describeReadError(error);
  }
}

/** A file or gzip error in words a user acts on; Node's own name the syscall instead. */
export function describeReadError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'a directory, not a file';
    case 'EIO':
      return 'cannot be read (input/output error)';
    case 'Z_BUF_ERROR':
      return 'the gzip data ends early (a truncated file?)';
    case 'Z_DATA_ERROR':
      return `corrupt gzip data (${errorMessage(error)})`;
    default:
      return errorMessage(error);
  }
}
