// GET /metrics under load from scrapers: the text is rendered at most once per
// METRICS_MIN_INTERVAL_MS, and scrapes that come together or within that interval share one
// rendering (counted in cardfile_metrics_renders_total, never judged by timing); past
// METRICS_MAX_SCRAPES_PER_SECOND, scrapes wait their turn, so that clients looping on them cannot
// take the event loop from the API (each turn is counted). With METRICS_PORT
// the observability routes move to a listener of their own (the API's port answers 404 for them),
// which closes with the server, on close() and on SIGTERM.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScrapePacer, type ScrapeTurn } from '../src/http/scrape-pacer.js';
import { MetricsPage } from '../src/observability/metrics-page.js';
import { createScratchDatabase, onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { freePort } from './helpers/free-port.js';
import { metricValue } from './helpers/metrics.js';
import { startServerProcess } from './helpers/processes.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let database: TestDatabase;
const started: TestServer[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
});

async function start(env: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer({ WARM_WORKSPACES: '0', ...env }, { database });
  started.push(server);
  return server;
}

afterAll(async () => {
  for (const server of started) await server.close().catch(() => {});
  await database?.destroy();
});

const get = async (url: string, init: RequestInit = {}) => {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
};

describe('rendering /metrics', () => {
  it('once for many concurrent scrapes and for repeated ones within the interval', async () => {
    const server = await start({ METRICS_MIN_INTERVAL_MS: '60000' });
    const together = await Promise.all(Array.from({ length: 50 }, () => get(`${server.url}/metrics`)));
    const again = [];
    for (let i = 0; i < 10; i++) again.push(await get(`${server.url}/metrics`));
    for (const scrape of [...together, ...again]) {
      expect(scrape.status).toBe(200);
      expect(scrape.contentType).toMatch(/^text\/plain/);
      expect(scrape.text).toBe(together[0]!.text);
    }
    // The rendering counts itself: the one rendering there was.
    expect(metricValue(together[0]!.text, 'cardfile_metrics_renders_total')).toBe(1);
    expect(metricValue(together[0]!.text, 'cardfile_http_body_bytes_in_flight')).toBe(0);
  });

  it('shares a rendering under way, and renders anew once the interval has passed', async () => {
    const registry = new Registry();
    const renders = new Counter({ name: 'renders_total', help: 'renderings', registers: [registry] });
    let clock = 0;
    const page = new MetricsPage(registry, { minIntervalMs: 1_000, onRender: () => renders.inc(), now: () => clock });
    const texts = (await Promise.all(Array.from({ length: 20 }, () => page.current()))).map(String);
    expect(new Set(texts).size).toBe(1);
    expect(metricValue(texts[0]!, 'renders_total')).toBe(1);
    clock = 999;
    expect(metricValue(String(await page.current()), 'renders_total')).toBe(1);
    clock = 1_000;
    expect(metricValue(String(await page.current()), 'renders_total')).toBe(2);

    // With no interval, only scrapes that come while a rendering is under way share it.
    const eager = new MetricsPage(registry, { minIntervalMs: 0, onRender: () => renders.inc(), now: () => clock });
    const concurrent = (await Promise.all([eager.current(), eager.current(), eager.current()])).map(String);
    expect(new Set(concurrent).size).toBe(1);
    expect(metricValue(concurrent[0]!, 'renders_total')).toBe(3);
    expect(metricValue(String(await eager.current()), 'renders_total')).toBe(4);
  });
});

describe('pacing scrapes', () => {
  it('answers a burst at once, lets the rest wait their turn in order, and refuses past the waiting bound', async () => {
    vi.useFakeTimers();
    try {
      const pacer = new ScrapePacer({ perSecond: 2, maxWaiting: 3, now: () => performance.now() });
      const turns: Array<[number, ScrapeTurn]> = [];
      const scrapes = Array.from({ length: 6 }, (_, index) => pacer.turn().then((turn) => turns.push([index, turn])));
      await vi.advanceTimersByTimeAsync(0);
      expect(turns).toEqual([
        [0, 'at-once'],
        [1, 'at-once'],
        [5, 'refused'],
      ]);
      await vi.advanceTimersByTimeAsync(500);
      expect(turns.slice(3)).toEqual([[2, 'waited']]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(turns.slice(4)).toEqual([
        [3, 'waited'],
        [4, 'waited'],
      ]);
      await Promise.all(scrapes);
      // A waiting scrape is answered when the listener closes.
      pacer.turn();
      pacer.turn();
      const last = pacer.turn();
      pacer.stop();
      expect(await last).toBe('waited');
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds a flood of scrapes to METRICS_MAX_SCRAPES_PER_SECOND; every one is answered', async () => {
    // Every scrape renders afresh here, so the last one counts the turns of all before it.
    const server = await start({ METRICS_MAX_SCRAPES_PER_SECOND: '2' });
    const flood = await Promise.all(Array.from({ length: 8 }, () => get(`${server.url}/metrics`)));
    expect(flood.map((scrape) => scrape.status)).toEqual(Array(8).fill(200));
    expect((await get(`${server.url}/status.json`)).status).toBe(200);
    const page = (await get(`${server.url}/metrics`)).text;
    const turns = (outcome: ScrapeTurn) => metricValue(page, 'cardfile_metrics_scrapes_total', { outcome });
    expect(turns('at-once') + turns('waited')).toBe(10);
    expect(turns('waited')).toBeGreaterThan(0);
    expect(turns('refused')).toBe(0);
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics, /status and /status.json on a listener of its own; the API port answers 404 for them', async () => {
    const server = await start({ METRICS_PORT: '0' });
    const metricsUrl = server.app.metricsUrl!;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(server.url);

    const metrics = await get(`${metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# TYPE cardfile_http_request_duration_seconds histogram');
    expect((await get(`${metricsUrl}/status`)).contentType).toMatch(/^text\/html/);
    expect(JSON.parse((await get(`${metricsUrl}/status.json`)).text)).toHaveProperty('series');

    for (const pathname of ['/metrics', '/status', '/status.json']) {
      const moved = await get(`${server.url}${pathname}`);
      expect(moved.status, pathname).toBe(404);
      expect(JSON.parse(moved.text).errors[0].extensions.code).toBe('NOT_FOUND');
    }
    // The API stays where it was; this port serves nothing else.
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    expect((await get(`${metricsUrl}/graphql`)).status).toBe(404);
    expect((await get(`${metricsUrl}/healthz`)).status).toBe(404);
    expect((await get(`${metricsUrl}/metrics`, { method: 'POST', body: '{}' })).status).toBe(405);
    // Scrapes on it are counted as scrapes.
    const after = await get(`${metricsUrl}/metrics`);
    expect(metricValue(after.text, 'cardfile_http_request_duration_seconds_count', { route: 'metrics', status: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('is closed by close(), even with a scraper connection kept alive', async () => {
    const server = await start({ METRICS_PORT: '0' });
    const metricsUrl = server.app.metricsUrl!;
    // fetch keeps this connection open for the next scrape.
    expect((await get(`${metricsUrl}/metrics`)).status).toBe(200);
    started.splice(started.indexOf(server), 1);
    await server.close();
    expect(server.app.metricsHttp?.listening).toBe(false);
    await expect(fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(15_000) })).rejects.toThrow();
  });

  it('is closed when the process stops on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-metrics-port-'));
    const scratch = onPostgres ? await createScratchDatabase() : undefined;
    try {
      const metricsPort = await freePort();
      const running = await startServerProcess({
        DATA_DIR: dataDir,
        ...(scratch ? { DATABASE_URL: scratch.url } : {}),
        PORT: '0',
        METRICS_PORT: String(metricsPort),
        DEMO_CONTACTS: '0',
        SHUTDOWN_DRAIN_MS: '0',
      });
      const metricsUrl = `http://127.0.0.1:${metricsPort}`;
      expect((await get(`${metricsUrl}/metrics`)).status).toBe(200);
      expect((await get(`${running.url}/metrics`)).status).toBe(404);
      expect(await running.stop()).toBe(0);
      await expect(fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(15_000) })).rejects.toThrow();
    } finally {
      await scratch?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('METRICS_PORT unset', () => {
  it('leaves /metrics and /status on the API port, as the contract names them', async () => {
    const server = await start({});
    expect(server.app.metricsUrl).toBeUndefined();
    expect((await get(`${server.url}/metrics`)).status).toBe(200);
    expect((await get(`${server.url}/status.json`)).status).toBe(200);
  });
});
