// A persisted-query hash is a client's claim, and nothing may be keyed by a claim. Each case is an
// attack that worked while the claimed hash named the document before it was checked: another
// workspace's reader claimed a mutation's hash with a query document, and identical mutations then
// shared one execution (acknowledged writes lost); claimed a two-operation document's hash with a
// one-operation one, and the document's operations then shared one cache entry. And registering
// documents by hash is for valid tokens only, each kept for a while and bounded per workspace.
import { createHash } from 'node:crypto';
import { createClient } from '@redis/client';
import { ApolloServer } from '@apollo/server';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPublishedOperations } from '../src/graphql/published-operations.js';
import { CURSOR_KEY, sharedKey } from '../src/db/repositories/server-keys.js';
import { notes } from '../src/db/schema.js';
import { cursorCodecOnce } from '../src/graphql/cursor-codec.js';
import type { RequestContext } from '../src/graphql/context.js';
import { executionRecordPlugin } from '../src/graphql/execution-record-plugin.js';
import { createRequestContext, newExecutionRecord } from '../src/graphql/request-context.js';
import { buildSchema } from '../src/graphql/schema.js';
import { createViewerResolver } from '../src/auth/viewer.js';
import { counter } from './helpers/metrics.js';
import { createWorkspace, onRedis, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const manifest = loadPublishedOperations();
function published(name: string): { hash: string; text: string } {
  const operation = manifest.byName.get(name);
  if (!operation) throw new Error(`no published operation ${name}`);
  return operation;
}

let server: TestServer;
let acme: Workspace;
let rival: Workspace;
let contactId: string;

/** POSTs a JSON body as given. */
async function post(body: Record<string, unknown>, token?: string) {
  const response = await server.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text, headers: response.headers };
}

const claim = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** How many notes are stored, read from the database itself. */
async function storedNotes(): Promise<number> {
  const [row] = await server.db.select({ n: count() }).from(notes);
  return row!.n;
}

beforeAll(async () => {
  server = await startTestServer({ PERSISTED_QUERIES_PER_WORKSPACE: '5' });
  acme = await createWorkspace(server.db, 'acme', 5);
  rival = await createWorkspace(server.db, 'rival', 1);
  const first = await server.graphql('{ contacts(first: 1) { edges { node { id } } } }', {}, acme.reader);
  contactId = first.body.data.contacts.edges[0].node.id;
});
afterAll(() => server?.close());

describe('a claimed hash is checked against its text before anything uses it', () => {
  const addNote = 'mutation AddNote($contactId: ID!, $body: String!) { addNote(input: { contactId: $contactId, body: $body }) { note { id body } } }';

  it('refuses a query document sent with a mutation’s hash, and identical mutations then each run', async () => {
    // Sent as the victims send theirs (no operationName): the same memo key, were claims believed.
    const forged = await post({ query: 'query AddNote { viewer { role } }', extensions: claim(sha256(addNote)) }, rival.reader);
    expect(forged.status, forged.text).toBe(400);
    expect(forged.body.errors[0].extensions.code).toBe('BAD_REQUEST');

    const before = await storedNotes();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post({ query: addNote, variables: { contactId, body: 'same words' } }, acme.editor)),
    );
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(200);
      // Never looked up, shared or stored: a mutation goes around the cache.
      expect(answer.headers.get('x-cache')).toBe('bypass');
    }
    const ids = new Set(answers.map((answer) => answer.body.data.addNote.note.id));
    expect(ids.size).toBe(10);
    expect(await storedNotes()).toBe(before + 10);
  });

  it('keeps the SDK’s AddNote a mutation after 5,100 forged claims and a claim on its own hash', async () => {
    const sdkAddNote = published('AddNote');
    // Enough distinct claims to have pushed the manifest's entries out of a memo of 5,000.
    for (let i = 0; i < 5_100; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) => post({ query: `query Q${i + j} { viewer { role } }`, extensions: claim(sha256(`forged ${i + j}`)) }, rival.reader)),
      );
    }
    const forged = await post({ query: 'query AddNote { viewer { role } }', operationName: 'AddNote', extensions: claim(sdkAddNote.hash) }, rival.reader);
    expect(forged.status, forged.text).toBe(400);

    const before = await storedNotes();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post({ operationName: 'AddNote', variables: { contactId, body: 'by hash' }, extensions: claim(sdkAddNote.hash) }, acme.editor)),
    );
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(200);
      expect(answer.headers.get('x-cache')).toBe('bypass');
    }
    expect(new Set(answers.map((answer) => answer.body.data.addNote.note.id)).size).toBe(10);
    expect(await storedNotes()).toBe(before + 10);
  });

  it('keeps the operations of one document apart, whatever was claimed for its hash', async () => {
    const both = 'query A { viewer { role } } query B { tags { name } }';
    const forged = await post({ query: 'query A { viewer { role } }', extensions: claim(sha256(both)) }, rival.reader);
    expect(forged.status, forged.text).toBe(400);

    for (let round = 0; round < 2; round += 1) {
      const a = await post({ query: both, operationName: 'A' }, acme.reader);
      const b = await post({ query: both, operationName: 'B' }, acme.reader);
      expect(a.body.data, a.text).toEqual({ viewer: { role: 'READER' } });
      expect(b.body.data, b.text).toHaveProperty('tags');
      expect(b.body.data).not.toHaveProperty('viewer');
      if (round === 1) {
        expect(a.headers.get('x-cache')).toBe('hit-l1');
        expect(b.headers.get('x-cache')).toBe('hit-l1');
      }
    }
  });

  it('refuses a document sent with a hash that is not its own, in either form', async () => {
    const query = '{ viewer { role } }';
    for (const hash of [sha256(`${query} `), sha256(query).toUpperCase(), 'f'.repeat(64), 'not a hash']) {
      const answer = await post({ query, extensions: claim(hash) }, acme.reader);
      expect(answer.status, `${hash}: ${answer.text}`).toBe(400);
      expect(answer.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });
});

describe('a read-only execution runs queries only', () => {
  it('stops a mutation before it runs when the execution may be shared, and runs it otherwise', async () => {
    const schema = buildSchema();
    const apollo = new ApolloServer<RequestContext>({ schema, plugins: [executionRecordPlugin()] });
    await apollo.start();
    try {
      const viewer = await createViewerResolver(server.db, 0)(`Bearer ${acme.editor}`);
      const contextFor = (readOnly: boolean) =>
        createRequestContext(viewer, 'test', newExecutionRecord(undefined, readOnly), {
          db: server.db,
          loaderMaxBatchSize: 100,
          invalidate: async () => {},
          recordView: async () => {},
          cursors: cursorCodecOnce(() => sharedKey(server.db, CURSOR_KEY)),
        });
      const mutation = 'mutation ($contactId: ID!) { addNote(input: { contactId: $contactId, body: "guarded" }) { note { id } } }';
      const before = await storedNotes();

      const shared = contextFor(true);
      const refused = await apollo.executeOperation({ query: mutation, variables: { contactId } }, { contextValue: shared });
      expect(refused.body.kind === 'single' && refused.body.singleResult.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(shared.execution.refusedWrite).toBe(true);
      expect(await storedNotes()).toBe(before);

      const own = contextFor(false);
      const ran = await apollo.executeOperation({ query: mutation, variables: { contactId } }, { contextValue: own });
      expect(ran.body.kind === 'single' && ran.body.singleResult.errors).toBeUndefined();
      expect(await storedNotes()).toBe(before + 1);

      const query = await apollo.executeOperation({ query: '{ viewer { role } }' }, { contextValue: contextFor(true) });
      expect(query.body.kind === 'single' && query.body.singleResult.data).toEqual({ viewer: { role: 'EDITOR' } });
    } finally {
      await apollo.stop();
    }
  });
});

describe('registering documents by hash', () => {
  const registrations = (result: string) => counter(server, 'cardfile_persisted_query_registrations_total', { result });

  it('is refused to requests without a valid token: their document is not known afterwards', async () => {
    // Introspection-only documents run without a token; they must not be stored for that.
    const padded = `{ __typename } # ${'x'.repeat(15_000)}`;
    const anonymous = await post({ query: padded, extensions: claim(sha256(padded)) });
    expect(anonymous.status, anonymous.text).toBe(200);
    const badToken = await post({ query: `${padded} `, extensions: claim(sha256(`${padded} `)) }, 'cf_not-a-token');
    expect(badToken.status).toBe(401);

    for (const text of [padded, `${padded} `]) {
      const asked = await server.persistedGet(text, undefined, acme.reader, { send: 'hash-only' });
      expect(asked.body.errors?.[0]?.extensions?.code, asked.text).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
    if (onRedis) {
      const redis = createClient({ url: process.env.REDIS_URL });
      await redis.connect();
      try {
        expect(await redis.exists(`${server.database.namespace}:apq:${sha256(padded)}`)).toBe(0);
      } finally {
        await redis.close();
      }
    }
  });

  it('stores a valid token’s document for PERSISTED_QUERY_TTL_SECONDS, found by its hash alone', async () => {
    const query = '{ viewer { workspace { name } } }';
    const registering = await post({ query, extensions: claim(sha256(query)) }, acme.reader);
    expect(registering.status, registering.text).toBe(200);
    const byHash = await server.persistedGet(query, undefined, rival.reader, { send: 'hash-only' });
    expect(byHash.body.data, byHash.text).toEqual({ viewer: { workspace: { name: 'rival' } } });
    if (onRedis) {
      const redis = createClient({ url: process.env.REDIS_URL });
      await redis.connect();
      try {
        const ttl = await redis.ttl(`${server.database.namespace}:apq:${sha256(query)}`);
        expect(ttl).toBeGreaterThan(86_000);
        expect(ttl).toBeLessThanOrEqual(86_400);
      } finally {
        await redis.close();
      }
    }
  });

  it('stores at most PERSISTED_QUERIES_PER_WORKSPACE new documents per workspace; clients still get answers', async () => {
    const overBefore = await registrations('over-limit');
    const documents = Array.from({ length: 6 }, (_, i) => `{ bounded${i}: viewer { role } }`);
    for (const query of documents) {
      const answer = await post({ query, extensions: claim(sha256(query)) }, rival.editor);
      expect(answer.status, answer.text).toBe(200);
    }
    // rival registered none before these: five are stored, the sixth is not...
    const found = await Promise.all(documents.map((query) => server.persistedGet(query, undefined, rival.editor, { send: 'hash-only' })));
    const missing = found.filter((answer) => answer.body.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND');
    expect(missing.length).toBe(1);
    expect(await registrations('over-limit')).toBeGreaterThan(overBefore);
    // ...while another workspace still registers its own.
    const own = '{ acmeOwn: viewer { role } }';
    await post({ query: own, extensions: claim(sha256(own)) }, acme.editor);
    expect((await server.persistedGet(own, undefined, acme.editor, { send: 'hash-only' })).body.data).toEqual({ acmeOwn: { role: 'EDITOR' } });
  });
});
