// Expiry, stale-while-revalidate, warming and trusted documents. The server's cache clock is
// moved forward instead of waiting for entries to expire.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPersistedDocuments } from '../src/cache/persisted-documents.js';
import { counter } from './helpers/metrics.js';
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

    const refreshesBefore = await counter(server, 'cardfile_cache_refreshes_total');
    const staleResponses = await Promise.all(Array.from({ length: 20 }, () => server.graphql(query, variables, acme.reader)));
    // Each answer is immediate: the old value while the refresh runs, the new one once it landed.
    for (const response of staleResponses) {
      const outcome = response.headers.get('x-cache');
      expect(['stale', 'hit-l1']).toContain(outcome);
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
    expect(await counter(server, 'cardfile_cache_refreshes_total')).toBe(refreshesBefore + 1);
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

describe('persisted documents', () => {
  const documents = loadPersistedDocuments();
  const viewerHash = [...documents].find(([, document]) => document.startsWith('query Viewer'))![0];

  it('are in the APQ store from the start: a hashed GET works on its first call', async () => {
    const params = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: viewerHash } }) });
    const response = await server.request(`/graphql?${params}`, {
      headers: { authorization: `Bearer ${acme.reader}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).data.viewer.workspace.name).toBe('acme');
    // Published operations are counted under their own name; everything else under "other".
    expect(await counter(server, 'cardfile_response_cache_requests_total', { operation: 'Viewer' })).toBeGreaterThan(0);
  });

  it('the manifest hashes are the sha256 of the documents', () => {
    for (const [hash, document] of documents) expect(createHash('sha256').update(document).digest('hex')).toBe(hash);
  });

  it('hot operations are cached at start for recently active workspaces', async () => {
    const tagsHash = [...documents].find(([, document]) => document.startsWith('query Tags'))![0];
    const warmedServer = await startTestServer({ WARM_OPERATIONS: 'Tags', WARM_WORKSPACES: '5' }, { database: server.database, now: clock });
    try {
      await warmedServer.app.warmed;
      const params = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: tagsHash } }) });
      for (const token of [acme.reader, acme.editor]) {
        const response = await warmedServer.request(`/graphql?${params}`, {
          headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-cache')).toBe('hit-l1');
        expect(((await response.json()) as any).data.tags.length).toBeGreaterThan(0);
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
