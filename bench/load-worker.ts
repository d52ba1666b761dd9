// The load generator process: `node --import tsx bench/load-worker.ts <job.json> <result.json>`,
// started pinned to its own core by load-generator.ts. Runs autocannon for the job and writes the
// figures. Every response is checked: a status outside 2xx, or a 2xx that is not a GraphQL result
// without errors, is counted, so a run full of errors cannot pass for a fast one.
import fs from 'node:fs';
import autocannon from 'autocannon';
import type { LoadJob, LoadRequest, LoadResult } from './load-plan.js';
import { createMixedTraffic } from './mixed-traffic.js';
import { type MetricsSnapshot, scrapeMetrics } from './prometheus.js';
import { createSoakTraffic } from './soak-traffic.js';

const [jobFile, resultFile] = process.argv.slice(2);
if (!jobFile || !resultFile) throw new Error('usage: load-worker.ts <job.json> <result.json>');
const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as LoadJob;

let non2xx = 0;
let badBodies = 0;

const mixed = job.plan.kind === 'mixed' ? createMixedTraffic(job.plan.mixed) : undefined;
const soak = job.plan.kind === 'soak' ? createSoakTraffic(job.plan.soak) : undefined;
// Traffic whose every answer is read and checked.
const checked = mixed ?? soak;

function requestsFor(): autocannon.Request[] {
  const plan = job.plan;
  // Fixed and picked requests are not read body by body: buffering and scanning every 22 KB body
  // made the generator, not the server, the bottleneck. Statuses are counted by autocannon, and
  // the mean response size over the window must be that of real pages (an error body is ~150
  // bytes); the page itself is checked before the run (page-check.ts).
  if (plan.kind === 'fixed') return [{ ...plan.request }];
  const apply = (request: autocannon.Request, chosen: LoadRequest) => {
    request.method = chosen.method;
    request.path = chosen.path;
    request.headers = chosen.headers;
    request.body = chosen.body;
    return request;
  };
  if (plan.kind === 'pick') {
    return [{ setupRequest: (request) => apply(request, plan.requests[Math.floor(Math.random() * plan.requests.length)]!) }];
  }
  return [
    {
      setupRequest: (request, context) => apply(request, checked!.next(context)),
      onResponse: (status, body, context, headers) => {
        const conflict = checked!.settle(context, status, body, headers);
        if (!conflict && (status < 200 || status > 299)) non2xx++;
      },
    },
  ];
}

const run = (duration: number) =>
  autocannon({
    // autocannon takes several URLs (connection i goes to URL i mod n); its types say one.
    url: job.baseUrl as string,
    connections: job.connections,
    pipelining: 1,
    duration,
    timeout: 10,
    requests: requestsFor(),
  });

// Warm-up: same traffic (the mixed checker keeps what it learns), figures thrown away.
if (job.warmupSeconds > 0) {
  await run(job.warmupSeconds);
  non2xx = 0;
  badBodies = 0;
  checked?.reset();
}

const before: MetricsSnapshot | undefined = job.metricsUrl ? await scrapeMetrics(job.metricsUrl) : undefined;
const result = await run(job.durationSeconds);
const after: MetricsSnapshot | undefined = job.metricsUrl ? await scrapeMetrics(job.metricsUrl) : undefined;

const seconds = result.duration;
let bytesPerResponse: number | undefined;
if (job.plan.kind === 'fixed' || job.plan.kind === 'pick') {
  non2xx = result.non2xx;
  const meanBytes = result.requests.total > 0 ? result.throughput.total / result.requests.total : 0;
  if (meanBytes < job.plan.minResponseBytes) badBodies = result.requests.total;
  bytesPerResponse = meanBytes;
}
const figures: LoadResult = {
  requests: result.requests.total,
  durationSeconds: seconds,
  requestsPerSecond: result.requests.total / seconds,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  non2xx,
  socketErrors: result.errors + result.timeouts,
  badBodies,
  bytesPerResponse,
  mixed: mixed?.result,
  soak: soak?.result,
  metrics: before && after ? { before, after } : undefined,
  generator: 'autocannon',
};
fs.writeFileSync(resultFile, JSON.stringify(figures));
