// Who may do what. Without a token only introspection answers (Sandbox and codegen need it in
// development); a bad or unknown token is refused outright rather than treated as "no token"; a
// reader token may query anything of its workspace but change nothing; an editor may mutate.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCoded, expectOk } from './helpers/expect-answer.js';
import { createWorkspace, type GraphQLResponse, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let acme: Workspace;
let globex: Workspace;
let fixture: { contactId: string; contactVersion: number; tagId: string; companyId: string };

const DATA_QUERY = '{ contacts(first: 1) { totalCount edges { node { id } } } }';

/** POSTs with an Authorization header of our choosing (the helper only sends well-formed ones). */
async function withAuthorization(authorization: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await server.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text } as GraphQLResponse;
}

/** RFC 6750 §3: the scheme alone when no credential came, and invalid_token when one was refused. */
const NO_CREDENTIAL = 'Bearer';
const REFUSED_CREDENTIAL = 'Bearer error="invalid_token"';

/** Refused before execution (not even a partial `data` comes back), with the challenge a 401 owes. */
function expectRefused(response: GraphQLResponse, status: number, code: string, challenge?: string) {
  expectCoded(response, status, code, { data: 'none' });
  // Every 401 says how to authenticate; nothing else does.
  expect(response.headers.get('www-authenticate')).toBe(status === 401 ? challenge : null);
}

/** Everything of a workspace the API can change, straight from the database. */
async function rowsOf(workspaceName: string) {
  const [workspace] = await server.database.query<{ id: unknown }>('select id from workspaces where name = $1', [workspaceName]);
  const query = (sql: string) => server.database.query(sql, [workspace!.id]);
  return {
    contacts: await query('select * from contacts where workspace_id = $1 order by id'),
    companies: await query('select * from companies where workspace_id = $1 order by id'),
    tags: await query('select * from tags where workspace_id = $1 order by id'),
    notes: await query('select * from notes where workspace_id = $1 order by id'),
    contactTags: await query(
      'select ct.* from contact_tags ct join contacts c on c.id = ct.contact_id where c.workspace_id = $1 order by 1, 2',
    ),
  };
}

const MUTATIONS: Record<string, [string, () => Record<string, unknown>]> = {
  createContact: [
    'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }',
    () => ({ input: { firstName: 'Rita', lastName: 'Reader', email: 'rita@example.com' } }),
  ],
  updateContact: [
    'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id version } } }',
    () => ({ input: { id: fixture.contactId, expectedVersion: fixture.contactVersion, firstName: 'Changed' } }),
  ],
  deleteContact: [
    'mutation ($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }',
    () => ({ input: { id: fixture.contactId } }),
  ],
  addNote: [
    'mutation ($input: AddNoteInput!) { addNote(input: $input) { note { id } } }',
    () => ({ input: { contactId: fixture.contactId, body: 'Readers cannot write this.' } }),
  ],
  createCompany: [
    'mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } } }',
    () => ({ input: { name: 'Read Only Inc', domain: 'readonly.example.com' } }),
  ],
  createTag: [
    'mutation ($input: CreateTagInput!) { createTag(input: $input) { tag { id } } }',
    () => ({ input: { name: 'read-only' } }),
  ],
  tagContact: [
    'mutation ($input: TagContactInput!) { tagContact(input: $input) { contact { id version } } }',
    () => ({ input: { contactId: fixture.contactId, tagId: fixture.tagId } }),
  ],
  untagContact: [
    'mutation ($input: UntagContactInput!) { untagContact(input: $input) { contact { id version } } }',
    () => ({ input: { contactId: fixture.contactId, tagId: fixture.tagId } }),
  ],
};

beforeAll(async () => {
  // Development, not test: introspection without a token is a development convenience.
  server = await startTestServer({ NODE_ENV: 'development' });
  acme = await createWorkspace(server.db, 'acme', 5);
  globex = await createWorkspace(server.db, 'globex', 3);
  const data = expectOk(
    await server.graphql(
      '{ contacts(first: 1) { edges { node { id version tags { id } } } } tags { id } companies(first: 1) { edges { node { id } } } }',
      {},
      acme.editor,
    ),
  );
  const contact = data.contacts.edges[0].node;
  // A tag the contact does not carry, so tagContact would change something if it ran.
  const carried = new Set(contact.tags.map((tag: any) => tag.id));
  fixture = {
    contactId: contact.id,
    contactVersion: contact.version,
    tagId: data.tags.find((tag: any) => !carried.has(tag.id)).id,
    companyId: data.companies.edges[0].node.id,
  };
  // Answer the refused queries below once with valid tokens first: a response cache that looked
  // an answer up before checking the caller would then hand it to anyone.
  for (const token of [acme.reader, acme.editor]) {
    expectOk(await server.graphql(DATA_QUERY, {}, token));
    expectOk(await server.graphql('{ viewer { role } }', {}, token));
  }
});

afterAll(() => server?.close());

describe('without a token', () => {
  it('data queries are UNAUTHENTICATED with HTTP 401', async () => {
    for (const query of [
      DATA_QUERY,
      '{ viewer { role } }',
      '{ tags { id } }',
      '{ companies { totalCount } }',
      `{ contact(id: "${fixture.contactId}") { id } }`,
      `{ node(id: "${fixture.contactId}") { id } }`,
    ]) {
      expectRefused(await server.graphql(query), 401, 'UNAUTHENTICATED', NO_CREDENTIAL);
    }
  });

  it('mutations are UNAUTHENTICATED and change nothing', async () => {
    const before = await rowsOf('acme');
    for (const [name, [mutation, variables]] of Object.entries(MUTATIONS)) {
      const response = await server.graphql(mutation, variables());
      expect(response.status, name).toBe(401);
      expectRefused(response, 401, 'UNAUTHENTICATED', NO_CREDENTIAL);
    }
    expect(await rowsOf('acme')).toEqual(before);
  });

  it('introspection works', async () => {
    const data = expectOk(await server.graphql('{ __schema { queryType { name } } }'));
    expect(data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const type = expectOk(await server.graphql('{ __type(name: "Contact") { fields { name } } }'));
    expect(type.__type.fields.map((field: any) => field.name)).toContain('email');
  });

  it('introspection does not carry data fields along with it', async () => {
    expectRefused(await server.graphql('{ __schema { queryType { name } } contacts { totalCount } }'), 401, 'UNAUTHENTICATED', NO_CREDENTIAL);
    expectRefused(
      await server.graphql('query { __typename ...Sneaky } fragment Sneaky on Query { contacts { totalCount } }'),
      401,
      'UNAUTHENTICATED',
      NO_CREDENTIAL,
    );
    expectRefused(
      await server.graphql('query { ... on Query { __typename viewer { role } } }'),
      401,
      'UNAUTHENTICATED',
      NO_CREDENTIAL,
    );
  });
});

describe('a bad Authorization header', () => {
  it('is UNAUTHENTICATED with HTTP 401 when malformed', async () => {
    for (const authorization of [
      acme.editor, // the token without a scheme
      `Token ${acme.editor}`,
      `Basic ${Buffer.from(`user:${acme.editor}`).toString('base64')}`,
      'Bearer',
      'Bearer ',
      `Bearer ${acme.editor} extra`,
      `Bearer ${'x'.repeat(500)}`,
      // RFC 7235 separates scheme and credentials with spaces (1*SP), not tabs.
      `Bearer\t${acme.editor}`,
      `Bearer \t ${acme.editor}`,
      // Spacing no real client sends, past the header's bound (1,024 characters).
      `Bearer ${' '.repeat(12_000)}${acme.editor}`,
      `Bearer ${acme.editor}${' '.repeat(1_100)}x`,
      // A token of the right length in the wrong alphabet.
      `Bearer cf_${'+'.repeat(43)}`,
    ]) {
      const response = await withAuthorization(authorization, DATA_QUERY);
      expectRefused(response, 401, 'UNAUTHENTICATED', REFUSED_CREDENTIAL);
    }
  });

  it('is UNAUTHENTICATED with HTTP 401 when the token is unknown', async () => {
    for (const token of [
      `cf_${randomBytes(32).toString('base64url')}`,
      acme.editor.slice(0, -1),
      acme.editor.toUpperCase(),
      `${acme.reader}x`,
    ]) {
      expectRefused(await withAuthorization(`Bearer ${token}`, DATA_QUERY), 401, 'UNAUTHENTICATED', REFUSED_CREDENTIAL);
      expectRefused(await withAuthorization(`Bearer ${token}`, '{ viewer { role } }'), 401, 'UNAUTHENTICATED', REFUSED_CREDENTIAL);
    }
  });

  it('never leaks data or the tokens it was given', async () => {
    const unknown = `cf_${randomBytes(32).toString('base64url')}`;
    const response = await withAuthorization(`Bearer ${unknown}`, DATA_QUERY);
    expect(response.text).not.toContain(unknown);
    expect(response.text).not.toContain(fixture.contactId);
  });

  it('is accepted when the scheme is written in another case or followed by more spaces', async () => {
    for (const authorization of [`bearer ${acme.reader}`, `BEARER ${acme.reader}`, `BeArEr    ${acme.reader}`, `Bearer ${' '.repeat(900)}${acme.reader}`]) {
      const data = expectOk(await withAuthorization(authorization, '{ viewer { role workspace { name } } }'));
      expect(data.viewer).toEqual({ role: 'READER', workspace: { name: 'acme' } });
    }
  });

  it('is refused with the same challenge on GET, with a persisted hash and on a mutation', async () => {
    const get = (authorization?: string) =>
      server.request(`/graphql?query=${encodeURIComponent('{ viewer { role } }')}`, {
        headers: { 'apollo-require-preflight': 'true', ...(authorization ? { authorization } : {}) },
      });
    for (const [response, challenge] of [
      [await get(), NO_CREDENTIAL],
      [await get(`Bearer cf_${randomBytes(32).toString('base64url')}`), REFUSED_CREDENTIAL],
      [await get(`Bearer\t${acme.reader}`), REFUSED_CREDENTIAL],
    ] as const) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(challenge);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const persisted = await server.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer cf_not-a-token' },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
    });
    expect(persisted.status).toBe(401);
    expect(persisted.headers.get('www-authenticate')).toBe(REFUSED_CREDENTIAL);
    expectRefused(
      await withAuthorization(`Bearer ${acme.editor.slice(0, -1)}`, MUTATIONS.createTag![0], { input: { name: 'never' } }),
      401,
      'UNAUTHENTICATED',
      REFUSED_CREDENTIAL,
    );
  });
});

describe('viewer', () => {
  it("returns the token's role and workspace", async () => {
    const query = '{ viewer { role workspace { id name } } }';
    const acmeReader = expectOk(await server.graphql(query, {}, acme.reader)).viewer;
    const acmeEditor = expectOk(await server.graphql(query, {}, acme.editor)).viewer;
    const globexReader = expectOk(await server.graphql(query, {}, globex.reader)).viewer;
    const globexEditor = expectOk(await server.graphql(query, {}, globex.editor)).viewer;
    expect(acmeReader).toEqual({ role: 'READER', workspace: { id: expect.any(String), name: 'acme' } });
    expect(acmeEditor).toEqual({ role: 'EDITOR', workspace: acmeReader.workspace });
    expect(globexReader).toEqual({ role: 'READER', workspace: { id: expect.any(String), name: 'globex' } });
    expect(globexEditor).toEqual({ role: 'EDITOR', workspace: globexReader.workspace });
    expect(globexReader.workspace.id).not.toBe(acmeReader.workspace.id);

    // The workspace id is a node id of that same workspace.
    const node = expectOk(
      await server.graphql('query ($id: ID!) { node(id: $id) { __typename id ... on Workspace { name } } }', { id: acmeReader.workspace.id }, acme.reader),
    ).node;
    expect(node).toEqual({ __typename: 'Workspace', id: acmeReader.workspace.id, name: 'acme' });
  });
});

describe('a reader token', () => {
  it('may query everything of its workspace', async () => {
    const data = expectOk(
      await server.graphql(
        `query ($id: ID!) {
          contacts(first: 10) { totalCount edges { node { id company { name } tags { name } notes { totalCount } } } }
          contact(id: $id) { id version }
          companies { totalCount }
          tags { id name }
        }`,
        { id: fixture.contactId },
        acme.reader,
      ),
    );
    expect(data.contacts.totalCount).toBe(5);
    expect(data.contact).toEqual({ id: fixture.contactId, version: fixture.contactVersion });
    expect(data.tags.length).toBeGreaterThan(0);
  });

  it('gets FORBIDDEN (HTTP 403) on every mutation, and nothing changes', async () => {
    const before = await rowsOf('acme');
    for (const [name, [mutation, variables]] of Object.entries(MUTATIONS)) {
      const response = await server.graphql(mutation, variables(), acme.reader);
      expect(response.body.errors?.[0]?.extensions?.code, name).toBe('FORBIDDEN');
      expectRefused(response, 403, 'FORBIDDEN');
    }
    expect(await rowsOf('acme')).toEqual(before);
  });

  it('gets FORBIDDEN for a mutation even when it only asks for __typename', async () => {
    expectRefused(await server.graphql('mutation { __typename }', {}, acme.reader), 403, 'FORBIDDEN');
  });
});

describe('an editor token', () => {
  it('may run every mutation', async () => {
    const before = await rowsOf('acme');
    const results: Record<string, any> = {};
    // In this order, so that each mutation finds what it needs (and deleteContact runs last).
    for (const name of ['createContact', 'createCompany', 'createTag', 'addNote', 'tagContact', 'untagContact', 'updateContact', 'deleteContact']) {
      const [mutation, variables] = MUTATIONS[name]!;
      if (name === 'updateContact') {
        // tagContact and untagContact have each moved the version on.
        fixture.contactVersion = expectOk(
          await server.graphql('query ($id: ID!) { contact(id: $id) { version } }', { id: fixture.contactId }, acme.editor),
        ).contact.version;
      }
      results[name] = expectOk(await server.graphql(mutation, variables(), acme.editor))[name];
    }
    expect(results.updateContact.contact.version).toBe(fixture.contactVersion + 1);
    expect(results.deleteContact.deletedId).toBe(fixture.contactId);

    const after = await rowsOf('acme');
    expect(after.contacts).toHaveLength(before.contacts.length + 1);
    expect(after.companies).toHaveLength(before.companies.length + 1);
    expect(after.tags).toHaveLength(before.tags.length + 1);
    expect(after.notes).toHaveLength(before.notes.length + 1);

    const contacts = expectOk(await server.graphql('{ contacts { totalCount } }', {}, acme.reader)).contacts;
    // One created, one (soft-)deleted.
    expect(contacts.totalCount).toBe(5);
  });

  it('of one workspace changes nothing in another', async () => {
    const globexRows = await rowsOf('globex');
    expectOk(
      await server.graphql(MUTATIONS.createTag![0], { input: { name: 'acme-only' } }, acme.editor),
    );
    expect(await rowsOf('globex')).toEqual(globexRows);
  });
});
