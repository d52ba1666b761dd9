// OpenTelemetry traces: one root span per GraphQL request with Apollo's phases, DataLoader batches,
// SQL statements and cache lookups under it; the caller's traceparent honoured; no parameter
// value, token or header in any span; nothing at all with tracing off; and the OTLP/HTTP exporter
// really delivering to a collector.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSpanContextValid, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import { observedPostgres, recordingRoute, type StatementDatabase } from '../src/db/observed-client.js';
import { routedClient } from '../src/db/replicas/routed-client.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { waitFor } from './helpers/wait-for.js';

// A parameter value that must never reach a span: searched for in everything exported.
const MARKER = 'Zqvx7Marker';

const page = `query TracedPage($search: String) {
  contacts(first: 10) { totalCount edges { node { id firstName company { name } tags { name } } } }
  found: contacts(first: 3, filter: { search: $search }) { edges { node { id } } }
}`;

const exporter = new InMemorySpanExporter();
let server: TestServer;
let acme: Workspace;

beforeAll(async () => {
  // A machine busy with the rest of the suite must not turn a slow Redis answer into a miss here.
  server = await startTestServer({ REDIS_COMMAND_TIMEOUT_MS: '2000' }, { spanProcessor: new SimpleSpanProcessor(exporter) });
  acme = await createWorkspace(server.db, 'traced', 30);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => exporter.reset());

const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** The spans of the request whose root span is `root`, found through parent links. */
function descendantsOf(root: ReadableSpan, spans: ReadableSpan[]): ReadableSpan[] {
  const found: ReadableSpan[] = [];
  let frontier = new Set([idOf(root)]);
  while (frontier.size > 0) {
    const next = spans.filter((span) => span.parentSpanContext && frontier.has(span.parentSpanContext.spanId));
    found.push(...next);
    frontier = new Set(next.map(idOf));
  }
  return found;
}

/** The single root span (a server span) exported since the last reset. */
function rootSpan(spans: ReadableSpan[]): ReadableSpan {
  const roots = spans.filter((span) => span.kind === SpanKind.SERVER);
  expect(roots).toHaveLength(1);
  return roots[0]!;
}

async function traced(query: string, variables: Record<string, unknown>, token: string, headers: Record<string, string> = {}) {
  const response = await server.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
  // The root span ends as the response is written; wait for it rather than for a fixed time.
  const roots = async () => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER).length;
  await waitFor('the root span to end', roots, (count) => count > 0, 1_000);
  return { response, body, spans: exporter.getFinishedSpans() };
}

/** Everything a span could carry to a collector, as text. */
function exportedText(spans: ReadableSpan[]): string {
  return JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links })));
}

describe('traces with tracing on', () => {
  it('a cache miss: a root span with the parse, validate and execute phases, loader batches and SQL statements under it', async () => {
    const { response, body, spans } = await traced(page, { search: MARKER }, acme.reader);
    expect(body.errors).toBeUndefined();
    expect(response.headers.get('x-cache')).toBe('miss');
    const statements = Number(response.headers.get('x-sql-statements'));
    expect(statements).toBeGreaterThan(0);

    const root = rootSpan(spans);
    expect(root.name).toBe('POST /graphql');
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'cardfile.operation': 'other',
      'cardfile.cache.outcome': 'miss',
      'cardfile.sql.statements': statements,
      'cardfile.request.id': response.headers.get('x-request-id'),
    });
    expect(root.attributes['cardfile.workspace.id']).toEqual(expect.any(Number));
    expect(root.resource.attributes['service.name']).toBe('cardfile');

    const under = descendantsOf(root, spans);
    // Everything exported belongs to this request's trace.
    expect(under.length).toBe(spans.length - 1);
    for (const span of under) expect(span.spanContext().traceId).toBe(root.spanContext().traceId);

    const named = (name: string) => under.filter((span) => span.name === name);
    const [parse] = named('graphql.parse');
    const [validate] = named('graphql.validate');
    const [execute] = named('graphql.execute');
    for (const phase of [parse, validate, execute]) expect(phase?.parentSpanContext?.spanId).toBe(idOf(root));
    expect(execute!.attributes['graphql.operation.type']).toBe('query');

    const batches = under.filter((span) => span.name.startsWith('dataloader.batch '));
    const company = batches.find((span) => span.attributes['cardfile.loader.name'] === 'company');
    expect(company?.name).toBe('dataloader.batch company');
    expect(company!.attributes['cardfile.loader.batch_size']).toEqual(expect.any(Number));
    expect(company!.attributes['cardfile.loader.batch_size']).toBeGreaterThan(0);
    const tagBatch = batches.find((span) => span.attributes['cardfile.loader.name'] === 'tagsOfContact');
    expect(tagBatch!.attributes['cardfile.loader.batch_size']).toBe(10);
    for (const batch of batches) expect(batch.parentSpanContext?.spanId).toBe(idOf(execute!));

    // One span per statement the request sent, each under the execute phase.
    const sql = under.filter((span) => span.attributes['db.system'] === 'postgresql');
    expect(sql).toHaveLength(statements);
    for (const span of sql) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.parentSpanContext?.spanId).toBe(idOf(execute!));
      expect(span.attributes['db.system.name']).toBe('postgresql');
      expect(span.attributes['cardfile.db.database']).toBe('primary');
      expect(span.attributes['db.operation.name']).toBe('SELECT');
      expect(span.name).toMatch(/^select [a-z_]+#[0-9a-f]{6}$/);
      expect(String(span.attributes['db.query.text'])).toMatch(/^select /i);
    }
    // The search went in as a placeholder.
    expect(sql.some((span) => /\$\d/.test(String(span.attributes['db.query.text'])))).toBe(true);

    // The L1 lookup missed before execution.
    const l1 = named('cache.lookup l1');
    expect(l1).toHaveLength(1);
    expect(l1[0]!.attributes).toMatchObject({ 'cardfile.cache.tier': 'l1', 'cardfile.cache.result': 'miss', 'cardfile.cache.hit': false });
    expect(l1[0]!.parentSpanContext?.spanId).toBe(idOf(root));
  });

  it('no span carries a parameter value, the token or the Authorization header', async () => {
    // A query (parameters of a select) and a mutation (parameters of an insert inside a transaction).
    const query = await traced(page, { search: `${MARKER}-query` }, acme.reader);
    const queryText = exportedText(query.spans);
    exporter.reset();
    const mutation = await traced('mutation Tag($name: String!) { createTag(input: { name: $name }) { tag { id name } } }', { name: `${MARKER}-tag` }, acme.editor);
    expect(mutation.body.errors).toBeUndefined();
    const mutationText = exportedText(mutation.spans);

    // The mutation's statements ran in its transaction, and are spans too.
    const inserts = mutation.spans.filter((span) => span.attributes['db.operation.name'] === 'INSERT');
    expect(inserts.length).toBeGreaterThan(0);
    expect(String(inserts[0]!.attributes['db.query.text'])).toMatch(/\$1/);
    expect(rootSpan(mutation.spans).attributes['cardfile.cache.outcome']).toBe('bypass');

    for (const text of [queryText, mutationText]) {
      expect(text).not.toContain(MARKER);
      expect(text).not.toContain(acme.reader);
      expect(text).not.toContain(acme.editor);
      expect(text.toLowerCase()).not.toContain('bearer');
      expect(text.toLowerCase()).not.toContain('authorization');
    }
  });

  it('a cache hit: a root span with an L1 hit lookup and no SQL statement', async () => {
    const variables = { search: `${MARKER}-hit` };
    await traced(page, variables, acme.reader);
    exporter.reset();
    const { response, spans } = await traced(page, variables, acme.reader);
    expect(response.headers.get('x-cache')).toBe('hit-l1');

    const root = rootSpan(spans);
    expect(root.attributes).toMatchObject({ 'cardfile.cache.outcome': 'hit-l1', 'cardfile.sql.statements': 0, 'http.response.status_code': 200 });
    const under = descendantsOf(root, spans);
    const lookups = under.filter((span) => span.name === 'cache.lookup l1');
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.attributes).toMatchObject({ 'cardfile.cache.tier': 'l1', 'cardfile.cache.result': 'hit', 'cardfile.cache.hit': true });
    expect(spans.filter((span) => span.attributes['db.system'] !== undefined)).toEqual([]);
    expect(spans.filter((span) => span.name.startsWith('graphql.') || span.name.startsWith('dataloader.'))).toEqual([]);
  });

  it("an incoming traceparent is the root span's parent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const { spans } = await traced(page, { search: `${MARKER}-parent` }, acme.reader, { traceparent: `00-${traceId}-${parentId}-01` });
    const root = rootSpan(spans);
    expect(root.spanContext().traceId).toBe(traceId);
    expect(root.parentSpanContext?.spanId).toBe(parentId);
    expect(root.parentSpanContext?.isRemote).toBe(true);
    for (const span of spans) expect(span.spanContext().traceId).toBe(traceId);
  });

  it('a malformed traceparent starts a trace of its own', async () => {
    const { spans } = await traced(page, { search: `${MARKER}-bad` }, acme.reader, { traceparent: '00-not-a-trace-01' });
    const root = rootSpan(spans);
    expect(root.parentSpanContext).toBeUndefined();
    expect(isSpanContextValid(root.spanContext())).toBe(true);
  });

  it('a refused request still has its root span, with its status', async () => {
    const { response, spans } = await traced(page, {}, 'cf_not_a_token');
    expect(response.status).toBe(401);
    const root = rootSpan(spans);
    expect(root.attributes['http.response.status_code']).toBe(401);
    expect(exportedText(spans)).not.toContain('cf_not_a_token');
  });

  it('registers nothing globally: libraries cannot start spans of their own', () => {
    expect(isSpanContextValid(trace.getTracer('probe').startSpan('probe').spanContext())).toBe(false);
  });
});

describe('with tracing off', () => {
  it('no tracer exists and nothing is exported', async () => {
    const off = await startTestServer({}, { database: server.database });
    try {
      expect(off.app.tracing).toBeUndefined();
      const response = await off.graphql(page, { search: `${MARKER}-off` }, acme.reader);
      expect(response.body.errors).toBeUndefined();
      expect(exporter.getFinishedSpans()).toEqual([]);
      expect(isSpanContextValid(trace.getTracer('probe').startSpan('probe').spanContext())).toBe(false);
    } finally {
      await off.close();
    }
  });
});

describe('the OTLP/HTTP exporter', () => {
  it('sends the spans to the collector at OTEL_EXPORTER_OTLP_ENDPOINT, at the latest when the app closes', async () => {
    const received: Array<{ method: string; url: string; contentType: string; body: Buffer }> = [];
    const collector = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    try {
      const exporting = await startTestServer(
        { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, OTEL_SERVICE_NAME: 'cardfile-under-test' },
        { database: server.database },
      );
      expect(exporting.app.tracing).toBeDefined();
      const response = await exporting.graphql(page, { search: `${MARKER}-otlp` }, acme.reader);
      expect(response.body.errors).toBeUndefined();
      // Closing flushes the batch processor.
      await exporting.close();

      expect(received.length).toBeGreaterThan(0);
      const [first] = received;
      expect(first!.method).toBe('POST');
      expect(first!.url).toBe('/v1/traces');
      // OTLP over HTTP, JSON-encoded (what @opentelemetry/exporter-trace-otlp-http sends).
      expect(first!.contentType).toMatch(/^application\/json/);
      const payload = Buffer.concat(received.map((request) => request.body)).toString('utf8');
      expect(payload.length).toBeGreaterThan(0);
      expect(payload).toContain('cardfile-under-test');
      expect(payload).toContain('POST /graphql');
      expect(payload).not.toContain(MARKER);
      expect(payload).not.toContain(acme.reader);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});

describe('statement spans with read replicas', () => {
  /** A stand-in for a postgres.js client: each statement answers `rows`, and is recorded as sent. */
  function fakeClient(sent: string[], name: string) {
    return {
      unsafe: (text: string) => {
        const query = {
          values: () => query,
          then: (onFulfilled?: (rows: unknown) => unknown, onRejected?: (error: unknown) => unknown) => {
            sent.push(`${name}: ${text}`);
            return Promise.resolve([]).then(onFulfilled, onRejected);
          },
        };
        return query;
      },
    } as unknown as postgres.Sql;
  }

  it('name the database each statement went to, as the request was routed', async () => {
    const sent: string[] = [];
    const observed: Array<{ text: string; database: StatementDatabase; settled: boolean }> = [];
    const picks = [0, undefined, 0];
    const recorded = recordingRoute({ replica: () => picks.shift() });
    const replicas = { clients: [fakeClient(sent, 'replica')], failed: () => {}, sent: () => {} };
    const client = observedPostgres(routedClient(fakeClient(sent, 'primary'), replicas, recorded.route), (text, database) => {
      const entry = { text, database, settled: false };
      observed.push(entry);
      return () => void (entry.settled = true);
    }, recorded.databaseOfLast);

    // As Drizzle does: the statement is made, then awaited (with .values() for rows as arrays).
    await client.unsafe('select 1 where $1').values();
    await client.unsafe('select 2 where $1');
    await client.unsafe('select 3 where $1');

    expect(sent).toEqual(['replica: select 1 where $1', 'primary: select 2 where $1', 'replica: select 3 where $1']);
    expect(observed).toEqual([
      { text: 'select 1 where $1', database: 'replica', settled: true },
      { text: 'select 2 where $1', database: 'primary', settled: true },
      { text: 'select 3 where $1', database: 'replica', settled: true },
    ]);
  });
});
