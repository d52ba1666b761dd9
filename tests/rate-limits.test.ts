// Request rate limits against the real server: per token and per client address, 429 with
// RATE_LIMITED and Retry-After, cache hits counted too; shared between instances through Redis
// when REDIS_URL is set, counted in process when it is not or when Redis cannot be reached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src/auth/tokens.js';
import { createWorkspace, onRedis, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { expectCoded, expectOk } from './helpers/expect-answer.js';
import { freePort } from './helpers/free-port.js';
import { waitFor } from './helpers/wait-for.js';

const QUERY = '{ contacts(first: 2) { totalCount edges { node { id } } } }';
const WINDOW_MS = 60_000;
/** Longest a short window may take to end and let a refused client in again. */
const REOPEN_WITHIN_MS = 10_000;

let base: TestServer;
let workspace: Workspace;

beforeAll(async () => {
  base = await startTestServer();
  workspace = await createWorkspace(base.db, 'rates', 3);
});
afterAll(() => base?.close());

interface Answer {
  status: number;
  retryAfter: string | null;
  cache: string | null;
  body: any;
}

async function send(server: TestServer, token: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await server.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query: QUERY }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), cache: response.headers.get('x-cache'), body: await response.json() };
}

function expectPassed(answer: Answer) {
  expect(expectOk(answer).contacts.totalCount).toBe(3);
}

/** Refused with no number in the message to probe with, and told when to come back. */
function expectLimited(answer: Answer, windowMs = WINDOW_MS) {
  expectCoded(answer, 429, 'RATE_LIMITED', { message: /^\D*$/ });
  expect(answer.retryAfter).toMatch(/^\d+$/);
  const seconds = Number(answer.retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(Math.ceil(windowMs / 1000));
}

/** Starts a server over the same database, with these limits. */
const withLimits = (env: Record<string, string>) => startTestServer({ RATE_LIMIT_WINDOW_MS: String(WINDOW_MS), ...env }, { database: base.database });

const closedPort = freePort;

describe('per token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withLimits({ RATE_LIMIT_PER_TOKEN: '4', RATE_LIMIT_PER_IP: '0' });
  });
  afterAll(() => server?.close());

  it('refuses the request over the limit with 429, RATE_LIMITED and Retry-After, cache hits included', async () => {
    const token = await issueToken(base.db, workspace.name, 'reader');
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await send(server, token));
    for (const answer of answers) expectPassed(answer);
    // Some of those were answered from the cache, and counted all the same.
    expect(answers.some((answer) => answer.cache?.startsWith('hit'))).toBe(true);
    expectLimited(await send(server, token));
    expectLimited(await send(server, token));
    // Another token of the same workspace has a count of its own.
    expectPassed(await send(server, await issueToken(base.db, workspace.name, 'reader')));
  });
});

describe('per token, however the header spells it', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withLimits({ RATE_LIMIT_PER_TOKEN: '4', RATE_LIMIT_PER_IP: '0' });
  });
  afterAll(() => server?.close());

  const sendAs = async (authorization: string) => {
    const response = await server.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: QUERY }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), cache: response.headers.get('x-cache'), body: await response.json() } as Answer;
  };

  it('counts every accepted spelling of one token against the same limit', async () => {
    const token = await issueToken(base.db, workspace.name, 'reader');
    for (const authorization of [`bearer ${token}`, `BEARER ${token}`, `Bearer     ${token}`, `bEaReR  ${token}`]) expectPassed(await sendAs(authorization));
    expectLimited(await sendAs(`Bearer ${token}`));
    expectLimited(await sendAs(`bearer      ${token}`));
  });

  it('refuses spellings it does not accept with 401 before they can start a count of their own', async () => {
    const token = await issueToken(base.db, workspace.name, 'reader');
    for (let i = 0; i < 4; i += 1) expectPassed(await send(server, token));
    for (const authorization of [`Bearer\t${token}`, `Bearer ${' '.repeat(12_000)}${token}`, `Bearer  \t${token}`]) {
      const answer = await sendAs(authorization);
      expect(answer.status).toBe(401);
      expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expectLimited(await send(server, token));
  });
});

describe('per client address', () => {
  let server: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    server = await withLimits({ RATE_LIMIT_PER_TOKEN: '0', RATE_LIMIT_PER_IP: '3' });
    proxied = await withLimits({ RATE_LIMIT_PER_TOKEN: '0', RATE_LIMIT_PER_IP: '3', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await server?.close();
    await proxied?.close();
  });

  it('counts every request from an address, whatever its token, and ignores X-Forwarded-For unless told to trust it', async () => {
    const tokens = await Promise.all([0, 1, 2, 3].map(() => issueToken(base.db, workspace.name, 'reader')));
    for (let i = 0; i < 3; i += 1) expectPassed(await send(server, tokens[i], { 'x-forwarded-for': `198.51.100.${i}` }));
    expectLimited(await send(server, tokens[3], { 'x-forwarded-for': '198.51.100.99' }));
    // Requests without a token count against the address too.
    expectLimited(await send(server, undefined));
  });

  it('with TRUST_PROXY, counts the address the proxy saw', async () => {
    const token = await issueToken(base.db, workspace.name, 'reader');
    // A client-written entry left of the proxy's changes nothing: the rightmost entry counts.
    for (let i = 0; i < 3; i += 1) expectPassed(await send(proxied, token, { 'x-forwarded-for': `10.0.0.${i}, 203.0.113.7` }));
    expectLimited(await send(proxied, token, { 'x-forwarded-for': '10.9.9.9, 203.0.113.7' }));
    expectPassed(await send(proxied, token, { 'x-forwarded-for': '203.0.113.8' }));
  });
});

describe('across instances', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await withLimits({ RATE_LIMIT_PER_TOKEN: '4', RATE_LIMIT_PER_IP: '0' });
    second = await withLimits({ RATE_LIMIT_PER_TOKEN: '4', RATE_LIMIT_PER_IP: '0' });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  if (onRedis) {
    it('shares one count through Redis, in keys under the namespace that expire', async () => {
      const token = await issueToken(base.db, workspace.name, 'reader');
      for (const server of [first, second, first, second]) expectPassed(await send(server, token));
      expectLimited(await send(first, token));
      expectLimited(await send(second, token));

      const { createClient } = await import('@redis/client');
      const redis = createClient({ url: process.env.REDIS_URL });
      await redis.connect();
      try {
        const keys = await redis.keys(`${base.database.namespace}:rl:t:*`);
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) {
          const ttl = await redis.pTTL(key);
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
        }
      } finally {
        await redis.close();
      }
    });
  } else {
    it('counts in each process without Redis', async () => {
      const token = await issueToken(base.db, workspace.name, 'reader');
      for (let i = 0; i < 4; i += 1) expectPassed(await send(first, token));
      expectLimited(await send(first, token));
      for (let i = 0; i < 4; i += 1) expectPassed(await send(second, token));
      expectLimited(await send(second, token));
    });
  }
});

describe('without a working Redis', () => {
  it('limits in process when REDIS_URL is unset', async () => {
    const server = await withLimits({ REDIS_URL: '', RATE_LIMIT_PER_TOKEN: '3', RATE_LIMIT_PER_IP: '0' });
    try {
      const token = await issueToken(base.db, workspace.name, 'reader');
      for (let i = 0; i < 3; i += 1) expectPassed(await send(server, token));
      expectLimited(await send(server, token));
    } finally {
      await server.close();
    }
  });

  it('never fails a request when Redis is unreachable, and still limits in process', async () => {
    const server = await withLimits({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, RATE_LIMIT_PER_TOKEN: '3', RATE_LIMIT_PER_IP: '5' });
    try {
      const token = await issueToken(base.db, workspace.name, 'reader');
      for (let i = 0; i < 3; i += 1) expectPassed(await send(server, token));
      expectLimited(await send(server, token));
      expectPassed(await send(server, await issueToken(base.db, workspace.name, 'reader')));
      expectLimited(await send(server, await issueToken(base.db, workspace.name, 'reader')));
    } finally {
      await server.close();
    }
  });
});

describe('windows', () => {
  it('lets a refused client in again once its window ends', async () => {
    const windowMs = 1_000;
    const server = await startTestServer({ RATE_LIMIT_WINDOW_MS: String(windowMs), RATE_LIMIT_PER_TOKEN: '2', RATE_LIMIT_PER_IP: '0' }, { database: base.database });
    try {
      const token = await issueToken(base.db, workspace.name, 'reader');
      // Counted from the first request of a window: polled, since the window may turn at any moment.
      const deadline = Date.now() + REOPEN_WITHIN_MS;
      const refused = await waitFor('a refusal', () => send(server, token), (answer) => answer.status !== 200, REOPEN_WITHIN_MS);
      expectLimited(refused, windowMs);
      const reopened = await waitFor('the window to end', () => send(server, token), (answer) => answer.status !== 429, deadline - Date.now());
      expectPassed(reopened);
    } finally {
      await server.close();
    }
  });

  it('is off at 0', async () => {
    const server = await withLimits({ RATE_LIMIT_PER_TOKEN: '0', RATE_LIMIT_PER_IP: '0' });
    try {
      const token = await issueToken(base.db, workspace.name, 'reader');
      for (let i = 0; i < 30; i += 1) expectPassed(await send(server, token));
    } finally {
      await server.close();
    }
  });
});

describe('counting in Redis without waiting for it', () => {
  it('answers requests well under the limit without waiting for Redis, and waits for its count only near the limit', async () => {
    const { startOwnRedis } = await import('./helpers/redis.js');
    const { relayTo } = await import('./helpers/redis-relay.js');
    const redis = await startOwnRedis();
    const relay = await relayTo(redis.port);
    const timeoutMs = 1_500;
    const server = await withLimits({
      REDIS_URL: relay.url,
      REDIS_COMMAND_TIMEOUT_MS: String(timeoutMs),
      RESPONSE_CACHE: 'false',
      RATE_LIMIT_PER_TOKEN: '10',
      RATE_LIMIT_PER_IP: '0',
    });
    const { createClient } = await import('@redis/client');
    const direct = createClient({ url: redis.url });
    await direct.connect();
    try {
      // Connected through the relay: a first request's count reaches Redis.
      expectPassed(await send(server, await issueToken(base.db, workspace.name, 'reader')));
      await waitFor('the first count to reach Redis', () => direct.keys('*:rl:t:*'), (keys) => keys.length > 0, 10_000);
      // Redis goes silent (the connection stays open, nothing comes back).
      relay.blackhole();
      const token = await issueToken(base.db, workspace.name, 'reader');
      // Up to 80% of the limit (8 of 10) nothing waits for Redis's answer.
      const started = performance.now();
      for (let i = 0; i < 8; i += 1) expectPassed(await send(server, token));
      expect(performance.now() - started).toBeLessThan(timeoutMs);
      // Past it the request is counted in Redis first: it waits out the silence, then is judged here.
      const near = performance.now();
      expectPassed(await send(server, token));
      expect(performance.now() - near).toBeGreaterThanOrEqual(timeoutMs - 100);
    } finally {
      // Let the server's connection go before closing it: a Redis that never answers would hold its QUIT.
      relay.refuse();
      await direct.close();
      await server.close();
      await relay.close();
      await redis.stop();
    }
  });
});
