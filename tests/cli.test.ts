// The operator's scripts: db:migrate, db:seed and token, run as processes against the suite's
// backend (a fresh PostgreSQL database when DATABASE_URL is set, a fresh embedded store otherwise),
// then a server started on the same store serves what they made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { seedWorkspace } from '../src/db/seed.js';
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

