import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, EngineError, EngineUnavailableError, statusOf, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './env.js';

/** The one error shape of the API (CONTRACT.md §4), with the status its code maps to. */
export function errorResponse(c: Context<AppEnv>, code: ErrorCode, message: string): Response {
  const status = statusOf(code) as 400;
  return c.json({ error: { code, message, requestId: c.get('requestId') ?? null } }, status);
}

/**
 * Where every thrown error becomes a response. What the caller sees is decided here only: AppErrors
 * say their own message; engine errors and unknown errors are logged for the operator and answered
 * with a message that reveals nothing (the engine's can quote a filter, scope included).
 */
export function answerErrors(log: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof EngineError) {
      log.error('engine error', { requestId: c.get('requestId'), engineCode: error.engineCode, error: error.message });
      // Documents the engine refuses come from the caller's push: their fault, said as a 4xx.
      if (error.httpStatus === 413 || error.engineCode === 'payload_too_large') {
        return errorResponse(c, 'payload_too_large', 'The search engine refused these sessions as too large; push fewer at a time');
      }
      if (error.engineCode?.startsWith('invalid_document')) return errorResponse(c, 'bad_request', 'The search engine refused these sessions');
      return errorResponse(c, error.code, 'The search engine could not run this request');
    }
    if (error instanceof EngineUnavailableError) {
      // The message names the engine's internal address: the operator's to know, not the caller's.
      log.error('engine unavailable', { requestId: c.get('requestId'), error: error.message });
      return errorResponse(c, error.code, 'The search engine is unavailable; try again later');
    }
    if (error instanceof AppError) return errorResponse(c, error.code, error.message);
    if (error instanceof HTTPException) {
      const code: ErrorCode = error.status === 413 ? 'payload_too_large' : error.status < 500 ? 'bad_request' : 'internal';
      return errorResponse(c, code, error.message || 'Bad request');
    }
    // A bug, not the caller's fault: log it, reveal nothing.
    log.error('unhandled error', { requestId: c.get('requestId'), error: error instanceof Error ? error.stack : String(error) });
    return errorResponse(c, 'internal', 'Internal error');
  };
}
