// Runs one load job in its own process pinned to core 1, away from the server under test on core 0:
// wrk for the same request every time when it is installed (wrk.ts), otherwise autocannon in a
// node process (load-worker.ts). BENCH_LOAD_GENERATOR=autocannon keeps autocannon for everything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnPinned } from './child-processes.js';
import type { LoadGeneratorName, LoadJob, LoadResult } from './load-plan.js';
import { runWrk, wrkAvailable } from './wrk.js';

export const GENERATOR_CORE = 1;
const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-worker.ts');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-bench-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
let jobs = 0;

const hasWrk = wrkAvailable();

/** The generator a job gets: wrk runs fixed plans only (the others need per-request logic). */
export function generatorFor(job: Pick<LoadJob, 'plan' | 'generator'>): LoadGeneratorName {
  if (job.plan.kind !== 'fixed') return 'autocannon';
  const wanted = job.generator ?? (process.env.BENCH_LOAD_GENERATOR === 'autocannon' ? 'autocannon' : 'wrk');
  return wanted === 'wrk' && hasWrk ? 'wrk' : 'autocannon';
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  if (generatorFor(job) === 'wrk') return runWrk(job, GENERATOR_CORE);
  const id = ++jobs;
  const jobFile = path.join(scratch, `job-${id}.json`);
  const resultFile = path.join(scratch, `result-${id}.json`);
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const worker = spawnPinned(GENERATOR_CORE, workerFile, [jobFile, resultFile], {});
  const code = await worker.exited;
  if (code !== 0 || !fs.existsSync(resultFile)) {
    throw new Error(`the load generator failed (${code}): ${worker.stderr().trim().split('\n').slice(-3).join(' | ')}`);
  }
  return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as LoadResult;
}
