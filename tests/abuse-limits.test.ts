// Query limits against the real server: each one refuses with a coded 4xx error whose message
// gives no limit away, the published operations pass them with room to spare, introspection and
// schema hints stay off in production, batches are refused and GET works only with CSRF headers.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { GraphQLInputType, GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationCost } from '../src/graphql/limits/query-cost.js';
import { loadPublishedOperations } from '../src/graphql/published-operations.js';
import { shapeRules } from '../src/graphql/limits/shape-rules.js';
import { MAX_PAGE_SIZE } from '../src/graphql/pagination.js';
import { buildSchema } from '../src/graphql/schema.js';
import { limitSettingsFrom } from '../src/settings/limit-settings.js';
import { type CodedChecks, expectCoded, expectOk } from './helpers/expect-answer.js';
import { createWorkspace, startTestServer, type GraphQLResponse, type TestServer, type Workspace } from './helpers/server.js';

// graphql-js as the server's dependencies load it (CommonJS): the schema's classes are checked
// with instanceof, and the test runner would otherwise hand this file the ES module build.
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const { getIntrospectionQuery, GraphQLInt, isEnumType, isInputObjectType, isListType, isNonNullType, parse, typeFromAST, validate, Lexer, Source, TokenKind } = graphql;

const defaults = limitSettingsFrom({});
const operationsDir = path.join(import.meta.dirname, '../src/client/operations');
const published = readdirSync(operationsDir)
  .filter((file) => file.endsWith('.graphql'))
  .map((file) => ({ name: file.replace(/\.graphql$/, ''), document: readFileSync(path.join(operationsDir, file), 'utf8') }));

let server: TestServer;
let workspace: Workspace;

beforeAll(async () => {
  server = await startTestServer();
  workspace = await createWorkspace(server.db, 'limits', 8);
});
afterAll(() => server?.close());

/** A refusal as the contract wants it: coded, 4xx, JSON, and no number in the message to probe with. */
function expectRefused(answer: GraphQLResponse, status: number, code: string, checks: CodedChecks = {}) {
  expectCoded(answer, status, code, { message: /^\D*$/, data: 'null', ...checks });
  expect(answer.text).not.toContain('"http"');
}

/** `company { contacts { edges { node { company { ... } } } } }` nested `levels` times under a contact. */
function nestedCompanies(levels: number): string {
  let inner = 'id';
  for (let i = 0; i < levels; i += 1) inner = `company { contacts(first: 1) { edges { node { ${inner} } } } }`;
  return `{ contacts(first: 1) { edges { node { ${inner} } } } }`;
}

const tokensIn = (query: string) => {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  return count;
};

const depthOf = (query: string) => {
  // Depth as the rule counts it: the deepest field below the operation.
  const errors = (n: number) => validate(schema, parse(query), shapeRules({ ...defaults, maxQueryDepth: n }));
  let n = 1;
  while (errors(n).length > 0) n += 1;
  return n;
};

const schema: GraphQLSchema = buildSchema();

describe('each limit refuses with a coded error and no limit in its message', () => {
  it('nesting depth', async () => {
    const deep = nestedCompanies(4);
    expect(depthOf(deep)).toBeGreaterThan(defaults.maxQueryDepth);
    expectRefused(await server.graphql(deep, undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectOk(await server.graphql(nestedCompanies(1), undefined, workspace.reader));
  });

  it('aliases', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
    expectRefused(await server.graphql(aliases(defaults.maxQueryAliases + 1), undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectOk(await server.graphql(aliases(defaults.maxQueryAliases), undefined, workspace.reader));
  });

  it('directives', async () => {
    // One directive per inline fragment: a document valid in every other way, so the limit is the
    // only thing that can refuse it.
    const directives = (n: number) => `{ viewer { ${'... @include(if: true) { role } '.repeat(n)}} }`;
    const refused = await server.graphql(directives(defaults.maxQueryDirectives + 1), undefined, workspace.reader);
    expectRefused(refused, 400, 'GRAPHQL_VALIDATION_FAILED', { message: /^\D*too many directives\D*$/ });
    expectOk(await server.graphql(directives(defaults.maxQueryDirectives), undefined, workspace.reader));
  });

  it('tokens, counted before parsing', async () => {
    const query = `{ viewer { ${'role '.repeat(defaults.maxQueryTokens)}} }`;
    expect(query.length).toBeLessThan(defaults.maxQueryChars);
    expectRefused(await server.graphql(query, undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
    // A document that would not even parse is refused for its size all the same.
    expectRefused(await server.graphql(`{ ${'{ '.repeat(defaults.maxQueryTokens + 1)}`, undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('query document length, before parsing', async () => {
    const query = `{ viewer { role } } #${'x'.repeat(defaults.maxQueryChars)}`;
    expectRefused(await server.graphql(query, undefined, workspace.reader), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('variables size', async () => {
    const query = 'query ($search: String) { contacts(filter: { search: $search }) { totalCount } }';
    expectRefused(await server.graphql(query, { search: 'x'.repeat(defaults.maxVariablesBytes) }, workspace.reader), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('cost, multiplied by the requested page sizes (variables included)', async () => {
    const nestedPages = 'query ($outer: Int, $inner: Int) { contacts(first: $outer) { edges { node { notes(first: $inner) { edges { node { id body } } } } } } }';
    expectRefused(await server.graphql(nestedPages, { outer: 100, inner: 100 }, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
    const literal = '{ contacts(first: 100) { edges { node { notes(first: 100) { edges { node { id body } } } } } } }';
    expectRefused(await server.graphql(literal, undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
    // The same shape with small pages is cheap, and answered.
    expectOk(await server.graphql(nestedPages, { outer: 5, inner: 5 }, workspace.reader));
    // Without first/last a connection counts the default page.
    expect(operationCost(schema, parse('{ contacts { edges { node { id } } } }'), undefined)).toBe(1 + 20 * (1 + 1 + 1));
  });

  it('a page size over the contract maximum keeps its own error naming the argument', async () => {
    const answer = await server.graphql('{ contacts(first: 1000) { edges { node { id } } } }', undefined, workspace.reader);
    expect(answer.body.errors?.[0]?.extensions?.code, answer.text).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.extensions?.field).toBe('first');
  });

  it('over GET too', async () => {
    const search = `?query=${encodeURIComponent(nestedCompanies(4))}`;
    const response = await server.request(`/graphql${search}`, { headers: { authorization: `Bearer ${workspace.reader}`, 'apollo-require-preflight': 'true' } });
    const text = await response.text();
    expectRefused({ status: response.status, headers: response.headers, body: JSON.parse(text), text }, 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('each limit is set by its variable', async () => {
    const strict = await startTestServer({ MAX_QUERY_DEPTH: '3', MAX_QUERY_COST: '50', MAX_QUERY_ALIASES: '1' }, { database: server.database });
    try {
      // Queries this file sends nowhere else: a response already cached would be served as it is.
      const query = '{ contacts(first: 2) { edges { node { company { domain } } } } }';
      expectRefused(await strict.graphql(query, undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
      expectOk(await server.graphql(query, undefined, workspace.reader));
      expectRefused(await strict.graphql('{ contacts(first: 30) { edges { cursor } } }', undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
      expectRefused(await strict.graphql('{ a: viewer { role } b: viewer { role } }', undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
      expectOk(await strict.graphql('{ a: viewer { role } }', undefined, workspace.reader));
    } finally {
      await strict.close();
    }
  });
});

describe('the cost of a published operation, kept per document and variables', () => {
  it('follows its variables on every request, remembered or not', async () => {
    const page = loadPublishedOperations().byName.get('ContactsPage')!.text;
    const small = operationCost(schema, parse(page), 'ContactsPage', { first: 5 });
    expect(operationCost(schema, parse(page), 'ContactsPage', { first: 50 })).toBeGreaterThan(small);
    // Every request executed (nothing answered from a cache), each costed against a limit the
    // small page just meets.
    const strict = await startTestServer({ MAX_QUERY_COST: String(small), RESPONSE_CACHE: 'false' }, { database: server.database });
    try {
      for (let round = 0; round < 3; round++) {
        expectOk(await strict.graphql(page, { first: 5 }, workspace.reader));
        expectRefused(await strict.graphql(page, { first: 50 }, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
        expectRefused(await strict.graphql(page, { first: 6 }, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
      }
    } finally {
      await strict.close();
    }
  });
});

/** A value for a variable: page sizes at the contract's maximum, anything else required filled in. */
function variableValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return variableValue(type.ofType);
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) if (isNonNullType(field.type)) value[field.name] = variableValue(field.type);
    return value;
  }
  if (type === GraphQLInt) return MAX_PAGE_SIZE;
  return 'x';
}

function largestVariables(document: string): Record<string, unknown> {
  const operation = parse(document).definitions[0]!;
  if (operation.kind !== 'OperationDefinition') return {};
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type as never) as GraphQLInputType;
    const named = isNonNullType(type) ? type.ofType : type;
    if (isNonNullType(type) || named === GraphQLInt) variables[definition.variable.name.value] = variableValue(type);
  }
  return variables;
}

describe('published operations pass every limit with room to spare', () => {
  const half = {
    maxQueryDepth: Math.floor(defaults.maxQueryDepth / 2),
    maxQueryAliases: Math.floor(defaults.maxQueryAliases / 2),
    maxQueryDirectives: Math.floor(defaults.maxQueryDirectives / 2),
  };

  it('finds the published operations', () => {
    expect(published.map((operation) => operation.name)).toEqual(expect.arrayContaining(['ContactsPage', 'ContactCard', 'SearchContacts', 'UpdateContact']));
  });

  for (const { name, document } of published) {
    it(`${name}: within half of each limit, at the largest page sizes`, () => {
      expect(validate(schema, parse(document), shapeRules(half))).toEqual([]);
      expect(tokensIn(document)).toBeLessThanOrEqual(defaults.maxQueryTokens / 2);
      expect(document.length).toBeLessThanOrEqual(defaults.maxQueryChars / 2);
      expect(operationCost(schema, parse(document), name, largestVariables(document))).toBeLessThanOrEqual(defaults.maxQueryCost / 2);
    });
  }

  it('the published queries are answered at the largest page sizes', async () => {
    const run = async (name: string, variables: Record<string, unknown>) => {
      const { document } = published.find((operation) => operation.name === name)!;
      const answer = await server.graphql(document, variables, workspace.reader);
      expectOk(answer);
      return answer.body.data;
    };
    const page = await run('ContactsPage', { first: MAX_PAGE_SIZE });
    await run('ContactCard', { id: page.contacts.edges[0].node.id, notes: MAX_PAGE_SIZE });
    await run('SearchContacts', { search: page.contacts.edges[0].node.lastName.slice(0, 2), first: MAX_PAGE_SIZE });
    await run('Companies', { first: MAX_PAGE_SIZE });
    await run('Tags', {});
    await run('Viewer', {});
  });
});

describe('schema exposure in production', () => {
  let production: TestServer;
  let open: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production' }, { database: server.database });
    open = await startTestServer({ NODE_ENV: 'production', INTROSPECTION: 'true' }, { database: server.database });
  });
  afterAll(async () => {
    await production?.close();
    await open?.close();
  });

  it('refuses introspection unless INTROSPECTION=true', async () => {
    const refused = await production.graphql(getIntrospectionQuery(), undefined, workspace.reader);
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.body.errors![0]!.extensions!.validationErrorCode).toBe('INTROSPECTION_DISABLED');
    // In cardfile's terms: the variable that turns it on, not Apollo's constructor option.
    expect(refused.body.errors![0]!.message).toContain('INTROSPECTION=true');
    expect(refused.body.errors![0]!.message).not.toMatch(/introspection: true|ApolloServer/);
    // The full introspection query (Sandbox, codegen) passes the limits where it is allowed.
    expectOk(await open.graphql(getIntrospectionQuery(), undefined, workspace.reader));
    expectOk(await server.graphql(getIntrospectionQuery(), undefined, workspace.reader));
  });

  it('gives no "Did you mean" hints', async () => {
    const query = '{ contacts { edges { node { firstNam } } } }';
    expect((await server.graphql(query, undefined, workspace.reader)).text).toContain('Did you mean');
    const answer = await production.graphql(query, undefined, workspace.reader);
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.text).not.toContain('Did you mean');
  });

  it('limits apply in production too, with the same messages', async () => {
    expectRefused(await production.graphql(nestedCompanies(4), undefined, workspace.reader), 400, 'GRAPHQL_VALIDATION_FAILED');
  });
});

describe('HTTP forms', () => {
  const get = (search: string, headers: Record<string, string>) =>
    server.request(`/graphql?${search}`, { headers: { authorization: `Bearer ${workspace.reader}`, ...headers } });

  it('refuses batched requests', async () => {
    const response = await server.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${workspace.reader}` },
      body: JSON.stringify([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('keeps CSRF prevention on GET, and serves a GET that carries a documented header', async () => {
    const search = `query=${encodeURIComponent('{ viewer { role } }')}`;
    const bare = await get(search, {});
    expect(bare.status).toBe(400);
    expect(await bare.text()).not.toContain('"role"');

    const headers: Array<Record<string, string>> = [{ 'apollo-require-preflight': 'true' }, { 'x-apollo-operation-name': 'Viewer' }, { 'content-type': 'application/json' }];
    for (const header of headers) {
      const answered = await get(search, header);
      expect(answered.status, JSON.stringify(header)).toBe(200);
      expect(((await answered.json()) as any).data.viewer.role).toBe('READER');
    }
  });

  it('serves a published operation by its hash over GET, as a CDN client sends it', async () => {
    const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, '../src/client/sdk/persisted-documents.json'), 'utf8')) as Record<string, string>;
    const [hash] = Object.entries(manifest).find(([, document]) => document.includes('query Tags'))!;
    const extensions = encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
    const answered = await get(`operationName=Tags&extensions=${extensions}`, { 'apollo-require-preflight': 'true' });
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as any).data.tags).toEqual(expect.any(Array));
  });
});
