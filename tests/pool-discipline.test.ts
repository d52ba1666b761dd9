// Pool discipline on PostgreSQL: a request that finds every pooled connection busy waits at most
// DB_POOL_WAIT_MS and then gets SERVICE_UNAVAILABLE (never a hang), the service answers normally as
// soon as a connection is free again, and a statement running past DB_STATEMENT_TIMEOUT_MS is
// stopped by PostgreSQL. The embedded store has no pool: there the same settings change nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/client.js';
import { createScratchDatabase, onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { createWorkspace, startTestServer, type TestServer } from './helpers/server.js';
import { counter } from './helpers/metrics.js';
import { loadPublishedOperations } from '../src/graphql/published-operations.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const POOL_WAIT_MS = 300;

/** A database of its own with a pool of one connection, as a server's test database. */
async function onePooledConnection(extra: { statementTimeoutMs?: number } = {}): Promise<TestDatabase & DatabaseHandle> {
  const scratch = await createScratchDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolMax: 1, poolWaitMs: POOL_WAIT_MS, ...extra });
  await handle.migrate();
  const database = { ...handle, namespace: scratch.name, destroy: async () => {} };
  cleanups.push(async () => {
    await handle.close();
    await scratch.drop();
  });
  return database;
}

describe('pool discipline', () => {
  if (onPostgres) {
    it('answers SERVICE_UNAVAILABLE within the bound while the pool is exhausted, and serves again once it is not', async () => {
      const database = await onePooledConnection();
      const server: TestServer = await startTestServer({ RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0' }, { database });
      cleanups.push(() => server.close());
      const acme = await createWorkspace(database.db, 'acme', 5);
      const query = '{ contacts(first: 2) { totalCount } }';
      expect((await server.graphql(query, {}, acme.reader)).body.data.contacts.totalCount).toBe(5);

      // Hold the only connection for a while.
      const holding = database.query('select pg_sleep(2)');
      const started = performance.now();
      const refused = await server.graphql(query, {}, acme.reader);
      const waited = performance.now() - started;
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.text).not.toMatch(/select|pg_sleep|stack/i);
      expect(waited).toBeGreaterThanOrEqual(POOL_WAIT_MS - 50);
      expect(waited).toBeLessThan(1_900);

      await holding;
      expect((await server.graphql(query, {}, acme.reader)).body.data.contacts.totalCount).toBe(5);
    });

    it('answers SERVICE_UNAVAILABLE for a published query, which runs compiled, while the pool is exhausted', async () => {
      const database = await onePooledConnection();
      const server: TestServer = await startTestServer({ RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0' }, { database });
      cleanups.push(() => server.close());
      const acme = await createWorkspace(database.db, 'acme', 5);
      const page = loadPublishedOperations().byName.get('ContactsPage')!.text;
      // Served once first: the token check and the cursor key are then held in memory, so the held
      // connection is missed by the page's own statements, inside compiled execution.
      expect((await server.graphql(page, { first: 2 }, acme.reader)).body.data.contacts.totalCount).toBe(5);
      const compiledBefore = await counter(server, 'cardfile_graphql_executions_total', { engine: 'compiled' });

      const holding = database.query('select pg_sleep(2)');
      const refused = await server.graphql(page, { first: 2 }, acme.reader);
      expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(refused.text).not.toMatch(/select|pg_sleep|stack/i);
      expect(await counter(server, 'cardfile_graphql_executions_total', { engine: 'compiled' })).toBe(compiledBefore + 1);

      await holding;
      expect((await server.graphql(page, { first: 2 }, acme.reader)).body.data.contacts.totalCount).toBe(5);
    });

    it('stops a statement that runs past the statement timeout', async () => {
      const database = await onePooledConnection({ statementTimeoutMs: 200 });
      const started = performance.now();
      // 57014: canceled by statement_timeout, which the API answers as SERVICE_UNAVAILABLE.
      await expect(database.query('select pg_sleep(3)')).rejects.toMatchObject({ code: '57014' });
      expect(performance.now() - started).toBeLessThan(2_500);
      const [row] = await database.query<{ statement_timeout: string }>('show statement_timeout');
      expect(row!.statement_timeout).toBe('200ms');
    });
  } else {
    it('leaves the embedded store serving with the pool settings given', async () => {
      const database = await openTestDatabase();
      const server = await startTestServer({ DB_POOL_MAX: '1', DB_POOL_WAIT_MS: String(POOL_WAIT_MS), DB_STATEMENT_TIMEOUT_MS: '200', RESPONSE_CACHE: 'false' }, { database });
      cleanups.push(async () => {
        await server.close();
        await database.destroy();
      });
      const acme = await createWorkspace(database.db, 'acme', 3);
      const replies = await Promise.all([1, 2, 3, 4].map(() => server.graphql('{ contacts(first: 2) { totalCount } }', {}, acme.reader)));
      for (const reply of replies) expect(reply.body.data.contacts.totalCount).toBe(3);
    });
  }
});
