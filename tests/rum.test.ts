// Real-user monitoring: browsers POST batches of Web Vitals to /rum (sendBeacon sends text/plain).
// Checked through the real HTTP server: valid batches land in the histograms, anything malformed
// or unbounded is refused with a coded error and observes nothing, labels stay bounded, and CORS
// and the per-origin rate limit behave as a browser and an operator expect.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { publicOriginsOf } from '../src/http/public-origin.js';
import { RateLimiter } from '../src/rum/rate-limiter.js';
import { normalizeRoute } from '../src/rum/route.js';
import { openTestDatabase, type TestDatabase } from './helpers/database.js';
import { expectCoded } from './helpers/expect-answer.js';
import { counter } from './helpers/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const ALLOWED = 'https://app.example.com';
const DISALLOWED = 'https://elsewhere.example.net';
const VITALS = ['lcp_seconds', 'inp_seconds', 'cls', 'fcp_seconds', 'ttfb_seconds'];

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** A metric as a `web-vitals` callback hands it over (without `entries`, which a client leaves out). */
function vital(name: string, value: number, extra: Record<string, unknown> = {}) {
  return { name, value, rating: 'good', delta: value, id: `v5-1700000000000-${name}`, navigationType: 'navigate', ...extra };
}

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await server.request('/rum', {
    method: 'POST',
    // What navigator.sendBeacon(url, string) sends.
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * POSTs a batch over node:http, which sends the headers exactly as given: fetch would not let a
 * test forge the Host header.
 */
function postWithHeaders(server: TestServer, body: unknown, headers: Record<string, string>): Promise<Reply> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/rum`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...headers },
      timeout: 10_000,
    });
    request.on('response', (response) => {
      let answer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (answer += chunk));
      response.on('end', () => {
        const replyHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') replyHeaders.set(name, value);
        resolve({ status: response.statusCode ?? 0, headers: replyHeaders, text: answer });
      });
    });
    request.on('timeout', () => request.destroy(new Error('no answer from /rum')));
    request.on('error', reject);
    request.end(text);
  });
}

/** Observations across all five histograms and all routes. */
async function observations(server: TestServer): Promise<number> {
  let total = 0;
  for (const name of VITALS) total += await counter(server, `cardfile_rum_${name}_count`);
  return total;
}

const reports = (server: TestServer, outcome: string) => counter(server, 'cardfile_rum_reports_total', { outcome });

let database: TestDatabase;
let server: TestServer;
let capped: TestServer;
let limited: TestServer;
let untrusting: TestServer;
let behindProxy: TestServer;
let apiOrigins: TestServer;
let clock = 1_700_000_000_000;

beforeAll(async () => {
  database = await openTestDatabase();
  server = await startTestServer({ RUM_ALLOWED_ORIGINS: ALLOWED }, { database });
  capped = await startTestServer({ RUM_MAX_ROUTES: '2' }, { database });
  // A frozen clock: the bucket refills only when the test moves time forward. Behind one trusted
  // proxy, each test's requests come from client addresses of their own (X-Forwarded-For).
  const tight = { RUM_RATE_PER_SECOND: '1', RUM_RATE_BURST: '2', RUM_ALLOWED_ORIGINS: '*' };
  limited = await startTestServer({ ...tight, TRUST_PROXY: '1' }, { database, now: () => clock });
  // No proxy trusted: every request counts against the socket's address, whatever it claims.
  untrusting = await startTestServer(tight, { database, now: () => clock });
  behindProxy = await startTestServer({ PUBLIC_ORIGIN: 'https://cardfile.example.com' }, { database });
  apiOrigins = await startTestServer({ CORS_ORIGINS: ALLOWED }, { database });
});

afterAll(async () => {
  await Promise.all([server, capped, limited, untrusting, behindProxy, apiOrigins].map((each) => each?.close()));
  await database?.destroy();
});

describe('accepting a batch', () => {
  it('answers 204 to a sendBeacon batch and moves each histogram, in seconds, under the page route', async () => {
    const route = { route: '/contacts/:id' };
    const before = {
      lcpCount: await counter(server, 'cardfile_rum_lcp_seconds_count', route),
      lcpSum: await counter(server, 'cardfile_rum_lcp_seconds_sum', route),
      lcpGood: await counter(server, 'cardfile_rum_lcp_seconds_bucket', { ...route, le: '2.5' }),
      lcpUnder2: await counter(server, 'cardfile_rum_lcp_seconds_bucket', { ...route, le: '2' }),
      inpGood: await counter(server, 'cardfile_rum_inp_seconds_bucket', { ...route, le: '0.2' }),
      cls: await counter(server, 'cardfile_rum_cls_bucket', { ...route, le: '0.05' }),
      clsSum: await counter(server, 'cardfile_rum_cls_sum', route),
      ttfb: await counter(server, 'cardfile_rum_ttfb_seconds_count', route),
      fcp: await counter(server, 'cardfile_rum_fcp_seconds_count', route),
      accepted: await reports(server, 'accepted'),
    };
    const reply = await post(server, {
      page: '/contacts/Q29udGFjdDoxMg?tab=notes#latest',
      metrics: [vital('LCP', 2100), vital('INP', 180), vital('CLS', 0.05), vital('TTFB', 300.5), vital('FCP', 900, { rating: 'good' })],
    });
    expect(reply.status, reply.text).toBe(204);
    expect(reply.text).toBe('');

    expect(await counter(server, 'cardfile_rum_lcp_seconds_count', route)).toBe(before.lcpCount + 1);
    expect(await counter(server, 'cardfile_rum_lcp_seconds_sum', route)).toBeCloseTo(before.lcpSum + 2.1, 6);
    expect(await counter(server, 'cardfile_rum_lcp_seconds_bucket', { ...route, le: '2.5' })).toBe(before.lcpGood + 1);
    expect(await counter(server, 'cardfile_rum_lcp_seconds_bucket', { ...route, le: '2' })).toBe(before.lcpUnder2);
    expect(await counter(server, 'cardfile_rum_inp_seconds_bucket', { ...route, le: '0.2' })).toBe(before.inpGood + 1);
    expect(await counter(server, 'cardfile_rum_cls_bucket', { ...route, le: '0.05' })).toBe(before.cls + 1);
    expect(await counter(server, 'cardfile_rum_cls_sum', route)).toBeCloseTo(before.clsSum + 0.05, 6);
    expect(await counter(server, 'cardfile_rum_ttfb_seconds_count', route)).toBe(before.ttfb + 1);
    expect(await counter(server, 'cardfile_rum_fcp_seconds_count', route)).toBe(before.fcp + 1);
    expect(await reports(server, 'accepted')).toBe(before.accepted + 1);
  });

  it('takes a bare array as JSON, with the route from the Referer the browser sends', async () => {
    const route = { route: '/companies/:id/contacts' };
    const before = await counter(server, 'cardfile_rum_inp_seconds_count', route);
    const reply = await post(server, [vital('INP', 64)], {
      'content-type': 'application/json',
      referer: 'http://127.0.0.1/companies/8213/contacts?sort=name',
    });
    expect(reply.status, reply.text).toBe(204);
    expect(await counter(server, 'cardfile_rum_inp_seconds_count', route)).toBe(before + 1);
  });

  it('takes a body without a content type (a Blob without one) and labels a batch with no page `unknown`', async () => {
    const route = { route: 'unknown' };
    const before = await counter(server, 'cardfile_rum_cls_count', route);
    const response = await server.request('/rum', { method: 'POST', body: new TextEncoder().encode(JSON.stringify([vital('CLS', 0)])) });
    expect(response.headers.get('content-type')).toBeNull();
    expect(response.status).toBe(204);
    expect(await counter(server, 'cardfile_rum_cls_count', route)).toBe(before + 1);
  });

  it('counts a request to the /rum route in the HTTP metrics', async () => {
    const before = await counter(server, 'cardfile_http_request_duration_seconds_count', { route: 'rum', method: 'POST', status: '204' });
    expect((await post(server, [vital('TTFB', 10)])).status).toBe(204);
    expect(await counter(server, 'cardfile_http_request_duration_seconds_count', { route: 'rum', method: 'POST', status: '204' })).toBe(before + 1);
  });
});

describe('refusing bad input', () => {
  const ok = vital('LCP', 1000);
  const cases: Array<[string, unknown, RegExp]> = [
    ['an empty body', '', /empty/],
    ['a body that is not JSON', '{"metrics": [', /not valid JSON/],
    ['a JSON number', '42', /array of metrics/],
    ['an object without metrics', { page: '/contacts' }, /"metrics" must be an array/],
    ['metrics that are not an array', { metrics: { name: 'LCP', value: 1 } }, /"metrics" must be an array/],
    ['an empty batch', [], /no metrics/],
    ['too many metrics', Array.from({ length: 26 }, () => ok), /at most 25 metrics/],
    ['a metric that is not an object', [ok, null], /metrics\[1\] must be an object/],
    ['an unknown metric name', [vital('FID', 12)], /metrics\[0\]\.name must be one of LCP, INP, CLS, FCP, TTFB/],
    ['a missing name', [{ value: 12 }], /metrics\[0\]\.name/],
    ['a negative value', [vital('LCP', -1)], /metrics\[0\]\.value must be a number from 0 to 120000 for LCP/],
    ['a value as a string', [{ ...ok, value: '1200' }], /metrics\[0\]\.value/],
    ['a missing value', [{ name: 'FCP' }], /metrics\[0\]\.value/],
    ['an infinite value', '[{"name":"TTFB","value":1e999}]', /metrics\[0\]\.value/],
    ['a time past two minutes', [ok, vital('INP', 120_001)], /metrics\[1\]\.value must be a number from 0 to 120000 for INP/],
    ['a CLS above 10', [vital('CLS', 10.5)], /metrics\[0\]\.value must be a number from 0 to 10 for CLS/],
    ['an unknown rating', [vital('LCP', 800, { rating: 'great' })], /rating must be "good", "needs-improvement" or "poor"/],
    ['a delta out of range', [vital('LCP', 800, { delta: 1e9 })], /delta/],
    ['an id that is too long', [vital('LCP', 800, { id: 'x'.repeat(129) })], /id must be a string of at most 128/],
    ['a navigation type that is not a string', [vital('LCP', 800, { navigationType: 3 })], /navigationType/],
    ['a page that is not a path or URL', { page: 'javascript:alert(1)', metrics: [ok] }, /"page" must be a path/],
    ['a page that is not a string', { page: ['/contacts'], metrics: [ok] }, /"page" must be a path/],
    ['a page too long', { page: `/${'a'.repeat(2048)}`, metrics: [ok] }, /"page" must be a path/],
  ];

  it.each(cases)('refuses %s with 400 BAD_REQUEST, observing nothing', async (_what, body, message) => {
    const [observed, invalid] = [await observations(server), await reports(server, 'invalid')];
    const reply = await post(server, body);
    expectCoded(reply, 400, 'BAD_REQUEST', { bare: true, message });
    expect(await observations(server)).toBe(observed);
    expect(await reports(server, 'invalid')).toBe(invalid + 1);
  });

  it('refuses a body over 16 KB with 413 before parsing it', async () => {
    const [observed, tooLarge] = [await observations(server), await reports(server, 'too_large')];
    const padded = JSON.stringify({ page: '/contacts', metrics: [vital('LCP', 1000, { id: 'x'.repeat(17 * 1024) })] });
    const { message } = expectCoded(await post(server, padded), 413, 'PAYLOAD_TOO_LARGE', { bare: true });
    expect(message).toMatch(/at most 16384 bytes/);
    expect(await observations(server)).toBe(observed);
    expect(await reports(server, 'too_large')).toBe(tooLarge + 1);
  });

  it('refuses a content type other than JSON or text with 415', async () => {
    const before = await reports(server, 'unsupported_type');
    const reply = await post(server, 'metrics=LCP', { 'content-type': 'application/x-www-form-urlencoded' });
    expectCoded(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', { bare: true });
    expect(await reports(server, 'unsupported_type')).toBe(before + 1);
  });

  it('answers other methods with 405 and says which are allowed', async () => {
    const response = await server.request('/rum');
    const reply = { status: response.status, headers: response.headers, text: await response.text() };
    expectCoded(reply, 405, 'METHOD_NOT_ALLOWED', { bare: true });
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('goes on answering after every refusal', async () => {
    expect((await post(server, [vital('FCP', 1200)])).status).toBe(204);
    expect((await server.request('/healthz')).status).toBe(200);
  });
});

describe('CORS', () => {
  it('answers the preflight of an allowed origin', async () => {
    const response = await server.request('/rum', {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/\bcontent-type\b/i);
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('accepts a batch from an allowed origin, with the header the browser needs to read the answer', async () => {
    const reply = await post(server, [vital('LCP', 1500)], { origin: ALLOWED, 'sec-fetch-site': 'cross-site' });
    expect(reply.status, reply.text).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('refuses the preflight and the batch of an origin that is not allowed', async () => {
    const preflight = await server.request('/rum', { method: 'OPTIONS', headers: { origin: DISALLOWED, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    await preflight.text();

    const [observed, refused] = [await observations(server), await reports(server, 'origin_refused')];
    const reply = await post(server, [vital('LCP', 1500)], { origin: DISALLOWED, 'sec-fetch-site': 'cross-site' });
    expectCoded(reply, 403, 'FORBIDDEN', { bare: true });
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    expect(await observations(server)).toBe(observed);
    expect(await reports(server, 'origin_refused')).toBe(refused + 1);
  });

  it('reads RUM_ALLOWED_ORIGINS as origins, and stops the start on anything else, naming the variable', () => {
    expect(loadConfig({}).rumAllowedOrigins).toEqual([]);
    expect(loadConfig({ RUM_ALLOWED_ORIGINS: ' https://App.Example.com/ , http://localhost:5173' }).rumAllowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(loadConfig({ RUM_ALLOWED_ORIGINS: '*' }).rumAllowedOrigins).toEqual(['*']);
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'ftp://files.example.com']) {
      expect(() => loadConfig({ RUM_ALLOWED_ORIGINS: bad }), bad).toThrow(/RUM_ALLOWED_ORIGINS/);
    }
  });

  it('does not take a forged Host or Sec-Fetch-Site for same-origin', async () => {
    const foreign = 'https://evil.example';
    const forgeries: Array<Record<string, string>> = [{ host: 'evil.example' }, { 'sec-fetch-site': 'same-origin' }, { host: 'evil.example', 'sec-fetch-site': 'same-origin' }];
    for (const forged of forgeries) {
      const reply = await postWithHeaders(capped, [vital('LCP', 1500)], { origin: foreign, ...forged });
      expectCoded(reply, 403, 'FORBIDDEN', { bare: true });
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('takes PUBLIC_ORIGIN, when set, as the only same origin', async () => {
    const own = await post(behindProxy, [vital('LCP', 1500)], { origin: 'https://cardfile.example.com' });
    expect(own.status, own.text).toBe(204);
    expect(own.headers.get('access-control-allow-origin')).toBeNull();
    // The address it listens on is not how browsers reach it behind the proxy.
    expectCoded(await post(behindProxy, [vital('LCP', 1500)], { origin: behindProxy.url }), 403, 'FORBIDDEN', { bare: true });
  });

  it('derives the same origins from HOST and PORT when PUBLIC_ORIGIN is unset, and reads it as an origin', () => {
    expect(publicOriginsOf(undefined, '127.0.0.1', 4000)).toEqual(['http://localhost:4000', 'http://127.0.0.1:4000', 'http://[::1]:4000']);
    expect(publicOriginsOf(undefined, '0.0.0.0', 80)).toEqual(['http://localhost', 'http://127.0.0.1', 'http://[::1]']);
    expect(publicOriginsOf(undefined, 'cards.internal', 4000)).toEqual(['http://cards.internal:4000']);
    expect(publicOriginsOf(undefined, 'fd00::1', 4000)).toEqual(['http://[fd00::1]:4000']);
    expect(publicOriginsOf('https://cardfile.example.com', '0.0.0.0', 4000)).toEqual(['https://cardfile.example.com']);
    expect(loadConfig({ PUBLIC_ORIGIN: 'https://Cardfile.Example.com:443/' }).publicOrigin).toBe('https://cardfile.example.com');
    expect(loadConfig({}).publicOrigin).toBeUndefined();
    for (const bad of ['cardfile.example.com', 'https://cardfile.example.com/app', '*']) {
      expect(() => loadConfig({ PUBLIC_ORIGIN: bad }), bad).toThrow(/PUBLIC_ORIGIN/);
    }
  });

  it('lets the origins CORS_ORIGINS lists report too', async () => {
    const reply = await post(apiOrigins, [vital('LCP', 1500)], { origin: ALLOWED });
    expect(reply.status, reply.text).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expectCoded(await post(apiOrigins, [vital('LCP', 1500)], { origin: DISALLOWED }), 403, 'FORBIDDEN', { bare: true });
  });

  it('accepts same-origin pages without any configuration', async () => {
    // `capped` allows no other origin; a page it served itself still reports.
    const sameOrigin = await post(capped, [vital('LCP', 1500)], { origin: capped.url, 'sec-fetch-site': 'same-origin' });
    expect(sameOrigin.status, sameOrigin.text).toBe(204);
    const byHost = await post(capped, [vital('LCP', 1500)], { origin: capped.url });
    expect(byHost.status, byHost.text).toBe(204);
    expectCoded(await post(capped, [vital('LCP', 1500)], { origin: ALLOWED }), 403, 'FORBIDDEN', { bare: true });
  });
});

describe('rate limits', () => {
  const batch = [vital('TTFB', 120)];
  const from = (address: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...headers });

  it('refuse with 429 and Retry-After past the burst, per origin, until the bucket refills', async () => {
    const before = await reports(limited, 'rate_limited');
    // Three visitors of one site (here: pages that send no Origin) share its bucket.
    expect((await post(limited, batch, from('198.51.100.1'))).status).toBe(204);
    expect((await post(limited, batch, from('198.51.100.2'))).status).toBe(204);
    const refused = await post(limited, batch, from('198.51.100.3'));
    expectCoded(refused, 429, 'RATE_LIMITED', { bare: true });
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await reports(limited, 'rate_limited')).toBe(before + 1);

    // Another origin has a bucket of its own.
    expect((await post(limited, batch, from('198.51.100.4', { origin: ALLOWED }))).status).toBe(204);

    clock += 1000;
    expect((await post(limited, batch, from('198.51.100.5'))).status).toBe(204);
    expectCoded(await post(limited, batch, from('198.51.100.6')), 429, 'RATE_LIMITED', { bare: true });
  });

  it('limit one client address however many origins it names', async () => {
    const before = await reports(untrusting, 'rate_limited');
    // A new Origin (all allowed: `*`) and a new X-Forwarded-For on every request, from one socket
    // address that no trusted proxy stands in front of.
    const spoofed = (n: number) => ({ origin: `https://site-${n}.example`, 'x-forwarded-for': `203.0.113.${n}` });
    expect((await post(untrusting, batch, spoofed(1))).status).toBe(204);
    expect((await post(untrusting, batch, spoofed(2))).status).toBe(204);
    for (let n = 3; n < 8; n++) {
      const refused = await post(untrusting, batch, spoofed(n));
      expectCoded(refused, 429, 'RATE_LIMITED', { bare: true });
      expect(refused.headers.get('retry-after')).toBe('1');
    }
    expect(await reports(untrusting, 'rate_limited')).toBe(before + 5);
  });

  it('count clients behind a trusted proxy by the address the proxy names', async () => {
    const origins = (n: number) => ({ origin: `https://tenant-${n}.example` });
    expect((await post(limited, batch, from('192.0.2.10', origins(1)))).status).toBe(204);
    expect((await post(limited, batch, from('192.0.2.10', origins(2)))).status).toBe(204);
    expectCoded(await post(limited, batch, from('192.0.2.10', origins(3))), 429, 'RATE_LIMITED', { bare: true });
    // Another client behind the same proxy is not held back by the first.
    expect((await post(limited, batch, from('192.0.2.11', origins(4)))).status).toBe(204);
  });

  it('keep their buckets within a byte budget, however many keys a flood brings', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxBytes: 20_000, maxKeyLength: 64, now: () => 0 });
    for (let n = 0; n < 5_000; n++) expect(limiter.take(`https://site-${n}.example/${'x'.repeat(500)}`)).toBe(0);
    expect(limiter.bytes).toBeGreaterThan(0);
    expect(limiter.bytes).toBeLessThanOrEqual(20_000);
    // Keys are cut to 64 characters: two that differ only past that share one bucket.
    const long = `https://same.example/${'y'.repeat(100)}`;
    expect(limiter.take(`${long}-a`)).toBe(0);
    expect(limiter.take(`${long}-b`)).toBe(1);
  });
});

describe('route labels', () => {
  it('normalize pages into routes', () => {
    const cases: Array<[string, string | undefined]> = [
      ['/', '/'],
      ['/contacts?search=ann#top', '/contacts'],
      ['/contacts/', '/contacts'],
      ['//contacts//12//notes', undefined],
      ['/contacts//12//notes', '/contacts/:id/notes'],
      ['https://app.example.com/contacts/12/notes?x=1', '/contacts/:id/notes'],
      ['/contacts/550e8400-e29b-41d4-a716-446655440000', '/contacts/:id'],
      ['/contacts/Q29udGFjdDoxMg', '/contacts/:id'],
      ['/tags/VGFnOjE', '/tags/:id'],
      ['/files/9f86d081884c7d65', '/files/:id'],
      ['/invite/a1b2c3d4e5f6g7h8', '/invite/:id'],
      ['/people/ann%20smith', '/people/:id'],
      ['/people/ann@example.com', '/people/:id'],
      ['/blog/top-10-tips', '/blog/top-10-tips'],
      ['/settings/billing', '/settings/billing'],
      ['/a/../contacts/./12', '/contacts/:id'],
      ['contacts/12', undefined],
      ['ftp://example.com/x', undefined],
      ['javascript:alert(1)', undefined],
    ];
    for (const [page, route] of cases) expect(normalizeRoute(page), page).toBe(route);
    const long = normalizeRoute(`/${Array.from({ length: 30 }, (_, index) => `section${'abcdefghij'[index % 10]}`).join('/')}`)!;
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long.endsWith('/...')).toBe(true);
  });

  it('give the first RUM_MAX_ROUTES distinct routes their own label and count the rest as `other`', async () => {
    const count = (route: string) => counter(capped, 'cardfile_rum_fcp_seconds_count', { route });
    for (const page of ['/contacts?page=2', '/companies/42', '/tags', '/settings']) {
      expect((await post(capped, { page, metrics: [vital('FCP', 800)] })).status).toBe(204);
    }
    // An id does not make a new route, and a known route keeps its label once the cap is reached.
    expect((await post(capped, { page: '/companies/77', metrics: [vital('FCP', 800)] })).status).toBe(204);
    expect((await post(capped, { page: '/contacts', metrics: [vital('FCP', 800)] })).status).toBe(204);
    expect(await count('/contacts')).toBe(2);
    expect(await count('/companies/:id')).toBe(2);
    expect(await count('other')).toBe(2);
    const text = await (await capped.request('/metrics')).text();
    expect(text).not.toMatch(/route="\/tags"/);
    expect(text).not.toMatch(/route="\/settings"/);
  });
});
