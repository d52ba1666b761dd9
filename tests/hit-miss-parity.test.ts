// A cache hit passes every check a miss passes. Each case first makes a valid request a hit, then
// sends a variant of it that a server without a response cache refuses: the cached server must
// answer the variant exactly as the uncached one does (same status, same code, same media type),
// never with the cached 200. The variants are the shapes an outside review found answered from the
// cache while refused on a miss (no CSRF preflight header, a query with another query's hash,
// parameters given twice), and their neighbours.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let acme: Workspace;

interface Answer {
  status: number;
  code: unknown;
  contentType: string | null;
  cache: string | null;
  text: string;
}

interface Request {
  path: string;
  init: RequestInit;
}

async function send(server: TestServer, request: Request): Promise<Answer> {
  const response = await server.request(request.path, request.init);
  const text = await response.text();
  let code: unknown;
  try {
    code = JSON.parse(text).errors?.[0]?.extensions?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, contentType: response.headers.get('content-type'), cache: response.headers.get('x-cache'), text };
}

const list = 'query List($first: Int) { contacts(first: $first) { edges { node { id firstName } } } }';
const viewer = 'query Who { viewer { role } }';
const extensions = (hash: string) => JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
const preflight = { 'apollo-require-preflight': 'true' };

function get(search: string, headers: Record<string, string> = preflight, token = () => acme.reader): () => Request {
  return () => ({ path: `/graphql?${search}`, init: { headers: { authorization: `Bearer ${token()}`, ...headers } } });
}

function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, token = () => acme.reader): () => Request {
  return () => ({ path: '/graphql', init: { method: 'POST', headers: { authorization: `Bearer ${token()}`, ...headers }, body } });
}

const q = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;
const listByHash = [q('extensions', extensions(sha256(list))), q('variables', '{"first":2}')].join('&');
const listByText = [q('query', list), q('variables', '{"first":2}')].join('&');
const listBody = JSON.stringify({ query: list, variables: { first: 2 } });

interface Case {
  name: string;
  /** The valid request, made a cache hit first (the persisted document registered, where it is one). */
  valid: () => Request;
  variant: () => Request;
  /** The variant is refused (4xx); otherwise it is answered, identically on both servers. */
  refused?: boolean;
}

const cases: Case[] = [
  { name: 'a persisted GET without the CSRF preflight header', valid: get(listByHash), variant: get(listByHash, {}), refused: true },
  { name: 'a GET with the query text and no CSRF preflight header', valid: get(listByText), variant: get(listByText, {}), refused: true },
  { name: 'a GET whose preflight header is empty', valid: get(listByText), variant: get(listByText, { 'apollo-require-preflight': '' }), refused: true },
  { name: 'a GET with a form content type and no preflight header', valid: get(listByText), variant: get(listByText, { 'content-type': 'application/x-www-form-urlencoded' }), refused: true },
  { name: 'a GET with a text/plain content type', valid: get(listByText), variant: get(listByText, { ...preflight, 'content-type': 'text/plain' }), refused: true },
  {
    name: 'a GET with one query’s text and another’s hash',
    valid: get(listByHash),
    variant: get([q('query', viewer), q('extensions', extensions(sha256(list))), q('variables', '{"first":2}')].join('&')),
    refused: true,
  },
  {
    name: 'a POST with one query’s text and another’s hash',
    valid: post(JSON.stringify({ query: list, variables: { first: 2 }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(list) } } })),
    variant: post(JSON.stringify({ query: viewer, variables: { first: 2 }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(list) } } })),
    refused: true,
  },
  { name: 'the query given twice in the URL', valid: get(listByText), variant: get(`${listByText}&${q('query', list)}`), refused: true },
  { name: 'the variables given twice in the URL', valid: get(listByText), variant: get(`${listByText}&${q('variables', '{"first":2}')}`), refused: true },
  { name: 'the extensions given twice in the URL', valid: get(listByHash), variant: get(`${listByHash}&${q('extensions', extensions(sha256(list)))}`), refused: true },
  { name: 'the operationName given twice in the URL', valid: get(`${listByText}&operationName=List`), variant: get(`${listByText}&operationName=List&operationName=List`), refused: true },
  { name: 'variables in the URL that are not JSON', valid: get(listByText), variant: get(`${q('query', list)}&variables=%7Bfirst`), refused: true },
  { name: 'an operationName the document lacks', valid: get(`${listByText}&operationName=List`), variant: get(`${listByText}&operationName=Other`), refused: true },
  { name: 'an empty operationName', valid: get(listByText), variant: get(`${listByText}&operationName=`), refused: true },
  { name: 'a GET that accepts only images', valid: get(listByText), variant: get(listByText, { ...preflight, accept: 'image/png' }), refused: true },
  { name: 'a POST that accepts only HTML', valid: post(listBody), variant: post(listBody, { 'content-type': 'application/json', accept: 'text/html' }), refused: true },
  // Outside production a browser asking for HTML gets Apollo Sandbox, whatever the URL holds; in
  // production, JSON (it accepts anything).
  { name: 'a GET that prefers HTML', valid: get(listByText), variant: get(listByText, { ...preflight, accept: 'text/html,*/*;q=0.8' }) },
  { name: 'a POST sent as text/plain', valid: post(listBody), variant: post(listBody, { 'content-type': 'text/plain' }), refused: true },
  { name: 'a hit asked for with a token that is not valid', valid: post(listBody), variant: post(listBody, undefined, () => 'cf_not-a-valid-token'), refused: true },
  { name: 'a persisted GET asked for with a token that is not valid', valid: get(listByHash), variant: get(listByHash, preflight, () => 'cf_not-a-valid-token'), refused: true },
  {
    name: 'a GET that prefers GraphQL’s response media type',
    valid: get(listByText),
    variant: get(listByText, { ...preflight, accept: 'application/graphql-response+json, application/json;q=0.9' }),
  },
  { name: 'a POST that accepts any media type', valid: post(listBody), variant: post(listBody, { 'content-type': 'application/json', accept: '*/*' }) },
];

for (const mode of ['development', 'production'] as const) {
  describe(`a cache hit is refused for everything a miss is refused for (${mode})`, () => {
    let cached: TestServer;
    let uncached: TestServer;

    beforeAll(async () => {
      cached = await startTestServer({ NODE_ENV: mode });
      uncached = await startTestServer({ NODE_ENV: mode, RESPONSE_CACHE: 'false' }, { database: cached.database });
      acme = await createWorkspace(cached.db, 'acme', 5);
      // Register the persisted documents the cases ask for by hash (on each server: without Redis
      // the two do not share a store).
      for (const server of [cached, uncached]) {
        for (const query of [list, viewer]) {
          const answer = await send(server, post(JSON.stringify({ query, variables: { first: 2 }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }))());
          expect(answer.status, answer.text).toBe(200);
        }
      }
    });
    afterAll(async () => {
      await uncached?.close();
      await cached?.close();
    });

    for (const item of cases) {
      it(item.name, async () => {
        await send(cached, item.valid());
        const primed = await send(cached, item.valid());
        expect(primed.status, primed.text).toBe(200);
        expect(primed.cache, 'the valid request is a hit').toMatch(/^hit-/);

        const fromCached = await send(cached, item.variant());
        const fromUncached = await send(uncached, item.variant());
        if (item.refused) {
          expect(fromUncached.status, fromUncached.text).toBeGreaterThanOrEqual(400);
          expect(fromUncached.status, fromUncached.text).toBeLessThan(500);
        } else {
          expect(fromUncached.status, fromUncached.text).toBe(200);
        }
        expect({ status: fromCached.status, code: fromCached.code, contentType: fromCached.contentType }, fromCached.text).toEqual({
          status: fromUncached.status,
          code: fromUncached.code,
          contentType: fromUncached.contentType,
        });
      });
    }
  });
}
