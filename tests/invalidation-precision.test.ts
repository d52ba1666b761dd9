// Invalidation is precise: a mutation purges only what it can change. Precision is only worth
// having if it is never wrong, so every cached answer here is compared with the truth: the same
// query on a second server over the same database with no caching at all, after every one of a
// long run of random mutations. The run must also have served many answers from the cache, or it
// would prove nothing about the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from './helpers/metrics.js';
import { seededRandom } from './helpers/seeded-random.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let cached: TestServer;
let truth: TestServer;
let crm: Workspace;
let contactIds: string[];
let companyIds: string[];
let tagIds: string[];

const LIST = `query List($first: Int, $after: String, $filter: ContactFilter, $orderBy: ContactOrder) {
  contacts(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { id firstName lastName email title company { id name } tags { id name } } }
    pageInfo { hasNextPage }
  }
}`;
const CARD = `query Card($id: ID!) {
  contact(id: $id) { id firstName lastName email title version company { id name } tags { name } notes(first: 3) { totalCount edges { node { body } } } }
}`;
const COMPANIES = `{ companies(first: 5) { totalCount edges { node { id name contacts(first: 5) { totalCount edges { node { id firstName lastName } } } } } } }`;

beforeAll(async () => {
  cached = await startTestServer();
  truth = await startTestServer({ RESPONSE_CACHE: 'false', ENTITY_CACHE: 'false' }, { database: cached.database });
  crm = await createWorkspace(cached.db, 'precise', 30);
  const ids = await truth.graphql('{ contacts(first: 100) { edges { node { id } } } companies(first: 20) { edges { node { id } } } tags { id } }', {}, crm.editor);
  contactIds = ids.body.data.contacts.edges.map((edge: any) => edge.node.id);
  companyIds = ids.body.data.companies.edges.map((edge: any) => edge.node.id);
  tagIds = ids.body.data.tags.map((found: any) => found.id);
});

afterAll(async () => {
  await truth?.close();
  await cached?.close();
});

function reads(): Array<[string, Record<string, unknown>]> {
  const lists: Array<Record<string, unknown>> = [];
  for (const field of ['NAME', 'CREATED_AT', 'UPDATED_AT']) {
    for (const direction of ['ASC', 'DESC']) lists.push({ first: 10, orderBy: { field, direction } });
  }
  lists.push({ first: 5, filter: { search: 'an' } });
  lists.push({ first: 5, filter: { search: 'renamed' }, orderBy: { field: 'NAME', direction: 'ASC' } });
  lists.push({ first: 10, filter: { companyId: companyIds[0] } });
  lists.push({ first: 10, filter: { companyId: companyIds[1] }, orderBy: { field: 'UPDATED_AT', direction: 'DESC' } });
  lists.push({ first: 10, filter: { tagIds: [tagIds[0]] } });
  lists.push({ first: 10, filter: { tagIds: [tagIds[1], tagIds[2]] } });
  lists.push({ first: 10, filter: { updatedAfter: new Date(Date.now() - 60_000).toISOString() } });
  return [
    ...lists.map((variables): [string, Record<string, unknown>] => [LIST, variables]),
    ...contactIds.slice(0, 8).map((id): [string, Record<string, unknown>] => [CARD, { id }]),
    [COMPANIES, {}],
  ];
}

describe('precise invalidation', () => {
  it('after each of 40 random mutations, every cached answer equals the uncached one', async () => {
    const seed = Number(process.env.CACHE_TEST_SEED ?? Date.now() % 1_000_000);
    const rng = seededRandom(seed);
    const context = `seed ${seed} (CACHE_TEST_SEED=${seed} replays it)`;
    const queries = reads();
    // With Redis, an L1 copy gives way to the L2 one after any write in the workspace: both are hits.
    const hitCount = async () =>
      (await counter(cached, 'cardfile_response_cache_requests_total', { outcome: 'hit-l1' })) +
      (await counter(cached, 'cardfile_response_cache_requests_total', { outcome: 'hit-l2' }));
    const hitsBefore = await hitCount();
    const created: string[] = [];

    const mutate = async (round: number) => {
      const id = rng.pick(contactIds.slice(0, 12));
      const version = async () => (await truth.graphql(CARD, { id }, crm.reader)).body.data.contact.version as number;
      const roll = rng.next();
      let mutation: string;
      let variables: Record<string, unknown>;
      if (roll < 0.2) {
        mutation = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id } } }';
        variables = { input: { id, expectedVersion: await version(), title: `Title ${round}` } };
      } else if (roll < 0.35) {
        mutation = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id } } }';
        variables = { input: { id, expectedVersion: await version(), firstName: rng.pick(['Aaron', 'Zed', 'Renamed', 'Mia']), lastName: `Round${round}` } };
      } else if (roll < 0.45) {
        mutation = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id } } }';
        variables = { input: { id, expectedVersion: await version(), companyId: rng.chance(0.2) ? null : rng.pick(companyIds.slice(0, 3)) } };
      } else if (roll < 0.5) {
        mutation = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id } } }';
        variables = { input: { id, expectedVersion: await version(), email: `round${round}.${rng.int(1000)}@renamed.example.com` } };
      } else if (roll < 0.7) {
        mutation = `mutation ($input: TagContactInput!) { ${rng.chance(0.5) ? 'tagContact' : 'untagContact'}(input: $input) { contact { id } } }`;
        variables = { input: { contactId: id, tagId: rng.pick(tagIds.slice(0, 3)) } };
        if (mutation.includes('untag')) mutation = mutation.replace('TagContactInput', 'UntagContactInput');
      } else if (roll < 0.8) {
        mutation = 'mutation ($input: AddNoteInput!) { addNote(input: $input) { note { id } } }';
        variables = { input: { contactId: id, body: `Note ${round}` } };
      } else if (roll < 0.9 || created.length === 0) {
        mutation = 'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }';
        variables = { input: { firstName: rng.pick(['Anna', 'Bo', 'Renamed']), lastName: `New${round}`, companyId: rng.pick(companyIds.slice(0, 2)), tagIds: [tagIds[0]] } };
      } else {
        mutation = 'mutation ($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }';
        variables = { input: { id: created.pop() } };
      }
      const reply = await cached.graphql(mutation, variables, crm.editor);
      expect(reply.body.errors, `${context}, round ${round}: ${mutation}`).toBeUndefined();
      if (mutation.includes('createContact')) created.push(reply.body.data.createContact.contact.id);
    };

    for (let round = 0; round < 40; round++) {
      for (const [query, variables] of queries) {
        const fromCache = await cached.graphql(query, variables, crm.reader);
        const fromDatabase = await truth.graphql(query, variables, crm.reader);
        expect(fromCache.body, `${context}, round ${round}, ${fromCache.headers.get('x-cache')}: ${query.slice(0, 12)} ${JSON.stringify(variables)}`).toEqual(
          fromDatabase.body,
        );
      }
      await mutate(round);
    }
    // Precision is what let this many answers come from the cache despite a write every round.
    const hits = (await hitCount()) - hitsBefore;
    expect(hits, context).toBeGreaterThan(40 * queries.length * 0.3);
  });
});
