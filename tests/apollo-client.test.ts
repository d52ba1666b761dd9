// A front end's view: Apollo Client with its persisted-query link hashing documents at run time
// and sending hashed queries as GETs (CDN-cacheable), registering a document of its own once when
// the server does not know its hash, and sending mutations as POSTs. (tests/sdk-client/ uses the
// hashes the SDK ships instead.)
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, type TypedDocumentNode } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactsPageDocument, CreateTagDocument, TagsDocument } from '../src/client/sdk/graphql.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let acme: Workspace;
const sent: Array<{ method: string; hasQueryText: boolean; status: number; cache: string | null }> = [];

/** A query the app wrote itself: not published, so no server knows its hash in advance. */
const OwnContactsDocument: TypedDocumentNode<{ contacts: { totalCount: number; edges: Array<{ node: { id: string; firstName: string } }> } }, { first: number }> = parse(`
  query OwnContacts($first: Int) {
    contacts(first: $first) {
      totalCount
      edges { node { id firstName __typename } __typename }
      __typename
    }
  }
`);

function clientFor(token: string) {
  // Records what goes over the wire, then sends it for real.
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const hasQueryText = method === 'GET' ? url.searchParams.has('query') : String(init?.body ?? '').includes('"query"');
    const response = await fetch(input, init);
    sent.push({ method, hasQueryText, status: response.status, cache: response.headers.get('x-cache') });
    return response;
  };
  const http = new HttpLink({
    uri: `${server.url}/graphql`,
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    fetch: recordingFetch,
  });
  const persisted = createPersistedQueryLink({
    sha256: (text: string) => createHash('sha256').update(text).digest('hex'),
    useGETForHashedQueries: true,
  });
  return new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
}

beforeAll(async () => {
  server = await startTestServer();
  acme = await createWorkspace(server.db, 'acme', 30);
});

afterAll(() => server?.close());

describe('Apollo Client with the persisted-query link', () => {
  it('hashes a published document to its manifest hash, so its first GET is answered by hash alone', async () => {
    const client = clientFor(acme.reader);
    sent.length = 0;
    const page = await client.query({ query: ContactsPageDocument, variables: { first: 5 }, fetchPolicy: 'network-only' });
    expect(page.data?.contacts.edges).toHaveLength(5);
    // Nothing registered it: the server knew the hash from its manifest.
    expect(sent.map(({ method, hasQueryText, status }) => [method, hasQueryText, status])).toEqual([['GET', false, 200]]);
  });

  it('registers an unknown hash once, then reads by hash alone over GET, from the cache', async () => {
    const client = clientFor(acme.reader);
    sent.length = 0;
    const first = await client.query({ query: OwnContactsDocument, variables: { first: 5 }, fetchPolicy: 'network-only' });
    expect(first.data?.contacts.edges).toHaveLength(5);
    expect(first.data?.contacts.totalCount).toBe(30);
    // Hash alone by GET, refused as unknown; then the query text once, by POST.
    expect(sent.map(({ method, hasQueryText }) => [method, hasQueryText])).toEqual([
      ['GET', false],
      ['POST', true],
    ]);

    sent.length = 0;
    const again = await client.query({ query: OwnContactsDocument, variables: { first: 5 }, fetchPolicy: 'network-only' });
    expect(again.data).toEqual(first.data);
    expect(sent).toEqual([{ method: 'GET', hasQueryText: false, status: 200, cache: 'hit-l1' }]);
  });

  it('sends mutations by POST, and the next read shows their effect', async () => {
    const client = clientFor(acme.editor);
    await client.query({ query: TagsDocument, fetchPolicy: 'network-only' });
    sent.length = 0;
    const created = await client.mutate({ mutation: CreateTagDocument, variables: { name: 'from-the-client' } });
    expect(created.data?.createTag.tag.name).toBe('from-the-client');
    expect(sent.every(({ method }) => method === 'POST')).toBe(true);
    const tags = await client.query({ query: TagsDocument, fetchPolicy: 'network-only' });
    expect(tags.data?.tags.map((tag) => tag.name)).toContain('from-the-client');
  });
});
