// `npm run soak`: two cardfile instances sharing one PostgreSQL and one Redis, under the mixed
// traffic of two workspaces spread over both for a bounded time, then a verdict: no errors, no
// stale read after an acknowledged write (whichever instance answers), no answer carrying another
// workspace's data, and each instance's RSS grown by less than 10% after the warm-up.
// Exit code: 0 all passed, 1 a check failed (or the run could not be made), 2 bad arguments or no
// real PostgreSQL and Redis. See bench/README.md.
import { runLoad } from './load-generator.js';
import type { LoadJob, LoadResult } from './load-plan.js';
import { freePort } from './free-port.js';
import { loadOperations } from './operations.js';
import { type ServerUnderTest, startServer } from './server-under-test.js';
import { readSoakOptions } from './soak-options.js';
import { RssRecorder } from './soak-rss.js';
import { soakChecks, soakTables, type InstanceFigures } from './soak-report.js';
import { sampleInstance } from './soak-sample.js';
import { prepareSoakWorkspaces, soakPlan, type SoakWorkspace } from './soak-workspaces.js';

const INSTANCES = 2;

const options = readSoakOptions();
const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  process.stderr.write(
    'npm run soak needs real PostgreSQL and Redis, shared by its two instances: set DATABASE_URL and REDIS_URL (the embedded PGlite default cannot be shared).\n',
  );
  process.exit(2);
}

const startedAt = Date.now();
const log = (line: string) => process.stderr.write(`[soak +${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${line}\n`);

/** Each instance's /metrics, with its RSS as the recent median of the recorder's readings. */
async function sampleAll(servers: ServerUnderTest[], rss: RssRecorder) {
  const recent = rss.recent();
  const samples = await Promise.all(servers.map(sampleInstance));
  return samples.map((sample, i) => ({ ...sample, rssMb: recent[i] }));
}

async function soak(workspaces: SoakWorkspace[], servers: ServerUnderTest[]) {
  const all = loadOperations();
  const ref = (operation: { name: string; hash: string }) => ({ name: operation.name, hash: operation.hash });
  const operations = { page: ref(all.ContactsPage), card: ref(all.ContactCard), update: ref(all.UpdateContact) };
  const job = async (durationSeconds: number): Promise<LoadJob> => ({
    // autocannon gives connection i to URL i mod 2: each instance gets half the connections, and
    // every connection draws both workspaces, so writes made on one are read on the other.
    baseUrl: servers.map((server) => server.baseUrl),
    connections: options.connections,
    warmupSeconds: 0,
    durationSeconds,
    plan: { kind: 'soak', soak: await soakPlan(workspaces, operations) },
  });

  const rss = new RssRecorder(servers);
  const atStart = await sampleAll(servers, rss);
  // Two jobs with the same traffic, so that memory can be read between them: every request of
  // both counts for the checks; only memory is measured from the end of the first.
  log(`warm-up: ${options.warmupSeconds} s`);
  const loads: LoadResult[] = [await runLoad(await job(options.warmupSeconds))];
  const atWarmupEnd = await sampleAll(servers, rss);
  log(`RSS at the end of the warm-up: ${atWarmupEnd.map((s) => `${s.rssMb} MB`).join(', ')}`);
  log(`measured: ${options.durationSeconds - options.warmupSeconds} s`);
  loads.push(await runLoad(await job(options.durationSeconds - options.warmupSeconds)));
  const atEnd = await sampleAll(servers, rss);
  rss.stop();
  const instances: InstanceFigures[] = servers.map((server, i) => ({
    name: server.name,
    atStart: atStart[i]!,
    atWarmupEnd: atWarmupEnd[i]!,
    atEnd: atEnd[i]!,
  }));
  return { loads, instances };
}

log(`preparing workspaces (${options.contacts} contacts each)`);
const workspaces = await prepareSoakWorkspaces(options.contacts, log);
const servers: ServerUnderTest[] = [];
let exitCode = 1;
try {
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL,
    REDIS_URL,
    // One namespace for both instances (they share L2 and invalidations), fresh for the run.
    CACHE_NAMESPACE: `soak-${Date.now()}`,
    // One client address and four tokens send far more than any real client: the request rate
    // limits would answer most of it 429. What is soaked is caching, invalidation and isolation.
    RATE_LIMIT_PER_TOKEN: '0',
    RATE_LIMIT_PER_IP: '0',
  };
  for (let i = 1; i <= INSTANCES; i++) {
    log(`starting cardfile instance ${i}`);
    servers.push(await startServer(`instance ${i}`, 'src/main.ts', await freePort(), env));
  }
  const figures = await soak(workspaces, servers);
  const checks = soakChecks(figures, options.rss === 'judge');
  console.log(soakTables(figures, checks));
  const failed = checks.filter((check) => !check.pass && !check.reportOnly);
  if (failed.length > 0) log(`FAILED: ${failed.map((check) => check.check).join(', ')}`);
  exitCode = failed.length > 0 ? 1 : 0;
} catch (error) {
  log(`FAILED: ${(error as Error)?.message ?? String(error)}`);
} finally {
  for (const server of servers) await server.stop();
  for (const { workspace } of workspaces) await workspace.close();
}
process.exit(exitCode);
