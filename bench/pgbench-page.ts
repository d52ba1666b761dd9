// The limit-db reference: the list page's one SQL statement (limit-db-page.ts) as a prepared
// statement run by pgbench, pinned to the load generator's core, at several client counts; the
// best throughput is the ceiling for a cache miss. No HTTP server and no Node: what PostgreSQL
// itself can answer on this machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { commandExists, runPinnedCommand } from './child-processes.js';
import { LIMIT_DB_SCOPE, PAGE_SQL } from './limit-db-page.js';
import type { ScenarioResult } from './scenario-result.js';

export const PGBENCH_CLIENT_COUNTS = [1, 2, 4, 8, 16];
/** While the largest count is still the best, it is doubled, up to this many clients. */
export const PGBENCH_MAX_CLIENTS = 32;

export interface PgbenchRound {
  clients: number;
  /** pgbench's tps, without the initial connection time. */
  tps: number;
  transactions: number;
  failed: number;
  seconds: number;
  latencyAverageMs: number;
  /** From pgbench's per-transaction log (--log). */
  p50Ms?: number;
  p99Ms?: number;
}

export interface PgbenchResult {
  /** The round with the highest tps. */
  best: PgbenchRound;
  rounds: PgbenchRound[];
  /** The command of the best round, as run (script file and connection string shortened). */
  command: string;
}

export interface PgbenchOptions {
  databaseUrl: string;
  workspaceId: number;
  core: number;
  clientCounts?: number[];
  warmupSeconds: number;
  durationSeconds: number;
}

/** The statement with its parameters as pgbench variables, ended as a pgbench script needs. */
export function pgbenchScript(): string {
  return `${PAGE_SQL.replaceAll('$1', ':workspace_id').replaceAll('$2', ':scope').trim()};\n`;
}

/** Parses pgbench's summary (PostgreSQL 15's wording). */
export function parsePgbenchSummary(text: string): Omit<PgbenchRound, 'clients' | 'seconds' | 'p50Ms' | 'p99Ms'> {
  const number = (pattern: RegExp, what: string) => {
    const match = pattern.exec(text)?.[1];
    if (match === undefined) throw new Error(`pgbench printed no ${what}: ${text.trim().split('\n').slice(-4).join(' | ')}`);
    return Number(match);
  };
  return {
    tps: number(/^tps = ([\d.]+)/m, 'tps'),
    transactions: number(/^number of transactions actually processed: (\d+)/m, 'transaction count'),
    failed: /^number of failed transactions: (\d+)/m.test(text) ? number(/^number of failed transactions: (\d+)/m, 'failures') : 0,
    latencyAverageMs: number(/^latency average = ([\d.]+) ms/m, 'latency average'),
  };
}

/** p50 and p99 in ms from pgbench's per-transaction logs (third field: latency in µs). */
export function logPercentiles(logText: string): { p50Ms?: number; p99Ms?: number } {
  const latencies: number[] = [];
  for (const line of logText.split('\n')) {
    const field = line.split(' ')[2];
    if (field !== undefined && /^\d+$/.test(field)) latencies.push(Number(field));
  }
  if (latencies.length === 0) return {};
  latencies.sort((a, b) => a - b);
  const at = (share: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))]! / 10) / 100;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Runs the statement once (postgres.js) and checks it is the real page; returns its size in bytes. */
export async function checkPageStatement(databaseUrl: string, workspaceId: number): Promise<number> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe(PAGE_SQL, [workspaceId, LIMIT_DB_SCOPE]);
    const body = (rows[0] as unknown as { body: string }).body;
    const edges = (JSON.parse(body) as { data?: { contacts?: { edges?: unknown[] } } }).data?.contacts?.edges?.length;
    if (edges !== 50) throw new Error(`the page statement returned ${edges} edges, expected 50`);
    return Buffer.byteLength(body);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function pgbenchAvailable(): boolean {
  return commandExists('pgbench');
}

/**
 * Warms up once at the largest client count, then measures each client count in turn; while the
 * largest is the best, twice as many too (up to PGBENCH_MAX_CLIENTS).
 */
export async function runPgbenchPage(options: PgbenchOptions): Promise<PgbenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-pgbench-'));
  try {
    const script = path.join(dir, 'page.sql');
    fs.writeFileSync(script, pgbenchScript());
    const clientCounts = options.clientCounts ?? PGBENCH_CLIENT_COUNTS;
    // -T takes whole seconds.
    const seconds = (value: number) => Math.max(1, Math.ceil(value));
    const argsFor = (clients: number, duration: number, logPrefix?: string) => [
      '-n',
      '-M',
      'prepared',
      '-f',
      script,
      '-D',
      `workspace_id=${options.workspaceId}`,
      '-D',
      `scope=${LIMIT_DB_SCOPE}`,
      '-c',
      String(clients),
      '-j',
      '1',
      '-T',
      String(seconds(duration)),
      ...(logPrefix ? ['--log', `--log-prefix=${logPrefix}`] : []),
      options.databaseUrl,
    ];
    const run = async (args: string[]) => {
      const { code, stdout, stderr } = await runPinnedCommand(options.core, 'pgbench', args);
      if (code !== 0) throw new Error(`pgbench exited (${code}): ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}`);
      return stdout;
    };
    if (options.warmupSeconds > 0) await run(argsFor(Math.max(...clientCounts), options.warmupSeconds));
    const rounds: PgbenchRound[] = [];
    const bestOf = () => rounds.reduce((a, b) => (b.tps > a.tps ? b : a));
    const counts = [...clientCounts];
    for (let index = 0; index < counts.length; index++) {
      const clients = counts[index]!;
      const prefix = path.join(dir, `log-${clients}`);
      const summary = parsePgbenchSummary(await run(argsFor(clients, options.durationSeconds, prefix)));
      const logs = fs
        .readdirSync(dir)
        .filter((name) => name.startsWith(`log-${clients}.`))
        .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'))
        .join('\n');
      rounds.push({ clients, seconds: seconds(options.durationSeconds), ...summary, ...logPercentiles(logs) });
      if (index === counts.length - 1 && bestOf() === rounds.at(-1) && clients * 2 <= PGBENCH_MAX_CLIENTS) counts.push(clients * 2);
    }
    const best = bestOf();
    const command =
      `taskset -c ${options.core} pgbench -n -M prepared -f page.sql -D workspace_id=${options.workspaceId} ` +
      `-D scope=${LIMIT_DB_SCOPE} -c ${best.clients} -j 1 -T ${best.seconds}`;
    return { best, rounds, command };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The limit-db scenario: the statement checked once, then run by pgbench; the best round is the row. */
export async function limitDbScenario(options: PgbenchOptions): Promise<ScenarioResult> {
  if (!pgbenchAvailable()) throw new Error('pgbench is not installed (Debian: the postgresql package)');
  const bytes = await checkPageStatement(options.databaseUrl, options.workspaceId);
  const pgbench = await runPgbenchPage(options);
  const { best } = pgbench;
  const failure = best.transactions === 0 ? 'no transaction completed' : undefined;
  return {
    name: 'limit-db',
    ok: failure === undefined,
    failure,
    requests: best.transactions,
    requestsPerSecond: best.tps,
    p50Ms: best.p50Ms,
    p99Ms: best.p99Ms,
    errors: pgbench.rounds.reduce((sum, round) => sum + round.failed, 0),
    generator: 'pgbench',
    pgbench,
    notes:
      `pgbench, best of ${pgbench.rounds.length} client counts: ${best.clients} clients (\`${pgbench.command}\`); ` +
      `tps by clients ${pgbench.rounds.map((round) => `${round.clients}: ${round.tps.toFixed(0)}`).join(', ')}; ` +
      `latency average ${best.latencyAverageMs.toFixed(2)} ms; page JSON ${bytes} bytes`,
  };
}
