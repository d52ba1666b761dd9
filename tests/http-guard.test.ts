// The HTTP server's last resort: a route that throws (none is known to; the bad-input corpus looks
// for them) still gets a coded 500 without the error's text, and the failure is seen where every
// other one is: the request metrics (and so the status page), the unexpected-error count by
// fingerprint and one log line without values.
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/http/server.js';
import { ErrorTracker } from '../src/observability/error-tracker.js';
import { createMetrics } from '../src/observability/metrics.js';
import { metricValue } from './helpers/metrics.js';

const metrics = createMetrics();
const lines: Array<Record<string, unknown>> = [];
const errors = new ErrorTracker(
  pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
  60_000,
  (fingerprint) => metrics.countUnexpectedError(fingerprint),
);
const server = createHttpServer(
  {
    graphql: async () => {
      throw new Error("Failed query: select token from tokens where secret = 'hunter2'");
    },
    ready: async () => true,
    rum: async () => 204,
  },
  metrics,
  errors,
);
let base: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a route that throws', () => {
  it('is answered 500 with a code and a request id, and counted, observed and logged once without values', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${base}/graphql`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text).errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
      expect(text).not.toMatch(/select|hunter2|tokens/);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }

    const page = await (await fetch(`${base}/metrics`)).text();
    expect(metricValue(page, 'cardfile_http_request_duration_seconds_count', { route: 'graphql', status: '500' })).toBe(2);
    expect(metricValue(page, 'cardfile_unexpected_errors_total')).toBe(2);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'unexpected error', code: 'INTERNAL_SERVER_ERROR', path: 'graphql' });
    expect(JSON.stringify(lines[0])).not.toContain('hunter2');
  });
});
