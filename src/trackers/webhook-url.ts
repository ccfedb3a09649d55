import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BadRequestError } from '../errors.js';

/*
 * Where webhooks may go: http(s) URLs, and never the search engine itself. A tracker's URL is chosen
 * by whoever holds an admin key; pointed at the engine, webhook POSTs would be requests to the engine
 * made from inside the network with whatever the body says. The engine is recognised by address and
 * port after name resolution (`localhost`, `127.0.0.2`, `[::1]` and `0.0.0.0` are all this machine),
 * and the check is made again before every delivery, since a name may resolve elsewhere later.
 */

const MAX_URL_CHARS = 2_000;

export class WebhookUrlError extends BadRequestError {
  override name = 'WebhookUrlError';
}

/** The URL if it is one a webhook may be sent to; WebhookUrlError saying why not otherwise. */
/** The engine's addresses a webhook may never reach: the one this process uses, and the one browsers use when set. */
export function engineUrlsOf(engineUrl: string, publicUrl: string | undefined): string[] {
  return [engineUrl, ...(publicUrl ? [publicUrl] : [])];
}

export async function checkWebhookUrl(text: string, engineUrls: readonly string[]): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlError(`Invalid 'webhookUrl': not a URL`);
  }
  if (text.length > MAX_URL_CHARS) throw new WebhookUrlError(`Invalid 'webhookUrl': longer than ${MAX_URL_CHARS} characters`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError(`Invalid 'webhookUrl': expected an http or https URL, got ${url.protocol}`);
  for (const engine of engineUrls) {
    if (await sameEndpoint(url, new URL(engine))) throw new WebhookUrlError(`Invalid 'webhookUrl': it points at the search engine (${url.host})`);
  }
  return url.toString();
}

async function sameEndpoint(a: URL, b: URL): Promise<boolean> {
  if (portOf(a) !== portOf(b)) return false;
  const [first, second] = await Promise.all([addressesOf(a.hostname), addressesOf(b.hostname)]);
  return first.some((x) => second.some((y) => x === y || (thisMachine(x) && thisMachine(y))));
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** The addresses a host name stands for; a name that does not resolve stands for none. */
async function addressesOf(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return [normalise(host)];
  try {
    return (await lookup(host, { all: true })).map((entry) => normalise(entry.address));
  } catch {
    return [];
  }
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`, which URLs write `::ffff:7f00:1`) → the IPv4 address it maps. */
function normalise(address: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return address.toLowerCase();
}

function thisMachine(address: string): boolean {
  return address.startsWith('127.') || address === '0.0.0.0' || address === '::1' || address === '::';
}
