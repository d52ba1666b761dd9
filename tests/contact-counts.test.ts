// The unfiltered totalCount comes from a counter kept by triggers (drizzle/0005), not from counting
// the workspace. Whatever writes contacts (the API, bulk SQL, a manual fix), the counter must stay
// equal to the real count of live contacts, per workspace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let north: Workspace;
let south: Workspace;
const ids: Record<string, number> = {};

const TOTAL = '{ contacts(first: 1) { totalCount } }';
// ENTITY_CACHE and the response cache would answer repeated reads; counts must come from the database.
const env = { RESPONSE_CACHE: 'false' };

beforeAll(async () => {
  server = await startTestServer(env);
  north = await createWorkspace(server.db, 'north', 25);
  south = await createWorkspace(server.db, 'south', 7);
  for (const name of ['north', 'south']) {
    const [row] = await server.database.query<{ id: unknown }>('select id from workspaces where name = $1', [name]);
    ids[name] = Number(row!.id);
  }
});

afterAll(() => server?.close());

async function reported(workspace: Workspace): Promise<number> {
  const reply = await server.graphql(TOTAL, {}, workspace.reader);
  expect(reply.body.errors).toBeUndefined();
  return reply.body.data.contacts.totalCount;
}

async function counted(name: string): Promise<number> {
  const [row] = await server.database.query<{ n: unknown }>('select count(*) as n from contacts where workspace_id = $1 and deleted_at is null', [ids[name]]);
  return Number(row!.n);
}

async function expectTrue() {
  expect(await reported(north)).toBe(await counted('north'));
  expect(await reported(south)).toBe(await counted('south'));
}

describe('the kept contact count', () => {
  it('starts equal to the seeded contacts, per workspace', async () => {
    expect(await reported(north)).toBe(25);
    expect(await reported(south)).toBe(7);
  });

  it('follows contacts created and deleted through the API', async () => {
    const created = await server.graphql(
      'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }',
      { input: { firstName: 'Nora', lastName: 'North', email: 'nora@north.example.com' } },
      north.editor,
    );
    expect(await reported(north)).toBe(26);
    const deleted = await server.graphql(
      'mutation ($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }',
      { input: { id: created.body.data.createContact.contact.id } },
      north.editor,
    );
    expect(deleted.body.errors).toBeUndefined();
    expect(await reported(north)).toBe(25);
    expect(await reported(south)).toBe(7);
  });

  it('follows bulk SQL: a multi-row insert, soft deletes and restores, hard deletes', async () => {
    await server.database.query(
      `insert into contacts (workspace_id, first_name, last_name)
       select $1, 'Bulk', 'Row ' || n from generate_series(1, 40) as n`,
      [ids.south],
    );
    await expectTrue();
    await server.database.query(`update contacts set deleted_at = now() where workspace_id = $1 and first_name = 'Bulk' and last_name like 'Row 1%'`, [ids.south]);
    await expectTrue();
    // Updates that leave liveness alone, and a restore.
    await server.database.query(`update contacts set title = 'Buyer' where workspace_id = $1`, [ids.south]);
    await server.database.query(`update contacts set deleted_at = null where workspace_id = $1 and last_name = 'Row 10'`, [ids.south]);
    await expectTrue();
    await server.database.query(`delete from contacts where workspace_id = $1 and first_name = 'Bulk'`, [ids.south]);
    await expectTrue();
    // A statement touching two workspaces at once.
    await server.database.query(`update contacts set deleted_at = now() where id in (select min(id) from contacts group by workspace_id)`);
    await expectTrue();
  });

  it('is the same whether read from the counter or counted under a filter that matches everyone', async () => {
    // updatedAfter the epoch matches every contact, and is counted row by row.
    const filtered = await server.graphql('{ contacts(first: 1, filter: { updatedAfter: "1970-01-01T00:00:00Z" }) { totalCount } }', {}, north.reader);
    expect(filtered.body.data.contacts.totalCount).toBe(await reported(north));
  });
});

describe('filtered counts', () => {
  const COUNTED = `query Counted($search: String) {
    contacts(first: 2, filter: { search: $search }) { totalCount totalCountExact edges { node { id } } }
  }`;

  it('counts a filter exactly up to 1,000 matches, and past that says 1,000 and not exact', async () => {
    const big = await createWorkspace(server.db, 'big', 1_050);
    const all = await server.graphql(COUNTED, {}, big.reader);
    expect(all.body.data.contacts).toMatchObject({ totalCount: 1_050, totalCountExact: true });
    // Every seeded email ends in example.com or example.org: all 1,050 match.
    const common = await server.graphql(COUNTED, { search: 'example' }, big.reader);
    expect(common.body.errors).toBeUndefined();
    expect(common.body.data.contacts).toMatchObject({ totalCount: 1_000, totalCountExact: false });
    expect(common.body.data.contacts.edges).toHaveLength(2);
    // A rarer fragment: counted exactly, and equal to what the database holds.
    const [row] = await server.database.query<{ name: string }>(
      `select lower(last_name) as name from contacts where workspace_id = (select id from workspaces where name = 'big') order by id limit 1`,
    );
    const fragment = row!.name.slice(0, 5);
    const [matches] = await server.database.query<{ n: unknown }>(
      `select count(*) as n from contacts where workspace_id = (select id from workspaces where name = 'big') and deleted_at is null and search_text like $1`,
      [`%${fragment}%`],
    );
    const rare = await server.graphql(COUNTED, { search: fragment }, big.reader);
    expect(Number(matches!.n)).toBeLessThan(1_000);
    expect(rare.body.data.contacts).toMatchObject({ totalCount: Number(matches!.n), totalCountExact: true });
  });
});
