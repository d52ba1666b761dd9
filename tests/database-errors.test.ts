// Database errors as clients see them: a connection that is gone, however the driver words it, is
// SERVICE_UNAVAILABLE (retry), never an internal error; Drizzle's wrapper around the driver's
// error changes nothing.
import { describe, expect, it } from 'vitest';
import { domainErrorFor } from '../src/db/errors.js';

/** What Drizzle throws: its own error, with the driver's as the cause. */
function wrapped(code: string, message: string): Error {
  const driver = Object.assign(new Error(message), { code });
  return Object.assign(new Error('Failed query: select 1\nparams: '), { cause: driver });
}

describe('database errors', () => {
  const unreachable: Array<[code: string, message: string]> = [
    ['EPIPE', 'write EPIPE'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['ECONNABORTED', 'write ECONNABORTED'],
    ['ENOTCONN', 'write ENOTCONN'],
    ['ETIMEDOUT', 'connect ETIMEDOUT'],
    ['CONNECTION_CLOSED', 'write CONNECTION_CLOSED 127.0.0.1:5432'],
    ['CONNECTION_ENDED', 'write CONNECTION_ENDED 127.0.0.1:5432'],
    ['CONNECTION_DESTROYED', 'write CONNECTION_DESTROYED 127.0.0.1:5432'],
    ['CONNECT_TIMEOUT', 'connect timeout'],
    ['POOL_EXHAUSTED', 'No database connection became free in time.'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is shutting down'],
    ['08006', 'connection failure'],
  ];
  for (const [code, message] of unreachable) {
    it(`${code} is SERVICE_UNAVAILABLE, bare or wrapped by Drizzle`, () => {
      expect(domainErrorFor(Object.assign(new Error(message), { code }))?.extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(domainErrorFor(wrapped(code, message))?.extensions.code).toBe('SERVICE_UNAVAILABLE');
    });
  }

  it('an error with no known meaning stays unexpected', () => {
    expect(domainErrorFor(wrapped('XX000', 'internal error'))).toBeUndefined();
    expect(domainErrorFor(new Error('something else'))).toBeUndefined();
  });
});
