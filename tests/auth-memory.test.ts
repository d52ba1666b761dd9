// What a flood of made-up credentials and addresses costs a process: the memos of token checks and
// rate limits are bounded in bytes (cardfile_memo_bytes), keys are built from the parsed token and
// a verified address only, and a header that holds no acceptable token is kept nowhere. Once
// 10,000 anonymous requests with distinct 15 KB Authorization headers kept 140 MB for good.
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSISTED_QUERIES_MAX_BYTES } from '../src/cache/persisted-queries.js';
import { DOCUMENT_FACTS_MAX_BYTES } from '../src/graphql/document-facts.js';
import { REQUEST_MEMO_MAX_BYTES } from '../src/http/request-memo.js';
import { TOKEN_CHECKS_MAX_BYTES } from '../src/auth/viewer.js';
import { RATE_COUNTS_MAX_BYTES, SHARED_COUNTS_MAX_BYTES } from '../src/limits/request-rate-limits.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
/**
 * Enough to show what is kept (30 MB of headers; more tokens than the token-key memo holds)
 * while the suite stays quick: the finding took 10,000, and nothing here depends on the number.
 */
const FLOODED = 2_000;
const TOKENS = 1_500;

beforeAll(async () => {
  // Limits high enough never to refuse: the point is what counting costs, not the refusals.
  server = await startTestServer({ RATE_LIMIT_PER_TOKEN: '1000000', RATE_LIMIT_PER_IP: '1000000', TRUST_PROXY: 'true', WARM_WORKSPACES: '0' });
});
afterAll(() => server?.close());

const budgets: Record<string, number> = {
  'parsed-requests': REQUEST_MEMO_MAX_BYTES,
  'document-facts': DOCUMENT_FACTS_MAX_BYTES,
  'persisted-queries': PERSISTED_QUERIES_MAX_BYTES,
  'token-checks': TOKEN_CHECKS_MAX_BYTES,
  'rate-limit-counts': RATE_COUNTS_MAX_BYTES,
  'rate-limit-shared-counts': SHARED_COUNTS_MAX_BYTES,
};

async function memoBytes(): Promise<Record<string, number>> {
  const text = await (await server.request('/metrics')).text();
  const bytes: Record<string, number> = {};
  for (const match of text.matchAll(/^cardfile_memo_bytes\{memo="([^"]+)"\} (\d+)$/gm)) bytes[match[1]!] = Number(match[2]);
  expect(Object.keys(bytes).sort()).toEqual(Object.keys(budgets).sort());
  return bytes;
}

function expectWithinBudgets(bytes: Record<string, number>) {
  for (const [memo, value] of Object.entries(bytes)) expect(value, memo).toBeLessThanOrEqual(budgets[memo]!);
}

/** Sends `count` requests built by `headersOf`, `parallel` at a time; every answer must be a 401. */
async function flood(count: number, headersOf: (i: number) => Record<string, string>, parallel = 8) {
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const response = await server.request('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headersOf(i) },
          body: '{"query":"{ viewer { role } }"}',
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  expect(Object.fromEntries(statuses)).toEqual({ 401: count });
}

/** The heap's live bytes after full collections (the flag is set at run time: vitest's workers start without it). */
function liveHeapBytes(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('a flood of made-up credentials', () => {
  it(`keeps nothing of ${FLOODED.toLocaleString("en")} distinct 15 KB Authorization headers: no memo grows, nor the heap`, { timeout: 300_000 }, async () => {
    const before = liveHeapBytes();
    const spaces = ' '.repeat(15_000);
    await flood(FLOODED, (i) => ({
      authorization: `Bearer${spaces}${i}`,
      // Not an address: the peer is counted instead, under the one key it always has.
      'x-forwarded-for': `client-${i}-${'z'.repeat(400)}`,
    }));
    const bytes = await memoBytes();
    expectWithinBudgets(bytes);
    expect(bytes['token-checks']).toBe(0);
    // The peer's address, one key (in the shared estimates too when Redis counts).
    expect(bytes['rate-limit-counts']).toBeLessThan(1_000);
    expect(bytes['rate-limit-shared-counts']).toBeLessThan(1_000);
    // 30 MB of headers: a memo keyed by the header would hold them all.
    expect(liveHeapBytes() - before).toBeLessThan(10_000_000);
  });

  it('keeps distinct well-formed tokens and forwarded addresses within the byte budgets, evicting past them', { timeout: 300_000 }, async () => {
    await flood(TOKENS, (i) => ({
      authorization: `Bearer cf_${randomBytes(32).toString('base64url')}`,
      'x-forwarded-for': `198.51.100.7, 2001:db8::${(i + 1).toString(16)}`,
    }));
    const bytes = await memoBytes();
    expectWithinBudgets(bytes);
    // Unknown tokens are remembered as unknown (each one was looked up once), within the budget.
    expect(bytes['token-checks']).toBeGreaterThan(0);
    // A token and an address per request, each a key of bounded length.
    expect(bytes['rate-limit-counts']).toBeGreaterThan(2 * TOKENS * 200);
  });
});
