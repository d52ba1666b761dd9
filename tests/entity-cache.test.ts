// The entity cache under DataLoader batches: rows by id served without SQL when a current copy
// exists, written through by mutations, retired by any write in their workspace, kept apart per
// workspace, and shared between instances through Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from './helpers/metrics.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import { waitFor } from './helpers/wait-for.js';

let redis: OwnRedis;
let a: TestServer;
let b: TestServer;
let acme: Workspace;
let other: Workspace;
let contactId: string;
let shape = 0;

/**
 * Reads one contact with a query shape never used before, so the response cache cannot answer
 * and the contact loader has to run; returns the data and how many SQL statements it took.
 */
async function readFresh(server: TestServer, token: string, id: string, fields = 'firstName version') {
  shape += 1;
  const response = await server.graphql(`query Shape${shape} { contact(id: "${id}") { ${fields} } }`, {}, token);
  expect(response.body.errors).toBeUndefined();
  return { contact: response.body.data.contact, statements: Number(response.headers.get('x-sql-statements')) };
}

beforeAll(async () => {
  redis = await startOwnRedis();
  a = await startTestServer({ REDIS_URL: redis.url });
  b = await startTestServer({ REDIS_URL: redis.url }, { database: a.database });
  acme = await createWorkspace(a.db, 'acme', 20);
  other = await createWorkspace(a.db, 'other', 20);
  const list = await a.graphql('{ contacts(first: 1) { edges { node { id } } } }', {}, acme.editor);
  contactId = list.body.data.contacts.edges[0].node.id;
  // Tokens are checked once per instance; later statement counts are the query's own.
  await a.graphql('{ viewer { role } }', {}, acme.editor);
  await b.graphql('{ viewer { role } }', {}, acme.editor);
  await a.graphql('{ viewer { role } }', {}, other.editor);
  // Both instances connect to Redis in the background: wait until b answers from what a stored.
  await a.graphql('query Ready { tags { id } }', {}, acme.editor);
  const ready = async () => (await b.graphql('query Ready { tags { id } }', {}, acme.editor)).headers.get('x-cache');
  await waitFor('b to answer from what a stored', ready, (cache) => cache === 'hit-l2' || cache === 'hit-l1');
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.stop();
});

describe('entity cache', () => {
  it('serves a row it has read before without SQL, in this instance and in another', async () => {
    const heldBefore = await counter(a, 'cardfile_entity_cache_entries');
    const first = await readFresh(a, acme.editor, contactId);
    expect(first.statements).toBe(1);
    const held = await counter(a, 'cardfile_entity_cache_entries');
    expect(held).toBe(heldBefore + 1);
    const again = await readFresh(a, acme.editor, contactId);
    expect(again.statements).toBe(0);
    expect(await counter(a, 'cardfile_entity_cache_entries')).toBe(held);
    expect(again.contact).toEqual(first.contact);
    const elsewhere = await readFresh(b, acme.editor, contactId);
    expect(elsewhere.statements).toBe(0);
    expect(elsewhere.contact).toEqual(first.contact);
  });

  it('writes a mutation\'s row through: the next read on any instance has it, without SQL', async () => {
    const before = await readFresh(a, acme.editor, contactId);
    const updated = await a.graphql(
      'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { version } } }',
      { input: { id: contactId, expectedVersion: before.contact.version, firstName: 'Written' } },
      acme.editor,
    );
    expect(updated.body.errors).toBeUndefined();
    for (const server of [b, a]) {
      const after = await readFresh(server, acme.editor, contactId);
      expect(after.contact).toEqual({ firstName: 'Written', version: before.contact.version + 1 });
      expect(after.statements).toBe(0);
    }
  });

  it('retires every cached row of a workspace on any write in it', async () => {
    await readFresh(a, acme.editor, contactId);
    const rowId = Number(Buffer.from(contactId, 'base64url').toString().split(':')[1]);
    // A change the cache cannot know about, then an unrelated write in the same workspace.
    await a.database.query('update contacts set first_name = $1 where id = $2', ['Behind', rowId]);
    await b.graphql('mutation { createTag(input: { name: "unrelated" }) { tag { id } } }', {}, acme.editor);
    for (const server of [a, b]) {
      const after = await readFresh(server, acme.editor, contactId);
      expect(after.contact.firstName).toBe('Behind');
    }
  });

  it('keeps workspaces apart: another workspace asking for a cached id gets null', async () => {
    await readFresh(a, acme.editor, contactId);
    const foreign = await readFresh(a, other.editor, contactId);
    expect(foreign.contact).toBeNull();
  });

  it('is bypassed while Redis is down, and answers from the database', async () => {
    await redis.stop();
    try {
      const rowId = Number(Buffer.from(contactId, 'base64url').toString().split(':')[1]);
      await a.database.query('update contacts set first_name = $1 where id = $2', ['WhileDown', rowId]);
      const read = await readFresh(a, acme.editor, contactId);
      expect(read.contact.firstName).toBe('WhileDown');
      expect(read.statements).toBe(1);
    } finally {
      await redis.start();
    }
  });
});
