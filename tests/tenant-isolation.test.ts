// Two workspaces with look-alike data: the same company, tag and contact names and the same
// emails. Every query and mutation made with one workspace's token must see and touch only that
// workspace's rows. An id of the other workspace behaves exactly like an id that does not exist
// (null from queries, NOT_FOUND from mutations), and no response ever carries one of its ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCoded, expectOk } from './helpers/expect-answer.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let north: Workspace;
let south: Workspace;

interface Ids {
  workspace: string;
  workspaceRowId: number;
  companies: { globex: string; initech: string };
  tags: { vip: string; customer: string; partner?: string };
  contacts: { ada: string; grace: string; alan: string; charles: string; edsger?: string };
  notes: string[];
}

let northIds: Ids;
let southIds: Ids;
/** Every global id of the south workspace, deleted contact included. */
let southIdSet: Set<string>;
let southBefore: unknown;

const CONTACT_FIELDS = `id firstName lastName email phone title version createdAt updatedAt
  company { id name domain }
  tags { id name }
  notes(first: 100) { totalCount edges { node { id body createdAt } } }`;

/** The whole of a workspace as its own token sees it. */
const EVERYTHING = `{
  viewer { role workspace { id name } }
  contacts(first: 100, orderBy: { field: CREATED_AT }) { totalCount edges { node { ${CONTACT_FIELDS} } } }
  companies(first: 100) {
    totalCount
    edges { node { id name domain createdAt contacts(first: 100) { totalCount edges { node { id } } } } }
  }
  tags { id name }
}`;

const VIEWER = '{ viewer { role workspace { id name } } }';
const TAGS = '{ tags { id name } }';
const COMPANIES = '{ companies(first: 100) { totalCount edges { node { id name } } } }';

/** Any base64url token of the text that is one of the south workspace's global ids. */
function southIdsIn(text: string): string[] {
  return (text.match(/[A-Za-z0-9_-]+/g) ?? []).filter((token) => southIdSet.has(token));
}

/** A request with the north editor token; whatever it answers must not name a south id. */
async function asNorth(query: string, variables: Record<string, unknown> = {}, token = north.editor) {
  const response = await server.graphql(query, variables, token);
  expect(southIdsIn(response.text)).toEqual([]);
  return response;
}

async function populate(token: string, extras: boolean): Promise<Ids> {
  const call = async (query: string, variables: Record<string, unknown>) => expectOk(await server.graphql(query, variables, token));
  const company = async (name: string, domain: string) =>
    (await call('mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } } }', {
      input: { name, domain },
    })).createCompany.company.id as string;
  const tag = async (name: string) =>
    (await call('mutation ($input: CreateTagInput!) { createTag(input: $input) { tag { id } } }', { input: { name } })).createTag
      .tag.id as string;
  const contact = async (input: Record<string, unknown>) =>
    (await call('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }', { input }))
      .createContact.contact.id as string;
  const note = async (contactId: string, body: string) =>
    (await call('mutation ($input: AddNoteInput!) { addNote(input: $input) { note { id } } }', { input: { contactId, body } }))
      .addNote.note.id as string;

  const viewer = (await call('{ viewer { workspace { id } } }', {})).viewer;
  const globex = await company('Globex', 'globex.com');
  const initech = await company('Initech', 'initech.com');
  const vip = await tag('vip');
  const customer = await tag('customer');
  const ada = await contact({
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@globex.com',
    phone: '+44 20 7946 0000',
    title: 'Engineer',
    companyId: globex,
    tagIds: [vip, customer],
  });
  const grace = await contact({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@initech.com', companyId: initech, tagIds: [vip] });
  const alan = await contact({ firstName: 'Alan', lastName: 'Turing', email: 'alan@example.com' });
  const charles = await contact({ firstName: 'Charles', lastName: 'Babbage', email: 'charles@example.com', companyId: globex });
  const notes = [await note(ada, 'Met at the conference.'), await note(ada, 'Sent the proposal.'), await note(grace, 'Call back in May.')];
  await call('mutation ($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }', { input: { id: charles } });

  const ids: Ids = {
    workspace: viewer.workspace.id,
    workspaceRowId: 0,
    companies: { globex, initech },
    tags: { vip, customer },
    contacts: { ada, grace, alan, charles },
    notes,
  };
  if (extras) {
    // Rows only this workspace has, whose names and email the other workspace then uses for itself.
    ids.tags.partner = await tag('partner');
    ids.contacts.edsger = await contact({ firstName: 'Edsger', lastName: 'Dijkstra', email: 'edsger@example.com' });
  }
  return ids;
}

function allIds(ids: Ids): string[] {
  return [
    ids.workspace,
    ...Object.values(ids.companies),
    ...Object.values(ids.tags),
    ...Object.values(ids.contacts),
    ...ids.notes,
  ].filter((id): id is string => typeof id === 'string');
}

/** The south workspace's rows straight from the database, for a before/after comparison. */
async function databaseRowsOf(workspaceRowId: number) {
  const query = (sql: string) => server.database.query(sql, [workspaceRowId]);
  return {
    contacts: await query('select * from contacts where workspace_id = $1 order by id'),
    companies: await query('select * from companies where workspace_id = $1 order by id'),
    tags: await query('select * from tags where workspace_id = $1 order by id'),
    notes: await query('select * from notes where workspace_id = $1 order by id'),
    contactTags: await query(
      `select ct.contact_id, ct.tag_id from contact_tags ct
       join contacts c on c.id = ct.contact_id join tags t on t.id = ct.tag_id
       where c.workspace_id = $1 or t.workspace_id = $1 order by 1, 2`,
    ),
  };
}

async function southSnapshot() {
  const response = await server.graphql(EVERYTHING, {}, south.editor);
  return { api: expectOk(response), rows: await databaseRowsOf(southIds.workspaceRowId) };
}

beforeAll(async () => {
  // EVERYTHING reads a whole workspace in one request, nested pages of 100 included: far more than
  // the query cost limit lets a client ask for at once.
  server = await startTestServer({ MAX_QUERY_COST: '1000000000' });
  north = await createWorkspace(server.db, 'north');
  south = await createWorkspace(server.db, 'south');
  // Both workspaces draw row ids from the same sequences, so their ids sit side by side as they do
  // in production, and a query missing its workspace condition would find the other's rows.
  northIds = await populate(north.editor, false);
  southIds = await populate(south.editor, true);
  const rows = await server.database.query<{ id: number | string; name: string }>('select id, name from workspaces');
  northIds.workspaceRowId = Number(rows.find((row) => row.name === 'north')!.id);
  southIds.workspaceRowId = Number(rows.find((row) => row.name === 'south')!.id);
  southIdSet = new Set(allIds(southIds));
  southBefore = await southSnapshot();
  // The south workspace asks the same questions first, so that a south answer sits in the response
  // cache under the very document and variables the north token sends next.
  for (const query of [VIEWER, TAGS, COMPANIES]) expectOk(await server.graphql(query, {}, south.editor));
});

afterAll(() => server?.close());

describe('the fixture', () => {
  it('gives both workspaces the same-looking data under different ids', async () => {
    const northView = expectOk(await server.graphql(EVERYTHING, {}, north.editor));
    const southView = expectOk(await server.graphql(EVERYTHING, {}, south.editor));
    const names = (view: any) => view.contacts.edges.map((edge: any) => `${edge.node.firstName} ${edge.node.email}`);
    expect(names(northView)).toEqual(['Ada ada@globex.com', 'Grace grace@initech.com', 'Alan alan@example.com']);
    expect(names(southView)).toEqual([...names(northView), 'Edsger edsger@example.com']);
    for (const id of allIds(northIds)) expect(southIdSet.has(id)).toBe(false);
    // The guard below would be toothless if it could not spot a south id in a response.
    expect(southIdsIn(JSON.stringify(southView))).not.toEqual([]);
  });
});

describe('queries with the north token', () => {
  it('viewer is the north workspace', async () => {
    const data = expectOk(await asNorth(VIEWER));
    expect(data.viewer).toEqual({ role: 'EDITOR', workspace: { id: northIds.workspace, name: 'north' } });
  });

  it('contacts lists only north contacts, in every order', async () => {
    for (const field of ['NAME', 'CREATED_AT', 'UPDATED_AT']) {
      for (const direction of ['ASC', 'DESC']) {
        const data = expectOk(
          await asNorth('query ($orderBy: ContactOrder) { contacts(first: 100, orderBy: $orderBy) { totalCount edges { node { id } } } }', {
            orderBy: { field, direction },
          }),
        );
        expect(data.contacts.totalCount).toBe(3);
        expect(data.contacts.edges.map((edge: any) => edge.node.id).sort()).toEqual(
          [northIds.contacts.ada, northIds.contacts.grace, northIds.contacts.alan].sort(),
        );
      }
    }
  });

  it('every contacts filter matches north contacts only', async () => {
    const list = async (filter: Record<string, unknown>) => {
      const data = expectOk(
        await asNorth('query ($filter: ContactFilter) { contacts(first: 100, filter: $filter) { totalCount edges { node { id } } } }', {
          filter,
        }),
      );
      expect(data.contacts.totalCount).toBe(data.contacts.edges.length);
      return data.contacts.edges.map((edge: any) => edge.node.id).sort();
    };
    const { ada, grace, alan } = northIds.contacts;
    expect(await list({ search: 'lovelace' })).toEqual([ada]);
    expect(await list({ search: 'ada@globex' })).toEqual([ada]);
    // Company names are searchable too; the deleted Charles works at Globex as well.
    expect(await list({ search: 'globex' })).toEqual([ada]);
    expect(await list({ search: 'example.com' })).toEqual([alan]);
    expect(await list({ companyId: northIds.companies.globex })).toEqual([ada]);
    expect(await list({ tagIds: [northIds.tags.vip] })).toEqual([ada, grace].sort());
    expect(await list({ tagIds: [northIds.tags.vip, northIds.tags.customer] })).toEqual([ada]);
    expect(await list({ updatedAfter: '2000-01-01T00:00:00Z' })).toEqual([ada, grace, alan].sort());
    // South ids in a filter match nothing rather than south rows.
    expect(await list({ companyId: southIds.companies.globex })).toEqual([]);
    expect(await list({ tagIds: [southIds.tags.vip] })).toEqual([]);
    expect(await list({ tagIds: [northIds.tags.vip, southIds.tags.vip] })).toEqual([]);
    expect(await list({ tagIds: [southIds.tags.partner] })).toEqual([]);
    expect(await list({ search: 'dijkstra' })).toEqual([]);
  });

  it('contact(id) resolves north contacts with north relations and is null for south ids', async () => {
    const data = expectOk(await asNorth(`query ($id: ID!) { contact(id: $id) { ${CONTACT_FIELDS} } }`, { id: northIds.contacts.ada }));
    expect(data.contact.company).toEqual({ id: northIds.companies.globex, name: 'Globex', domain: 'globex.com' });
    expect(data.contact.tags.map((tag: any) => tag.id).sort()).toEqual([northIds.tags.vip, northIds.tags.customer].sort());
    expect(data.contact.notes.totalCount).toBe(2);
    expect(data.contact.notes.edges.map((edge: any) => edge.node.id).sort()).toEqual(northIds.notes.slice(0, 2).sort());

    for (const id of [...Object.values(southIds.contacts), northIds.contacts.charles]) {
      const response = await asNorth('query ($id: ID!) { contact(id: $id) { id firstName } }', { id });
      expect(expectOk(response).contact).toBeNull();
    }
  });

  it('node(id) resolves every north node type and is null for every south id', async () => {
    const nodeQuery = 'query ($id: ID!) { node(id: $id) { __typename id ... on Workspace { name } } }';
    const own = [
      [northIds.workspace, 'Workspace'],
      [northIds.contacts.ada, 'Contact'],
      [northIds.companies.globex, 'Company'],
      [northIds.tags.vip, 'Tag'],
      [northIds.notes[0], 'Note'],
    ] as const;
    for (const [id, type] of own) {
      const data = expectOk(await asNorth(nodeQuery, { id }));
      expect(data.node).toMatchObject({ __typename: type, id });
    }
    for (const id of southIdSet) {
      const data = expectOk(await asNorth(nodeQuery, { id }));
      expect(data.node).toBeNull();
    }
  });

  it('companies and company(id) show north companies only', async () => {
    const data = expectOk(await asNorth(COMPANIES));
    expect(data.companies.totalCount).toBe(2);
    expect(data.companies.edges.map((edge: any) => edge.node.id).sort()).toEqual(Object.values(northIds.companies).sort());

    const searched = expectOk(
      await asNorth('{ companies(first: 100, filter: { search: "globex" }) { totalCount edges { node { id } } } }'),
    );
    expect(searched.companies.edges.map((edge: any) => edge.node.id)).toEqual([northIds.companies.globex]);
    expect(searched.companies.totalCount).toBe(1);

    const own = expectOk(await asNorth('query ($id: ID!) { company(id: $id) { id name } }', { id: northIds.companies.initech }));
    expect(own.company).toEqual({ id: northIds.companies.initech, name: 'Initech' });
    for (const id of Object.values(southIds.companies)) {
      expect(expectOk(await asNorth('query ($id: ID!) { company(id: $id) { id name } }', { id })).company).toBeNull();
    }
  });

  it('tags lists north tags only', async () => {
    const data = expectOk(await asNorth(TAGS));
    expect(data.tags).toEqual([
      { id: northIds.tags.customer, name: 'customer' },
      { id: northIds.tags.vip, name: 'vip' },
    ]);
  });

  it('nested company contacts and contact notes stay in the north workspace', async () => {
    const data = expectOk(
      await asNorth(`{
        companies(first: 100) { edges { node { id contacts(first: 100) { totalCount edges { node {
          id company { id } tags { id } notes(first: 100) { totalCount edges { node { id } } }
        } } } } } }
      }`),
    );
    const globex = data.companies.edges.find((edge: any) => edge.node.id === northIds.companies.globex).node;
    // Only Ada: Charles (deleted) is left out, and the south Globex's staff are someone else's.
    expect(globex.contacts.totalCount).toBe(1);
    expect(globex.contacts.edges.map((edge: any) => edge.node.id)).toEqual([northIds.contacts.ada]);
    const initech = data.companies.edges.find((edge: any) => edge.node.id === northIds.companies.initech).node;
    expect(initech.contacts.edges[0].node.notes.edges.map((edge: any) => edge.node.id)).toEqual([northIds.notes[2]]);
  });
});

describe('mutations with the north token', () => {
  const mutations = {
    createContact: 'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id email company { id } tags { id } } } }',
    updateContact: 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id firstName version company { id } } } }',
    deleteContact: 'mutation ($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }',
    addNote: 'mutation ($input: AddNoteInput!) { addNote(input: $input) { note { id } } }',
    createCompany: 'mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { company { id name } } }',
    createTag: 'mutation ($input: CreateTagInput!) { createTag(input: $input) { tag { id name } } }',
    tagContact: 'mutation ($input: TagContactInput!) { tagContact(input: $input) { contact { id version tags { id } } } }',
    untagContact: 'mutation ($input: UntagContactInput!) { untagContact(input: $input) { contact { id version tags { id } } } }',
  };

  const northContact = async (id: string) =>
    expectOk(await asNorth(`query ($id: ID!) { contact(id: $id) { ${CONTACT_FIELDS} } }`, { id })).contact;
  const northContactCount = async () => expectOk(await asNorth('{ contacts { totalCount } }')).contacts.totalCount as number;

  it('updateContact, deleteContact and addNote on a south contact are NOT_FOUND', async () => {
    for (const id of [southIds.contacts.ada, southIds.contacts.charles]) {
      expectCoded(await asNorth(mutations.updateContact, { input: { id, expectedVersion: 1, firstName: 'Mallory' } }), 200, 'NOT_FOUND', { field: 'input.id', data: 'null' });
      expectCoded(await asNorth(mutations.deleteContact, { input: { id } }), 200, 'NOT_FOUND', { field: 'input.id', data: 'null' });
      expectCoded(await asNorth(mutations.addNote, { input: { contactId: id, body: 'Planted.' } }), 200, 'NOT_FOUND', { field: 'input.contactId', data: 'null' });
    }
  });

  it('tagContact and untagContact across workspaces are NOT_FOUND', async () => {
    const before = await northContact(northIds.contacts.alan);
    const cases = [
      [{ contactId: southIds.contacts.alan, tagId: northIds.tags.vip }, 'input.contactId'],
      [{ contactId: southIds.contacts.ada, tagId: southIds.tags.vip }, 'input.contactId'],
      [{ contactId: northIds.contacts.alan, tagId: southIds.tags.vip }, 'input.tagId'],
    ] as const;
    for (const [input, field] of cases) {
      expectCoded(await asNorth(mutations.tagContact, { input }), 200, 'NOT_FOUND', { field, data: 'null' });
      expectCoded(await asNorth(mutations.untagContact, { input }), 200, 'NOT_FOUND', { field, data: 'null' });
    }
    expect(await northContact(northIds.contacts.alan)).toEqual(before);
  });

  it('createContact with a south company or tag is NOT_FOUND and creates nothing', async () => {
    const count = await northContactCount();
    expectCoded(
      await asNorth(mutations.createContact, { input: { firstName: 'Eve', lastName: 'Spy', companyId: southIds.companies.globex } }),
      200,
      'NOT_FOUND',
      { field: 'input.companyId', data: 'null' },
    );
    expectCoded(
      await asNorth(mutations.createContact, { input: { firstName: 'Eve', lastName: 'Spy', tagIds: [southIds.tags.vip] } }),
      200,
      'NOT_FOUND',
      { field: 'input.tagIds', data: 'null' },
    );
    expectCoded(
      await asNorth(mutations.createContact, {
        input: { firstName: 'Eve', lastName: 'Spy', tagIds: [northIds.tags.vip, southIds.tags.customer] },
      }),
      200,
      'NOT_FOUND',
      { field: 'input.tagIds', data: 'null' },
    );
    expect(await northContactCount()).toBe(count);
  });

  it('updateContact pointing a north contact at a south company is NOT_FOUND and changes nothing', async () => {
    const before = await northContact(northIds.contacts.alan);
    expectCoded(
      await asNorth(mutations.updateContact, {
        input: { id: northIds.contacts.alan, expectedVersion: before.version, firstName: 'Mallory', companyId: southIds.companies.initech },
      }),
      200,
      'NOT_FOUND',
      { field: 'input.companyId', data: 'null' },
    );
    expect(await northContact(northIds.contacts.alan)).toEqual(before);
  });

  it('names and emails taken in the south workspace are free in the north one', async () => {
    const tag = expectOk(await asNorth(mutations.createTag, { input: { name: 'partner' } })).createTag.tag;
    expect(tag.name).toBe('partner');
    const company = expectOk(await asNorth(mutations.createCompany, { input: { name: 'Globex', domain: 'globex.com' } })).createCompany
      .company;
    const contact = expectOk(
      await asNorth(mutations.createContact, {
        input: { firstName: 'Edsger', lastName: 'Dijkstra', email: 'edsger@example.com', companyId: company.id, tagIds: [tag.id] },
      }),
    ).createContact.contact;
    expect(contact).toEqual({ id: expect.any(String), email: 'edsger@example.com', company: { id: company.id }, tags: [{ id: tag.id }] });

    // North's own mutations on its own rows still work and stay north.
    const updated = expectOk(
      await asNorth(mutations.updateContact, { input: { id: contact.id, expectedVersion: 1, firstName: 'E.' } }),
    ).updateContact.contact;
    expect(updated.version).toBe(2);
    expectOk(await asNorth(mutations.tagContact, { input: { contactId: contact.id, tagId: northIds.tags.vip } }));
    expectOk(await asNorth(mutations.untagContact, { input: { contactId: contact.id, tagId: tag.id } }));
    expectOk(await asNorth(mutations.addNote, { input: { contactId: contact.id, body: 'Goto considered harmful.' } }));
    expectOk(await asNorth(mutations.deleteContact, { input: { id: contact.id } }));

    const tags = expectOk(await asNorth('{ tags { name } }')).tags.map((t: any) => t.name);
    expect(tags).toEqual(['customer', 'partner', 'vip']);
  });

  // The rows in the database are the ground truth here: the API view may come from the response
  // cache, which a write that wrongly reached the south workspace would not have purged.
  it('left the south workspace exactly as it was', async () => {
    expect(await southSnapshot()).toEqual(southBefore);
  });

  it('never linked rows of one workspace to rows of another', async () => {
    const [mixed] = await server.database.query<{ n: number | string }>(`
      select (select count(*) from contact_tags ct join contacts c on c.id = ct.contact_id join tags t on t.id = ct.tag_id
              where c.workspace_id <> t.workspace_id)
           + (select count(*) from notes n join contacts c on c.id = n.contact_id where n.workspace_id <> c.workspace_id)
           + (select count(*) from contacts c join companies co on co.id = c.company_id where c.workspace_id <> co.workspace_id)
           as n`);
    expect(Number(mixed!.n)).toBe(0);
  });
});
