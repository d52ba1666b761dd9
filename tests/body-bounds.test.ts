// Slow and stalled request bodies: the bytes all bodies still arriving may hold are capped across
// the process (past it the next body is refused at once with 503 and Retry-After), each body has a
// deadline (408 in the usual error shape, the connection closed), a request's headers have one
// too, and whatever a body held is given back however it ends. POST /rum is read the same way.
// Run with small limits set through the environment, as an operator would set them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from './helpers/database.js';
import { expectCoded } from './helpers/expect-answer.js';
import { counter } from './helpers/metrics.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { openSlowClient, requestHead, type RawAnswer } from './helpers/slow-client.js';
import { waitFor } from './helpers/wait-for.js';

const MAX_BODY = 1_000;
const IN_FLIGHT = 3 * MAX_BODY;

let database: TestDatabase;
/** Three largest bodies fill its cap; bodies wait a minute before their deadline. */
let capped: TestServer;
/** Bodies and headers get half a second. */
let hurried: TestServer;
let acme: Workspace;

beforeAll(async () => {
  database = await openTestDatabase();
  capped = await startTestServer(
    { MAX_BODY_BYTES: String(MAX_BODY), MAX_BODY_BYTES_IN_FLIGHT: String(IN_FLIGHT), BODY_READ_TIMEOUT_MS: '60000', WARM_WORKSPACES: '0' },
    { database },
  );
  hurried = await startTestServer({ BODY_READ_TIMEOUT_MS: '500', HEADERS_TIMEOUT_MS: '500', WARM_WORKSPACES: '0' }, { database });
  acme = await createWorkspace(database.db, 'acme', 2);
});

afterAll(async () => {
  await capped?.close();
  await hurried?.close();
  await database?.destroy();
});

/** A viewer query padded with spaces to exactly `length` bytes. */
const viewerBody = (length: number) => {
  const body = JSON.stringify({ query: '{ viewer { role } }' });
  return body + ' '.repeat(length - body.length);
};

const graphqlHead = (length: number | undefined, headers: Record<string, string> = {}) =>
  requestHead('POST', '/graphql', { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}`, ...headers }, length);

const inFlight = (server: TestServer) => counter(server, 'cardfile_http_body_bytes_in_flight');

async function fetchAnswer(server: TestServer, path: string, init: RequestInit) {
  const response = await server.request(path, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, contentType: response.headers.get('content-type') ?? '', text, body: body as any };
}

describe('the cap on body bytes in flight', () => {
  it('is held by partial bodies; the next body is refused at once with 503 and Retry-After; what they held comes back as they end', async () => {
    expect(await inFlight(capped)).toBe(0);
    // Three clients send all but the last byte of a largest body, and wait.
    const full = viewerBody(MAX_BODY);
    const stalled = await Promise.all(
      [0, 1, 2].map(() => openSlowClient(capped.url, graphqlHead(MAX_BODY, { connection: 'close' }) + full.slice(0, -1))),
    );
    await waitFor('the partial bodies to hold the cap', () => inFlight(capped), (bytes) => bytes === IN_FLIGHT);

    // A small body, sized or chunked, to /graphql or /rum: refused before a byte of it is read.
    const small = JSON.stringify({ query: '{ viewer { role } }' });
    const sized = await fetchAnswer(capped, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
      body: small,
    });
    expectCoded(sized, 503, 'SERVICE_UNAVAILABLE', { bare: true });
    expect(sized.headers.get('retry-after')).toBe('1');
    const chunked = await openSlowClient(capped.url, `${graphqlHead(undefined, { 'transfer-encoding': 'chunked' })}${small.length.toString(16)}\r\n${small}\r\n`);
    const chunkedAnswer = await chunked.closed;
    expectCoded(chunkedAnswer, 503, 'SERVICE_UNAVAILABLE', { bare: true });
    expect(chunkedAnswer.headers['retry-after']).toBe('1');
    const rum = await fetchAnswer(capped, '/rum', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '[]' });
    expectCoded(rum, 503, 'SERVICE_UNAVAILABLE', { bare: true });
    expect(rum.headers.get('retry-after')).toBe('1');
    // Meanwhile the held bodies are neither answered nor cut, and requests without a body are served.
    expect(stalled.map((client) => client.answered)).toEqual([false, false, false]);
    expect(await inFlight(capped)).toBe(IN_FLIGHT);
    const get = await fetchAnswer(capped, `/graphql?query=${encodeURIComponent('{ viewer { role } }')}`, {
      headers: { authorization: `Bearer ${acme.reader}`, 'apollo-require-preflight': 'true' },
    });
    expect(get.body).toEqual({ data: { viewer: { role: 'READER' } } });
    expect(await counter(capped, 'cardfile_http_body_refusals_total', { reason: 'busy' })).toBe(3);

    // Two finish their body and are answered as usual; the third goes away.
    stalled[0]!.write(full.slice(-1));
    stalled[1]!.write(full.slice(-1));
    stalled[2]!.destroy();
    for (const finished of await Promise.all([stalled[0]!.closed, stalled[1]!.closed])) {
      expect(finished.status, finished.text).toBe(200);
      expect(finished.body).toEqual({ data: { viewer: { role: 'READER' } } });
    }
    await waitFor('every held byte to be given back', () => inFlight(capped), (bytes) => bytes === 0);
    const answered = await fetchAnswer(capped, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
      body: small,
    });
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ data: { viewer: { role: 'READER' } } });
    expect(await counter(capped, 'cardfile_http_client_aborts_total', { route: 'graphql' })).toBe(1);
  });
});

describe('the body deadline', () => {
  const stallThenAnswer = async (path: string, headers: Record<string, string>, body: string): Promise<RawAnswer> => {
    const client = await openSlowClient(hurried.url, requestHead('POST', path, headers, body.length + 10) + body);
    return client.closed;
  };

  it('cuts a stalled GraphQL body with 408 in the usual error shape, closes the connection and gives its bytes back', async () => {
    const before = await counter(hurried, 'cardfile_http_body_refusals_total', { reason: 'timeout' });
    const answer = await stallThenAnswer('/graphql', { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` }, viewerBody(200));
    expectCoded(answer, 408, 'REQUEST_TIMEOUT', { bare: true });
    expect(answer.headers.connection).toBe('close');
    expect(await counter(hurried, 'cardfile_http_body_refusals_total', { reason: 'timeout' })).toBe(before + 1);
    expect(await counter(hurried, 'cardfile_http_request_duration_seconds_count', { route: 'graphql', status: '408' })).toBeGreaterThanOrEqual(1);
    expect(await inFlight(hurried)).toBe(0);
  });

  it('cuts a stalled beacon to /rum the same way', async () => {
    const answer = await stallThenAnswer('/rum', { 'content-type': 'text/plain' }, '[');
    expectCoded(answer, 408, 'REQUEST_TIMEOUT', { bare: true });
    expect(await inFlight(hurried)).toBe(0);
  });

  it('counts from the start of the body: one that trickles in a byte at a time is cut too', async () => {
    const body = viewerBody(MAX_BODY);
    const client = await openSlowClient(hurried.url, graphqlHead(body.length));
    let sent = 0;
    // A byte every 20 ms would take 20 s to send the body; each byte is activity, and none extends the deadline.
    const drip = setInterval(() => {
      if (sent < body.length - 1) client.write(body[sent++]!);
    }, 20);
    try {
      const answer = await client.closed;
      expectCoded(answer, 408, 'REQUEST_TIMEOUT', { bare: true });
      expect(sent).toBeLessThan(body.length - 1);
    } finally {
      clearInterval(drip);
    }
    expect(await inFlight(hurried)).toBe(0);
  });

  it('leaves bodies that arrive in time alone', async () => {
    const answer = await fetchAnswer(hurried, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
      body: viewerBody(5_000),
    });
    expect(answer.body).toEqual({ data: { viewer: { role: 'READER' } } });
  });
});

describe('the headers deadline', () => {
  it('cuts a request whose headers stall with 408 in the usual error shape', async () => {
    const client = await openSlowClient(hurried.url, 'POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: appl');
    const answer = await client.closed;
    expectCoded(answer, 408, 'REQUEST_TIMEOUT', { bare: true });
    // Still serving.
    const after = await hurried.graphql('{ viewer { role } }', {}, acme.reader);
    expect(after.body).toEqual({ data: { viewer: { role: 'READER' } } });
  });
});
