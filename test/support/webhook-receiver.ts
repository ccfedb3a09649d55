import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local webhook receiver: records every request it answers (headers and raw body) with 204, and
 * answers 500 to the next `failures` requests, or holds requests without answering (`hang`), as a
 * test needs.
 */
export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string };

export type WebhookReceiver = {
  url: string;
  received: ReceivedWebhook[];
  /** Requests answered 500 before the receiver recovers. */
  failNext(count: number): void;
  /** Holds every request unanswered (and unrecorded) until `hang(false)`, which drops the held ones. */
  hang(on: boolean): void;
  /** Requests held now. */
  held(): number;
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
      if (hanging) held.push(() => response.destroy());
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
      if (!on) held.splice(0).forEach((drop) => drop());
    },
    held: () => held.length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
