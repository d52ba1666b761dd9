// The Cache-Control policy computed once per document (src/graphql/cache-policy.ts) against the
// one Apollo's own cache-control plugin computes while resolving: for every published operation
// and a set of shapes (fragments, interfaces, connections, short-lived fields), over real data, the
// cardfile server must arrive at the max age and scope stock Apollo would, or a stricter one where
// Apollo's depends on what happened to resolve (a null object, an empty list). Where stock Apollo
// lets browsers reuse an answer for its max age, cardfile tells them to revalidate each time.
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createViewerResolver } from '../src/auth/viewer.js';
import { loadPersistedDocuments } from '../src/graphql/published-operations.js';
import type { RequestContext } from '../src/graphql/context.js';
import { buildSchema } from '../src/graphql/schema.js';
import { createRequestContext, newExecutionRecord } from '../src/graphql/request-context.js';
import { CURSOR_KEY, sharedKey } from '../src/db/repositories/server-keys.js';
import { cursorCodecOnce } from '../src/graphql/cursor-codec.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let stock: ApolloServer<RequestContext>;
let acme: Workspace;
let ids: { contact: string; company: string; tag: string; note: string };

beforeAll(async () => {
  server = await startTestServer({ RESPONSE_CACHE: 'false' });
  acme = await createWorkspace(server.db, 'acme', 20);
  stock = new ApolloServer<RequestContext>({ schema: buildSchema(), plugins: [ApolloServerPluginCacheControl({ calculateHttpHeaders: true })] });
  await stock.start();
  const found = await server.graphql(
    '{ contacts(first: 5) { edges { node { id company { id } tags { id } notes(first: 1) { edges { node { id } } } } } } }',
    {},
    acme.reader,
  );
  if (!found.body.data) throw new Error(JSON.stringify(found.body.errors));
  const nodes = found.body.data.contacts.edges.map((edge: any) => edge.node);
  const withNote = nodes.find((node: any) => node.notes.edges.length > 0 && node.company && node.tags.length > 0) ?? nodes[0];
  ids = { contact: withNote.id, company: withNote.company?.id, tag: withNote.tags[0]?.id, note: withNote.notes.edges[0]?.node.id };
});

afterAll(async () => {
  await stock?.stop();
  await server?.close();
});

/** What stock Apollo (its cache-control plugin, same schema and resolvers) answers with. */
const stockCursors = cursorCodecOnce(() => sharedKey(server.db, CURSOR_KEY));

async function stockHeader(query: string, variables: Record<string, unknown>): Promise<string | undefined> {
  const resolveViewer = createViewerResolver(server.db, 0);
  const viewer = (await resolveViewer(`Bearer ${acme.reader}`))!;
  const result = await stock.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: { query, variables } },
    context: async () =>
      createRequestContext(viewer, 'stock', newExecutionRecord(), {
        db: server.db,
        loaderMaxBatchSize: 1000,
        invalidate: async () => {},
        recordView: async () => {},
        cursors: stockCursors,
      }),
  });
  return result.headers.get('cache-control');
}

/**
 * The header cardfile sends (with RESPONSE_CACHE=false, as this server runs) for stock Apollo's
 * policy: the same max age and scope, with no-cache for browsers; no-store stays no-store.
 */
function cardfileHeaderFor(stock: string | undefined): string | undefined {
  const policy = /^max-age=(\d+), private$/.exec(stock ?? '');
  return policy ? `private, no-cache, max-age=${policy[1]}` : stock;
}

const shapes: Array<[string, string, Record<string, unknown>]> = [
  ['a fragment on an interface with inline fragments', `query ($id: ID!) { node(id: $id) { ...N } } fragment N on Node { id ... on Contact { firstName } ... on Company { name } }`, {}],
  ['a short-lived field', 'query ($id: ID!) { contact(id: $id) { firstName viewCount } }', {}],
  ['a connection of a company', 'query ($id: ID!) { company(id: $id) { name contacts(first: 3) { totalCount edges { node { firstName } } pageInfo { hasNextPage } } } }', {}],
  ['the viewer and its workspace', '{ viewer { role workspace { id name } } }', {}],
  ['two root fields', '{ tags { name } contacts(first: 2) { totalCount } }', {}],
  ['only __typename', '{ __typename }', {}],
];

describe('the cache policy computed per document', () => {
  it('equals stock Apollo\'s for every published query', async () => {
    for (const [, document] of loadPersistedDocuments()) {
      if (!document.startsWith('query')) continue;
      const variables = { id: ids.contact, search: 'an', contactId: ids.contact };
      const ours = await server.graphql(document, variables, acme.reader);
      expect(ours.body.errors, document.slice(0, 40)).toBeUndefined();
      expect(ours.headers.get('cache-control'), document.slice(0, 40)).toBe(cardfileHeaderFor(await stockHeader(document, variables)));
    }
  });

  it('equals stock Apollo\'s for fragments, interfaces, connections and short-lived fields', async () => {
    for (const [what, query] of shapes) {
      const variables = { id: what.includes('company') ? ids.company : ids.contact };
      const ours = await server.graphql(query, variables, acme.reader);
      expect(ours.body.errors, what).toBeUndefined();
      expect(ours.headers.get('cache-control'), what).toBe(cardfileHeaderFor(await stockHeader(query, variables)));
    }
  });

  it('is stricter than Apollo\'s, never laxer, where Apollo\'s depends on a null', async () => {
    // The contact is not there: Apollo never resolves viewCount (5 s) and keeps 60 s; the policy
    // computed from the document counts it.
    const query = 'query ($id: ID!) { contact(id: $id) { firstName viewCount } }';
    const missing = { id: Buffer.from('Contact:999999999').toString('base64url') };
    expect(await stockHeader(query, missing)).toBe('max-age=60, private');
    expect((await server.graphql(query, missing, acme.reader)).headers.get('cache-control')).toBe('private, no-cache, max-age=5');
  });
});
