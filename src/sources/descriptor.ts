import type { z } from 'zod';
import type { Session } from '../model.js';
import type { SourceHttpOptions } from './http.js';
import type { SessionSource } from './source.js';

/** What every source shares from the service's configuration: SOURCE_RPS and SOURCE_CONCURRENCY. */
export type SourceLimits = { rps: number; concurrency: number; http?: Partial<SourceHttpOptions> };

/** Reports a problem spanning variables (one set without another it needs), naming the variable to fix. */
export type EnvProblem = (variable: string, message: string) => void;

/**
 * Everything the service knows about one vendor, in one place: a new vendor is a folder exporting one
 * of these, listed in registry.ts. Members are methods so that one list can hold vendors whose
 * settings differ.
 */
export type SourceDescriptor<Name extends string = string, Env extends z.core.$ZodShape = z.core.$ZodShape, Settings = unknown> = {
  /** As `--source`, `?source=`, sync status, metrics and each session's `source` show it: a lowercase word. */
  readonly name: Name;
  /** Its environment variables; each schema's messages name its variable, and defaults are here. */
  readonly env: Env;
  /** What to set to enable it, for "no source is configured" messages: `NAPSTER_API_KEY`. */
  readonly enabledBy: string;
  /** Its settings from the parsed variables; undefined when it is not configured (or `problem` was called). */
  settings(env: z.output<z.ZodObject<Env>>, problem: EnvProblem): Settings | undefined;
  create(settings: Settings, limits: SourceLimits): SessionSource;
  /** Pushed and imported records (POST /v1/sessions, `import`) of this vendor's shape. */
  readonly records: {
    /** The shape in words, for a record of no known shape: `a Napster session (id, conversation)`. */
    readonly shape: string;
    /** Whether the record is of this vendor's shape, told by its fields (validity is `parse`'s job). */
    recognises(record: object): boolean;
    /** The canonical session; throws InvalidRecordError naming the vendor and the fields at fault. */
    parse(record: object): Session;
  };
};

/** Checks a descriptor's parts against each other (its env variables reach `settings` typed) and keeps its literal name. */
export function defineSource<const Name extends string, Env extends z.core.$ZodShape, Settings>(
  descriptor: SourceDescriptor<Name, Env, Settings>,
): SourceDescriptor<Name, Env, Settings> {
  return descriptor;
}

/**
 * A source enabled by the configuration: its settings (as read from the environment) bound to the
 * vendor that reads them, so nothing else has to pair the two.
 */
export type ConfiguredSource<Name extends string = string> = {
  readonly name: Name;
  readonly settings: unknown;
  create(limits: SourceLimits): SessionSource;
};

export function configuredSource<Name extends string, Settings>(
  descriptor: SourceDescriptor<Name, z.core.$ZodShape, Settings>,
  settings: Settings,
): ConfiguredSource<Name> {
  return { name: descriptor.name, settings, create: (limits) => descriptor.create(settings, limits) };
}

/**
 * The vendors, in the two orders that matter. `sources`: configured, synced, listed and named in this
 * order. `recognitionOrder`: a pushed or imported record is parsed by the first that recognises it,
 * so a vendor whose id field another vendor's records may also carry comes after that vendor.
 */
export type SourceRegistry<Name extends string = string> = {
  readonly sources: readonly SourceDescriptor<Name>[];
  readonly recognitionOrder: readonly SourceDescriptor<Name>[];
};
