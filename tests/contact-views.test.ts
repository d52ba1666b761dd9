// Contact views, write-behind: recordContactView answers once the view is in a durable buffer (the
// Redis stream, or PostgreSQL when Redis is unset or down) and a flusher counts it into
// Contact.viewCount shortly after. Checked here through the API and, for restarts and crashes, on
// real server processes: every acknowledged view is counted exactly once, whatever happens to the
// process in between.
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKeys } from '../src/cache/keys.js';
import { parseGlobalId, toGlobalId } from '../src/graphql/global-id.js';
import { VIEW_GROUP } from '../src/view-counting/view-stream.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { expectCoded, expectOk } from './helpers/expect-answer.js';
import { counter } from './helpers/metrics.js';
import { type RunningServer, startServerProcess } from './helpers/processes.js';
import { connectSuiteRedis, contactsOf, createProcessStore, discardStores, type ProcessStore, seedStore } from './helpers/process-store.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { RECORD_VIEW, ViewLoad } from './helpers/view-load.js';
import { waitFor } from './helpers/wait-for.js';

const CONTACT_VIEWS = 'query ($id: ID!) { contact(id: $id) { id version updatedAt viewCount lastViewedAt } }';
const LIST_VIEWS = '{ contacts(first: 50) { edges { node { id viewCount } } } }';
const RECORDED = 'cardfile_contact_views_recorded_total';

async function contactIdsOf(server: TestServer, workspace: Workspace): Promise<string[]> {
  const data = expectOk(await server.graphql(LIST_VIEWS, {}, workspace.reader));
  return data.contacts.edges.map((edge: { node: { id: string } }) => edge.node.id);
}

const rowIdOf = (globalId: string) => parseGlobalId(globalId)!.id;

// ---------------------------------------------------------------------------------------------

describe('recording views through the API', () => {
  let server: TestServer;
  let acme: Workspace;
  let other: Workspace;
  let ids: string[];
  // The cache's clock stands still: a cached response is only ever replaced because it was purged.
  const frozenNow = Date.now();

  const views = async (id: string, token: string) => expectOk(await server.graphql(CONTACT_VIEWS, { id }, token)).contact;
  const record = (id: string, token: string) => server.graphql(RECORD_VIEW, { id }, token);
  const bufferedRows = async () => (await server.database.query<{ n: number }>('select count(*)::int as n from contact_view_buffer'))[0]!.n;

  beforeAll(async () => {
    server = await startTestServer({ VIEW_FLUSH_INTERVAL_MS: '100' }, { now: () => frozenNow });
    acme = await createWorkspace(server.db, 'acme', 6);
    other = await createWorkspace(server.db, 'other', 2);
    ids = await contactIdsOf(server, acme);
  });

  afterAll(() => server?.close());

  it('counts the views editors and readers record, without making them edits', async () => {
    const id = ids[0]!;
    const before = await server.graphql(CONTACT_VIEWS, { id }, acme.reader);
    expect(expectOk(before).contact).toMatchObject({ viewCount: 0, lastViewedAt: null });
    // Browsers revalidate every response, so a count never waits out a max age in theirs.
    expect(before.headers.get('cache-control')).toBe('private, no-cache');
    const listBefore = expectOk(await server.graphql(LIST_VIEWS, {}, acme.reader));
    expect(listBefore.contacts.edges.find((edge: any) => edge.node.id === id).node.viewCount).toBe(0);

    const recordedAfter = Date.now();
    for (const token of [acme.editor, acme.editor, acme.editor, acme.reader, acme.reader]) {
      expect(expectOk(await record(id, token))).toEqual({ recordContactView: { contactId: id } });
    }
    const recordedBefore = Date.now();

    // Both responses above are cached and the cache's clock is frozen: only the flush's purge can
    // bring the new count.
    const after = await waitFor('the views to be counted', () => views(id, acme.reader), (contact) => contact.viewCount >= 5);
    expect(after.viewCount).toBe(5);
    expect(after.version).toBe(expectOk(before).contact.version);
    expect(after.updatedAt).toBe(expectOk(before).contact.updatedAt);
    const lastViewedAt = Date.parse(after.lastViewedAt);
    expect(lastViewedAt).toBeGreaterThanOrEqual(recordedAfter);
    expect(lastViewedAt).toBeLessThanOrEqual(recordedBefore);

    const listAfter = expectOk(await server.graphql(LIST_VIEWS, {}, acme.reader));
    expect(listAfter.contacts.edges.find((edge: any) => edge.node.id === id).node.viewCount).toBe(5);
    // The other contacts were not viewed.
    expect(listAfter.contacts.edges.filter((edge: any) => edge.node.id !== id).map((edge: any) => edge.node.viewCount)).toEqual(
      Array(ids.length - 1).fill(0),
    );
  });

  it('refuses a contact the caller cannot read, and records nothing for it', async () => {
    const recordedBefore = await counter(server, RECORDED);
    const foreign = (await contactIdsOf(server, other))[0]!;
    expectCoded(await record(foreign, acme.editor), 200, 'NOT_FOUND', { field: 'input.contactId' });
    expectCoded(await record(foreign, acme.reader), 200, 'NOT_FOUND', { field: 'input.contactId' });
    expectCoded(await record(toGlobalId('Contact', 987_654_321), acme.reader), 200, 'NOT_FOUND', { field: 'input.contactId' });

    const doomed = ids[5]!;
    expectOk(await server.graphql('mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }', { id: doomed }, acme.editor));
    expectCoded(await record(doomed, acme.reader), 200, 'NOT_FOUND', { field: 'input.contactId' });

    expectCoded(await record(toGlobalId('Company', rowIdOf(ids[1]!)), acme.reader), 200, 'BAD_USER_INPUT', { field: 'input.contactId' });
    expectCoded(await record('not-an-id', acme.reader), 200, 'BAD_USER_INPUT', { field: 'input.contactId' });

    const anonymous = await record(ids[1]!, '');
    expectCoded(anonymous, 401, 'UNAUTHENTICATED');

    expect(await counter(server, RECORDED)).toBe(recordedBefore);
  });

  it('lets readers record views and nothing else: a document with another mutation is refused whole', async () => {
    const recordedBefore = await counter(server, RECORDED);
    const mixed = await server.graphql(
      'mutation ($id: ID!) { recordContactView(input: { contactId: $id }) { contactId } deleteContact(input: { id: $id }) { deletedId } }',
      { id: ids[2]! },
      acme.reader,
    );
    expectCoded(mixed, 403, 'FORBIDDEN');
    expect(await counter(server, RECORDED)).toBe(recordedBefore);
    expect(await views(ids[2]!, acme.reader)).toMatchObject({ id: ids[2]! });
  });

  it('counts a view once even when it reaches the buffers twice', async () => {
    const id = ids[3]!;
    const contactId = rowIdOf(id);
    const [workspace] = await server.database.query<{ id: number }>(`select id from workspaces where name = 'acme'`);
    const viewId = randomUUID();
    const buffer = (copies: number) =>
      server.database.query(
        `insert into contact_view_buffer (view_id, workspace_id, contact_id, viewed_at)
         select $1::uuid, $2::bigint, $3::bigint, now() from generate_series(1, ${copies})`,
        [viewId, workspace!.id, contactId],
      );
    const counted = async () => (await server.database.query<{ n: number }>('select view_count as n from contacts where id = $1', [contactId]))[0]!.n;

    // Twice in one batch.
    await buffer(2);
    await waitFor('the buffer to be flushed', bufferedRows, (n) => n === 0);
    expect(await counted()).toBe(1);
    // And once more in a later batch, as when the same view had also landed in the Redis stream.
    await buffer(1);
    await waitFor('the buffer to be flushed', bufferedRows, (n) => n === 0);
    expect(await counted()).toBe(1);
    expect(await views(id, acme.reader)).toMatchObject({ viewCount: 1 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('with a Redis stream of the file\'s own', () => {
  let redis: OwnRedis;
  let client: RedisClientType;
  let database: TestDatabase;
  let server: TestServer;
  let acme: Workspace;
  let ids: string[];
  let streamKey: string;
  let replayedContact: number;

  const viewCountOf = async (id: string) => (await server.database.query<{ n: number }>('select view_count as n from contacts where id = $1', [rowIdOf(id)]))[0]!.n;
  const record = async (id: string) => expectOk(await server.graphql(RECORD_VIEW, { id }, acme.reader));
  /** Entries in the stream, and of those, read by some consumer but not acknowledged. */
  const streamState = async () => {
    const length = await client.xLen(streamKey);
    const pending = (await client.sendCommand(['XPENDING', streamKey, VIEW_GROUP])) as [number, ...unknown[]];
    return { length, pending: Number(pending[0]) };
  };

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = createClient({ url: redis.url }) as RedisClientType;
    // This Redis is stopped on purpose below; the client reconnects by itself.
    client.on('error', () => {});
    await client.connect();
    database = await openTestDatabase();
    acme = await createWorkspace(database.db, 'acme', 4);
    streamKey = cacheKeys(database.namespace).viewStream;

    // Before any server runs, a previous instance read four entries and died before acknowledging
    // them. It had already counted one of them (its id is among the applied ones); another is the
    // same view as the first, added twice.
    const [workspace] = await database.query<{ id: number }>(`select id from workspaces where name = 'acme'`);
    const [contact] = await database.query<{ id: number }>('select min(id) as id from contacts where workspace_id = $1', [workspace!.id]);
    replayedContact = Number(contact!.id);
    const entry = (viewId: string) => ['v', viewId, 'w', String(workspace!.id), 'c', String(replayedContact), 't', String(Date.now())];
    const [fresh1, fresh2, alreadyCounted] = [randomUUID(), randomUUID(), randomUUID()];
    await client.sendCommand(['XGROUP', 'CREATE', streamKey, VIEW_GROUP, '0', 'MKSTREAM']);
    for (const viewId of [fresh1, fresh2, alreadyCounted, fresh1]) await client.sendCommand(['XADD', streamKey, '*', ...entry(viewId)]);
    await client.sendCommand(['XREADGROUP', 'GROUP', VIEW_GROUP, 'dead-instance', 'COUNT', '10', 'STREAMS', streamKey, '>']);
    await database.query('insert into applied_contact_views (view_id) values ($1)', [alreadyCounted]);
    expect(await streamState()).toEqual({ length: 4, pending: 4 });

    server = await startTestServer(
      { REDIS_URL: redis.url, VIEW_FLUSH_INTERVAL_MS: '100', VIEW_CLAIM_IDLE_MS: '300', REDIS_CIRCUIT_OPEN_MS: '200' },
      { database },
    );
    ids = await contactIdsOf(server, acme);
  });

  afterAll(async () => {
    try {
      await server?.close();
      await database?.destroy();
    } finally {
      client?.destroy();
      await redis?.stop();
    }
  });

  it('replays the entries a dead instance read but never acknowledged, counting each view once', async () => {
    await waitFor('the stream to be replayed', streamState, (state) => state.length === 0 && state.pending === 0);
    expect(await viewCountOf(toGlobalId('Contact', replayedContact))).toBe(2);
  });

  it('appends views to the stream while Redis answers, to PostgreSQL while it is down, and counts them all', async () => {
    const id = ids.find((candidate) => rowIdOf(candidate) !== replayedContact)!;
    const viaRedis = () => counter(server, RECORDED, { buffer: 'redis' });
    const viaPostgres = () => counter(server, RECORDED, { buffer: 'postgres' });
    let acknowledged = 0;
    /** Records views until one goes to Redis (the connection comes up in the background). */
    const recordUntilRedis = async () => {
      const before = await viaRedis();
      await waitFor(
        'a view to reach Redis',
        async () => {
          await record(id);
          acknowledged += 1;
          return viaRedis();
        },
        (n) => n > before,
      );
    };

    await recordUntilRedis();
    // Redis keeps nothing on disk here: it may only die once what it holds is counted.
    await waitFor('the views to be counted', () => viewCountOf(id), (n) => n >= acknowledged);

    await redis.stop();
    const postgresBefore = await viaPostgres();
    for (let i = 0; i < 5; i++) await record(id);
    acknowledged += 5;
    expect(await viaPostgres()).toBe(postgresBefore + 5);
    await waitFor('the views buffered in PostgreSQL to be counted', () => viewCountOf(id), (n) => n >= acknowledged);
    expect(await viewCountOf(id)).toBe(acknowledged);

    // Redis comes back empty: the stream and its group are made again, and views go there again.
    await redis.start();
    await recordUntilRedis();
    await waitFor('every view to be counted', () => viewCountOf(id), (n) => n >= acknowledged);
    await waitFor('the stream to be empty', streamState, (state) => state.length === 0 && state.pending === 0);
    expect(await viewCountOf(id)).toBe(acknowledged);
  });
});

// ---------------------------------------------------------------------------------------------
// Real server processes over one store, stopped and killed under load.

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

// The embedded store answers a few hundred views a second alone and far fewer beside the rest of
// the suite: the volumes sized for PostgreSQL ran these tests past their time there. Fewer views
// check the same thing.
const SIGTERM_VIEWS = onPostgres ? 10_000 : 3_000;
const KILL_VIEWS = onPostgres ? 3_000 : 1_500;

describe('restarts under load', () => {
  const running = new Set<RunningServer>();
  const stores: ProcessStore[] = [];
  let redis: RedisClientType | undefined;

  async function start(store: ProcessStore) {
    const server = await startServerProcess(store.env);
    running.add(server);
    server.child.once('exit', () => running.delete(server));
    return server;
  }

  /** A store with a `load` workspace of 20 contacts; its tokens and contacts as they start. */
  async function prepare() {
    // Views go to the shared Redis's stream under REDIS_URL on PostgreSQL, to the database alone otherwise.
    const store = await createProcessStore({
      redisUrl: onPostgres ? process.env.REDIS_URL : undefined,
      env: { VIEW_FLUSH_INTERVAL_MS: '200', VIEW_CLAIM_IDLE_MS: '1000' },
    });
    stores.push(store);
    const workspace = await seedStore(store, 'load', 20);
    const { initial } = workspace;
    expect(initial).toHaveLength(20);
    return { store, workspace, initial };
  }

  /** Waits until the stream holds nothing, read or unread (only under REDIS_URL). */
  async function streamDrained(store: ProcessStore) {
    if (!store.redisKey || !redis) return;
    const key = store.redisKey;
    await waitFor(
      'the stream to be empty',
      async () => {
        const length = await redis!.xLen(key);
        const pending = length === 0 ? [0] : ((await redis!.sendCommand(['XPENDING', key, VIEW_GROUP])) as [number]);
        return { length, pending: Number(pending[0]) };
      },
      (state) => state.length === 0 && state.pending === 0,
    );
  }

  beforeAll(async () => {
    redis = await connectSuiteRedis();
  });

  afterAll(() => discardStores(running, stores, redis));

  it(`counts ${SIGTERM_VIEWS.toLocaleString('en')} views exactly once across a SIGTERM and a restart`, async () => {
    const { store, workspace, initial } = await prepare();
    const plan = Array.from({ length: SIGTERM_VIEWS }, (_, i) => initial[i % initial.length]!.id);
    const load = new ViewLoad(plan, [workspace.editor, workspace.reader]);

    const first = await start(store);
    let stopped: Promise<number | null> | undefined;
    await load.run(first.url, {
      concurrency: 8,
      onFailure: 'requeue',
      onAck: (total) => {
        if (total !== SIGTERM_VIEWS / 2) return;
        // SIGTERM with views in flight: they are still answered, and must be counted too.
        stopped = first.stop();
        load.pause();
      },
    });
    expect(stopped, load.lastFailure).toBeDefined();
    expect(await stopped).toBe(0);
    expect(load.ackedTotal).toBeGreaterThanOrEqual(SIGTERM_VIEWS / 2);
    expect(load.remaining).toBeGreaterThan(0);

    // The first instance counted everything it had acknowledged before it exited.
    const afterFirst = await contactsOf(store, 'load');
    expect(sum(afterFirst.map((contact) => contact.viewCount))).toBe(load.ackedTotal);

    const second = await start(store);
    await load.run(second.url, { concurrency: 8, onFailure: 'requeue' });
    expect(load.remaining, load.lastFailure).toBe(0);
    expect(await second.stop()).toBe(0);

    const final = await contactsOf(store, 'load');
    expect(load.ackedTotal).toBe(SIGTERM_VIEWS);
    expect(sum(final.map((contact) => contact.viewCount))).toBe(load.ackedTotal);
    expect(Object.fromEntries(final.map((contact) => [contact.id, contact.viewCount]))).toEqual(Object.fromEntries(load.acked));
    // Views are not edits.
    expect(final.map(({ id, version, updatedAt }) => ({ id, version, updatedAt }))).toEqual(
      initial.map(({ id, version, updatedAt }) => ({ id, version, updatedAt })),
    );
  }, 150_000);

  it('loses no acknowledged view and counts none twice when a server is killed mid-load', async () => {
    const { store, workspace, initial } = await prepare();
    const plan = Array.from({ length: KILL_VIEWS }, (_, i) => initial[i % initial.length]!.id);
    const load = new ViewLoad(plan, [workspace.reader]);

    const first = await start(store);
    const killed = new Promise((resolve) => first.child.once('exit', resolve));
    await load.run(first.url, {
      concurrency: 8,
      onFailure: 'uncertain',
      onAck: (total) => {
        if (total === KILL_VIEWS / 2) first.child.kill('SIGKILL');
      },
    });
    await killed;

    // The restarted server counts what the killed one left buffered, and what it had read from
    // the stream without acknowledging (once idle for VIEW_CLAIM_IDLE_MS).
    const second = await start(store);
    await load.run(second.url, { concurrency: 8, onFailure: 'uncertain' });
    expect(load.remaining, load.lastFailure).toBe(0);
    await streamDrained(store);
    expect(await second.stop()).toBe(0);

    const final = await contactsOf(store, 'load');
    const total = sum(final.map((contact) => contact.viewCount));
    expect(total).toBeGreaterThanOrEqual(load.ackedTotal);
    expect(total).toBeLessThanOrEqual(load.ackedTotal + sum(load.uncertain.values()));
    for (const contact of final) {
      const acked = load.acked.get(contact.id) ?? 0;
      expect(contact.viewCount, contact.id).toBeGreaterThanOrEqual(acked);
      expect(contact.viewCount, contact.id).toBeLessThanOrEqual(acked + (load.uncertain.get(contact.id) ?? 0));
    }
  }, 150_000);
});
