// Every mutation, end to end over HTTP: what it changes (read back through queries, never trusted
// from its own payload alone), what it refuses and with which field named, and how contact
// versions guard against lost updates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCoded, expectOk } from './helpers/expect-answer.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let ws: Workspace;

const CONTACT = `id firstName lastName email phone title version createdAt updatedAt
  company { id name }
  tags { id name }
  notes(first: 10) { totalCount edges { node { id body createdAt } } }`;

const M = {
  createContact: `mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { ${CONTACT} } } }`,
  updateContact: `mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { ${CONTACT} } } }`,
  deleteContact: 'mutation ($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }',
  addNote: 'mutation ($input: AddNoteInput!) { addNote(input: $input) { note { id body createdAt } } }',
  createCompany: 'mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { company { id name domain createdAt } } }',
  createTag: 'mutation ($input: CreateTagInput!) { createTag(input: $input) { tag { id name } } }',
  tagContact: `mutation ($input: TagContactInput!) { tagContact(input: $input) { contact { ${CONTACT} } } }`,
  untagContact: `mutation ($input: UntagContactInput!) { untagContact(input: $input) { contact { ${CONTACT} } } }`,
};
type MutationName = keyof typeof M;

function send(mutation: MutationName, input: Record<string, unknown>) {
  return server.graphql(M[mutation], { input }, ws.editor);
}

async function run(mutation: MutationName, input: Record<string, unknown>) {
  return expectOk(await send(mutation, input))[mutation];
}

async function read(query: string, variables: Record<string, unknown> = {}) {
  return expectOk(await server.graphql(query, variables, ws.reader));
}

async function contactById(id: string) {
  return (await read(`query ($id: ID!) { contact(id: $id) { ${CONTACT} } }`, { id })).contact;
}

/** Everything the API can change, straight from the database: a failed mutation must leave it be. */
async function allRows() {
  const query = (sql: string) => server.database.query(sql);
  return {
    contacts: await query('select * from contacts order by id'),
    companies: await query('select * from companies order by id'),
    tags: await query('select * from tags order by id'),
    notes: await query('select * from notes order by id'),
    contactTags: await query('select * from contact_tags order by 1, 2'),
  };
}

let counter = 0;
/** A fresh contact with a unique email, for tests that must not disturb each other's rows. */
async function newContact(extra: Record<string, unknown> = {}) {
  counter += 1;
  return (await run('createContact', { firstName: 'Test', lastName: `Person ${counter}`, email: `person${counter}@example.com`, ...extra }))
    .contact;
}

let vip: { id: string; name: string };
let customer: { id: string; name: string };
let globex: { id: string; name: string; domain: string };

beforeAll(async () => {
  server = await startTestServer();
  ws = await createWorkspace(server.db, 'mutations');
  vip = (await run('createTag', { name: 'vip' })).tag;
  customer = (await run('createTag', { name: 'customer' })).tag;
  globex = (await run('createCompany', { name: 'Globex', domain: 'globex.com' })).company;
});

afterAll(() => server?.close());

describe('happy paths', () => {
  // Each test reads what the mutation will change before running it too: that answer may then sit
  // in the response cache, and the read-back afterwards proves the mutation purged it.
  const companyContacts = 'query ($id: ID!) { company(id: $id) { contacts(first: 100) { totalCount edges { node { id } } } } }';
  const companyContactIds = async (id: string) =>
    (await read(companyContacts, { id })).company.contacts.edges.map((edge: any) => edge.node.id) as string[];
  const search = 'query ($search: String) { contacts(filter: { search: $search }) { totalCount edges { node { id } } } }';
  const nodeQuery = 'query ($id: ID!) { node(id: $id) { __typename id } }';

  it('createContact stores every field, trimmed and with the email lower-cased', async () => {
    expect((await read(search, { search: 'lovelace' })).contacts.totalCount).toBe(0);
    const globexBefore = await companyContactIds(globex.id);

    const { contact } = await run('createContact', {
      firstName: '  Ada ',
      lastName: 'Lovelace',
      email: ' Ada@Analytical.Engine.org ',
      phone: '+44 20 7946 0000',
      title: 'Analyst',
      companyId: globex.id,
      tagIds: [vip.id, customer.id, vip.id],
    });
    expect(contact).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@analytical.engine.org',
      phone: '+44 20 7946 0000',
      title: 'Analyst',
      version: 1,
      company: { id: globex.id, name: 'Globex' },
      tags: [customer, vip],
      notes: { totalCount: 0, edges: [] },
    });
    expect(contact.updatedAt).toBe(contact.createdAt);

    expect(await contactById(contact.id)).toEqual(contact);
    expect((await read(search, { search: 'lovelace' })).contacts).toEqual({ totalCount: 1, edges: [{ node: { id: contact.id } }] });
    expect((await read(nodeQuery, { id: contact.id })).node).toEqual({ __typename: 'Contact', id: contact.id });
    expect(await companyContactIds(globex.id)).toEqual([...globexBefore, contact.id]);
  });

  it('createContact without optional fields leaves them null', async () => {
    const { contact } = await run('createContact', { firstName: 'Plain', lastName: 'Person' });
    expect(await contactById(contact.id)).toMatchObject({
      email: null,
      phone: null,
      title: null,
      company: null,
      tags: [],
      version: 1,
    });
  });

  it('updateContact changes what is given, clears what is null and leaves the rest', async () => {
    const created = await newContact({ phone: '555 0100', title: 'Engineer', companyId: globex.id, tagIds: [vip.id] });
    expect(await contactById(created.id)).toEqual(created);
    expect(await companyContactIds(globex.id)).toContain(created.id);

    const { contact } = await run('updateContact', {
      id: created.id,
      expectedVersion: 1,
      firstName: 'Renamed',
      phone: null,
      companyId: null,
    });
    expect(contact).toMatchObject({ firstName: 'Renamed', phone: null, company: null, version: 2 });
    const stored = await contactById(created.id);
    expect(stored).toEqual({
      ...created,
      firstName: 'Renamed',
      phone: null,
      company: null,
      version: 2,
      updatedAt: stored.updatedAt,
    });
    expect(Date.parse(stored.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(await companyContactIds(globex.id)).not.toContain(created.id);

    // And back onto a company: the company lists the contact again.
    await run('updateContact', { id: created.id, expectedVersion: 2, companyId: globex.id, title: 'Lead' });
    expect(await contactById(created.id)).toMatchObject({ company: { id: globex.id }, title: 'Lead', version: 3 });
    expect(await companyContactIds(globex.id)).toContain(created.id);
  });

  it('updateContact may keep its own email in another case', async () => {
    const created = await newContact();
    const { contact } = await run('updateContact', { id: created.id, expectedVersion: 1, email: created.email.toUpperCase() });
    expect(contact.email).toBe(created.email);
    expect(contact.version).toBe(2);
  });

  it('createCompany stores the name and a lower-cased domain', async () => {
    const companyView = `query ($search: String) {
      companies(first: 100, filter: { search: $search }) { totalCount edges { node { id name domain createdAt contacts { totalCount } } } }
    }`;
    expect((await read(companyView, { search: 'initech' })).companies.totalCount).toBe(0);

    const { company } = await run('createCompany', { name: ' Initech ', domain: 'Initech.COM' });
    expect(company).toMatchObject({ name: 'Initech', domain: 'initech.com' });
    const listed = await read(companyView, { search: 'initech' });
    expect(listed.companies).toEqual({ totalCount: 1, edges: [{ node: { ...company, contacts: { totalCount: 0 } } }] });
    const data = await read('query ($id: ID!) { company(id: $id) { id name domain createdAt } node(id: $id) { __typename id } }', {
      id: company.id,
    });
    expect(data.company).toEqual(company);
    expect(data.node).toEqual({ __typename: 'Company', id: company.id });

    const noDomain = (await run('createCompany', { name: 'Hooli' })).company;
    expect(noDomain.domain).toBeNull();
  });

  it('createTag adds a tag to the workspace list, ordered by name', async () => {
    expect((await read('{ tags { id name } }')).tags.map((t: any) => t.name)).toEqual(['customer', 'vip']);
    const { tag } = await run('createTag', { name: 'beta-tester' });
    expect(tag.name).toBe('beta-tester');
    const { tags } = await read('{ tags { id name } }');
    expect(tags.map((t: any) => t.name)).toEqual(['beta-tester', 'customer', 'vip']);
    expect(tags).toContainEqual(tag);
  });

  it('addNote adds notes, listed newest first', async () => {
    const created = await newContact();
    expect((await contactById(created.id)).notes).toEqual({ totalCount: 0, edges: [] });
    const first = (await run('addNote', { contactId: created.id, body: 'First call.' })).note;
    expect((await contactById(created.id)).notes.totalCount).toBe(1);
    const second = (await run('addNote', { contactId: created.id, body: '  Follow-up:\n\tsend the contract.  ' })).note;
    expect(second.body).toBe('Follow-up:\n\tsend the contract.');
    const stored = await contactById(created.id);
    expect(stored.notes.totalCount).toBe(2);
    expect(stored.notes.edges.map((edge: any) => edge.node)).toEqual([second, first]);
    const node = await read('query ($id: ID!) { node(id: $id) { __typename ... on Note { body } } }', { id: first.id });
    expect(node.node).toEqual({ __typename: 'Note', body: 'First call.' });
  });

  it('tagContact and untagContact change the tags and the version', async () => {
    const created = await newContact();
    const byTags = 'query ($tags: [ID!]) { contacts(first: 100, filter: { tagIds: $tags }) { edges { node { id } } } }';
    const taggedWithBoth = async () =>
      (await read(byTags, { tags: [vip.id, customer.id] })).contacts.edges.map((edge: any) => edge.node.id) as string[];
    expect(await contactById(created.id)).toMatchObject({ tags: [], version: 1 });
    expect(await taggedWithBoth()).not.toContain(created.id);

    const tagged = (await run('tagContact', { contactId: created.id, tagId: vip.id })).contact;
    expect(tagged).toMatchObject({ tags: [vip], version: 2 });
    expect(await contactById(created.id)).toMatchObject({ tags: [vip], version: 2 });
    const both = (await run('tagContact', { contactId: created.id, tagId: customer.id })).contact;
    expect(both).toMatchObject({ tags: [customer, vip], version: 3 });
    expect(await contactById(created.id)).toMatchObject({ tags: [customer, vip], version: 3 });
    expect(await taggedWithBoth()).toContain(created.id);

    const untagged = (await run('untagContact', { contactId: created.id, tagId: vip.id })).contact;
    expect(untagged).toMatchObject({ tags: [customer], version: 4 });
    expect(await contactById(created.id)).toMatchObject({ tags: [customer], version: 4 });
    expect(await taggedWithBoth()).not.toContain(created.id);
  });

  it('tagging twice or untagging an absent tag changes nothing, not even the version', async () => {
    const created = await newContact({ tagIds: [vip.id] });
    const again = (await run('tagContact', { contactId: created.id, tagId: vip.id })).contact;
    expect(again).toMatchObject({ tags: [vip], version: 1 });
    const absent = (await run('untagContact', { contactId: created.id, tagId: customer.id })).contact;
    expect(absent).toMatchObject({ tags: [vip], version: 1 });
    expect(await contactById(created.id)).toEqual(created);
  });

  it('deleteContact is soft: the contact disappears, a second delete is NOT_FOUND', async () => {
    const created = await newContact({ companyId: globex.id, tagIds: [vip.id] });
    await run('addNote', { contactId: created.id, body: 'Before deletion.' });
    const everywhere = `query ($id: ID!, $company: ID!) {
      contact(id: $id) { id }
      node(id: $id) { id }
      contacts(first: 100) { totalCount edges { node { id } } }
      company(id: $company) { contacts(first: 100) { totalCount edges { node { id } } } }
    }`;
    const variables = { id: created.id, company: globex.id };
    const before = await read(everywhere, variables);
    expect(before.contact).toEqual({ id: created.id });
    expect(before.company.contacts.edges.map((edge: any) => edge.node.id)).toContain(created.id);

    expect(await run('deleteContact', { id: created.id })).toEqual({ deletedId: created.id });

    const after = await read(everywhere, variables);
    expect(after.contact).toBeNull();
    expect(after.node).toBeNull();
    expect(after.contacts.totalCount).toBe(before.contacts.totalCount - 1);
    expect(after.contacts.edges.map((edge: any) => edge.node.id)).not.toContain(created.id);
    expect(after.company.contacts.totalCount).toBe(before.company.contacts.totalCount - 1);
    expect(after.company.contacts.edges.map((edge: any) => edge.node.id)).not.toContain(created.id);
    // Soft: the row is still there, only marked.
    const rows = await server.database.query<{ deleted_at: unknown }>('select deleted_at from contacts where email = $1', [created.email]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.deleted_at).not.toBeNull();

    expectCoded(await send('deleteContact', { id: created.id }), 200, 'NOT_FOUND', { field: 'input.id', data: 'null' });
  });

  it('a deleted contact takes no notes, updates or tags, and frees its email', async () => {
    const created = await newContact();
    await run('deleteContact', { id: created.id });
    const before = await allRows();
    expectCoded(await send('addNote', { contactId: created.id, body: 'Too late.' }), 200, 'NOT_FOUND', { field: 'input.contactId', data: 'null' });
    expectCoded(await send('updateContact', { id: created.id, expectedVersion: 2, firstName: 'Ghost' }), 200, 'NOT_FOUND', { field: 'input.id', data: 'null' });
    expectCoded(await send('tagContact', { contactId: created.id, tagId: vip.id }), 200, 'NOT_FOUND', { field: 'input.contactId', data: 'null' });
    expectCoded(await send('untagContact', { contactId: created.id, tagId: vip.id }), 200, 'NOT_FOUND', { field: 'input.contactId', data: 'null' });
    expect(await allRows()).toEqual(before);

    const reborn = (await run('createContact', { firstName: 'New', lastName: 'Owner', email: created.email })).contact;
    expect(reborn.email).toBe(created.email);
    expect(reborn.id).not.toBe(created.id);
  });
});

describe('validation', () => {
  const long = (n: number) => 'x'.repeat(n);
  const name = { firstName: 'Valid', lastName: 'Name' };
  let existing: { id: string; email: string; version: number };

  beforeAll(async () => {
    existing = await newContact();
  });

  const cases: Array<[label: string, mutation: MutationName, input: () => Record<string, unknown>, field: string]> = [
    ['an email without a domain', 'createContact', () => ({ ...name, email: 'not-an-email' }), 'input.email'],
    ['an email without a dot in the domain', 'createContact', () => ({ ...name, email: 'a@localhost' }), 'input.email'],
    ['an email with spaces', 'createContact', () => ({ ...name, email: 'ada lovelace@example.com' }), 'input.email'],
    ['an empty first name', 'createContact', () => ({ ...name, firstName: '' }), 'input.firstName'],
    ['a blank last name', 'createContact', () => ({ ...name, lastName: '   ' }), 'input.lastName'],
    ['a 101-character last name', 'createContact', () => ({ ...name, lastName: long(101) }), 'input.lastName'],
    ['a bell character in a name', 'createContact', () => ({ ...name, firstName: 'Ada\u0007' }), 'input.firstName'],
    ['a line break in a name', 'createContact', () => ({ ...name, lastName: 'Love\nlace' }), 'input.lastName'],
    ['a NUL character in a title', 'createContact', () => ({ ...name, title: 'Chief\u0000Officer' }), 'input.title'],
    ['an unpaired surrogate in a name', 'createContact', () => ({ ...name, firstName: 'Ada\ud800' }), 'input.firstName'],
    ['a 201-character title', 'createContact', () => ({ ...name, title: long(201) }), 'input.title'],
    ['a phone number with letters', 'createContact', () => ({ ...name, phone: 'call me maybe' }), 'input.phone'],
    ['an id of the wrong type as company', 'createContact', () => ({ ...name, companyId: vip.id }), 'input.companyId'],
    ['an email taken in the workspace', 'createContact', () => ({ ...name, email: existing.email }), 'input.email'],
    ['a taken email in another case', 'createContact', () => ({ ...name, email: existing.email.toUpperCase() }), 'input.email'],
    ['a null first name on update', 'updateContact', () => ({ id: existing.id, expectedVersion: 1, firstName: null }), 'input.firstName'],
    ['an empty last name on update', 'updateContact', () => ({ id: existing.id, expectedVersion: 1, lastName: '' }), 'input.lastName'],
    ['a bad email on update', 'updateContact', () => ({ id: existing.id, expectedVersion: 1, email: 'nope@' }), 'input.email'],
    ['a zero expectedVersion', 'updateContact', () => ({ id: existing.id, expectedVersion: 0, title: 'x' }), 'input.expectedVersion'],
    ['an empty note', 'addNote', () => ({ contactId: existing.id, body: ' \n ' }), 'input.body'],
    ['a 10,001-character note', 'addNote', () => ({ contactId: existing.id, body: long(10_001) }), 'input.body'],
    ['a NUL character in a note', 'addNote', () => ({ contactId: existing.id, body: 'a\u0000b' }), 'input.body'],
    ['an escape character in a note', 'addNote', () => ({ contactId: existing.id, body: 'red \u001b[31m text' }), 'input.body'],
    ['an empty company name', 'createCompany', () => ({ name: '' }), 'input.name'],
    ['a 201-character company name', 'createCompany', () => ({ name: long(201) }), 'input.name'],
    ['a control character in a company name', 'createCompany', () => ({ name: 'Glo\u0008bex' }), 'input.name'],
    ['a domain with spaces', 'createCompany', () => ({ name: 'Valid', domain: 'not a domain' }), 'input.domain'],
    ['a domain without a dot', 'createCompany', () => ({ name: 'Valid', domain: 'localhost' }), 'input.domain'],
    ['a domain with an underscore', 'createCompany', () => ({ name: 'Valid', domain: 'exa_mple.com' }), 'input.domain'],
    ['a URL instead of a domain', 'createCompany', () => ({ name: 'Valid', domain: 'https://example.com/' }), 'input.domain'],
    ['an empty tag name', 'createTag', () => ({ name: '' }), 'input.name'],
    ['a 51-character tag name', 'createTag', () => ({ name: long(51) }), 'input.name'],
    ['a tab in a tag name', 'createTag', () => ({ name: 'a\tb' }), 'input.name'],
    ['a tag name taken in another case', 'createTag', () => ({ name: 'VIP' }), 'input.name'],
    ['a taken tag name with padding', 'createTag', () => ({ name: '  Customer ' }), 'input.name'],
  ];

  it.each(cases)('refuses %s with BAD_USER_INPUT on the field, changing nothing', async (_label, mutation, input, field) => {
    const before = await allRows();
    expectCoded(await send(mutation, input()), 200, 'BAD_USER_INPUT', { field, data: 'null' });
    expect(await allRows()).toEqual(before);
  });

  it('refuses changing an email to one another contact has', async () => {
    const other = await newContact();
    const before = await contactById(other.id);
    expectCoded(await send('updateContact', { id: other.id, expectedVersion: 1, email: existing.email }), 200, 'BAD_USER_INPUT', { field: 'input.email', data: 'null' });
    expect(await contactById(other.id)).toEqual(before);
  });

  it('accepts values right at the limits', async () => {
    const { contact } = await run('createContact', { firstName: long(100), lastName: long(100), title: long(200) });
    expect(contact.firstName).toHaveLength(100);
    const { note } = await run('addNote', { contactId: contact.id, body: long(10_000) });
    expect(note.body).toHaveLength(10_000);
    expect((await run('createTag', { name: long(50) })).tag.name).toHaveLength(50);
    expect((await run('createCompany', { name: long(200), domain: 'sub.example.co.uk' })).company.domain).toBe('sub.example.co.uk');
  });
});

describe('versions', () => {
  it('updateContact with a stale expectedVersion is a CONFLICT and changes nothing', async () => {
    const created = await newContact();
    await run('updateContact', { id: created.id, expectedVersion: 1, title: 'Second' });
    const before = await contactById(created.id);
    expect(before.version).toBe(2);

    for (const stale of [1, 3]) {
      const error = expectCoded(
        await send('updateContact', { id: created.id, expectedVersion: stale, title: 'Lost update' }),
        200,
        'CONFLICT',
        { field: 'input.expectedVersion', data: 'null' },
      );
      expect(error.extensions?.currentVersion).toBe(2);
    }
    expect(await contactById(created.id)).toEqual(before);

    const { contact } = await run('updateContact', { id: created.id, expectedVersion: 2, title: 'Third' });
    expect(contact).toMatchObject({ title: 'Third', version: 3 });
    expect(await contactById(created.id)).toMatchObject({ title: 'Third', version: 3 });
  });

  it('a tag change moves the version, so an update based on the old one conflicts', async () => {
    const created = await newContact();
    await run('tagContact', { contactId: created.id, tagId: vip.id });
    expectCoded(await send('updateContact', { id: created.id, expectedVersion: 1, title: 'Stale' }), 200, 'CONFLICT', { data: 'null' });
    expect(await contactById(created.id)).toMatchObject({ title: null, version: 2 });
  });

  it('of two concurrent updates with the same expectedVersion, exactly one wins', async () => {
    // A few rounds: each must produce one winner and one CONFLICT, whichever request is first.
    for (let round = 0; round < 3; round++) {
      const created = await newContact();
      const [a, b] = await Promise.all([
        send('updateContact', { id: created.id, expectedVersion: 1, title: 'From A' }),
        send('updateContact', { id: created.id, expectedVersion: 1, title: 'From B' }),
      ]);
      const outcomes = [a, b].map((response) => response.body.errors?.[0]?.extensions?.code ?? 'OK').sort();
      expect(outcomes).toEqual(['CONFLICT', 'OK']);
      const winner = (a.body.errors ? b : a).body.data.updateContact.contact;
      expect(winner.version).toBe(2);
      expect(await contactById(created.id)).toMatchObject({ title: winner.title, version: 2 });
    }
  });
});
