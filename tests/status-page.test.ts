// GET /status and /status.json: the figures follow real traffic (request counts, cache outcomes
// as the x-cache headers told the clients, errors), the page draws them live in a real browser
// under its own strict Content-Security-Policy, and nothing on either names a workspace.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusSnapshot } from '../src/observability/status-sampler.js';
import { LatencyReservoir } from '../src/observability/latency-reservoir.js';
import { launchChromium } from './helpers/chromium.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

/** What the in-page check below reads of the DOM. */
interface PageGlobals {
  document: { getElementById(id: string): { getAttribute(name: string): string | null } | null };
}

const PAGE_QUERY = '{ contacts(first: 5) { totalCount edges { node { firstName lastName } } } }';

let server: TestServer;
let acme: Workspace;

beforeAll(async () => {
  server = await startTestServer();
  acme = await createWorkspace(server.db, 'acme', 30);
  await server.app.warmed;
});
afterAll(() => server?.close());

async function status(): Promise<StatusSnapshot> {
  const response = await server.request('/status.json');
  expect(response.status).toBe(200);
  return (await response.json()) as StatusSnapshot;
}

/** Waits for the sampler's next point, so that everything answered before the call is in the totals. */
async function nextSample(): Promise<StatusSnapshot> {
  const before = (await status()).latest?.at ?? 0;
  let snapshot!: StatusSnapshot;
  await vi.waitFor(
    async () => {
      snapshot = await status();
      expect(snapshot.latest?.at ?? 0).toBeGreaterThan(before);
    },
    { timeout: 10_000, interval: 100 },
  );
  return snapshot;
}

describe('GET /status.json', () => {
  it('moves with traffic: throughput, cache outcome per tier as x-cache said, errors', async () => {
    const base = await nextSample();
    const seen = new Map<string, number>();
    const count = (response: { headers: Headers }) => {
      const outcome = response.headers.get('x-cache');
      if (outcome) seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    };

    // One miss, then hits of the same page; a view of a contact that does not exist (a 200
    // carrying an error, bypassing the cache); two documents that do not parse (400).
    for (let i = 0; i < 20; i++) {
      const response = await server.graphql(PAGE_QUERY, {}, acme.reader);
      expect(response.body.errors).toBeUndefined();
      count(response);
    }
    const failed = await server.graphql('mutation { recordContactView(input: { contactId: "no-such-contact" }) { contactId } }', {}, acme.reader);
    expect(failed.status).toBe(200);
    expect(failed.body.errors?.length).toBe(1);
    count(failed);
    for (let i = 0; i < 2; i++) {
      const broken = await server.graphql('{ contacts(first: ', {}, acme.reader);
      expect(broken.status).toBe(400);
      count(broken);
    }
    const sent = 23;
    expect(seen.get('miss')).toBe(1);
    expect((seen.get('hit-l1') ?? 0) + (seen.get('hit-l2') ?? 0)).toBe(19);

    // Polled until the sampler has taken all of them in (a request is counted as it ends).
    let after!: StatusSnapshot;
    await vi.waitFor(
      async () => {
        after = await status();
        expect(after.totals.requests - base.totals.requests).toBe(sent);
        const outcomes = Object.values(after.totals.outcomes).reduce((sum, n) => sum + n, 0);
        const before = Object.values(base.totals.outcomes).reduce((sum, n) => sum + n, 0);
        expect(outcomes - before).toBe([...seen.values()].reduce((sum, n) => sum + n, 0));
      },
      { timeout: 10_000, interval: 100 },
    );

    // Each tier's count is what the clients saw in x-cache.
    for (const [tier, total] of Object.entries(after.totals.outcomes)) {
      expect(total - base.totals.outcomes[tier as keyof typeof base.totals.outcomes], tier).toBe(seen.get(tier) ?? 0);
    }
    expect(after.totals.errors.server - base.totals.errors.server).toBe(0);
    expect(after.totals.errors.client - base.totals.errors.client).toBe(2);
    expect(after.totals.errors.partial - base.totals.errors.partial).toBe(1);

    // The points since the baseline hold the same traffic, with throughput and latency figures,
    // and each point's hit rates are its own counts' shares.
    const { series } = after;
    const fresh = series.at.map((at, index) => index).filter((index) => series.at[index]! > base.latest!.at);
    expect(fresh.reduce((sum, index) => sum + series.requests[index]!, 0)).toBe(sent);
    expect(Math.max(...fresh.map((index) => series.throughput[index]!))).toBeGreaterThan(0);
    for (const index of fresh) {
      if (series.requests[index]! > 0) {
        expect(series.p50Ms[index]).toBeGreaterThan(0);
        expect(series.p99Ms[index]!).toBeGreaterThanOrEqual(series.p50Ms[index]!);
        expect(series.errorRate[index]).not.toBeNull();
      }
      const outcomes = Object.values(series.outcomes).reduce((sum, counts) => sum + counts[index]!, 0);
      for (const [tier, counts] of Object.entries(series.outcomes)) {
        const rate = series.hitRate[tier as keyof typeof series.hitRate][index];
        if (outcomes === 0) expect(rate).toBeNull();
        else expect(rate).toBeCloseTo(counts[index]! / outcomes, 3);
      }
    }
    for (const [tier, counts] of Object.entries(series.outcomes)) {
      expect(fresh.reduce((sum, index) => sum + counts[index]!, 0), tier).toBe(seen.get(tier) ?? 0);
    }
  });

  it('is never cached, names no workspace and answers GET only', async () => {
    const response = await server.request('/status.json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await response.text();
    expect(text).not.toContain('acme');
    expect(text).not.toContain(acme.reader);
    expect((await server.request('/status.json', { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await server.request('/status', { method: 'POST', body: '' })).status).toBe(405);
  });

  it('is not served under STATUS_PAGE=false', async () => {
    const off = await startTestServer({ STATUS_PAGE: 'false' }, { database: server.database });
    try {
      expect((await off.request('/status')).status).toBe(404);
      expect((await off.request('/status.json')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('latency percentiles', () => {
  it('are exact up to the capacity and drawn from a fair sample past it', () => {
    const reservoir = new LatencyReservoir(1000);
    for (let ms = 1; ms <= 100; ms++) reservoir.add(ms / 1000);
    expect(reservoir.drain([0.5, 0.99])).toEqual([50, 99]);
    expect(reservoir.drain([0.5])).toEqual([null]);
    // 100,000 durations, uniform over 0..100 ms, in 1,000 slots.
    for (let i = 0; i < 100_000; i++) reservoir.add((i % 100_000) / 1_000_000);
    const [p50, p99] = reservoir.drain([0.5, 0.99]) as number[];
    expect(p50).toBeGreaterThan(40);
    expect(p50).toBeLessThan(60);
    expect(p99).toBeGreaterThan(95);
  });
});

describe('GET /status in a browser', () => {
  it('shows live throughput and draws its sparklines, with no console errors and nothing fetched elsewhere', async () => {
    const page = await server.request('/status');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);

    const chromium = await launchChromium();
    let traffic = true;
    let load: Promise<void> = Promise.resolve();
    try {
      const tab = chromium.context.pages()[0] ?? (await chromium.context.newPage());
      const problems: string[] = [];
      const requested: string[] = [];
      tab.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
      });
      tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      chromium.context.on('request', (request) => requested.push(request.url()));

      const response = await tab.goto(`${server.url}/status`);
      expect(response?.status()).toBe(200);

      // Traffic until the page shows it: the same page query over and over (mostly cache hits).
      load = (async () => {
        while (traffic) await server.graphql(PAGE_QUERY, {}, acme.reader);
      })();
      await tab.waitForFunction(
        () => {
          // Runs in the page; the tests are type-checked without the DOM library.
          const { document } = globalThis as unknown as PageGlobals;
          const value = Number(document.getElementById('throughput')?.getAttribute('data-value'));
          const line = document.getElementById('spark-throughput');
          const tier = document.getElementById('tier-hit-l1') ?? document.getElementById('tier-hit-l2');
          return value > 0 && Number(line?.getAttribute('data-points')) >= 2 && Number(tier?.getAttribute('data-value')) > 0;
        },
        undefined,
        { timeout: 20_000, polling: 100 },
      );
      traffic = false;
      await load;

      expect(Number(await tab.locator('#throughput').textContent())).toBeGreaterThan(0);
      const line = (await tab.locator('#spark-throughput').getAttribute('d')) ?? '';
      expect(line).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+/);
      expect(await tab.locator('#p99').textContent()).toMatch(/^\d+(\.\d+)?$/);
      await expect.poll(() => tab.locator('#state').textContent()).toMatch(/^updated /);

      expect(problems).toEqual([]);
      const origin = new URL(server.url).origin;
      const elsewhere = requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
      expect(elsewhere).toEqual([]);
      expect(requested.some((url) => url.endsWith('/status.json'))).toBe(true);
    } finally {
      traffic = false;
      await load;
      await chromium.close();
    }
  });
});
