// A client that closes its connection halfway through sending a body (a phone losing signal, a
// user cancelling an upload) is the client's doing: it is counted as an abort (status 499 in the
// request metrics and cardfile_http_client_aborts_total), never as a 5xx or an unexpected error,
// nothing is logged with a stack, what its body held is given back, and the server goes on
// answering. So neither CardfileErrorRateHigh nor CardfileUnexpectedErrors can fire on aborts.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from './helpers/metrics.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { openSlowClient, requestHead } from './helpers/slow-client.js';
import { waitFor } from './helpers/wait-for.js';

let server: TestServer;
let acme: Workspace;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  // Every line the server logs, at every level.
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  server = await startTestServer({ WARM_WORKSPACES: '0' }, { logger });
  acme = await createWorkspace(server.db, 'acme', 2);
});

afterAll(() => server?.close());

/** Samples of a histogram's _count with a 5xx status, from the whole /metrics page. */
async function serverErrorCounts(): Promise<string[]> {
  const text = await (await server.request('/metrics')).text();
  return text.split('\n').filter((line) => /_duration_seconds_count\{.*status="5\d\d"/.test(line));
}

const inFlight = () => counter(server, 'cardfile_http_body_bytes_in_flight');

/** Sends a head and the first half of a `length`-byte body, waits until the server is reading it, and goes away. */
async function abortHalfway(path: string, headers: Record<string, string>, length: number, { chunked = false } = {}) {
  const half = 'x'.repeat(length / 2);
  const client = await openSlowClient(
    server.url,
    chunked
      ? `${requestHead('POST', path, { ...headers, 'transfer-encoding': 'chunked' })}${length.toString(16)}\r\n${half}`
      : requestHead('POST', path, headers, length) + half,
  );
  await waitFor('the server to be reading the body', inFlight, (bytes) => bytes > 0);
  client.destroy();
  await waitFor('the body to be given back', inFlight, (bytes) => bytes === 0);
}

describe('a client that goes away mid-body', () => {
  it('is counted as an abort (499), never as a 5xx or an unexpected error, logs no stack, and the server goes on answering', async () => {
    const json = { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` };
    await abortHalfway('/graphql', json, 10_000);
    await abortHalfway('/graphql', json, 10_000, { chunked: true });
    await abortHalfway('/rum', { 'content-type': 'text/plain' }, 8_000);

    await waitFor('the aborts to be counted', () => counter(server, 'cardfile_http_client_aborts_total'), (count) => count === 3);
    expect(await counter(server, 'cardfile_http_client_aborts_total', { route: 'graphql' })).toBe(2);
    expect(await counter(server, 'cardfile_http_client_aborts_total', { route: 'rum' })).toBe(1);
    expect(await counter(server, 'cardfile_http_request_duration_seconds_count', { route: 'graphql', status: '499' })).toBe(2);
    expect(await counter(server, 'cardfile_graphql_request_duration_seconds_count', { status: '499' })).toBe(2);
    expect(await serverErrorCounts()).toEqual([]);
    expect(await counter(server, 'cardfile_unexpected_errors_total')).toBe(0);
    expect(await counter(server, 'cardfile_graphql_errors_total', { code: 'INTERNAL_SERVER_ERROR' })).toBe(0);

    expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect(lines.filter((line) => JSON.stringify(line).includes('stack'))).toEqual([]);

    const after = await server.graphql('{ viewer { role } }', {}, acme.reader);
    expect(after.body).toEqual({ data: { viewer: { role: 'READER' } } });
  });

  it('that leaves before a byte of the body came is counted the same way', async () => {
    const before = await counter(server, 'cardfile_http_client_aborts_total', { route: 'graphql' });
    const client = await openSlowClient(server.url, requestHead('POST', '/graphql', { 'content-type': 'application/json' }, 500));
    await waitFor('the server to be reading the body', inFlight, (bytes) => bytes === 500);
    client.destroy();
    await waitFor('the abort to be counted', () => counter(server, 'cardfile_http_client_aborts_total', { route: 'graphql' }), (count) => count === before + 1);
    expect(await inFlight()).toBe(0);
    expect(await serverErrorCounts()).toEqual([]);
    expect(await counter(server, 'cardfile_unexpected_errors_total')).toBe(0);
  });
});
