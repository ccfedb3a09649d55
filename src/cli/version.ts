import { readFileSync } from 'node:fs';

/** package.json sits two levels up from both src/cli/ and dist/cli/, and npm installs it with the package. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
