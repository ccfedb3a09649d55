import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local webhook receiver: records every request it gets (headers and raw body), and answers 204, or
 * 500 for the next `failures` requests, or never (`hang`), as a test needs.
 */
export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string };

export type WebhookReceiver = {
  url: string;
  received: ReceivedWebhook[];
  /** Requests answered 500 before the receiver recovers. */
  failNext(count: number): void;
  /** Holds every request without answering until `hang(false)`. */
  hang(on: boolean): void;
  close(): Promise<void>;
};

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let hanging = false;
  const held: Array<() => void> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = () => {
        if (failures > 0) {
          failures--;
          response.writeHead(500).end('receiver down');
          return;
        }
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      };
      if (hanging) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    failNext: (count) => (failures = count),
    hang: (on) => {
      hanging = on;
      if (!on) held.splice(0).forEach((answer) => answer());
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
