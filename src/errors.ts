/*
 * Every error the service means to show a caller is an AppError with a stable code; the HTTP layer maps
 * codes to statuses in one place (`statusOf`). Anything else is a bug and is answered with a bare 500.
 */

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'engine_unavailable'
  | 'engine_error'
  | 'config_invalid'
  | 'port_unavailable'
  | 'source_error'
  | 'source_unavailable'
  | 'interrupted'
  | 'internal';

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  engine_unavailable: 503,
  engine_error: 502,
  config_invalid: 500,
  port_unavailable: 500,
  source_error: 502,
  source_unavailable: 503,
  interrupted: 503,
  internal: 500,
};

export function statusOf(code: ErrorCode): number {
  return statusByCode[code];
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class BadRequestError extends AppError {
  override name = 'BadRequestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_request', message, options);
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message = 'Not found') {
    super('not_found', message);
  }
}

export class ConfigError extends AppError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('config_invalid', message);
  }
}

/** The API cannot listen on HOST:PORT (taken by another process, or not ours to take): the service cannot start. */
export class PortUnavailableError extends AppError {
  override name = 'PortUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('port_unavailable', message, options);
  }
}

/** The engine could not be reached (connection refused, reset, timed out). Retrying later may work. */
export class EngineUnavailableError extends AppError {
  override name = 'EngineUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('engine_unavailable', message, options);
  }
}

/** The engine answered with an error, or a task it ran failed. `engineCode` is Meilisearch's own code. */
export class EngineError extends AppError {
  override name = 'EngineError';
  constructor(
    message: string,
    readonly engineCode?: string,
    readonly httpStatus?: number,
  ) {
    super('engine_error', message);
  }
}

export class SourceError extends AppError {
  override name = 'SourceError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('source_error', message, options);
  }
}

/** Work stopped on purpose (the service is shutting down); what was done is kept and the rest is redone later. */
export class InterruptedError extends AppError {
  override name = 'InterruptedError';
  constructor(message: string) {
    super('interrupted', message);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
