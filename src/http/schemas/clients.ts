import { z } from 'zod';
import { named } from './registry.js';
import { Deleted } from './sessions.js';

const ids = z.array(z.string()).optional();

export const Scope = named(
  'Scope',
  z
    .object({ companions: ids, tenants: ids, externalClients: ids })
    .describe('The scope of the key that forgot: each kind present narrows it; `{}` is everywhere'),
);

export const ForgetEntry = named(
  'ForgetEntry',
  z.object({ scope: Scope, forgottenAt: z.iso.datetime(), forgottenBy: z.string().describe('Name of the API key (or the CLI) that forgot') }),
);

export const ForgottenClient = named(
  'ForgottenClient',
  z.object({
    id: z.string().describe('Id of the record'),
    kind: z.literal('forgotten'),
    externalClientId: z.string(),
    entries: z.array(ForgetEntry).describe('Every forget of the client, oldest first; never rewritten'),
  }),
);

export const ForgetResult = named(
  'ForgetResult',
  z.object({
    externalClientId: z.string(),
    deleted: Deleted,
    forgotten: ForgetEntry.describe("The forget that stands for this request: the first made within the caller's scope"),
  }),
);

export const ForgottenClientList = named('ForgottenClientList', z.object({ clients: z.array(ForgottenClient).describe('Oldest forget first') }));

export const ClientReenabled = named(
  'ClientReenabled',
  z.object({ externalClientId: z.string(), reenabled: z.literal(true), forgotten: ForgottenClient.describe('The record removed') }),
);
