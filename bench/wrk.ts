// The load generator for the same request every time, when wrk is installed: one wrk thread pinned
// to the load generator's core, with the job's connections. On the bare limit-http server it sent
// far more requests than autocannon could in the same run (bench/README.md, "The load generator"),
// so autocannon, not the server, was the ceiling there. The request (method, path, headers, body)
// is set by a Lua script, whose done() prints the figures as one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandExists, runPinnedCommand } from './child-processes.js';
import type { LoadJob, LoadRequest, LoadResult } from './load-plan.js';
import { type MetricsSnapshot, scrapeMetrics } from './prometheus.js';

export function wrkAvailable(): boolean {
  return commandExists('wrk');
}

/** A Lua string literal: printable ASCII as it is, anything else as a decimal escape. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x20 || byte > 0x7e || char === '"' || char === '\\' ? `\\${byte}` : char;
  }
  return `${out}"`;
}

export function wrkScript(request: LoadRequest): string {
  const lines = [`wrk.method = ${luaString(request.method)}`, `wrk.path = ${luaString(request.path)}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRK_RESULT {"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50Us":%.0f,"p99Us":%.0f}\\n\',',
    '    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99)))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

interface WrkFigures {
  requests: number;
  durationUs: number;
  /** Bytes read, headers included (as autocannon's throughput counts them). */
  bytes: number;
  connect: number;
  read: number;
  write: number;
  /** Answers with a status above 399 (wrk's own count). */
  status: number;
  timeout: number;
  p50Us: number;
  p99Us: number;
}

export function parseWrkResult(stdout: string): WrkFigures {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (!line) throw new Error(`wrk printed no result: ${stdout.trim().split('\n').slice(-4).join(' | ')}`);
  return JSON.parse(line.slice('WRK_RESULT '.length)) as WrkFigures;
}

/** Runs a fixed-request job with wrk: warm-up (not measured), then the measured window. */
export async function runWrk(job: LoadJob, core: number): Promise<LoadResult> {
  const plan = job.plan;
  if (plan.kind !== 'fixed') throw new Error('wrk runs fixed-request plans only');
  const baseUrl = Array.isArray(job.baseUrl) ? job.baseUrl[0]! : job.baseUrl;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-wrk-'));
  try {
    const script = path.join(dir, 'request.lua');
    fs.writeFileSync(script, wrkScript(plan.request));
    // -d takes whole seconds.
    const run = async (seconds: number) => {
      const args = ['-t1', `-c${job.connections}`, `-d${Math.max(1, Math.ceil(seconds))}s`, '--timeout', '10s', '-s', script, baseUrl + plan.request.path];
      const { code, stdout, stderr } = await runPinnedCommand(core, 'wrk', args);
      if (code !== 0) throw new Error(`wrk exited (${code}): ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}`);
      return parseWrkResult(stdout);
    };
    if (job.warmupSeconds > 0) await run(job.warmupSeconds);
    const before: MetricsSnapshot | undefined = job.metricsUrl ? await scrapeMetrics(job.metricsUrl) : undefined;
    const figures = await run(job.durationSeconds);
    const after: MetricsSnapshot | undefined = job.metricsUrl ? await scrapeMetrics(job.metricsUrl) : undefined;
    const seconds = figures.durationUs / 1e6;
    const meanBytes = figures.requests > 0 ? figures.bytes / figures.requests : 0;
    return {
      requests: figures.requests,
      durationSeconds: seconds,
      requestsPerSecond: figures.requests / seconds,
      p50Ms: figures.p50Us / 1000,
      p99Ms: figures.p99Us / 1000,
      non2xx: figures.status,
      socketErrors: figures.connect + figures.read + figures.write + figures.timeout,
      badBodies: meanBytes < plan.minResponseBytes ? figures.requests : 0,
      bytesPerResponse: meanBytes,
      metrics: before && after ? { before, after } : undefined,
      generator: 'wrk',
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
