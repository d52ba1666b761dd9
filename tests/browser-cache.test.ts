// The no-stale promise as far as the browser: in Chromium, a page that reads a contact with a
// persisted-query GET, changes it, and reads it again sees the change, because browsers revalidate
// every answer they keep instead of reusing it for its max age; and an unchanged repeat read is a
// revalidation the server answers 304. Checked with the server's response cache on, and off (then
// Cache-Control comes from the cache-policy plugin and there is no ETag to revalidate with).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from './helpers/chromium.js';
import { fetchInPage, persistedQueryUrl, recordGraphQLRequests, type PageAnswer, type Received } from './helpers/browser-fetch.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

const UPDATE = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { firstName version } } }';

let cached: TestServer;
let uncached: TestServer;
let acme: Workspace;
let chromium: HeadlessChromium;

beforeAll(async () => {
  cached = await startTestServer();
  uncached = await startTestServer({ RESPONSE_CACHE: 'false' }, { database: cached.database });
  acme = await createWorkspace(cached.db, 'acme', 4);
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await uncached?.close();
  await cached?.close();
});

/** A contact of acme's, with its current version. */
async function contactAt(server: TestServer, index: number): Promise<{ id: string; version: number }> {
  const page = await server.graphql('{ contacts(first: 4, orderBy: { field: CREATED_AT, direction: ASC }) { edges { node { id version } } } }', {}, acme.reader);
  expect(page.body.errors).toBeUndefined();
  return page.body.data.contacts.edges[index].node;
}

/** A tab on a page `server` serves itself, so the requests below are same-origin. */
async function tabOn(server: TestServer): Promise<Page> {
  const tab = await chromium.context.newPage();
  const loaded = await tab.goto(`${server.url}/healthz`);
  expect(loaded?.status()).toBe(200);
  return tab;
}

/** The contact card by its persisted-query GET, as the SDK sends it (Apollo's CSRF header, the token). */
const readCard = (tab: Page, server: TestServer, id: string) =>
  fetchInPage(tab, {
    url: persistedQueryUrl(server.url, 'ContactCard', { id }),
    headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${acme.editor}` },
  });

const rename = (tab: Page, id: string, expectedVersion: number, firstName: string) =>
  fetchInPage(tab, {
    url: '/graphql',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.editor}` },
    body: JSON.stringify({ query: UPDATE, variables: { input: { id, expectedVersion, firstName } } }),
  });

function firstNameIn(answer: PageAnswer): string {
  expect(answer.rejected).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data.contact.firstName;
}

/** The GETs the server has answered so far, waited for: an answer is recorded once it is sent. */
async function getsAnswered(received: Received[], count: number): Promise<Received[]> {
  await expect.poll(() => received.filter((request) => request.method === 'GET').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(count);
  return received.filter((request) => request.method === 'GET');
}

describe('a browser reading after its own write', () => {
  it('sees the new value on the next GET, and an unchanged repeat is revalidated with a 304', async () => {
    const received = recordGraphQLRequests(cached);
    const tab = await tabOn(cached);
    const contact = await contactAt(cached, 0);

    const first = await readCard(tab, cached, contact.id);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const firstEtag = first.headers.etag;
    expect(firstEtag).toMatch(/^".+"$/);
    const before = firstNameIn(first);

    const written = await rename(tab, contact.id, contact.version, `${before}-renamed`);
    expect(written.body.errors).toBeUndefined();
    expect(written.body.data.updateContact.contact.firstName).toBe(`${before}-renamed`);

    // The browser kept the first answer; it must ask before using it, and the server has a new one.
    const afterWrite = await readCard(tab, cached, contact.id);
    expect(firstNameIn(afterWrite)).toBe(`${before}-renamed`);
    expect(afterWrite.headers.etag).not.toBe(firstEtag);
    const [, revalidatedChanged] = await getsAnswered(received, 2);
    expect(revalidatedChanged).toMatchObject({ ifNoneMatch: firstEtag, status: 200 });

    // Nothing changed since: the browser asks with the new ETag, the server answers 304 without a
    // body, and the page still reads the whole answer (from the browser's copy).
    const repeat = await readCard(tab, cached, contact.id);
    expect(firstNameIn(repeat)).toBe(`${before}-renamed`);
    const [, , revalidatedUnchanged] = await getsAnswered(received, 3);
    expect(revalidatedUnchanged).toMatchObject({ ifNoneMatch: afterWrite.headers.etag, status: 304 });
    await tab.close();
  });

  it('sees the new value with the server-side response cache off too', async () => {
    const received = recordGraphQLRequests(uncached);
    const tab = await tabOn(uncached);
    const contact = await contactAt(uncached, 1);

    const first = await readCard(tab, uncached, contact.id);
    const before = firstNameIn(first);
    expect(first.headers['cache-control']).toMatch(/^private, no-cache\b/);

    const written = await rename(tab, contact.id, contact.version, `${before}-edited`);
    expect(written.body.errors).toBeUndefined();

    const afterWrite = await readCard(tab, uncached, contact.id);
    expect(firstNameIn(afterWrite)).toBe(`${before}-edited`);
    // The second read reached the server: it was not served from the browser's cache.
    expect(await getsAnswered(received, 2)).toHaveLength(2);
    await tab.close();
  });
});
