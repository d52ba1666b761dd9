// What operators see of requests: one log line per GraphQL request (request id, operation,
// workspace, duration, cache outcome, statement count; never a token), the request histogram by
// operation, outcome and status, errors by code, statement durations by shape and database,
// DataLoader batch sizes, pool and write-behind gauges, and unexpected errors fingerprinted,
// counted, logged once per interval with their stack, and masked for the client with the request
// id to quote.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from './helpers/database.js';
import { counter } from './helpers/metrics.js';
import { createWorkspace, onRedis, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

interface Line {
  msg: string;
  level: number;
  [field: string]: unknown;
}

const lines: Line[] = [];
let server: TestServer;
let acme: Workspace;

const PAGE = '{ contacts(first: 10) { edges { node { id company { name } tags { name } } } } }';

beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  server = await startTestServer(
    // Views wait in their buffers until the test looks at them.
    { WARM_WORKSPACES: '0', VIEW_FLUSH_INTERVAL_MS: '60000', ERROR_LOG_INTERVAL_MS: '60000' },
    { logger },
  );
  await server.app.warmed;
  acme = await createWorkspace(server.db, 'acme', 30);
});

afterAll(() => server?.close());

const requestLines = () => lines.filter((line) => line.msg === 'graphql request');

/** Log lines are written as the response goes out: wait until `count` of them are there. */
async function logged(count: number) {
  for (let attempt = 0; attempt < 1_000 && requestLines().length < count; attempt++) await new Promise((resolve) => setImmediate(resolve));
}

describe('observing requests', () => {
  it('logs one line per GraphQL request with its id, operation, workspace, duration, cache outcome and statements, and no token', async () => {
    lines.length = 0;
    const miss = await server.graphql(PAGE, {}, acme.reader);
    const hit = await server.graphql(PAGE, {}, acme.reader);
    await logged(2);
    const [first, second] = requestLines();
    expect(first).toMatchObject({
      requestId: miss.headers.get('x-request-id'),
      operation: 'other',
      cache: 'miss',
      statements: Number(miss.headers.get('x-sql-statements')),
      status: 200,
    });
    expect(first!.statements).toBeGreaterThan(0);
    expect(typeof first!.workspaceId).toBe('number');
    expect(first!.durationMs).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ requestId: hit.headers.get('x-request-id'), cache: 'hit-l1', statements: 0, workspaceId: first!.workspaceId });
    expect(JSON.stringify(lines)).not.toContain(acme.reader);
  });

  it('counts requests by operation, cache outcome and status, and errors by code', async () => {
    const labels = { operation: 'other', outcome: 'bypass', status: '200' };
    const before = await counter(server, 'cardfile_graphql_request_duration_seconds_count', labels);
    const validationBefore = await counter(server, 'cardfile_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' });
    const invalid = await server.graphql('{ contacts(first: 1) { nope } }', {}, acme.reader);
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // A mutation is never cached: outcome bypass.
    await server.graphql('mutation { createTag(input: { name: "observed" }) { tag { id } } }', {}, acme.editor);
    expect(await counter(server, 'cardfile_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(validationBefore + 1);
    expect(await counter(server, 'cardfile_graphql_request_duration_seconds_count', labels)).toBeGreaterThanOrEqual(before + 1);
  });

  it('times statements by shape and database, and measures DataLoader batches', async () => {
    const text = await (await server.request('/metrics')).text();
    const statementLines = text.split('\n').filter((line) => line.startsWith('cardfile_db_statement_duration_seconds_count{'));
    expect(statementLines.some((line) => /statement="select contacts#[0-9a-f]{6}",database="primary"/.test(line))).toBe(true);
    // Every label is a shape name, never a statement's text or its values.
    for (const line of statementLines) expect(line).toMatch(/statement="(?:[a-z]+ [a-z_-]+#[0-9a-f]{6}|other)"/);

    const tagBatches = await counter(server, 'cardfile_dataloader_batch_size_count', { loader: 'tagsOfContact' });
    const tagKeys = await counter(server, 'cardfile_dataloader_batch_size_sum', { loader: 'tagsOfContact' });
    await server.graphql('{ contacts(first: 7, orderBy: { field: NAME, direction: DESC }) { edges { node { id tags { name } } } } }', {}, acme.reader);
    // One batch for the page's 7 contacts.
    expect(await counter(server, 'cardfile_dataloader_batch_size_count', { loader: 'tagsOfContact' })).toBe(tagBatches + 1);
    expect(await counter(server, 'cardfile_dataloader_batch_size_sum', { loader: 'tagsOfContact' })).toBe(tagKeys + 7);
  });

  it(onPostgres ? 'shows the pool: capacity in use and free, and statements waiting' : 'shows no pool on the embedded store', async () => {
    const text = await (await server.request('/metrics')).text();
    if (onPostgres) {
      expect(await counter(server, 'cardfile_db_pool_connections', { database: 'primary' })).toBe(10);
      expect(text).toMatch(/cardfile_db_pool_waiting\{database="primary"\} \d+/);
    } else {
      expect(text).not.toMatch(/cardfile_db_pool_connections\{/);
    }
  });

  it('shows the write-behind backlog of contact views and how old its oldest view is', async () => {
    const buffer = onRedis ? 'redis' : 'postgres';
    const before = await counter(server, 'cardfile_contact_views_backlog', { buffer });
    const page = await server.graphql('{ contacts(first: 3) { edges { node { id } } } }', {}, acme.reader);
    for (const edge of page.body.data.contacts.edges) {
      const recorded = await server.graphql(
        'mutation View($id: ID!) { recordContactView(input: { contactId: $id }) { contactId } }',
        { id: edge.node.id },
        acme.reader,
      );
      expect(recorded.body.errors).toBeUndefined();
    }
    expect(await counter(server, 'cardfile_contact_views_backlog', { buffer })).toBe(before + 3);
    expect(await counter(server, 'cardfile_contact_views_flush_lag_seconds', { buffer })).toBeGreaterThanOrEqual(0);
  });
});

describe('unexpected errors', () => {
  it('masks them with the request id and fingerprint, counts each, and logs their stack once per interval', async () => {
    // A database that lost a table: every tag list fails the same unexpected way.
    await server.database.query('alter table tags rename to tags_gone');
    lines.length = 0;
    let answers;
    try {
      answers = [];
      for (let i = 0; i < 3; i++) answers.push(await server.graphql('{ tags { id name } }', {}, acme.reader));
    } finally {
      await server.database.query('alter table tags_gone rename to tags');
    }
    const errors = answers.map((answer) => answer.body.errors?.[0]);
    const fingerprint = errors[0]?.extensions?.fingerprint;
    expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
    errors.forEach((error, index) => {
      expect(error).toMatchObject({ extensions: { code: 'INTERNAL_SERVER_ERROR', fingerprint, requestId: answers[index]!.headers.get('x-request-id') } });
      expect(error!.message).not.toMatch(/tags|relation|select/i);
      expect(answers[index]!.text).not.toMatch(/stack|at .*\.ts/);
    });
    const logLines = lines.filter((line) => line.msg === 'unexpected error');
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({ fingerprint, requestId: answers[0]!.headers.get('x-request-id'), path: 'tags', occurrences: 1 });
    expect(String((logLines[0]!.err as { stack?: string }).stack)).toMatch(/at /);
    expect(await counter(server, 'cardfile_unexpected_errors_total', { fingerprint })).toBe(3);
    expect(await counter(server, 'cardfile_graphql_errors_total', { code: 'INTERNAL_SERVER_ERROR' })).toBeGreaterThanOrEqual(3);
  });
});
