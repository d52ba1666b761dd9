// Published queries run compiled (graphql-jit), every other document through graphql-js. A
// published document with a comment appended is no longer published (its sha256 differs) but
// reads the same: sent both ways to a server without a response cache, every answer, data and
// errors alike, must come out byte for byte the same.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledExecution } from '../src/graphql/compiled-execution.js';
import { loadPublishedOperations, type PublishedOperation } from '../src/graphql/published-operations.js';
import { buildSchema } from '../src/graphql/schema.js';
import { MAX_PAGE_SIZE } from '../src/graphql/pagination.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { expectOk } from './helpers/expect-answer.js';
import { counter } from './helpers/metrics.js';

const published = loadPublishedOperations();
const textOf = (name: string) => {
  const operation = published.byName.get(name);
  if (!operation) throw new Error(`${name} is not published`);
  return operation.text;
};
/** The same operation, but not the published text: graphql-js runs it. */
const interpretedText = (name: string) => `${textOf(name)}\n# run by graphql-js\n`;

let server: TestServer;
let workspace: Workspace;

beforeAll(async () => {
  server = await startTestServer({ RESPONSE_CACHE: 'false' });
  workspace = await createWorkspace(server.db, 'compiled', 120);
});
afterAll(() => server?.close());

const executions = async () => ({
  compiled: await counter(server, 'cardfile_graphql_executions_total', { engine: 'compiled' }),
  interpreted: await counter(server, 'cardfile_graphql_executions_total', { engine: 'interpreted' }),
});

/** `token` null: no Authorization header. */
async function bothWays(name: string, variables: Record<string, unknown>, token: string | null = workspace.reader) {
  const compiled = await server.graphql(textOf(name), variables, token ?? undefined);
  const interpreted = await server.graphql(interpretedText(name), variables, token ?? undefined);
  expect(interpreted.status).toBe(compiled.status);
  expect(interpreted.text).toBe(compiled.text);
  return compiled;
}

describe('published queries run compiled and answer as graphql-js does', () => {
  it('hands Apollo errors as graphql-js makes them, an error without extensions (a database\'s) included', async () => {
    // graphql-js as the schema's builder loads it (see compiled-execution.ts).
    const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { broken: Int }',
      resolvers: { Query: { broken: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) } },
    });
    const text = 'query Broken { broken }';
    const hash = createHash('sha256').update(text).digest('hex');
    const { gateway, compiledCount } = compiledExecution({ schema, published: [{ hash, name: 'Broken', kind: 'query' as PublishedOperation['kind'], text }] });
    expect(compiledCount).toBe(1);
    const { executor } = await gateway.load({ apollo: {} });
    const document = graphql.parse(text);
    const result = await executor!({
      document,
      operation: document.definitions[0],
      queryHash: hash,
      request: { operationName: 'Broken', variables: {} },
      context: {},
    } as never);
    const [error] = result.errors!;
    expect(error).toBeInstanceOf(graphql.GraphQLError);
    // Apollo reads extensions.code of every error: there must be an object to read it from.
    expect(error!.extensions).toEqual({});
    expect(error!.path).toEqual(['broken']);
    expect(error!.locations).toEqual([{ line: 1, column: 16 }]);
    expect((error!.originalError as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('every published query compiles', () => {
    const queries = [...published.byHash.values()].filter((operation) => operation.kind === 'query');
    expect(queries.map((operation) => operation.name)).toEqual(expect.arrayContaining(['ContactsPage', 'ContactCard', 'SearchContacts']));
    expect(compiledExecution({ schema: buildSchema(), published: published.byHash.values() }).compiledCount).toBe(queries.length);
  });

  it('a published query runs compiled; the same text with a comment added runs interpreted', async () => {
    const before = await executions();
    expectOk(await server.graphql(textOf('ContactsPage'), { first: 5 }, workspace.reader));
    const afterPublished = await executions();
    expect(afterPublished.compiled).toBe(before.compiled + 1);
    expect(afterPublished.interpreted).toBe(before.interpreted);
    expectOk(await server.graphql(interpretedText('ContactsPage'), { first: 5 }, workspace.reader));
    const afterOther = await executions();
    expect(afterOther.compiled).toBe(afterPublished.compiled);
    expect(afterOther.interpreted).toBe(afterPublished.interpreted + 1);
  });

  it('the contacts page, in every order, filtered, and the page after it', async () => {
    const first = await bothWays('ContactsPage', { first: 50 });
    const answer = expectOk(first);
    expect(answer.contacts.edges).toHaveLength(50);
    await bothWays('ContactsPage', { first: MAX_PAGE_SIZE, after: answer.contacts.pageInfo.endCursor });
    for (const field of ['NAME', 'CREATED_AT', 'UPDATED_AT']) {
      for (const direction of ['ASC', 'DESC']) await bothWays('ContactsPage', { first: 7, orderBy: { field, direction } });
    }
    const contact = answer.contacts.edges[0].node;
    await bothWays('ContactsPage', { first: 10, filter: { search: contact.lastName.slice(0, 3) } });
    if (contact.company) await bothWays('ContactsPage', { first: 10, filter: { companyId: contact.company.id } });
  });

  it('the contact card, search, companies, tags and the viewer', async () => {
    const page = expectOk(await server.graphql(textOf('ContactsPage'), { first: 3 }, workspace.reader));
    const id = page.contacts.edges[0].node.id;
    await bothWays('ContactCard', { id, notes: 5 });
    await bothWays('SearchContacts', { search: page.contacts.edges[0].node.lastName.slice(0, 2), first: 20 });
    await bothWays('Companies', { first: 20 });
    await bothWays('Tags', {});
    await bothWays('Viewer', {});
  });

  it('errors: a forged cursor, a page too large, an unknown id, no token', async () => {
    const forged = await bothWays('ContactsPage', { first: 5, after: 'not-a-cursor' });
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooLarge = await bothWays('ContactsPage', { first: MAX_PAGE_SIZE + 1 });
    expect(tooLarge.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await bothWays('ContactCard', { id: 'Q29udGFjdDo5OTk5OTk5', notes: 3 });
    expect(unknown.status).toBe(200);
    const anonymous = await bothWays('ContactsPage', { first: 5 }, null);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('variables of the wrong type are refused with 400 BAD_USER_INPUT either way', async () => {
    const wrong = await bothWays('ContactsPage', { first: 'fifty' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const missing = await bothWays('ContactCard', { notes: 3 });
    expect(missing.status).toBe(400);
  });

  it('coerces every odd variable as graphql-js does: refused alike, or accepted alike with the same answer', async () => {
    const odd: Array<Record<string, unknown>> = [
      { first: 2 ** 31 },
      { first: -(2 ** 31) - 1 },
      { first: 1.5 },
      { first: '5' },
      { first: true },
      { first: null },
      { first: {} },
      { first: [5] },
      { first: 5, after: 5 },
      { first: 5, after: null },
      { first: 5, orderBy: { field: 'BOGUS' } },
      { first: 5, orderBy: { field: 'NAME', direction: 'asc' } },
      { first: 5, orderBy: { field: 'NAME', extra: 1 } },
      { first: 5, filter: { search: 5 } },
      { first: 5, filter: { tagIds: 'VGFnOjE=' } },
      { first: 5, filter: { tagIds: [null] } },
      { first: 5, filter: { updatedAfter: 'yesterday' } },
      { first: 5, filter: { updatedAfter: '2020-01-01T00:00:00Z' } },
      { first: 5, filter: null },
      { first: 5, unknown: 1 },
    ];
    for (const variables of odd) await bothWays('ContactsPage', variables);
    await bothWays('ContactCard', { id: 5, notes: 3 });
    await bothWays('ContactCard', { id: ['x'], notes: 3 });
    await bothWays('SearchContacts', { search: null, first: 5 });
  });
});
