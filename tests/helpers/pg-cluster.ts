// A PostgreSQL cluster of a test's own, made with Debian's postgresql-common tools, which a test
// may stop, restart or crash without disturbing the shared server that other test files use at the
// same time. Needs those tools (pg_createcluster, pg_ctlcluster, pg_lsclusters, pg_isready) and
// root, as on the machines the suite runs on. Every step is idempotent: a cluster that exists is
// reused as it is found, one that runs is not started again, one that is down is not stopped again.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How PostgreSQL is asked to stop: `fast` rolls back and disconnects, `immediate` quits without a checkpoint, as a crash does. */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface PgCluster {
  readonly name: string;
  readonly version: string;
  readonly port: number;
  /** A connection URL for `database` on this cluster, over loopback TCP. */
  url(database?: string): string;
  /** Starts the cluster unless it runs, and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the cluster unless it is down; resolves once it is down (no connection is accepted). */
  stop(mode?: ShutdownMode): Promise<void>;
  /** Stops and starts it again in one step; resolves once it accepts connections. */
  restart(mode?: ShutdownMode): Promise<void>;
  /** True when the server accepts connections now (pg_isready). */
  accepting(): Promise<boolean>;
  /** Polls pg_isready until the server accepts connections; throws after `timeoutMs`. */
  waitUntilAccepting(timeoutMs?: number): Promise<void>;
  /** Stops the cluster and removes it with its data and configuration. */
  drop(): Promise<void>;
}

interface Listed {
  version: string;
  name: string;
  port: number;
  online: boolean;
}

const COMMAND_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 50;

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') {
        reject(new Error(`${command} could not run (${error.code}): the PostgreSQL cluster helpers need Debian's postgresql-common tools and the PostgreSQL client on PATH`));
        return;
      }
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function runOrThrow(command: string, args: string[]): Promise<string> {
  const result = await run(command, args);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

async function listClusters(): Promise<Listed[]> {
  const out = await runOrThrow('pg_lsclusters', ['--no-header']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 4)
    .map(([version, name, port, status]) => ({ version: version!, name: name!, port: Number(port), online: status!.startsWith('online') }));
}

/** The newest PostgreSQL major installed here (Debian keeps each under /usr/lib/postgresql/<major>). */
function newestInstalledVersion(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((entry) => /^\d+$/.test(entry)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server installed under ${root}: install Debian's postgresql package`);
  return versions.sort((a, b) => Number(b) - Number(a))[0]!;
}

/**
 * Waits until no other process on this machine uses the cluster `name` (two test runs at once,
 * each stopping and starting it, would disturb each other), then holds it until `release()`. A
 * lock left by a process that has died is taken over.
 */
export async function lockCluster(name: string, timeoutMs = 120_000): Promise<{ release(): void }> {
  const file = path.join(os.tmpdir(), `pg-cluster-${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { release: () => fs.rmSync(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(fs.readFileSync(file, 'utf8') || 0);
    if (!holder || !alive(holder)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`cluster ${name} stayed in use by process ${holder} for ${timeoutMs} ms`);
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The cluster `name`, created on `port` if it does not exist yet (an existing one keeps the port it
 * has). Trust authentication for local and loopback connections, like the shared test server; it
 * never starts at boot (start.conf manual): only tests start it.
 */
export async function ensureCluster(name: string, port: number): Promise<PgCluster> {
  let found = (await listClusters()).find((cluster) => cluster.name === name);
  if (!found) {
    const version = newestInstalledVersion();
    const taken = (await listClusters()).find((cluster) => cluster.port === port);
    if (taken) throw new Error(`port ${port} is taken by cluster ${taken.version}/${taken.name}: choose another for ${name}`);
    await runOrThrow('pg_createcluster', [
      '--start-conf=manual',
      '--port',
      String(port),
      // Small and quick: a throwaway server for a few connections (it listens on localhost only,
      // PostgreSQL's default).
      '-o',
      'max_connections=40',
      '-o',
      'shared_buffers=32MB',
      version,
      name,
      '--',
      '--auth=trust',
    ]);
    found = (await listClusters()).find((cluster) => cluster.name === name);
    if (!found) throw new Error(`pg_createcluster reported success but pg_lsclusters does not list ${name}`);
  }
  return clusterOf(found.version, name, found.port);
}

function clusterOf(version: string, name: string, port: number): PgCluster {
  // --skip-systemctl-redirect: these machines have no systemd; pg_ctlcluster runs pg_ctl itself.
  const ctl = (action: string, ...extra: string[]) => runOrThrow('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, action, ...extra]);
  const online = async () => (await listClusters()).find((cluster) => cluster.name === name)?.online ?? false;
  const accepting = async () => (await run('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '1'])).code === 0;
  const waitUntilAccepting = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await accepting())) {
      if (Date.now() > deadline) throw new Error(`cluster ${version}/${name} does not accept connections on port ${port} after ${timeoutMs} ms (see /var/log/postgresql/postgresql-${version}-${name}.log)`);
      // A refused connection answers at once: pace the polls rather than spawn pg_isready in a tight loop.
      await new Promise<void>((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  };
  return {
    name,
    version,
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    accepting,
    waitUntilAccepting,
    start: async () => {
      if (!(await online())) await ctl('start');
      await waitUntilAccepting();
    },
    // pg_ctl stop waits until the postmaster has exited, so the server is down when this resolves.
    stop: async (mode = 'fast') => {
      if (await online()) await ctl('stop', '-m', mode);
    },
    restart: async (mode = 'fast') => {
      await ctl('restart', '-m', mode);
      await waitUntilAccepting();
    },
    drop: async () => {
      await runOrThrow('pg_dropcluster', ['--stop', version, name]);
    },
  };
}
