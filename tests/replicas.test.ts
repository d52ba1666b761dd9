// Read replicas, for real: a PostgreSQL streaming replica of the test server runs on this machine
// (tests/helpers/replica-cluster.sh makes it, as CI does), and these tests check that queries
// read from it, mutations and their payloads from the primary; that a workspace reads its own
// writes while the replica's replay is paused (pg_wal_replay_pause), on this instance and on
// another, and that nothing stale is cached meanwhile; that a replica lagging past
// DB_REPLICA_MAX_LAG_MS or down leaves the rotation, with reads going to the primary without a
// failed request, and comes back once healthy. The embedded store has no replicas: there the
// setting is refused.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { createScratchDatabase, onPostgres, type TestDatabase } from './helpers/database.js';
import { counter } from './helpers/metrics.js';
import { createWorkspace, onRedis, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { RECORD_VIEW } from './helpers/view-load.js';
import { waitFor } from './helpers/wait-for.js';

const run = promisify(execFile);
const REPLICA_PORT = Number(process.env.TEST_REPLICA_PORT ?? 5433);

describe('replica settings', () => {
  it('refuses DATABASE_REPLICA_URLS without a PostgreSQL primary, and a replica that is not a postgres:// URL, without echoing it', () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://replica:5433/app' })).toThrow(/DATABASE_REPLICA_URLS needs DATABASE_URL/);
    const refused = () => loadConfig({ DATABASE_URL: 'postgres://primary/app', DATABASE_REPLICA_URLS: 'postgres://r1/app, mysql://u:secret@r2/app' });
    expect(refused).toThrow(/entry 2 is not a postgres:\/\/ URL/);
    expect(refused).not.toThrow(/secret/);
    expect(loadConfig({ DATABASE_URL: 'postgres://primary/app', DATABASE_REPLICA_URLS: ' postgres://r1/app , postgresql://r2/app ' }).databaseReplicaUrls).toEqual([
      'postgres://r1/app',
      'postgresql://r2/app',
    ]);
  });
});

if (onPostgres) {
  describe('read replicas', () => {
    let primaryUrl: string;
    let replicaUrl: string;
    let dropScratch: () => Promise<void>;
    /** Superuser connections: the primary's scratch database, and the replica's (to pause replay). */
    let primary: postgres.Sql;
    let replica: postgres.Sql;
    const cleanups: Array<() => Promise<void>> = [];

    const lsnOf = async (sql: postgres.Sql, expression: string) => String((await sql.unsafe(`select ${expression}::text as lsn`))[0]!.lsn);
    /** Waits until the replica has replayed everything the primary has written so far. */
    async function replicaCaughtUp() {
      const target = await lsnOf(primary, 'pg_current_wal_lsn()');
      await until(async () => {
        const [row] = await replica.unsafe(`select pg_last_wal_replay_lsn() >= '${target}'::pg_lsn as done`);
        return row?.done === true;
      }, 'the replica to replay the primary');
    }

    beforeAll(async () => {
      try {
        await run('bash', ['tests/helpers/replica-cluster.sh'], { env: { ...process.env, REPLICA_PORT: String(REPLICA_PORT) }, timeout: 240_000 });
      } catch (error) {
        const failure = error as { stderr?: string; message: string };
        throw new Error(`The read-replica tests need a streaming replica on port ${REPLICA_PORT} and could not make one: ${failure.stderr || failure.message}`);
      }
      const scratch = await createScratchDatabase();
      primaryUrl = scratch.url;
      dropScratch = scratch.drop;
      const url = new URL(scratch.url);
      url.port = String(REPLICA_PORT);
      replicaUrl = url.toString();
      primary = postgres(primaryUrl, { max: 2, onnotice: () => {} });
      // The scratch database reaches the replica once replayed: connect when it is there.
      const replicaAdmin = new URL(replicaUrl);
      replicaAdmin.pathname = '/postgres';
      replica = postgres(replicaAdmin.toString(), { max: 1, onnotice: () => {} });
    });

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      // Whatever happened, the shared replica replays again.
      await replica?.unsafe('select pg_wal_replay_resume() where pg_is_wal_replay_paused()').catch(() => {});
      await replica?.end({ timeout: 5 });
      await primary?.end({ timeout: 5 });
      await dropScratch?.();
    });

    /** The scratch database, with a replica set (its own handle per server setting). */
    async function openWithReplica(settings: { checkIntervalMs: number; maxLagMs: number }): Promise<TestDatabase> {
      const handle = await openDatabase({
        kind: 'postgres',
        url: primaryUrl,
        poolMax: 5,
        connectTimeoutMs: 1_000,
        replicas: { urls: [replicaUrl], ...settings },
      });
      await handle.migrate();
      const database: TestDatabase = { ...handle, namespace: `replicas${Math.random().toString(36).slice(2, 10)}`, destroy: () => handle.close() };
      cleanups.push(() => handle.close());
      return database;
    }

    async function serve(database: TestDatabase, env: Record<string, string> = {}): Promise<TestServer> {
      const server = await startTestServer({ WARM_WORKSPACES: '0', ...env }, { database });
      cleanups.push(() => server.close());
      return server;
    }

    const statementsOn = (server: TestServer, where: 'primary' | 'replica') =>
      counter(server, 'cardfile_db_request_statements_total', { database: where });

    /** Runs `read` and says where its statements ran. */
    async function whereRan<T>(server: TestServer, read: () => Promise<T>): Promise<{ value: T; primary: number; replica: number }> {
      const before = { primary: await statementsOn(server, 'primary'), replica: await statementsOn(server, 'replica') };
      const value = await read();
      return {
        value,
        primary: (await statementsOn(server, 'primary')) - before.primary,
        replica: (await statementsOn(server, 'replica')) - before.replica,
      };
    }

    /** SQL picking the contact FIRST shows first in a workspace, for changes made behind the API's back. */
    const firstIn = (workspace: string) =>
      `(select id from contacts where workspace_id = (select id from workspaces where name = '${workspace}') and deleted_at is null order by created_at, id limit 1)`;

    const inRotation = async (server: TestServer) => counter(server, 'cardfile_db_replica_in_rotation');

    const FIRST = '{ contacts(first: 3, orderBy: { field: CREATED_AT, direction: ASC }) { edges { node { id firstName title version } } } }';
    const CARD = 'query Card($id: ID!) { contact(id: $id) { id firstName title version } }';
    const UPDATE =
      'mutation Update($input: UpdateContactInput!) { updateContact(input: $input) { contact { id title version tags { name } } } }';

    async function firstContact(server: TestServer, workspace: Workspace) {
      const page = await server.graphql(FIRST, {}, workspace.reader);
      expect(page.body.errors).toBeUndefined();
      return page.body.data.contacts.edges[0].node as { id: string; firstName: string; title: string | null; version: number };
    }

    let database: TestDatabase;
    let server: TestServer;
    let acme: Workspace;
    let globex: Workspace;

    it('sends queries to the replica, and mutations with their payloads to the primary', async () => {
      // A replica that may lag a minute: while replay is paused here, it stays in rotation.
      database = await openWithReplica({ checkIntervalMs: 100, maxLagMs: 60_000 });
      acme = await createWorkspace(database.db, 'acme', 5);
      globex = await createWorkspace(database.db, 'globex', 5);
      await replicaCaughtUp();
      server = await serve(database, { RESPONSE_CACHE: 'false', DB_REPLICA_CHECK_MS: '100' });
      await until(async () => (await inRotation(server)) === 1, 'the replica to be in rotation');

      const read = await whereRan(server, () => firstContact(server, acme));
      expect(read.replica).toBeGreaterThan(0);
      expect(read.primary).toBe(0);

      // Proof by content: with replay paused, a change made on the primary behind the API's back
      // is not what a query sees.
      await replica.unsafe('select pg_wal_replay_pause()');
      await primary.unsafe(`update contacts set first_name = 'Changed' where id = ${firstIn('acme')}`);
      expect((await firstContact(server, acme)).firstName).not.toBe('Changed');
      await replica.unsafe('select pg_wal_replay_resume()');
      await until(async () => (await firstContact(server, acme)).firstName === 'Changed', 'the replica to replay the change');

      const contact = await firstContact(server, acme);
      const write = await whereRan(server, () =>
        server.graphql(UPDATE, { input: { id: contact.id, expectedVersion: contact.version, title: 'Written' } }, acme.editor),
      );
      expect(write.value.body.errors).toBeUndefined();
      expect(write.value.body.data.updateContact.contact.title).toBe('Written');
      // The payload's tags are read after the transaction, by a loader: on the primary too.
      expect(write.replica).toBe(0);
      expect(write.primary).toBeGreaterThan(0);
    });

    it('reads from the primary while Redis, which holds other instances\' write positions, cannot be reached', async () => {
      const { freePort } = await import('./helpers/free-port.js');
      const cutOff = await serve(database, { RESPONSE_CACHE: 'false', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      await until(async () => (await inRotation(cutOff)) === 1, 'the replica to be in rotation');
      // Another instance may have written: without Redis nothing says a replica has that write.
      const read = await whereRan(cutOff, () => firstContact(cutOff, globex));
      expect(read.replica).toBe(0);
      expect(read.primary).toBeGreaterThan(0);
    });

    it('reads a workspace from the primary after it writes until the replica has replayed the write, and other workspaces from the replica', async () => {
      await replica.unsafe('select pg_wal_replay_pause()');
      const contact = await firstContact(server, acme);
      const written = await server.graphql(UPDATE, { input: { id: contact.id, expectedVersion: contact.version, title: 'Paused' } }, acme.editor);
      expect(written.body.errors).toBeUndefined();

      const own = await whereRan(server, () => server.graphql(CARD, { id: contact.id }, acme.reader));
      expect(own.value.body.data.contact).toMatchObject({ title: 'Paused', version: contact.version + 1 });
      expect(own.replica).toBe(0);
      expect(own.primary).toBeGreaterThan(0);

      const other = await whereRan(server, () => firstContact(server, globex));
      expect(other.replica).toBeGreaterThan(0);
      expect(other.primary).toBe(0);

      // Once replayed, the workspace reads from the replica again.
      await replica.unsafe('select pg_wal_replay_resume()');
      await until(async () => (await whereRan(server, () => firstContact(server, acme))).replica > 0, 'the workspace to read from the replica again');
      const after = await server.graphql(CARD, { id: contact.id }, acme.reader);
      expect(after.body.data.contact).toMatchObject({ title: 'Paused', version: contact.version + 1 });
    });

    if (onRedis) {
      it('keeps read-your-writes across instances, and caches nothing a paused replica would answer', async () => {
        // Two instances with their caches on, sharing Redis: A takes the write, B the reads.
        const cached = await openWithReplica({ checkIntervalMs: 100, maxLagMs: 60_000 });
        const a = await serve(cached);
        const b = await serve(cached);
        await until(async () => (await inRotation(b)) === 1, 'the replica to be in rotation');
        const contact = await firstContact(b, acme);
        // B caches the page as it is now. (A page, not the card: the card's row would come from the
        // entity cache, which the write itself refreshed, and not from a database at all.)
        expect((await firstContact(b, acme)).version).toBe(contact.version);

        await replica.unsafe('select pg_wal_replay_pause()');
        for (let round = 1; round <= 5; round++) {
          const version = contact.version + round - 1;
          const written = await a.graphql(UPDATE, { input: { id: contact.id, expectedVersion: version, title: `Round ${round}` } }, acme.editor);
          expect(written.body.errors).toBeUndefined();
          // Twice: the first read fills B's cache, the second is answered from it.
          for (let read = 0; read < 2; read++) {
            expect(await firstContact(b, acme)).toMatchObject({ id: contact.id, title: `Round ${round}`, version: version + 1 });
          }
        }
        await replica.unsafe('select pg_wal_replay_resume()');
      });
    }

    it('never answers with a view count from before a flush while the replica lags: not from the entity cache, a response cache or another instance', async () => {
      const CARD_VIEWS = 'query CardViews($id: ID!) { contact(id: $id) { id viewCount } }';
      // Another document for the same contact: its response is not cached yet, so its row comes
      // from the entity cache (or the database), never from a cached response.
      const ROW_VIEWS = 'query RowViews($id: ID!) { row: contact(id: $id) { viewCount } }';
      const LIST_VIEWS = '{ contacts(first: 3, orderBy: { field: CREATED_AT, direction: ASC }) { edges { node { id viewCount } } } }';
      const counted = await openWithReplica({ checkIntervalMs: 100, maxLagMs: 60_000 });
      const a = await serve(counted, { VIEW_FLUSH_INTERVAL_MS: '50' });
      await until(async () => (await inRotation(a)) === 1, 'the replica to be in rotation');
      const contact = await firstContact(a, globex);
      const viewsOf = async (server: TestServer) => {
        const card = await server.graphql(CARD_VIEWS, { id: contact.id }, globex.reader);
        const list = await server.graphql(LIST_VIEWS, {}, globex.reader);
        expect(card.body.errors).toBeUndefined();
        expect(list.body.errors).toBeUndefined();
        const listed = list.body.data.contacts.edges.find((edge: { node: { id: string } }) => edge.node.id === contact.id).node;
        return { card: card.body.data.contact.viewCount as number, list: listed.viewCount as number };
      };
      // Read twice: the card and the list are cached, and the contact's row is in the entity cache.
      const before = await viewsOf(a);
      expect(await viewsOf(a)).toEqual(before);
      await replicaCaughtUp();

      await replica.unsafe('select pg_wal_replay_pause()');
      try {
        const flushed = await counter(a, 'cardfile_contact_views_flushed_total');
        for (let view = 0; view < 3; view++) {
          const recorded = await a.graphql(RECORD_VIEW, { id: contact.id }, globex.reader);
          expect(recorded.body.errors).toBeUndefined();
        }
        // The flusher reports a batch once it has taken the after-write path for it.
        await until(async () => (await counter(a, 'cardfile_contact_views_flushed_total')) >= flushed + 3, 'the views to be flushed');
        const after = { card: before.card + 3, list: before.list + 3 };
        // Twice: the first read fills the caches, the second is answered from them.
        expect(await viewsOf(a)).toEqual(after);
        expect(await viewsOf(a)).toEqual(after);
        const rowHits = await counter(a, 'cardfile_entity_cache_rows_total', { type: 'Contact', outcome: 'hit' });
        const row = await a.graphql(ROW_VIEWS, { id: contact.id }, globex.reader);
        expect(row.body.data.row.viewCount).toBe(after.card);
        expect(await counter(a, 'cardfile_entity_cache_rows_total', { type: 'Contact', outcome: 'hit' })).toBe(rowHits + 1);
        if (onRedis) {
          // An instance started after the flush learns the write position from Redis.
          const fresh = await serve(counted);
          await until(async () => (await inRotation(fresh)) === 1, 'the replica to be in rotation');
          expect(await viewsOf(fresh)).toEqual(after);
          expect(await viewsOf(fresh)).toEqual(after);
        }
      } finally {
        await replica.unsafe('select pg_wal_replay_resume()');
      }
    });

    it('takes a replica lagging past DB_REPLICA_MAX_LAG_MS out of rotation, reads from the primary meanwhile, and takes it back once caught up', async () => {
      const strict = await openWithReplica({ checkIntervalMs: 100, maxLagMs: 300 });
      const watched = await serve(strict, { RESPONSE_CACHE: 'false' });
      await until(async () => (await inRotation(watched)) === 1, 'the replica to be in rotation');

      await replica.unsafe('select pg_wal_replay_pause()');
      // WAL the replica does not replay.
      await primary.unsafe(`update contacts set first_name = 'Lagging' where id = ${firstIn('acme')}`);
      await until(async () => (await inRotation(watched)) === 0, 'the lagging replica to leave the rotation');
      expect(await counter(watched, 'cardfile_db_replica_lag_seconds')).toBeGreaterThan(0.3);
      const meanwhile = await whereRan(watched, () => firstContact(watched, globex));
      expect(meanwhile.replica).toBe(0);
      expect(meanwhile.primary).toBeGreaterThan(0);
      expect((await firstContact(watched, acme)).firstName).toBe('Lagging');

      await replica.unsafe('select pg_wal_replay_resume()');
      await until(async () => (await inRotation(watched)) === 1, 'the replica to rejoin the rotation');
      expect((await whereRan(watched, () => firstContact(watched, globex))).replica).toBeGreaterThan(0);
    });

    it('serves every read from the primary while the replica is down, and uses the replica again once it is back', async () => {
      const watched = await serve(await openWithReplica({ checkIntervalMs: 100, maxLagMs: 5_000 }), { RESPONSE_CACHE: 'false' });
      await until(async () => (await inRotation(watched)) === 1, 'the replica to be in rotation');
      expect((await whereRan(watched, () => firstContact(watched, globex))).replica).toBeGreaterThan(0);

      const cluster = await run('sh', ['-c', "pg_lsclusters -h | awk '$3 == " + REPLICA_PORT + " { print $1, $2 }'"]);
      const [version, name] = cluster.stdout.trim().split(' ');
      // Reads keep coming while the replica stops: none may fail.
      let reading = true;
      const failures: unknown[] = [];
      let reads = 0;
      const load = (async () => {
        while (reading) {
          const page = await watched.graphql(FIRST, {}, globex.reader);
          reads++;
          if (page.status !== 200 || page.body.errors) failures.push(page.body.errors ?? page.status);
        }
      })();
      try {
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', version!, name!, 'stop', '-m', 'fast']);
        await until(async () => (await inRotation(watched)) === 0, 'the stopped replica to leave the rotation');
        const during = await whereRan(watched, () => firstContact(watched, globex));
        expect(during.replica).toBe(0);
        expect(during.primary).toBeGreaterThan(0);
      } finally {
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', version!, name!, 'start']);
        reading = false;
        await load;
      }
      expect(failures).toEqual([]);
      expect(reads).toBeGreaterThan(0);
      await until(async () => (await inRotation(watched)) === 1, 'the restarted replica to rejoin the rotation');
      expect((await whereRan(watched, () => firstContact(watched, globex))).replica).toBeGreaterThan(0);
    });
  });
}

/** Polls `check` until it holds, for at most 30 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor(what, check, (held) => held, 30_000);
}
