// Expiry, stale-while-revalidate, warming and trusted documents. The server's cache clock is
// moved forward instead of waiting for entries to expire.
import { createHash } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPersistedDocuments } from '../src/graphql/published-operations.js';
import { counter } from './helpers/metrics.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let offsetMs = 0;
const clock = () => Date.now() + offsetMs;
let server: TestServer;
let acme: Workspace;

// Contact is hinted 60 s; jitter keeps a fill fresh for 54 to 66 s, and CACHE_STALE_SECONDS=30
// lets it be served stale until at least 84 s.
const PAST_FRESH_MS = 70_000;
const PAST_STALE_MS = 100_000;

beforeAll(async () => {
  // Rows are changed behind the API's back here, which only expiry can reveal; the entity cache
  // (its own TTL, real time) is left out so that response expiry alone is what is observed.
  server = await startTestServer({ CACHE_STALE_SECONDS: '30', ENTITY_CACHE: 'false' }, { now: clock });
  acme = await createWorkspace(server.db, 'acme', 10);
});

afterAll(() => server?.close());

async function firstContact() {
  const list = await server.graphql('{ contacts(first: 1) { edges { node { id firstName } } } }', {}, acme.editor);
  return list.body.data.contacts.edges[0].node as { id: string; firstName: string };
}

/** Renames a contact behind the API's back, so only an expiry or a refresh can reveal it. */
async function renameInDatabase(globalId: string, firstName: string) {
  const rowId = Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]);
  await server.database.query('update contacts set first_name = $1 where id = $2', [firstName, rowId]);
}

describe('stale-while-revalidate', () => {
  it('serves a stale entry at once while exactly one refresh runs, then the refreshed one', async () => {
    const contact = await firstContact();
    const query = 'query ($id: ID!) { contact(id: $id) { firstName } }';
    const variables = { id: contact.id };
    expect((await server.graphql(query, variables, acme.reader)).headers.get('x-cache')).toBe('miss');
    await renameInDatabase(contact.id, 'Refreshed');
    offsetMs += PAST_FRESH_MS;

    const refreshesBefore = await counter(server, 'cardfile_cache_refreshes_total', { result: 'done' });
    const staleResponses = await Promise.all(Array.from({ length: 20 }, () => server.graphql(query, variables, acme.reader)));
    // Each answer is immediate: the old value while the refresh runs, the new one once it landed
    // (from either tier: with Redis, the refreshed copy may be met in Redis first).
    for (const response of staleResponses) {
      const outcome = response.headers.get('x-cache');
      expect(['stale', 'hit-l1', 'hit-l2']).toContain(outcome);
      expect(response.body.data.contact.firstName).toBe(outcome === 'stale' ? contact.firstName : 'Refreshed');
    }
    expect(staleResponses[0]!.headers.get('x-cache')).toBe('stale');

    // Wait for the refresh to land: bounded polling on what a client sees.
    // A fresh hit from either tier: with Redis, an L1 entry is confirmed against Redis and may be
    // answered from L2 instead.
    const freshHit = (outcome: string | null) => outcome === 'hit-l1' || outcome === 'hit-l2';
    let fresh;
    for (let attempt = 0; attempt < 500; attempt++) {
      fresh = await server.graphql(query, variables, acme.reader);
      if (freshHit(fresh.headers.get('x-cache'))) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(freshHit(fresh!.headers.get('x-cache'))).toBe(true);
    expect(fresh!.body.data.contact.firstName).toBe('Refreshed');
    expect(await counter(server, 'cardfile_cache_refreshes_total', { result: 'done' })).toBe(refreshesBefore + 1);
  });

  it('does not serve an entry past its stale window', async () => {
    const contact = await firstContact();
    const query = 'query ($id: ID!) { contact(id: $id) { firstName lastName } }';
    await server.graphql(query, { id: contact.id }, acme.reader);
    await renameInDatabase(contact.id, 'Expired');
    offsetMs += PAST_STALE_MS;
    const after = await server.graphql(query, { id: contact.id }, acme.reader);
    expect(after.headers.get('x-cache')).toBe('miss');
    expect(after.body.data.contact.firstName).toBe('Expired');
  });
});

describe('stale-while-revalidate across instances sharing one Redis', () => {
  let redis: OwnRedis;
  let client: RedisClientType;
  let a: TestServer;
  let b: TestServer;
  let shared: Workspace;
  const CARD = 'query ($id: ID!) { contact(id: $id) { id firstName } }';

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = createClient({ url: redis.url }) as RedisClientType;
    await client.connect();
    const env = { CACHE_STALE_SECONDS: '30', ENTITY_CACHE: 'false', REDIS_URL: redis.url };
    a = await startTestServer(env, { database: server.database, now: clock });
    b = await startTestServer(env, { database: server.database, now: clock });
    shared = await createWorkspace(server.db, 'shared', 10);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await client?.quit();
    await redis?.stop();
  });

  async function contactIds(): Promise<string[]> {
    const list = await a.graphql('{ contacts(first: 10) { edges { node { id } } } }', {}, shared.editor);
    return list.body.data.contacts.edges.map((edge: { node: { id: string } }) => edge.node.id);
  }

  /** Fills the card on A (miss) and copies it into B's memory (an L2 hit), then lets it go stale. */
  async function staleOnBoth(id: string) {
    expect((await a.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('miss');
    expect((await b.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('hit-l2');
    expect((await b.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('hit-l1');
    offsetMs += PAST_FRESH_MS;
  }

  const refreshes = async (server: TestServer, result: string) => counter(server, 'cardfile_cache_refreshes_total', { result });

  /** Reads the card on `server` until it answers fresh (bounded), and returns that answer. */
  async function freshCard(server: TestServer, id: string) {
    for (let attempt = 0; attempt < 500; attempt++) {
      const reply = await server.graphql(CARD, { id }, shared.reader);
      const outcome = reply.headers.get('x-cache');
      if (outcome === 'hit-l1' || outcome === 'hit-l2') return reply.body.data.contact.firstName as string;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error('the card never became fresh again');
  }

  it('an instance that finds the refresh lock held serves stale and leaves the refresh to the holder', async () => {
    const id = (await contactIds())[0]!;
    await staleOnBoth(id);
    await renameInDatabase(id, 'Locked');
    // Another instance holds the lock of this entry (the only response key of this workspace's card).
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${server.database.namespace}:r:*`, COUNT: 1000 })) keys.push(...batch);
    const cardKeys = keys.filter((key) => key.includes(createHash('sha256').update(CARD).digest('hex')));
    expect(cardKeys).toHaveLength(1);
    const lock = `${server.database.namespace}:lock:${cardKeys[0]}`;
    await client.set(lock, 'another instance', { PX: 60_000 });

    const heldBefore = await refreshes(a, 'held-elsewhere');
    const doneBefore = await refreshes(a, 'done');
    const stale = await a.graphql(CARD, { id }, shared.reader);
    expect(stale.headers.get('x-cache')).toBe('stale');
    expect(stale.body.data.contact.firstName).not.toBe('Locked');
    // Wait for the attempt to give up, then check it did not refresh.
    for (let attempt = 0; attempt < 500 && (await refreshes(a, 'held-elsewhere')) === heldBefore; attempt++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await refreshes(a, 'held-elsewhere')).toBe(heldBefore + 1);
    expect(await refreshes(a, 'done')).toBe(doneBefore);
    expect((await a.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('stale');

    // Once the lock is gone (its holder died and it expired), the next stale read refreshes.
    await client.del(lock);
    expect((await a.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('stale');
    expect(await freshCard(a, id)).toBe('Locked');
    expect(await refreshes(a, 'done')).toBe(doneBefore + 1);
  });

  it('a stale copy in memory gives way to the fresh one another instance refreshed into Redis', async () => {
    const id = (await contactIds())[2]!;
    await staleOnBoth(id);
    await renameInDatabase(id, 'Shared');
    expect((await a.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('stale');
    expect(await freshCard(a, id)).toBe('Shared');
    // B still holds its own stale copy in memory; Redis now holds A's refreshed one.
    const refreshesOnB = (await refreshes(b, 'done')) + (await refreshes(b, 'held-elsewhere'));
    const onB = await b.graphql(CARD, { id }, shared.reader);
    expect(onB.headers.get('x-cache')).toBe('hit-l2');
    expect(onB.body.data.contact.firstName).toBe('Shared');
    expect((await b.graphql(CARD, { id }, shared.reader)).headers.get('x-cache')).toBe('hit-l1');
    expect((await refreshes(b, 'done')) + (await refreshes(b, 'held-elsewhere'))).toBe(refreshesOnB);
  });

  it('stale reads racing on two instances cause exactly one refresh between them', async () => {
    const id = (await contactIds())[1]!;
    await staleOnBoth(id);
    await renameInDatabase(id, 'Raced');
    const before = (await refreshes(a, 'done')) + (await refreshes(b, 'done'));

    const replies = await Promise.all(Array.from({ length: 30 }, (_, index) => (index % 2 ? a : b).graphql(CARD, { id }, shared.reader)));
    for (const reply of replies) {
      const outcome = reply.headers.get('x-cache');
      expect(['stale', 'hit-l1', 'hit-l2']).toContain(outcome);
      expect(reply.body.data.contact.firstName === 'Raced').toBe(outcome !== 'stale');
    }
    expect(await freshCard(a, id)).toBe('Raced');
    expect(await freshCard(b, id)).toBe('Raced');
    expect((await refreshes(a, 'done')) + (await refreshes(b, 'done'))).toBe(before + 1);
    // Reads after the refresh landed start no other one.
    await Promise.all(Array.from({ length: 10 }, (_, index) => (index % 2 ? a : b).graphql(CARD, { id }, shared.reader)));
    expect((await refreshes(a, 'done')) + (await refreshes(b, 'done'))).toBe(before + 1);
  });
});

describe('persisted documents', () => {
  const documents = loadPersistedDocuments();
  const [viewerHash, viewerDocument] = [...documents].find(([, document]) => document.startsWith('query Viewer'))!;

  it('are in the APQ store from the start: a hashed GET works on its first call', async () => {
    const response = await server.persistedGet(viewerDocument, undefined, acme.reader, { send: 'hash-only' });
    expect(response.status).toBe(200);
    expect(response.body.data.viewer.workspace.name).toBe('acme');
    // Published operations are counted under their own name; everything else under "other".
    expect(await counter(server, 'cardfile_response_cache_requests_total', { operation: 'Viewer' })).toBeGreaterThan(0);
  });

  it('the manifest hashes are the sha256 of the documents', () => {
    for (const [hash, document] of documents) expect(createHash('sha256').update(document).digest('hex')).toBe(hash);
  });

  it('hot operations are cached at start for recently active workspaces', async () => {
    const tagsDocument = [...documents].find(([, document]) => document.startsWith('query Tags'))![1];
    const warmedServer = await startTestServer({ WARM_OPERATIONS: 'Tags', WARM_WORKSPACES: '5' }, { database: server.database, now: clock });
    try {
      await warmedServer.app.warmed;
      for (const token of [acme.reader, acme.editor]) {
        const response = await warmedServer.persistedGet(tagsDocument, undefined, token, { send: 'hash-only' });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-cache')).toBe('hit-l1');
        expect(response.body.data.tags.length).toBeGreaterThan(0);
      }
    } finally {
      await warmedServer.close();
    }
  });

  it('with PERSISTED_ONLY=true, only manifest operations are accepted', async () => {
    const trusted = await startTestServer({ PERSISTED_ONLY: 'true' }, { database: server.database });
    try {
      const adHoc = await trusted.graphql('{ viewer { role } }', {}, acme.reader);
      expect(adHoc.status).toBe(400);
      expect(adHoc.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const published = await trusted.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: viewerHash } } }),
      });
      expect(published.status).toBe(200);
      expect(((await published.json()) as any).data.viewer.role).toBe('READER');
    } finally {
      await trusted.close();
    }
  });
});
