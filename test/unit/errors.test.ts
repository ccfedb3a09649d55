import { describe, expect, it } from 'vitest';
import {
  AppError,
  BadRequestError,
  ConfigError,
  EngineError,
  EngineUnavailableError,
  InterruptedError,
  NotFoundError,
  SourceError,
  errorMessage,
  statusOf,
  type ErrorCode,
} from '../../src/errors.js';

describe('statusOf', () => {
  it.each<[ErrorCode, number]>([
    ['bad_request', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['engine_unavailable', 503],
    ['engine_error', 502],
    ['config_invalid', 500],
    ['source_error', 502],
    ['interrupted', 503],
    ['internal', 500],
  ])('answers %s with %i', (code, status) => {
    expect(statusOf(code)).toBe(status);
  });

  it('never answers a bad request with a 5xx', () => {
    expect(statusOf('bad_request')).toBeLessThan(500);
  });
});

describe('AppError family', () => {
  it.each([
    [new BadRequestError('bad'), 'BadRequestError', 'bad_request'],
    [new NotFoundError(), 'NotFoundError', 'not_found'],
    [new ConfigError('bad env'), 'ConfigError', 'config_invalid'],
    [new EngineUnavailableError('down'), 'EngineUnavailableError', 'engine_unavailable'],
    [new EngineError('failed'), 'EngineError', 'engine_error'],
    [new SourceError('vendor 500'), 'SourceError', 'source_error'],
    [new InterruptedError('stopping'), 'InterruptedError', 'interrupted'],
  ])('%o is an AppError named %s with code %s', (error, name, code) => {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
  });

  it('gives NotFoundError a default message that reveals nothing', () => {
    expect(new NotFoundError().message).toBe('Not found');
    expect(new NotFoundError('No session x').message).toBe('No session x');
  });

  it('chains the cause', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new EngineUnavailableError('engine down', { cause }).cause).toBe(cause);
    expect(new BadRequestError('bad', { cause }).cause).toBe(cause);
    expect(new SourceError('vendor', { cause }).cause).toBe(cause);
    expect(new AppError('internal', 'boom', { cause }).cause).toBe(cause);
  });

  it('keeps the engine’s own code and HTTP status on EngineError', () => {
    const error = new EngineError('index not found', 'index_not_found', 404);
    expect(error.engineCode).toBe('index_not_found');
    expect(error.httpStatus).toBe(404);
    expect(statusOf(error.code)).toBe(502);
  });
});

describe('errorMessage', () => {
  it('takes the message of an Error and stringifies anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
