import { SOURCE_CHOICES } from '../../sources/registry.js';
import { z } from 'zod';
import { SESSION_FACETS, TURN_FACETS } from '../../search/params.js';
import { Count, named, Tags, Time } from './registry.js';

/** What `markedHtml` (highlights.ts) makes of the search layer's marked text. */
const MarkedHtml = z.string();

export const Turn = named(
  'Turn',
  z.object({
    sessionId: z.string(),
    turnIndex: Count.describe('Position in the session, from 0'),
    role: z.enum(['user', 'agent']).describe('Who spoke; the vendors\' `assistant` is `agent`'),
    text: z.string().describe('What was said, as plain text'),
    timestamp: Time.describe('When it was said'),
    offsetSeconds: z.number().nullable().describe('Seconds from the start of the session'),
    companionId: z.string().nullable(),
    externalClientId: z.string().nullable(),
    tenantId: z.string().nullable(),
    tags: Tags,
  }),
);

export const TurnHit = named(
  'TurnHit',
  Turn.extend({
    highlight: MarkedHtml.describe('`text`, HTML-escaped text whose only markup is `<mark>` around the words that matched'),
    context: z
      .object({ before: z.array(Turn), after: z.array(Turn) })
      .optional()
      .describe('With `context=N`: up to N turns of the same session before and after the hit, in order'),
  }),
);

export const SessionSummary = named(
  'SessionSummary',
  z.object({
    sessionId: z.string(),
    source: z.string().describe(`The vendor API the session came from: ${SOURCE_CHOICES}`),
    companionId: z.string().nullable(),
    externalClientId: z.string().nullable(),
    tenantId: z.string().nullable(),
    tags: Tags,
    functions: z.array(z.string()).describe('Functions (tools) the session had (Napster)'),
    knowledgeBaseId: z.string().nullable().describe('Knowledge base of the session (Napster)'),
    faqIds: z.array(z.string()).describe('FAQs the session had (Napster)'),
    createdAt: Time,
    startedAt: Time,
    closedAt: Time.describe('Null while the session is in progress'),
    inProgress: z.boolean(),
    durationSeconds: z.number().nullable(),
    turnCount: Count,
    userTurnCount: Count,
    agentTurnCount: Count,
    llmInputTokens: z.number().nullable().describe('Vendor usage totals; null where the vendor reports none'),
    llmOutputTokens: z.number().nullable(),
    tokens: z.number().nullable().describe('`llmInputTokens` + `llmOutputTokens`'),
    sttAudioSeconds: z.number().nullable(),
    ttsCharacters: z.number().nullable(),
    costUsd: z.number().nullable(),
    interruptionCount: z.number().nullable(),
    hasRecording: z.boolean().describe('The vendor keeps a recording: `GET /v1/sessions/{id}/recording` plays it'),
    recordingUrl: z.string().nullable().describe('A stored http(s) recording link, where the vendor gives one that does not expire'),
  }),
);

export const ConversationMatch = named(
  'ConversationMatch',
  z.object({
    condition: Count.describe('Which `said` condition the turn satisfies: the position of that `said` parameter in the request, from 0'),
    turnIndex: Count.describe('The turn'),
    highlight: MarkedHtml.describe('The turn, cropped around what matched: HTML-escaped text whose only markup is `<mark>` around the words that matched'),
  }),
);

export const SessionHit = named(
  'SessionHit',
  SessionSummary.extend({
    snippet: MarkedHtml.describe(
      'The matching turn, cropped, or the opening of the conversation when nothing was searched for: HTML-escaped text whose only markup is `<mark>` around the words that matched',
    ),
    matchedTurnIndex: Count.nullable().describe('The turn `snippet` comes from; null for the opening'),
    matches: z
      .array(ConversationMatch)
      .describe(
        'With `said` conditions, one turn satisfying each, in the order of the conditions: with `order=said` the turns of one chain (the one ending first), otherwise the first such turn of the session. Empty without `said` conditions',
      ),
  }),
);

export const NumberStats = named(
  'NumberStats',
  z
    .object({
      count: Count.nullable().describe('Matching sessions that have a value'),
      sum: z.number().nullable(),
      min: z.number().nullable(),
      max: z.number().nullable(),
    })
    .describe('Over every matching session; `count` and `sum` are null when there were too many distinct values to add exactly'),
);

export const SessionStats = named(
  'SessionStats',
  z.object({
    count: Count.describe('Matching sessions'),
    durationSeconds: NumberStats,
    turnCount: NumberStats,
    llmInputTokens: NumberStats,
    llmOutputTokens: NumberStats,
    tokens: NumberStats,
    sttAudioSeconds: NumberStats,
    ttsCharacters: NumberStats,
    costUsd: NumberStats,
  }),
);

const facetCounts = (names: readonly string[], counted: string) =>
  z
    .partialRecord(z.enum(names as [string, ...string[]]), z.record(z.string(), Count))
    .describe(`For each facet asked for in \`facets\`: value → number of matching ${counted}, most frequent first (at most 100 values)`);

const pageFields = {
  totalHits: Count.describe('Every match, not only this page'),
  page: Count,
  hitsPerPage: Count,
  totalPages: Count,
  processingTimeMs: z.number().describe('Time the engine took'),
};

export const TurnSearchPage = named(
  'TurnSearchPage',
  z.object({ hits: z.array(TurnHit), ...pageFields, facets: facetCounts(TURN_FACETS, 'turns') }),
);

export const SessionSearchPage = named(
  'SessionSearchPage',
  z.object({ hits: z.array(SessionHit), ...pageFields, facets: facetCounts(SESSION_FACETS, 'sessions'), stats: SessionStats }),
);

export const FacetValues = named(
  'FacetValues',
  z.object({
    values: z.array(z.object({ value: z.string(), count: Count.describe('Matching sessions with this value') })).describe('Most frequent first'),
  }),
);
