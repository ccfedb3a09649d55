import { optionalString, optionalUrl } from '../../env-values.js';
import { defineSource } from '../descriptor.js';
import { InvalidRecordError, describeZodError } from '../source.js';
import { createAgentsSource } from './client.js';
import { mapAgentSession } from './map.js';
import { AgentSessionSummary } from './schema.js';

/**
 * The agent-sessions API: it has no public default address, so it needs its key and base URL both;
 * one without the other is a mistake reported at start rather than a source silently left off.
 */
export const agentsSource = defineSource({
  name: 'agents',
  env: {
    AGENTS_API_KEY: optionalString,
    AGENTS_BASE_URL: optionalUrl('AGENTS_BASE_URL'),
    AGENTS_LIST_PATH: optionalString.transform((value) => value ?? '/api/agents/agent-session/'),
    AGENTS_DETAIL_PATH: optionalString
      .transform((value) => value ?? '/api/agents/agent-session/{id}/')
      .refine((value) => value.includes('{id}'), { message: 'expected a path containing {id}' }),
  },
  enabledBy: 'AGENTS_API_KEY and AGENTS_BASE_URL',
  settings(env, problem) {
    const { AGENTS_API_KEY: apiKey, AGENTS_BASE_URL: baseUrl } = env;
    if (apiKey === undefined && baseUrl === undefined) return undefined;
    if (baseUrl === undefined) {
      problem('AGENTS_BASE_URL', 'required when AGENTS_API_KEY is set: the agents source needs both (unset AGENTS_API_KEY to leave it off)');
      return undefined;
    }
    if (apiKey === undefined) {
      problem('AGENTS_API_KEY', 'required when AGENTS_BASE_URL is set: the agents source needs both (unset AGENTS_BASE_URL to leave it off)');
      return undefined;
    }
    return { apiKey, baseUrl, listPath: env.AGENTS_LIST_PATH, detailPath: env.AGENTS_DETAIL_PATH };
  },
  create: (settings, limits) => createAgentsSource({ ...settings, ...limits }),
  records: {
    shape: 'an agent session (session_id, transcript)',
    recognises: (record) => 'session_id' in record,
    parse(record) {
      const parsed = AgentSessionSummary.safeParse(record);
      if (!parsed.success) throw new InvalidRecordError(`agent session: ${describeZodError(parsed.error)}`);
      return mapAgentSession(parsed.data);
    },
  },
});
