// The number of SQL statements a request runs depends on the query's shape, never on page size:
// every relation resolves through a per-request DataLoader, and nested pages are fetched for all
// parents in one statement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let workspace: Workspace;

const listPage = `query ($first: Int!) {
  contacts(first: $first) {
    totalCount
    edges { node { id firstName company { id name } tags { id name } notes(first: 3) { edges { node { id body } } } } }
  }
}`;

// The same page, also asking how many notes each contact has: one more batched statement.
const listPageWithNoteCounts = listPage.replace('notes(first: 3) {', 'notes(first: 3) { totalCount');

const companiesPage = `query ($first: Int!) {
  companies(first: $first) {
    edges { node { id name contacts(first: 5) { totalCount edges { node { id tags { name } company { name } } } } } }
  }
}`;

async function statementsFor(query: string, variables: Record<string, unknown>) {
  const response = await server.graphql(query, variables, workspace.reader);
  expect(response.body.errors).toBeUndefined();
  return { count: Number(response.headers.get('x-sql-statements')), data: response.body.data };
}

beforeAll(async () => {
  // The SQL shape of a request is what is measured here: rows by id must not come from the entity
  // cache, which would make counts depend on what earlier requests loaded.
  server = await startTestServer({ ENTITY_CACHE: 'false' });
  workspace = await createWorkspace(server.db, 'batching', 400);
  // The first request verifies the token; later ones find it in the token cache.
  await server.graphql('{ viewer { role } }', {}, workspace.reader);
});

afterAll(() => server?.close());

describe('statements per request', () => {
  it('are the same for a 10-row and a 100-row contact page, and at most 5', async () => {
    const small = await statementsFor(listPage, { first: 10 });
    const large = await statementsFor(listPage, { first: 100 });
    expect(small.data.contacts.edges).toHaveLength(10);
    expect(large.data.contacts.edges).toHaveLength(100);
    // The page really has relations to load, or the equality would be trivial.
    const nodes = large.data.contacts.edges.map((edge: any) => edge.node);
    expect(nodes.filter((node: any) => node.company).length).toBeGreaterThan(50);
    expect(nodes.filter((node: any) => node.tags.length > 0).length).toBeGreaterThan(30);
    expect(nodes.filter((node: any) => node.notes.edges.length > 0).length).toBeGreaterThan(30);
    expect(large.count).toBe(small.count);
    expect(large.count).toBeLessThanOrEqual(5);
  });

  it('grow by one statement, not one per contact, when nested totals are asked for', async () => {
    const small = await statementsFor(listPageWithNoteCounts, { first: 10 });
    const large = await statementsFor(listPageWithNoteCounts, { first: 100 });
    expect(large.data.contacts.edges[0].node.notes.totalCount).toEqual(expect.any(Number));
    expect(large.count).toBe(small.count);
    expect(large.count).toBe(6);
  });

  it('are the same for 2 and 20 companies with nested contact pages', async () => {
    const small = await statementsFor(companiesPage, { first: 2 });
    const large = await statementsFor(companiesPage, { first: 20 });
    expect(large.data.companies.edges).toHaveLength(20);
    expect(large.count).toBe(small.count);
  });

  it('count one statement per relation when the client does not ask for totals', async () => {
    const withoutCounts = await statementsFor(
      'query { contacts(first: 50) { edges { node { company { name } tags { name } } } } }',
      {},
    );
    // the page, the companies, the tags
    expect(withoutCounts.count).toBe(3);
  });
});
