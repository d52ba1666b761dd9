// CORS for /graphql: pages on the origins CORS_ORIGINS lists may call the API from a browser, with
// the headers a GraphQL client needs; other origins get no CORS headers, so their pages can read
// nothing; and Apollo's CSRF prevention still refuses a cross-site request that needs no preflight.
// Checked over HTTP, header by header, and in Chromium from pages served on other origins.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { launchChromium, type HeadlessChromium } from './helpers/chromium.js';
import { fetchInPage, persistedQueryUrl, recordGraphQLRequests } from './helpers/browser-fetch.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

const ALLOWED = 'https://app.example.com';
const DISALLOWED = 'https://elsewhere.example.net';
const VIEWER = '{ viewer { role } }';
const CLIENT_HEADERS = ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'if-none-match'];

/** A page on another origin: a tiny site of its own on another loopback port. */
interface OtherSite {
  origin: string;
  close(): Promise<void>;
}

async function startOtherSite(): Promise<OtherSite> {
  const site = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>another site</title><p>A page that calls cardfile from elsewhere.</p>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const { port } = site.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => site.close(() => resolve())),
  };
}

let listedSite: OtherSite;
let unlistedSite: OtherSite;
let server: TestServer;
let anyOrigin: TestServer;
let rateLimited: TestServer;
let acme: Workspace;

beforeAll(async () => {
  [listedSite, unlistedSite] = await Promise.all([startOtherSite(), startOtherSite()]);
  server = await startTestServer({ CORS_ORIGINS: `${ALLOWED}, ${listedSite.origin}` });
  anyOrigin = await startTestServer({ CORS_ORIGINS: '*' }, { database: server.database });
  rateLimited = await startTestServer({ CORS_ORIGINS: ALLOWED, RATE_LIMIT_PER_TOKEN: '1' }, { database: server.database });
  acme = await createWorkspace(server.db, 'acme', 3);
});

afterAll(async () => {
  await Promise.all([anyOrigin, rateLimited].map((each) => each?.close()));
  await server?.close();
  await Promise.all([listedSite, unlistedSite].map((site) => site?.close()));
});

const preflight = (target: TestServer, origin: string, method = 'POST', headers = 'authorization, content-type') =>
  target.request('/graphql', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });

/** POSTs `query` as a page on `origin` would; `token` null: without one. */
const postFrom = (target: TestServer, origin: string, query: string, token: string | null = acme.reader) =>
  target.request('/graphql', {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });

const listOf = (header: string | null) => (header ?? '').split(',').map((item) => item.trim().toLowerCase());

/** The headers a page on `origin` needs to read an answer, and the Vary that keeps caches apart. */
async function expectReadableBy(response: Response, origin: string) {
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  expect(listOf(response.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['etag', 'x-request-id', 'x-cache', 'retry-after']));
  expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  expect(listOf(response.headers.get('vary'))).toContain('origin');
  await response.arrayBuffer();
}

async function expectNoCorsHeaders(response: Response) {
  for (const [name] of response.headers) expect(name.startsWith('access-control-'), name).toBe(false);
  expect(listOf(response.headers.get('vary'))).toContain('origin');
  await response.arrayBuffer();
}

describe('preflights', () => {
  it('are answered for a listed origin with the methods and headers a GraphQL client sends', async () => {
    const response = await preflight(server, ALLOWED, 'GET', 'authorization, apollo-require-preflight, if-none-match');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(listOf(response.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post']));
    expect(listOf(response.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(CLIENT_HEADERS));
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(listOf(response.headers.get('vary'))).toContain('origin');
    expect(await response.text()).toBe('');
  });

  it('are refused for an origin not listed, with 403 FORBIDDEN and no CORS headers', async () => {
    const response = await preflight(server, DISALLOWED);
    expect(response.status).toBe(403);
    expect(((await response.clone().json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
    await expectNoCorsHeaders(response);
  });

  it('are answered with * for any origin under CORS_ORIGINS=*', async () => {
    const response = await preflight(anyOrigin, DISALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    await response.arrayBuffer();
  });

  it('leave an OPTIONS that is not a preflight as it was (405)', async () => {
    const response = await server.request('/graphql', { method: 'OPTIONS', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    await response.arrayBuffer();
  });
});

describe('answers to a listed origin', () => {
  it('carry the CORS headers on a miss, a cache hit, a persisted GET and its 304', async () => {
    const query = '{ contacts(first: 2) { totalCount } }';
    const miss = await postFrom(server, ALLOWED, query);
    expect(miss.headers.get('x-cache')).toBe('miss');
    await expectReadableBy(miss, ALLOWED);
    const hit = await postFrom(server, ALLOWED, query);
    expect(hit.headers.get('x-cache')).toMatch(/^hit-/);
    await expectReadableBy(hit, ALLOWED);

    const url = persistedQueryUrl('', 'Tags', {});
    const get = await server.request(url, { headers: { origin: ALLOWED, authorization: `Bearer ${acme.reader}`, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(200);
    // Vary keeps both keys a CDN must know: the caller's token and the page's origin.
    expect(listOf(get.headers.get('vary'))).toEqual(expect.arrayContaining(['authorization', 'origin']));
    const etag = get.headers.get('etag')!;
    await expectReadableBy(get, ALLOWED);
    const notModified = await server.request(url, {
      headers: { origin: ALLOWED, authorization: `Bearer ${acme.reader}`, 'apollo-require-preflight': 'true', 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    await expectReadableBy(notModified, ALLOWED);
  });

  it('carry them on errors and refusals too, so the page can read why', async () => {
    const broken = await postFrom(server, ALLOWED, '{ contacts(first: ');
    expect(broken.status).toBe(400);
    await expectReadableBy(broken, ALLOWED);
    const anonymous = await postFrom(server, ALLOWED, VIEWER, null);
    expect(anonymous.status).toBe(401);
    await expectReadableBy(anonymous, ALLOWED);

    expect((await postFrom(rateLimited, ALLOWED, VIEWER)).status).toBe(200);
    const limited = await postFrom(rateLimited, ALLOWED, VIEWER);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectReadableBy(limited, ALLOWED);
  });

  it('carry * under CORS_ORIGINS=*', async () => {
    const response = await postFrom(anyOrigin, DISALLOWED, VIEWER);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    await response.arrayBuffer();
  });
});

describe('answers to an origin not listed', () => {
  it('carry no CORS headers, whatever the answer', async () => {
    await expectNoCorsHeaders(await postFrom(server, DISALLOWED, VIEWER));
    await expectNoCorsHeaders(await postFrom(server, DISALLOWED, '{ contacts(first: '));
    await expectNoCorsHeaders(await server.request(persistedQueryUrl('', 'Tags', {}), { headers: { origin: DISALLOWED, authorization: `Bearer ${acme.reader}`, 'apollo-require-preflight': 'true' } }));
  });
});

describe('CSRF prevention', () => {
  // What a form, an <img> or a fetch without custom headers can send cross-site: no preflight.
  const simpleGet = (origin: string) => server.request(`/graphql?query=${encodeURIComponent(VIEWER)}`, { headers: { origin } });

  it('still refuses a simple cross-site GET, from a listed origin or not', async () => {
    for (const origin of [DISALLOWED, ALLOWED]) {
      const response = await simpleGet(origin);
      expect(response.status, origin).toBe(400);
      const body = (await response.clone().json()) as any;
      expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
      expect(body.data).toBeUndefined();
      if (origin === DISALLOWED) await expectNoCorsHeaders(response);
      else await response.arrayBuffer();
    }
  });

  it('still refuses a simple cross-site POST (text/plain, as a form sends)', async () => {
    const response = await server.request('/graphql', { method: 'POST', headers: { origin: DISALLOWED, 'content-type': 'text/plain' }, body: JSON.stringify({ query: VIEWER }) });
    expect(response.status).toBe(400);
    await expectNoCorsHeaders(response);
  });
});

describe('CORS_ORIGINS', () => {
  it('is read as a list of origins, or *, and stops the start on anything else, naming the variable', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' https://App.Example.com/ , http://localhost:5173' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'https://app.example.com?x=1', 'ftp://files.example.com', 'null']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS/);
    }
  });
});

describe('in Chromium, a page on another origin', () => {
  let chromium: HeadlessChromium;

  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(() => chromium?.close());

  async function pageOn(site: OtherSite): Promise<Page> {
    const tab = await chromium.context.newPage();
    const loaded = await tab.goto(`${site.origin}/`);
    expect(loaded?.status()).toBe(200);
    return tab;
  }

  const postViewer = (tab: Page) =>
    fetchInPage(tab, {
      url: `${server.url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` },
      body: JSON.stringify({ query: VIEWER }),
    });

  const getTags = (tab: Page) =>
    fetchInPage(tab, {
      url: persistedQueryUrl(server.url, 'Tags', {}),
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${acme.reader}` },
    });

  it('calls POST /graphql and a persisted-query GET when its origin is listed', async () => {
    const received = recordGraphQLRequests(server);
    const tab = await pageOn(listedSite);

    const posted = await postViewer(tab);
    expect(posted.rejected).toBeUndefined();
    expect(posted.status).toBe(200);
    expect(posted.body).toEqual({ data: { viewer: { role: 'READER' } } });

    const got = await getTags(tab);
    expect(got.rejected).toBeUndefined();
    expect(got.status).toBe(200);
    expect(Array.isArray(got.body.data.tags)).toBe(true);
    // The exposed headers are readable by the page's script.
    expect(got.headers.etag).toMatch(/^".+"$/);
    expect(got.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.headers['x-cache']).toBeDefined();

    // Both went through a preflight the server answered.
    await expect.poll(() => received.filter((request) => request.origin === listedSite.origin).map((request) => `${request.method} ${request.status}`), { timeout: 10_000 }).toEqual(
      expect.arrayContaining(['OPTIONS 204', 'POST 200', 'GET 200']),
    );
    await tab.close();
  });

  it('cannot call it when its origin is not listed: the fetch rejects and the request is never sent', async () => {
    const received = recordGraphQLRequests(server);
    const tab = await pageOn(unlistedSite);

    for (const answer of [await postViewer(tab), await getTags(tab)]) {
      expect(answer.rejected).toMatch(/TypeError/);
      expect(answer.status).toBe(0);
    }
    // The browser asked first and was refused; neither request itself reached the server.
    await expect.poll(() => received.filter((request) => request.origin === unlistedSite.origin).length, { timeout: 10_000 }).toBe(2);
    expect(received.filter((request) => request.origin === unlistedSite.origin).map((request) => `${request.method} ${request.status}`)).toEqual(['OPTIONS 403', 'OPTIONS 403']);
    await tab.close();
  });
});
