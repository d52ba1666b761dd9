// The published client SDK as an outside app uses it: only `cardfile/client` and its manifest
// `cardfile/client/persisted-documents.json`, through the package's exports, with Apollo Client
// (normalised InMemoryCache, relayStylePagination, persisted-query GETs) against a real server,
// once as it starts by default and once with PERSISTED_ONLY=true.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ObservableQuery } from '@apollo/client';
import * as sdk from 'cardfile/client';
import { ContactCardDocument, type ContactsPageQuery, ContactsPageDocument, persistedQueryHash, UpdateContactDocument } from 'cardfile/client';
import publishedManifest from 'cardfile/client/persisted-documents.json' with { type: 'json' };
import { type DocumentNode, Kind, print } from 'graphql';
import { filter, firstValueFrom, map, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from '../helpers/server.js';
import { createContactsCache, createContactsClient } from './app/contacts-client.js';
import { WireRecorder } from './wire-recorder.js';

const manifest: Record<string, string> = publishedManifest;
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
/** The manifest's key for a published operation, found by its name in the document text. */
const manifestHash = (operation: string) => Object.entries(manifest).find(([, text]) => new RegExp(`^(query|mutation) ${operation}\\b`).test(text))![0];

const isDocument = (value: unknown): value is DocumentNode => typeof value === 'object' && value !== null && (value as DocumentNode).kind === Kind.DOCUMENT;
const publishedDocuments = Object.values(sdk).filter(isDocument);

/** Bound on waiting for the client to show something (it normally takes milliseconds). */
const WAIT_MS = 10_000;
const PAGE = 5;
const CONTACTS = 18; // four pages of five: the first, then three more by fetchMore

describe('the SDK and its persisted-documents manifest', () => {
  it('send every published operation by the hash the manifest keys its text by, and that text is what Apollo Client would send', () => {
    expect(publishedDocuments.length).toBeGreaterThan(10);
    expect(publishedDocuments.length).toBe(Object.keys(manifest).length);
    const cache = createContactsCache();
    for (const document of publishedDocuments) {
      const hash = persistedQueryHash(document);
      // Lowercase hex sha256 of exactly the manifest's text: no prefix, nothing normalised away.
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(sha256Hex(manifest[hash]!)).toBe(hash);
      // What the client prints after its own transforms (which add __typename where its cache
      // needs it): the same text, so the SDK already selects every __typename Apollo Client needs.
      expect(print(cache.transformDocument(document))).toBe(manifest[hash]);
    }
  });

  it('is reached by the client project through the package entry points alone', () => {
    const appDirectory = path.join(import.meta.dirname, 'app');
    for (const file of readdirSync(appDirectory)) {
      const source = readFileSync(path.join(appDirectory, file), 'utf8');
      for (const [, specifier] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^(cardfile\/client(\/persisted-documents\.json)?|@apollo\/client(\/.*)?|\.\/.*)$/);
      }
    }
  });
});

let server: TestServer;
let persistedOnly: TestServer;
let acme: Workspace;

beforeAll(async () => {
  server = await startTestServer();
  persistedOnly = await startTestServer({ PERSISTED_ONLY: 'true' }, { database: server.database });
  acme = await createWorkspace(server.db, 'acme', CONTACTS);
});

afterAll(async () => {
  await persistedOnly?.close();
  await server?.close();
});

type ContactsPage = ContactsPageQuery['contacts'];

/** Resolves with the first result of `query` that `accept`s, within WAIT_MS; rejects on an error. */
function resultWhere<T>(query: ObservableQuery<T>, accept: (data: T) => boolean): Promise<T> {
  return firstValueFrom(
    query.pipe(
      map((result) => {
        if (result.error) throw result.error;
        return result;
      }),
      filter((result) => !result.loading && result.data !== undefined && accept(result.data as T)),
      timeout(WAIT_MS),
    ),
  ).then((result) => result.data as T);
}

describe.each([
  ['as it starts by default', () => server],
  ['with PERSISTED_ONLY=true', () => persistedOnly],
])('an app on Apollo Client with the SDK, against a server %s', (mode, target) => {
  const clientFor = (token: string) => {
    const wire = new WireRecorder();
    return { wire, client: createContactsClient({ uri: `${target().url}/graphql`, token, fetch: wire.fetch }) };
  };

  it('reads a published query with one GET that carries only the manifest hash, answered at once', async () => {
    const { wire, client } = clientFor(acme.reader);
    const { data } = await client.query({ query: ContactsPageDocument, variables: { first: 3 } });
    expect(data?.contacts.edges).toHaveLength(3);
    expect(data?.contacts.totalCount).toBe(CONTACTS);
    // No PERSISTED_QUERY_NOT_FOUND round trip: the server knew the hash from its manifest.
    expect(wire.entries).toEqual([
      { method: 'GET', operationName: 'ContactsPage', sha256Hash: manifestHash('ContactsPage'), carriedDocumentText: false, status: 200, errorCodes: [] },
    ]);
    client.stop();
  });

  it('shows a mutation in the already-loaded list from its normalised cache, without a refetch', async () => {
    const { wire, client } = clientFor(acme.editor);
    const list = client.watchQuery({ query: ContactsPageDocument, variables: { first: PAGE } });
    const loaded = await resultWhere(list, () => true);
    const listed = loaded.contacts.edges[0]!.node;
    const card = await client.query({ query: ContactCardDocument, variables: { id: listed.id } });
    const title = `Head of contacts, ${mode}`;
    expect(listed.title).not.toBe(title);

    wire.clear();
    const updated = await client.mutate({
      mutation: UpdateContactDocument,
      variables: { input: { id: listed.id, expectedVersion: card.data!.contact!.version, title } },
    });
    expect(updated.data?.updateContact.contact.title).toBe(title);
    const shown = await resultWhere(list, (data) => data.contacts.edges[0]?.node.title === title);
    expect(shown.contacts.edges.map((edge) => edge.node.id)).toEqual(loaded.contacts.edges.map((edge) => edge.node.id));
    // The mutation alone went out, by hash over POST; the list was not asked for again.
    expect(wire.entries).toEqual([
      { method: 'POST', operationName: 'UpdateContact', sha256Hash: manifestHash('UpdateContact'), carriedDocumentText: false, status: 200, errorCodes: [] },
    ]);
    client.stop();
  });

  it('merges three fetchMore pages after endCursor into one list with every contact once, in order', async () => {
    const reference = await server.graphql<{ contacts: { edges: Array<{ cursor: string; node: { id: string } }> } }>(
      `{ contacts(first: 100) { edges { cursor node { id } } } }`,
      {},
      acme.reader,
    );
    const everyContact = reference.body.data!.contacts.edges;
    expect(everyContact).toHaveLength(CONTACTS);

    const { wire, client } = clientFor(acme.reader);
    const list = client.watchQuery({ query: ContactsPageDocument, variables: { first: PAGE } });
    let page: ContactsPage = (await resultWhere(list, () => true)).contacts;
    const pageInfos = [page.pageInfo];
    for (let more = 1; more <= 3; more += 1) {
      await list.fetchMore({ variables: { after: page.pageInfo.endCursor } });
      const shown = Math.min(PAGE * (more + 1), CONTACTS);
      page = (await resultWhere(list, (data) => data.contacts.edges.length === shown)).contacts;
      pageInfos.push(page.pageInfo);
    }

    expect(page.edges.map((edge) => edge.node.id)).toEqual(everyContact.map((edge) => edge.node.id));
    expect(new Set(page.edges.map((edge) => edge.node.id)).size).toBe(CONTACTS);
    expect(page.totalCount).toBe(CONTACTS);
    expect(pageInfos.map((info) => info.hasNextPage)).toEqual([true, true, true, false]);
    expect(page.pageInfo.endCursor).toBe(everyContact.at(-1)!.cursor);
    // Each page was one hash-only GET answered from the manifest.
    expect(wire.entries).toHaveLength(4);
    for (const entry of wire.entries) {
      expect(entry).toEqual({ method: 'GET', operationName: 'ContactsPage', sha256Hash: manifestHash('ContactsPage'), carriedDocumentText: false, status: 200, errorCodes: [] });
    }
    client.stop();
  });
});
