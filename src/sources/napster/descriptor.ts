import { optionalString, optionalUrl } from '../../env-values.js';
import { defineSource } from '../descriptor.js';
import { InvalidRecordError, describeZodError } from '../source.js';
import { createNapsterSource } from './client.js';
import { mapNapsterSession } from './map.js';
import { NapsterSessionDetail } from './schema.js';

/** Napster Companion: enabled by its key alone, since the base URL has the vendor's default. */
export const napsterSource = defineSource({
  name: 'napster',
  env: {
    NAPSTER_API_KEY: optionalString,
    NAPSTER_BASE_URL: optionalUrl('NAPSTER_BASE_URL').transform((value) => value ?? 'https://companion-api.napster.com'),
  },
  enabledBy: 'NAPSTER_API_KEY',
  settings: (env) => (env.NAPSTER_API_KEY ? { apiKey: env.NAPSTER_API_KEY, baseUrl: env.NAPSTER_BASE_URL } : undefined),
  create: (settings, limits) => createNapsterSource({ ...settings, ...limits }),
  records: {
    shape: 'a Napster session (id, conversation)',
    recognises: (record) => 'id' in record,
    parse(record) {
      const parsed = NapsterSessionDetail.safeParse(record);
      if (!parsed.success) throw new InvalidRecordError(`Napster session: ${describeZodError(parsed.error)}`);
      return mapNapsterSession(parsed.data);
    },
  },
});
