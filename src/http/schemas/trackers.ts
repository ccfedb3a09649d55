import { z } from 'zod';
import { Count, named } from './registry.js';
import { TurnHit } from './search.js';

const ScopeSchema = z
  .object({ companions: z.array(z.string()).optional(), tenants: z.array(z.string()).optional(), externalClients: z.array(z.string()).optional() })
  .describe('The scope of the key that made it: the tracker matches only within it');

const ThresholdSchema = z.object({ sessionsPerDay: z.int().min(1) }).describe('Marks (and sends a webhook for) a UTC day with more matching sessions than this');

export const TrackerView = named(
  'Tracker',
  z.object({
    id: z.string(),
    name: z.string(),
    search: z.string().describe('The query string of a /v1/search/turns search: its text and filters'),
    webhookUrl: z.string().nullable().optional().describe('Where matches are POSTed; shown to admin keys only'),
    hasWebhook: z.boolean(),
    threshold: ThresholdSchema.nullable(),
    scope: ScopeSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    createdBy: z.string().describe('Name of the API key that made it'),
  }),
);

export const TrackerWithSecret = named(
  'TrackerWithSecret',
  TrackerView.extend({ secret: z.string().describe('Signs webhook bodies (X-Signature-256: sha256=HMAC-SHA256 of the body); shown only now') }),
);

export const TrackerUpdated = named('TrackerUpdated', TrackerWithSecret.partial({ secret: true }).describe('`secret` only when it was rotated'));

export const TrackerList = named('TrackerList', z.object({ trackers: z.array(TrackerView) }));

export const TrackerDeleted = named('TrackerDeleted', z.object({ id: z.string(), deleted: z.literal(true) }));

export const TrackerMatches = named(
  'TrackerMatches',
  z.object({
    hits: z.array(TurnHit).describe('Turns the search matches, newest first, history included'),
    totalHits: Count,
    page: Count,
    hitsPerPage: Count,
    totalPages: Count,
  }),
);

export const TrackerTrend = named(
  'TrackerTrend',
  z.object({
    interval: z.enum(['day', 'week']),
    buckets: z.array(
      z.object({
        start: z.iso.date().describe('First UTC day of the bucket (weeks start on Monday)'),
        turns: Count,
        sessions: Count.describe('Sessions with a matching turn in the bucket'),
        aboveThreshold: z.boolean().optional().describe('With a threshold: a day of the bucket had more matching sessions than it allows'),
      }),
    ),
  }),
);

export const DeliveryView = named(
  'Delivery',
  z.object({
    id: z.string().describe('The delivery id, also in the body and in X-Delivery-Id: the same on every retry'),
    type: z.enum(['matches', 'threshold']),
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: Count,
    createdAt: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime().nullable().describe('When a pending delivery is tried next'),
    lastAttemptAt: z.iso.datetime().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
    lastStatus: z.int().nullable().describe("The receiver's last HTTP status"),
    lastError: z.string().nullable(),
    matchCount: Count,
    sessionIds: z.array(z.string()),
  }),
);

export const DeliveryLog = named('DeliveryLog', z.object({ deliveries: z.array(DeliveryView), totalHits: Count, page: Count, hitsPerPage: Count, totalPages: Count }));
