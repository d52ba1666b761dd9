// The operator's scripts: db:migrate, db:seed and token, run as processes against the suite's
// backend (a fresh PostgreSQL database when DATABASE_URL is set, a fresh embedded store otherwise),
// then a server started on the same store serves what they made.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { seedWorkspace } from '../src/tools/seed.js';
import { createScratchDatabase, onPostgres } from './helpers/database.js';
import { runScript, startServerProcess } from './helpers/processes.js';

let storeEnv: Record<string, string>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-cli-'));
  if (onPostgres) {
    const scratch = await createScratchDatabase();
    storeEnv = { DATABASE_URL: scratch.url, DATA_DIR: dataDir };
    cleanup = async () => {
      await scratch.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
  } else {
    storeEnv = { DATA_DIR: dataDir };
    cleanup = async () => fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

afterAll(() => cleanup?.());

describe('operator scripts', () => {
  let readerToken: string;

  it('db:migrate applies the migrations', async () => {
    const result = await runScript('src/cli/migrate.ts', [], storeEnv);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('migrations applied');
  });

  it('db:seed fills a workspace and prints only a summary', async () => {
    const result = await runScript('src/cli/seed.ts', ['--workspace', 'sales', '--contacts', '120'], storeEnv);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/workspace "sales": \+120 contacts, \+6 companies/);
  });

  it('db:seed refuses bad arguments with the usage', async () => {
    const result = await runScript('src/cli/seed.ts', ['--workspace', 'sales', '--contacts', 'many'], storeEnv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run db:seed -- --workspace NAME --contacts N');
  });

  it('token prints the token alone', async () => {
    const result = await runScript('src/cli/token.ts', ['--workspace', 'sales', '--role', 'reader'], storeEnv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^cf_[A-Za-z0-9_-]{43}\n$/);
    readerToken = result.stdout.trim();
  });

  it('token refuses an unknown workspace or role', async () => {
    const unknown = await runScript('src/cli/token.ts', ['--workspace', 'nobody', '--role', 'reader'], storeEnv);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('no workspace named "nobody"');
    const badRole = await runScript('src/cli/token.ts', ['--workspace', 'sales', '--role', 'admin'], storeEnv);
    expect(badRole.code).toBe(2);
  });

  it('a server on the same store serves the seeded workspace to that token', async () => {
    const server = await startServerProcess({ ...storeEnv, PORT: '0', DEMO_CONTACTS: '10' });
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${readerToken}` },
        body: JSON.stringify({ query: '{ viewer { role workspace { name } } contacts { totalCount } }' }),
      });
      const body = (await response.json()) as { data: unknown };
      expect(body.data).toEqual({ viewer: { role: 'READER', workspace: { name: 'sales' } }, contacts: { totalCount: 120 } });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('db:report prints the costliest statements, index usage, unused indexes and dead rows', async () => {
    const result = await runScript('src/cli/report.ts', ['--top', '5'], storeEnv);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const sections = result.stdout.split('\n== ');
    expect(sections).toHaveLength(4);
    // The seeded and served store: its indexes and tables are there, with their figures (the
    // embedded store does not keep statistics from one process to the next: zeros there).
    expect(result.stdout).toMatch(/contacts\s+contacts_workspace_name_idx\s+\d+/);
    expect(result.stdout).toMatch(/\ncontacts\s+\d+\s+\d+\s+[\d.]+\s+\d+/);
    if (onPostgres) {
      // CI loads pg_stat_statements (.ci/run); without it the section says how to enable it.
      const top = sections[0]!.split('\n');
      expect(top[1], 'pg_stat_statements must be loaded: see .ci/run').toMatch(/^total ms\s+calls/);
      expect(top.length).toBeGreaterThan(3);
    } else {
      expect(sections[0]).toContain('Not available on the embedded store.');
    }
  });

  it('db:report refuses a bad --top with the usage', async () => {
    const result = await runScript('src/cli/report.ts', ['--top', 'all'], storeEnv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run db:report');
  });
});

describe('the embedded store takes one process at a time', () => {
  /** Each case starts several processes, each loading the embedded store. */
  const PROCESSES_TIMEOUT_MS = 240_000;
  // Always the embedded store, whichever backend the suite runs on: only it has a lock.
  let lockDir: string;
  const lockEnv = () => ({ DATA_DIR: lockDir, PORT: '0', DEMO_CONTACTS: '5' });
  const lockFile = () => path.join(lockDir, 'pgdata.lock');
  const refusal = (pid: number) => new RegExp(`in use by process ${pid} \\(npm start, since [^)]+\\)[\\s\\S]*Stop it first[\\s\\S]*kill ${pid}`);

  beforeAll(() => {
    lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-lock-'));
  });
  afterAll(() => fs.rmSync(lockDir, { recursive: true, force: true }));

  it('refuses db:seed, token, token:revoke, db:migrate and a second server while a server runs, naming it, and they write nothing', async () => {
    const server = await startServerProcess(lockEnv());
    const pid = server.child.pid!;
    try {
      const seed = await runScript('src/cli/seed.ts', ['--workspace', 'locked-out', '--contacts', '5'], lockEnv());
      const token = await runScript('src/cli/token.ts', ['--workspace', 'demo', '--role', 'reader'], lockEnv());
      const migrate = await runScript('src/cli/migrate.ts', [], lockEnv());
      // A well-formed token: the refusal comes before the store is read, whatever it names.
      const revoke = await runScript('src/cli/token-revoke.ts', ['--token', `cf_${'a'.repeat(43)}`], lockEnv());
      for (const refused of [seed, token, migrate, revoke]) {
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toMatch(refusal(pid));
        expect(refused.stderr).toContain(lockDir);
      }
      const second = await runScript('src/main.ts', [], lockEnv());
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(refusal(pid));
      expect(second.stdout).not.toContain('serving');
      // The running server is untouched by the refusals.
      const demoToken = fs.readFileSync(path.join(lockDir, 'demo-token'), 'utf8').trim();
      const answer = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${demoToken}` },
        body: JSON.stringify({ query: '{ contacts { totalCount } }' }),
      });
      expect(((await answer.json()) as { data: unknown }).data).toEqual({ contacts: { totalCount: 5 } });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // Released by the server as it stopped; and the refused seed wrote nothing.
    expect(fs.existsSync(lockFile())).toBe(false);
    const missing = await runScript('src/cli/token.ts', ['--workspace', 'locked-out', '--role', 'reader'], lockEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no workspace named "locked-out"');
  }, PROCESSES_TIMEOUT_MS);

  it('lets the scripts run once the server has stopped', async () => {
    const seed = await runScript('src/cli/seed.ts', ['--workspace', 'after-stop', '--contacts', '5'], lockEnv());
    expect(seed.code).toBe(0);
    expect(seed.stdout).toMatch(/workspace "after-stop": \+5 contacts/);
    const token = await runScript('src/cli/token.ts', ['--workspace', 'after-stop', '--role', 'editor'], lockEnv());
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^cf_[A-Za-z0-9_-]{43}\n$/);
    expect(fs.existsSync(lockFile())).toBe(false);
  }, PROCESSES_TIMEOUT_MS);

  it('takes over the lock of a server that was killed', async () => {
    const server = await startServerProcess(lockEnv());
    const pid = server.child.pid!;
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid, command: 'npm start' });
    server.child.kill('SIGKILL');
    await exited;
    // Left behind by the killed process.
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid });
    const token = await runScript('src/cli/token.ts', ['--workspace', 'demo', '--role', 'reader'], lockEnv());
    expect(token.stderr).toBe('');
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^cf_[A-Za-z0-9_-]{43}\n$/);
    expect(fs.existsSync(lockFile())).toBe(false);
    // And a server starts on it again.
    const again = await startServerProcess(lockEnv());
    expect(await again.stop()).toBe(0);
  }, PROCESSES_TIMEOUT_MS);

  it('takes over a lock whose process id now belongs to another process', async () => {
    // A lock written by a process that is gone, whose pid a later process got (after a container
    // restart, say): the process runs, but it started at another moment than the holder did.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await once(other, 'spawn');
      fs.writeFileSync(
        lockFile(),
        JSON.stringify({ pid: other.pid, hostname: os.hostname(), startTicks: '1', command: 'npm start', since: new Date(0).toISOString(), token: 'old' }),
      );
      const token = await runScript('src/cli/token.ts', ['--workspace', 'demo', '--role', 'reader'], lockEnv());
      expect(token.stderr).toBe('');
      expect(token.code).toBe(0);
    } finally {
      other.kill('SIGKILL');
    }
  }, PROCESSES_TIMEOUT_MS);
});

describe('seeding', () => {
  it('is reproducible: the same workspace name and size give the same contacts', async () => {
    const names = async () => {
      const handle = await openDatabase({ kind: 'pglite' });
      try {
        await handle.migrate();
        await seedWorkspace(handle.db, { workspace: 'same', contacts: 40 });
        return handle.query('select first_name, last_name, email, created_at from contacts order by id');
      } finally {
        await handle.close();
      }
    };
    const [a, b] = [await names(), await names()];
    expect(a).toHaveLength(40);
    expect(b).toEqual(a);
  });
});

