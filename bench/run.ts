// `npm run bench`: seeds the bench workspace, then runs every scenario against a server pinned to
// core 0 with the load generator pinned to core 1, and reports (stdout, bench/results/).
// See bench/README.md for what each scenario measures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareWorkspace } from './bench-workspace.js';
import { repoRoot } from './child-processes.js';
import { freePort } from './free-port.js';
import { GENERATOR_CORE, generatorFor, runLoad } from './load-generator.js';
import type { LoadGeneratorName, LoadPlan, LoadRequest, LoadResult } from './load-plan.js';
import { describeMachine } from './machine.js';
import { apqGetPath, loadOperations, postHeaders, readHeaders } from './operations.js';
import { readBenchOptions, SCENARIOS, type ScenarioName } from './options.js';
import { type FetchedPage, fetchPage, pageNodeIds } from './page-check.js';
import { PEER_SERVERS, startPeer } from './peers/peer-servers.js';
import { difference, type WindowFigures } from './prometheus.js';
import { checkTargets, markdownTable, PEER_COMPARISONS, targetsMarkdown, writeResults } from './report.js';
import type { ScenarioRatios, ScenarioResult } from './scenario-result.js';
import { checkPlans } from './plan-check.js';
import { encodedAnswer } from './encoded-size.js';
import { limitDbScenario } from './pgbench-page.js';
import { type ServerUnderTest, startServer } from './server-under-test.js';

const options = readBenchOptions();
const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  process.stderr.write('npm run bench needs real PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (the embedded PGlite default is not benchmarked).\n');
  process.exit(2);
}

const startedAt = new Date();
const log = (line: string) => process.stderr.write(`[bench +${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)}s] ${line}\n`);
const selected = (name: ScenarioName) => options.only.has(name);
const results = new Map<ScenarioName, ScenarioResult>();

log(`preparing workspace "${options.workspace}" (${options.contacts} contacts)`);
const workspace = await prepareWorkspace(options.workspace, options.contacts, log);
const operations = loadOperations();
const reader = readHeaders(workspace.readerToken);
const pageGet: LoadRequest = { method: 'GET', path: apqGetPath(operations.ContactsPage, { first: 50 }), headers: reader };
/** The page as servers without persisted documents are sent it: a POST with the query text. */
const pagePost = (path: string): LoadRequest => ({
  method: 'POST',
  path,
  headers: postHeaders(workspace.readerToken),
  body: JSON.stringify({ query: operations.ContactsPage.document, operationName: 'ContactsPage', variables: { first: 50 } }),
});

let namespaces = 0;
function cardfileEnv(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: DATABASE_URL!,
    REDIS_URL: REDIS_URL!,
    // Fresh per server: nothing cached by an earlier run (or server) can count as a hit.
    CACHE_NAMESPACE: `bench-${Date.now()}-${++namespaces}`,
    // One token from one address at thousands of requests a second: limits far above that, so
    // every request is still counted (the check's cost is measured) and none is refused.
    RATE_LIMIT_PER_TOKEN: '1000000000',
    RATE_LIMIT_PER_IP: '1000000000',
    // The metrics read right after the measured window must include all of it.
    METRICS_MIN_INTERVAL_MS: '0',
    METRICS_MAX_SCRAPES_PER_SECOND: '0',
    ...extra,
  };
}

async function startCardfile(label: string, extra: Record<string, string>): Promise<ServerUnderTest> {
  log(`starting cardfile (${label})`);
  return startServer(`cardfile (${label})`, 'src/main.ts', await freePort(), cardfileEnv(extra));
}

interface Measured {
  load: LoadResult;
  window?: WindowFigures;
  peakRssMb?: number;
}

/** Warms up (not measured), then measures, reading cardfile's metrics around the measured window. */
async function measure(
  server: ServerUnderTest,
  plan: LoadPlan,
  cardfileMetrics: boolean,
  connections = options.connections,
  generator?: LoadGeneratorName,
): Promise<Measured> {
  const load = await runLoad({
    generator,
    baseUrl: server.baseUrl,
    connections,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    plan,
    metricsUrl: cardfileMetrics ? `${server.baseUrl}/metrics` : undefined,
  });
  const window = load.metrics ? difference(load.metrics.before, load.metrics.after) : undefined;
  return { load, window, peakRssMb: server.peakRssMb() };
}

function record(name: ScenarioName, measured: Measured, extra: Partial<ScenarioResult> = {}): ScenarioResult {
  const { load, window } = measured;
  const mixed = load.mixed;
  const errors = mixed ? load.socketErrors + mixed.failedReads + mixed.failedWrites : load.non2xx + load.socketErrors + load.badBodies;
  let failure: string | undefined;
  if (load.requests === 0) failure = 'no request completed';
  else if (errors >= load.requests) failure = 'every request failed';
  else if (mixed && mixed.staleReads > 0) failure = `${mixed.staleReads} stale reads`;
  const result: ScenarioResult = {
    name,
    ok: failure === undefined,
    failure,
    requests: load.requests,
    requestsPerSecond: load.requestsPerSecond,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    errors,
    sqlPerRequest: window?.sqlPerRequest,
    outcomeShares: window?.outcomeShares,
    hitRate: window?.hitRate,
    peakRssMb: measured.peakRssMb,
    bytesPerResponse: load.bytesPerResponse,
    mixed,
    generator: load.generator,
    ...extra,
    notes: [`${load.generator}`, extra.notes].filter(Boolean).join('; '),
  };
  results.set(name, result);
  log(`${name}: ${load.requestsPerSecond.toFixed(0)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ${errors} errors${failure ? ` — FAILED: ${failure}` : ''}`);
  return result;
}

function failed(name: ScenarioName, error: unknown) {
  const message = (error as Error)?.message ?? String(error);
  log(`${name}: FAILED: ${message}`);
  results.set(name, { name, ok: false, failure: message.split('\n')[0] });
}

/** Runs scenarios against one server; a server that does not start fails each of them. */
async function withServer(names: ScenarioName[], start: () => Promise<ServerUnderTest>, body: (server: ServerUnderTest) => Promise<void>) {
  const wanted = names.filter(selected);
  if (wanted.length === 0) return;
  let server: ServerUnderTest;
  try {
    server = await start();
  } catch (error) {
    for (const name of wanted) failed(name, error);
    return;
  }
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

async function scenario(name: ScenarioName, body: () => Promise<void>) {
  if (!selected(name)) return;
  log(`running ${name}`);
  try {
    await body();
  } catch (error) {
    failed(name, error);
  }
}

// The smallest mean response size that can be real answers: a page of 50 contacts is about 22 KB
// and 10 search results over 1 KB, while a GraphQL error is about 150 bytes.
const PAGE_MIN_BYTES = 5_000;
const SEARCH_MIN_BYTES = 400;
// The page compressed (brotli or gzip): about 4 KB.
const COMPRESSED_PAGE_MIN_BYTES = 1_000;

/** The page with `Accept-Encoding: br, gzip`, as browsers send it. */
const pageGetCompressed: LoadRequest = { ...pageGet, headers: { ...reader, 'accept-encoding': 'br, gzip' } };

/**
 * One fixed request, checked (the real page, served from the cache tier the scenario is about
 * after one fill), its body measured as it travels, then measured under load.
 */
async function measurePage(server: ServerUnderTest, name: ScenarioName, request: LoadRequest, minResponseBytes: number) {
  await fetchPage(server.baseUrl, request, 50);
  const answer = await encodedAnswer(server.baseUrl, request);
  const measured = await measure(server, { kind: 'fixed', request, minResponseBytes }, true);
  const extra = { bodyBytes: answer.bodyBytes, contentEncoding: answer.contentEncoding };
  hitDraws.get(name)?.push({ measured, extra });
  record(name, measured, extra);
}

/** Every draw of the scenarios measured more than once (--hit-draws), in the order made. */
interface Draw {
  measured: Measured;
  extra: Partial<ScenarioResult>;
}
const hitDraws = new Map<ScenarioName, Draw[]>(
  options.hitDraws > 1 && selected('hit-l1') && selected('hit-l1-no-redis') ? [['hit-l1', []], ['hit-l1-no-redis', []]] : [],
);
const startDefaults = () => startCardfile('defaults', {});
const startWithoutRedis = () => startCardfile('no REDIS_URL', { REDIS_URL: '' });

// --- cardfile with its defaults: the cached page (for limit-http), hit-l1, then mixed (it writes).
let cachedPage: FetchedPage | undefined;
await withServer(['limit-http', 'hit-l1', 'hit-l1-br', 'mixed'], startDefaults, async (server) => {
  await fetchPage(server.baseUrl, pageGet, 50);
  cachedPage = await fetchPage(server.baseUrl, pageGet, 50);
  log(`list page: ${cachedPage.body.length} bytes, second fetch served as ${cachedPage.cacheOutcome}`);
  await scenario('hit-l1', () => measurePage(server, 'hit-l1', pageGet, PAGE_MIN_BYTES));
  await scenario('hit-l1-br', () => measurePage(server, 'hit-l1-br', pageGetCompressed, COMPRESSED_PAGE_MIN_BYTES));
  await scenario('mixed', async () => {
    const plan: LoadPlan = {
      kind: 'mixed',
      mixed: {
        readerToken: workspace.readerToken,
        editorToken: workspace.editorToken,
        operations: { page: operations.ContactsPage, card: operations.ContactCard, update: operations.UpdateContact },
        pageVariants: workspace.pageVariants,
        // Current versions: earlier runs moved them.
        contacts: await workspace.popularContacts(),
        writeShare: 0.1,
        pageShare: 0.5,
      },
    };
    const measured = await measure(server, plan, true);
    const m = measured.load.mixed!;
    record('mixed', measured, {
      notes: `${m.writes} writes, ${m.conflicts} conflicts, ${m.pageReads + m.cardReads} reads (${m.checkedReads} checked after a write), ${m.staleReads} stale`,
    });
  });
});
if (selected('limit-http') && !cachedPage) failed('limit-http', new Error('the cached list page could not be fetched from cardfile'));

// --- limit-http: the cached page's bytes from a bare node:http server.
if (cachedPage) {
  const bodyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-bench-page-')), 'page.json');
  fs.writeFileSync(bodyFile, cachedPage.body);
  const env = { BODY_FILE: bodyFile, CONTENT_TYPE: cachedPage.contentType };
  await withServer(['limit-http'], async () => startServer('limit-http', 'bench/limit-http-server.ts', await freePort(), env), async (server) => {
    await scenario('limit-http', async () => {
      await fetchPage(server.baseUrl, pageGet, 50);
      const plan: LoadPlan = { kind: 'fixed', request: pageGet, minResponseBytes: PAGE_MIN_BYTES };
      const measured = await measure(server, plan, false);
      // The same server with the other generator: whether the generator or the server is the limit.
      const other: LoadGeneratorName = measured.load.generator === 'wrk' ? 'autocannon' : 'wrk';
      const compared = generatorFor({ plan, generator: other }) === other ? (await measure(server, plan, false, options.connections, other)).load : undefined;
      record('limit-http', measured, {
        notes: compared
          ? `${other} on the same server: ${compared.requestsPerSecond.toFixed(0)} req/s, p50 ${compared.p50Ms} ms, p99 ${compared.p99Ms} ms`
          : `${other} is not installed: not compared`,
      });
    });
  });
  fs.rmSync(path.dirname(bodyFile), { recursive: true, force: true });
}

// --- limit-db: the page's one SQL statement, prepared, run by pgbench at its best client count.
await scenario('limit-db', async () => {
  const result = await limitDbScenario({ databaseUrl: DATABASE_URL, workspaceId: workspace.id, core: GENERATOR_CORE, ...options });
  results.set('limit-db', result);
  log(`limit-db: ${result.notes}`);
});

// --- limit-db-http: the same statement per request behind node:http + postgres.js.
await withServer(
  ['limit-db-http'],
  async () => startServer('limit-db-http', 'bench/limit-db-server.ts', await freePort(), { DATABASE_URL: DATABASE_URL!, WORKSPACE_ID: String(workspace.id) }),
  async (server) => {
    await scenario('limit-db-http', async () => {
      const request: LoadRequest = { method: 'GET', path: '/page', headers: {} };
      await fetchPage(server.baseUrl, request, 50);
      record('limit-db-http', await measure(server, { kind: 'fixed', request, minResponseBytes: PAGE_MIN_BYTES }, false));
    });
  },
);

// --- baseline-apollo: stock Apollo, same resolvers and loaders, no caching; the query text in a POST.
await withServer(
  ['baseline-apollo'],
  async () => {
    const [port, readyPort] = [await freePort(), await freePort()];
    const env = { NODE_ENV: 'production', DATABASE_URL: DATABASE_URL!, READY_PORT: String(readyPort) };
    return startServer('baseline-apollo', 'bench/baseline-apollo.ts', port, env, `http://127.0.0.1:${readyPort}/readyz`);
  },
  async (server) => {
    await scenario('baseline-apollo', async () => {
      const request = pagePost('/');
      await fetchPage(server.baseUrl, request, 50);
      record('baseline-apollo', await measure(server, { kind: 'fixed', request, minResponseBytes: PAGE_MIN_BYTES }, false));
    });
  },
);

// --- peers: other servers' stock stacks with plain resolvers of their own (bench/peers/), the
// caching ones measured on repeats of the page (hits), the uncached one executing it every time.
for (const peer of PEER_SERVERS) {
  await withServer([peer.name], () => startPeer(peer, DATABASE_URL!), async (server) => {
    await scenario(peer.name, async () => {
      const request = pagePost('/graphql');
      await fetchPage(server.baseUrl, request, 50);
      const repeat = await fetchPage(server.baseUrl, request, 50);
      if (peer.cachedHeader && !repeat.headers.has(peer.cachedHeader)) {
        throw new Error(`the repeated page was not answered from the response cache (no ${peer.cachedHeader} header)`);
      }
      // The same contacts in the same order as cardfile's page (titles may differ: mixed writes them).
      if (cachedPage && pageNodeIds(repeat.body).join() !== pageNodeIds(cachedPage.body).join()) {
        throw new Error("the page's contacts are not those of cardfile's page");
      }
      record(peer.name, await measure(server, { kind: 'fixed', request, minResponseBytes: PAGE_MIN_BYTES }, false), { notes: peer.notes });
    });
  });
}

// --- hit-l1 without Redis: the in-process tier alone, as the embedded default runs it.
await withServer(['hit-l1-no-redis'], startWithoutRedis, async (server) => {
  await scenario('hit-l1-no-redis', () => measurePage(server, 'hit-l1-no-redis', pageGet, PAGE_MIN_BYTES));
});

// --- hit-l1 with and without Redis, drawn again in turns (--hit-draws): this machine's speed
// drifts from minute to minute (bench/README.md, "Noise"), and a single draw of each compared
// two moments as much as two configurations. The table keeps each one's median draw.
for (let draw = 2; draw <= options.hitDraws && hitDraws.size > 0; draw++) {
  await withServer(['hit-l1'], startDefaults, async (server) => {
    await scenario('hit-l1', () => measurePage(server, 'hit-l1', pageGet, PAGE_MIN_BYTES));
  });
  await withServer(['hit-l1-no-redis'], startWithoutRedis, async (server) => {
    await scenario('hit-l1-no-redis', () => measurePage(server, 'hit-l1-no-redis', pageGet, PAGE_MIN_BYTES));
  });
}
for (const [name, draws] of hitDraws) {
  if (draws.length < 2) continue;
  const bySpeed = [...draws].sort((a, b) => a.measured.load.requestsPerSecond - b.measured.load.requestsPerSecond);
  const median = bySpeed[Math.floor((bySpeed.length - 1) / 2)]!;
  const each = draws.map((draw) => draw.measured.load.requestsPerSecond.toFixed(0)).join(', ');
  record(name, median.measured, { ...median.extra, notes: `median of ${draws.length} draws alternated with and without Redis (${each} req/s)` });
}

// --- hit-l2: the in-process tier off, Redis only.
await withServer(['hit-l2', 'hit-l2-br'], () => startCardfile('MEMORY_CACHE_MAX_BYTES=0', { MEMORY_CACHE_MAX_BYTES: '0' }), async (server) => {
  await scenario('hit-l2', () => measurePage(server, 'hit-l2', pageGet, PAGE_MIN_BYTES));
  await scenario('hit-l2-br', () => measurePage(server, 'hit-l2-br', pageGetCompressed, COMPRESSED_PAGE_MIN_BYTES));
});

// --- response caching off: miss, deep-page and search all reach the database.
await withServer(['miss', 'deep-page', 'search'], () => startCardfile('RESPONSE_CACHE=false', { RESPONSE_CACHE: 'false' }), async (server) => {
  await scenario('miss', () => measurePage(server, 'miss', pageGet, PAGE_MIN_BYTES));
  await scenario('deep-page', async () => {
    const deepGet: LoadRequest = { method: 'GET', path: apqGetPath(operations.ContactsPage, { first: 50, after: workspace.deepCursor }), headers: reader };
    await fetchPage(server.baseUrl, deepGet, 50);
    const first = await measure(server, { kind: 'fixed', request: pageGet, minResponseBytes: PAGE_MIN_BYTES }, true);
    const deep = await measure(server, { kind: 'fixed', request: deepGet, minResponseBytes: PAGE_MIN_BYTES }, true);
    const deepToFirstP50 = deep.load.p50Ms / first.load.p50Ms;
    record('deep-page', deep, {
      firstPage: { requestsPerSecond: first.load.requestsPerSecond, p50Ms: first.load.p50Ms, p99Ms: first.load.p99Ms },
      deepToFirstP50,
      notes: `page at 90%; first page p50 ${first.load.p50Ms} ms (${first.load.requestsPerSecond.toFixed(0)} req/s); deep/first p50 ${deepToFirstP50.toFixed(2)}×`,
    });
  });
  await scenario('search', async () => {
    const requests: LoadRequest[] = workspace.searchFragments.map((search) => ({
      method: 'GET',
      path: apqGetPath(operations.SearchContacts, { search }),
      headers: reader,
    }));
    await fetchPage(server.baseUrl, requests[0]!);
    const plan: LoadPlan = { kind: 'pick', requests, minResponseBytes: SEARCH_MIN_BYTES };
    // The target is the time one search takes (one user typing), so it is measured on one
    // connection: with 20, p50 is mostly the wait behind the 19 others on a database-bound path.
    const loaded = await measure(server, plan, true);
    record('search', await measure(server, plan, true, 1), {
      notes:
        `${requests.length} fragments of 3-5 letters, one connection; ` +
        `with ${options.connections}: ${loaded.load.requestsPerSecond.toFixed(0)} req/s, p50 ${loaded.load.p50Ms} ms, p99 ${loaded.load.p99Ms} ms`,
    });
  });
});

// --- plans: no server, no load; the plan of every main query at this size.
await scenario('plans', async () => {
  const plans = await checkPlans(DATABASE_URL, workspace.id, workspace.contacts);
  for (const problem of plans.problems) log(`plans: ${problem}`);
  const failure = plans.problems.length > 0 ? `${plans.problems.length} plans without an index: ${plans.problems.join('; ')}` : undefined;
  results.set('plans', {
    name: 'plans',
    ok: failure === undefined,
    failure,
    plans,
    notes: `${plans.checked} main queries (${plans.statements} statements) explained, ${plans.problems.length} sequential scans of guarded tables`,
  });
  log(`plans: ${plans.checked} queries, ${plans.problems.length} problems`);
});

// --- ratios, report, files.
const reference = (name: ScenarioName) => {
  const result = results.get(name);
  return result?.ok ? result.requestsPerSecond : undefined;
};
const [limitHttp, limitDb, baseline] = [reference('limit-http'), reference('limit-db'), reference('baseline-apollo')];
const ordered = SCENARIOS.filter(selected).map((name) => results.get(name) ?? { name, ok: false, failure: 'did not run' });
for (const result of ordered) {
  if (result.requestsPerSecond === undefined) continue;
  const peers: ScenarioRatios['peers'] = {};
  for (const peer of PEER_COMPARISONS[result.name] ?? []) {
    const peerRate = reference(peer);
    if (peerRate) peers[peer] = result.requestsPerSecond / peerRate;
  }
  result.ratios = {
    limitHttp: limitHttp ? result.requestsPerSecond / limitHttp : undefined,
    limitDb: limitDb ? result.requestsPerSecond / limitDb : undefined,
    baselineApollo: baseline ? result.requestsPerSecond / baseline : undefined,
    peers,
  };
}
const targets = checkTargets(ordered);
const machine = describeMachine(workspace.postgresVersion);
await workspace.close();

const files = writeResults({
  date: `${startedAt.getFullYear()}-${String(startedAt.getMonth() + 1).padStart(2, '0')}-${String(startedAt.getDate()).padStart(2, '0')}`,
  startedAt: startedAt.toISOString(),
  partial: options.quick ? 'quick' : SCENARIOS.every((name) => options.only.has(name)) ? undefined : 'partial',
  quick: options.quick,
  durationSeconds: options.durationSeconds,
  warmupSeconds: options.warmupSeconds,
  connections: options.connections,
  workspace: { name: options.workspace, contacts: workspace.contacts },
  machine,
  scenarios: ordered,
  targets,
});

console.log(markdownTable(ordered));
console.log('');
console.log(targetsMarkdown(targets));
console.log('');
console.log(`${machine.cpuModel}, ${machine.cores} cores; Node ${machine.node}; PostgreSQL ${machine.postgres}; commit ${machine.commit.slice(0, 12)}`);
log(`wrote ${files.map((file) => path.relative(repoRoot, file)).join(' and ')}`);

const failures = ordered.filter((result) => !result.ok);
if (failures.length > 0) {
  log(`failed: ${failures.map((result) => `${result.name} (${result.failure})`).join(', ')}`);
  process.exit(1);
}
process.exit(0);
