// What clients and CDNs see of the response cache on one instance: hits answered from the cache
// with the same bytes, HTTP caching headers, ETag revalidation, nothing cached that must not be,
// every mutation purging what it changed, and concurrent identical misses sharing one execution.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from './helpers/metrics.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let acme: Workspace;
let other: Workspace;

const card = `query Card($id: ID!) { contact(id: $id) { id firstName email version tags { name } notes(first: 5) { totalCount edges { node { body } } } company { name } } }`;
const list = `query List($first: Int) { contacts(first: $first, orderBy: { field: UPDATED_AT, direction: DESC }) { totalCount edges { node { id firstName } } } }`;

async function post(query: string, variables: Record<string, unknown>, token: string) {
  return server.graphql(query, variables, token);
}

function sha256(text: string) {
  return createHash('sha256').update(text).digest('hex');
}

let contactId: string;

beforeAll(async () => {
  // Coalescing needs Redis's answer (the write sequence); a machine busy with the rest of the suite
  // must not turn a slow answer into a timeout here (timeouts are tests/cache-resilience.test.ts's).
  server = await startTestServer({ REDIS_COMMAND_TIMEOUT_MS: '2000' });
  acme = await createWorkspace(server.db, 'acme', 40);
  other = await createWorkspace(server.db, 'other', 40);
  const first = await post(list, { first: 1 }, acme.editor);
  contactId = first.body.data.contacts.edges[0].node.id;
});

afterAll(() => server?.close());

describe('hits', () => {
  it('answers a repeated query from the in-process tier with the same bytes', async () => {
    const variables = { id: contactId };
    const miss = await post(card, variables, acme.reader);
    const hit = await post(card, variables, acme.reader);
    expect(miss.headers.get('x-cache')).toBe('miss');
    expect(hit.headers.get('x-cache')).toBe('hit-l1');
    expect(hit.text).toBe(miss.text);
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
  });

  it('keeps workspaces and roles apart: the same query and variables are separate entries', async () => {
    const query = '{ viewer { role workspace { name } } }';
    const asReader = await post(query, {}, acme.reader);
    const asEditor = await post(query, {}, acme.editor);
    const asOther = await post(query, {}, other.reader);
    expect(asReader.body.data.viewer).toEqual({ role: 'READER', workspace: { name: 'acme' } });
    expect(asEditor.body.data.viewer).toEqual({ role: 'EDITOR', workspace: { name: 'acme' } });
    expect(asOther.body.data.viewer).toEqual({ role: 'READER', workspace: { name: 'other' } });
    expect(asOther.headers.get('x-cache')).toBe('miss');
  });

  it('treats variables in any key order as the same request', async () => {
    const query = 'query ($first: Int, $orderBy: ContactOrder) { contacts(first: $first, orderBy: $orderBy) { edges { node { id } } } }';
    await post(query, { first: 3, orderBy: { field: 'NAME', direction: 'DESC' } }, acme.reader);
    const reordered = await post(query, { orderBy: { direction: 'DESC', field: 'NAME' }, first: 3 }, acme.reader);
    expect(reordered.headers.get('x-cache')).toBe('hit-l1');
  });
});

describe('HTTP caching headers', () => {
  it('tells browsers to revalidate, and sends Vary: Authorization, and the entity tags where a CDN can use them', async () => {
    const response = await post(card, { id: contactId }, acme.reader);
    // Browsers keep it but ask each time (no-cache): a write is never hidden by their copy.
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    expect(response.headers.get('vary')).toBe('Authorization');
    // Nothing caches a POST: its tags would be bytes for nothing.
    expect(response.headers.get('surrogate-key')).toBeNull();
    const viaGet = await server.persistedGet(card, { id: contactId }, acme.reader);
    expect(viaGet.headers.get('x-cache')).toBe('hit-l1');
    const rowId = Buffer.from(contactId, 'base64url').toString().split(':')[1];
    expect(viaGet.headers.get('surrogate-key')?.split(' ')).toContain(`Contact:${rowId}`);
  });

  it('answers a persisted-query GET with an ETag, then 304 to a matching If-None-Match', async () => {
    const query = 'query Names { contacts(first: 5) { edges { node { firstName lastName } } } }';
    const unknown = await server.persistedGet(query, {}, acme.reader, { send: 'hash-only' });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    // The client registers the document once, then the hash alone is enough.
    const registered = await server.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
      body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }),
    });
    expect(registered.status).toBe(200);
    const first = await server.persistedGet(query, {}, acme.reader, { send: 'hash-only' });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    // The hinted max age (contacts: 30 s) goes to CDNs, which writes purge by Surrogate-Key.
    expect(first.headers.get('surrogate-control')).toBe('max-age=30');
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await server.persistedGet(query, {}, acme.reader, { headers: { 'if-none-match': etag }, send: 'hash-only' });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    // Another workspace's copy of the "same" request is different data: no 304 for its ETag.
    const elsewhere = await server.persistedGet(query, {}, other.reader, { headers: { 'if-none-match': etag }, send: 'hash-only' });
    expect(elsewhere.status).toBe(200);
  });

  it('marks errors and mutations no-store and never caches them', async () => {
    const bad = await post('{ contacts(first: 500) { totalCount } }', {}, acme.reader);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.headers.get('cache-control')).toBe('no-store');
    const again = await post('{ contacts(first: 500) { totalCount } }', {}, acme.reader);
    expect(again.headers.get('x-cache')).toBe('miss');

    const mutation = await post('mutation { createTag(input: { name: "no-store" }) { tag { id } } }', {}, acme.editor);
    expect(mutation.body.errors).toBeUndefined();
    expect(mutation.headers.get('cache-control')).toBe('no-store');
  });

  it('remembers a query parsed by its request text, and never a mutation (each carries new values)', async () => {
    const remembered = () => counter(server, 'cardfile_request_memo_entries');
    const before = await remembered();
    const query = `query Memo { contacts(first: 2) { totalCount } }`;
    expect((await post(query, {}, acme.reader)).body.errors).toBeUndefined();
    expect(await remembered()).toBe(before + 1);
    // The repeat is the same text: answered from the memo's entry, no new one.
    expect((await post(query, {}, acme.reader)).headers.get('x-cache')).toBe('hit-l1');
    expect(await remembered()).toBe(before + 1);

    for (let i = 0; i < 5; i++) {
      const created = await post('mutation Tag($name: String!) { createTag(input: { name: $name }) { tag { id } } }', { name: `memo-${i}` }, acme.editor);
      expect(created.body.errors).toBeUndefined();
    }
    expect(await remembered()).toBe(before + 1);
  });

  it('refuses mutations over GET', async () => {
    const params = new URLSearchParams({ query: 'mutation { createTag(input: { name: "over-get" }) { tag { id } } }' });
    const response = await server.request(`/graphql?${params}`, {
      headers: { authorization: `Bearer ${acme.editor}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(405);
  });
});

describe('invalidation: no stale read after a mutation is acknowledged', () => {
  async function warm(query: string, variables: Record<string, unknown>, token = acme.editor) {
    await post(query, variables, token);
    const hit = await post(query, variables, token);
    expect(hit.headers.get('x-cache')).toBe('hit-l1');
    return hit.body.data;
  }

  it('updateContact purges the card and every list holding the contact', async () => {
    const before = await warm(card, { id: contactId });
    await warm(list, { first: 10 });
    const updated = await post(
      'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { version } } }',
      { input: { id: contactId, expectedVersion: before.contact.version, firstName: 'Renamed' } },
      acme.editor,
    );
    expect(updated.body.errors).toBeUndefined();
    const cardAfter = await post(card, { id: contactId }, acme.editor);
    expect(cardAfter.body.data.contact.firstName).toBe('Renamed');
    expect(cardAfter.body.data.contact.version).toBe(before.contact.version + 1);
    const listAfter = await post(list, { first: 10 }, acme.editor);
    // Most recently updated first: the renamed contact now leads the list.
    expect(listAfter.body.data.contacts.edges[0].node).toEqual({ id: contactId, firstName: 'Renamed' });
  });

  it('addNote purges the notes of that contact', async () => {
    const before = await warm(card, { id: contactId });
    await post('mutation ($id: ID!) { addNote(input: { contactId: $id, body: "fresh note" }) { note { id } } }', { id: contactId }, acme.editor);
    const after = (await post(card, { id: contactId }, acme.editor)).body.data.contact.notes;
    expect(after.totalCount).toBe(before.contact.notes.totalCount + 1);
    expect(after.edges[0].node.body).toBe('fresh note');
  });

  it('tagContact and untagContact purge the tags and tag-filtered lists', async () => {
    const created = await post('mutation { createTag(input: { name: "cache-tag" }) { tag { id } } }', {}, acme.editor);
    const tagId = created.body.data.createTag.tag.id;
    const filtered = 'query ($tag: ID!) { contacts(filter: { tagIds: [$tag] }) { totalCount } }';
    expect((await warm(filtered, { tag: tagId })).contacts.totalCount).toBe(0);
    await warm(card, { id: contactId });
    await post('mutation ($c: ID!, $t: ID!) { tagContact(input: { contactId: $c, tagId: $t }) { contact { id } } }', { c: contactId, t: tagId }, acme.editor);
    expect((await post(filtered, { tag: tagId }, acme.editor)).body.data.contacts.totalCount).toBe(1);
    expect((await post(card, { id: contactId }, acme.editor)).body.data.contact.tags.map((t: { name: string }) => t.name)).toContain('cache-tag');
    await warm(filtered, { tag: tagId });
    await post('mutation ($c: ID!, $t: ID!) { untagContact(input: { contactId: $c, tagId: $t }) { contact { id } } }', { c: contactId, t: tagId }, acme.editor);
    expect((await post(filtered, { tag: tagId }, acme.editor)).body.data.contacts.totalCount).toBe(0);
  });

  it('createTag and createCompany purge the tag and company lists', async () => {
    const tags = '{ tags { name } }';
    const companies = '{ companies(first: 100) { totalCount } }';
    await warm(tags, {});
    const companiesBefore = (await warm(companies, {})).companies.totalCount;
    await post('mutation { createTag(input: { name: "brand-new" }) { tag { id } } }', {}, acme.editor);
    await post('mutation { createCompany(input: { name: "Brand New Ltd" }) { company { id } } }', {}, acme.editor);
    expect((await post(tags, {}, acme.editor)).body.data.tags.map((t: { name: string }) => t.name)).toContain('brand-new');
    expect((await post(companies, {}, acme.editor)).body.data.companies.totalCount).toBe(companiesBefore + 1);
  });

  it('createContact and deleteContact purge the lists and totals', async () => {
    const total = '{ contacts { totalCount } }';
    const before = (await warm(total, {})).contacts.totalCount;
    const created = await post('mutation { createContact(input: { firstName: "New", lastName: "Person" }) { contact { id } } }', {}, acme.editor);
    const newId = created.body.data.createContact.contact.id;
    expect((await post(total, {}, acme.editor)).body.data.contacts.totalCount).toBe(before + 1);
    await warm(card, { id: newId });
    await warm(total, {});
    await post('mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }', { id: newId }, acme.editor);
    expect((await post(total, {}, acme.editor)).body.data.contacts.totalCount).toBe(before);
    expect((await post(card, { id: newId }, acme.editor)).body.data.contact).toBeNull();
  });

  it('leaves other workspaces\' entries alone', async () => {
    await warm('{ tags { name } }', {}, other.reader);
    await post('mutation { createTag(input: { name: "acme-only" }) { tag { id } } }', {}, acme.editor);
    expect((await post('{ tags { name } }', {}, other.reader)).headers.get('x-cache')).toBe('hit-l1');
  });
});

describe('stampede control', () => {
  it('runs 200 concurrent identical cold requests once', async () => {
    const query = 'query Stampede { contacts(first: 50) { totalCount edges { node { id company { name } tags { name } } } } }';
    const missesBefore = await counter(server, 'cardfile_response_cache_requests_total', { outcome: 'miss' });
    const responses = await Promise.all(Array.from({ length: 200 }, () => post(query, {}, acme.reader)));
    const outcomes = responses.map((response) => response.headers.get('x-cache'));
    expect(responses.every((response) => response.status === 200 && response.text === responses[0]!.text)).toBe(true);
    expect(outcomes.filter((outcome) => outcome === 'miss')).toHaveLength(1);
    expect(await counter(server, 'cardfile_response_cache_requests_total', { outcome: 'miss' })).toBe(missesBefore + 1);
  });
});

describe('single-flight and request forms', () => {
  it('never gives a request carrying its document the answer of a concurrent hash-only request', async () => {
    // Each round: a new document, asked for by its hash alone (not yet known: the client would
    // then resend it) and, at the same moment, with the document and its hash (a registration).
    const rounds = 20;
    const results = await Promise.all(
      Array.from({ length: rounds }, async (_, round) => {
        const query = `query Forms${round} { contacts(first: ${round + 1}) { totalCount edges { node { id } } } }`;
        const hashOnly = server.persistedGet(query, {}, acme.reader, { send: 'hash-only' });
        const withDocument = server.request('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
          body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }),
        });
        const [hashReply, documentReply] = await Promise.all([hashOnly, withDocument]);
        return { round, hash: hashReply.body, document: (await documentReply.json()) as any };
      }),
    );
    for (const { round, hash, document } of results) {
      // The registration always runs its document.
      expect(document.errors, `round ${round}`).toBeUndefined();
      expect(document.data.contacts.edges).toHaveLength(round + 1);
      // The hash alone is either not yet known or answered with the same data.
      if (hash.errors) expect(hash.errors[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      else expect(hash.data).toEqual(document.data);
    }
  });
});
