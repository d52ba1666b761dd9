// Tokens over their life: created with an expiry, refused once expired (cached or not), revoked
// with npm run token:revoke. On PostgreSQL two running instances over one database refuse a
// revoked token on the very next request, waiting on nothing but the script's exit; the embedded
// store is one process's, so there the server is stopped, the token revoked, and the server
// started again. The scripts run as processes, the way operators run them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_NAME } from '../src/auth/revocation-notices.js';
import { hashToken, issueToken } from '../src/auth/tokens.js';
import type { DatabaseHandle } from '../src/db/client.js';
import { onPostgres, type TestDatabase } from './helpers/database.js';
import { expectCoded, expectOk } from './helpers/expect-answer.js';
import { createProcessStore, type ProcessStore, seedStore } from './helpers/process-store.js';
import { runScript, startServerProcess } from './helpers/processes.js';
import { startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { waitFor } from './helpers/wait-for.js';

const VIEWER = '{ viewer { role workspace { name } } }';
const DAY_MS = 86_400_000;

let store: ProcessStore;
let workspace: Workspace;

beforeAll(async () => {
  store = await createProcessStore();
  workspace = await seedStore(store, 'keys', 2);
});
afterAll(() => store?.destroy());

const revoke = (token: string) => runScript('src/cli/token-revoke.ts', ['--token', token], store.env);
const mint = (args: string[]) => runScript('src/cli/token.ts', ['--workspace', 'keys', '--role', 'reader', ...args], store.env);

/** The store opened in this process, as the test helpers take it; on PGlite only while no server process has it. */
async function openHere(): Promise<TestDatabase & { handle: DatabaseHandle }> {
  const handle = await store.open();
  return { ...handle, handle, namespace: store.env.CACHE_NAMESPACE ?? `k${randomBytes(6).toString('hex')}`, destroy: () => handle.close() };
}

interface Answer {
  status: number;
  challenge: string | null;
  body: any;
}

async function ask(url: string, token: string): Promise<Answer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: VIEWER }),
  });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
}

function expectServed(answer: Answer) {
  expect(expectOk(answer).viewer).toEqual({ role: 'READER', workspace: { name: 'keys' } });
}

function expectRefused(answer: Answer, message: RegExp) {
  expectCoded(answer, 401, 'UNAUTHENTICATED', { message, data: 'none' });
  expect(answer.challenge).toBe('Bearer error="invalid_token"');
}

/** Whether a server hears revocations (cardfile_token_revocations_heard), waited for within a bound. */
async function hearing(server: TestServer) {
  await waitFor(
    'the server to hear token revocations',
    async () => (await (await server.request('/metrics')).text()).match(/^cardfile_token_revocations_heard (\d+)$/m)?.[1],
    (value) => value === '1',
  );
}

describe('npm run token -- --expires-in', () => {
  it('creates a token that expires then, and refuses a lifetime it cannot read', async () => {
    const before = Date.now();
    const made = await mint(['--expires-in', '30d']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^cf_[A-Za-z0-9_-]{43}\n$/);
    for (const bad of ['0d', '30', 'soon', '-1d', '3651d', '1y']) {
      const refused = await mint([`--expires-in=${bad}`]);
      expect(refused.code, bad).toBe(2);
      expect(refused.stdout, bad).toBe('');
      expect(refused.stderr, bad).toContain('--expires-in must be');
      expect(refused.stderr, bad).toContain('usage: npm run token -- --workspace NAME --role reader|editor [--expires-in 30d]');
    }

    const database = await openHere();
    const now = { ms: Date.now() };
    const server = await startTestServer({}, { database, now: () => now.ms });
    try {
      const [row] = await database.query<{ expires_at: Date }>('select expires_at from api_tokens where expires_at is not null');
      const expiresAt = new Date(row!.expires_at).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);

      const token = made.stdout.trim();
      expectServed(await ask(server.url, token));
      // Checked once and cached: expiry is judged on every request all the same.
      now.ms = expiresAt + 1;
      expectRefused(await ask(server.url, token), new RegExp(`expired at ${new Date(expiresAt).toISOString()}`));
    } finally {
      await server.close();
      await database.destroy();
    }
  });

  it('refuses a token whose expiry has passed, from its first request', async () => {
    const database = await openHere();
    const server = await startTestServer({}, { database });
    try {
      const token = await issueToken(database.db, 'keys', 'reader', { expiresAt: new Date(Date.now() - 1_000) });
      expectRefused(await ask(server.url, token), /expired at/);
      // A token without expiry is unaffected.
      expectServed(await ask(server.url, workspace.reader));
    } finally {
      await server.close();
      await database.destroy();
    }
  });
});

describe('npm run token:revoke', () => {
  it('refuses an unknown token (exit 1) and a malformed one (exit 2), echoing neither', async () => {
    const unknown = `cf_${randomBytes(32).toString('base64url')}`;
    const result = await revoke(unknown);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('No such token in this database: nothing was revoked.');
    expect(result.stderr).not.toContain(unknown);

    for (const args of [['--token', 'not-a-token'], ['--token', `${workspace.reader}x`], []]) {
      const refused = await runScript('src/cli/token-revoke.ts', args, store.env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toContain('usage: npm run token:revoke -- --token TOKEN');
      expect(refused.stderr).not.toContain(workspace.reader);
    }
  });

  if (onPostgres) {
    it('makes two running instances refuse the token on their very next request', async () => {
      const database = await openHere();
      const first = await startTestServer({}, { database });
      const second = await startTestServer({}, { database });
      try {
        const token = await issueToken(database.db, 'keys', 'reader');
        await hearing(first);
        await hearing(second);
        // Answered twice by each: checked once, then from each instance's cache.
        for (const server of [first, second, first, second]) expectServed(await ask(server.url, token));

        const result = await revoke(token);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toBe('token revoked; 2 running instances confirmed\n');
        expectRefused(await ask(first.url, token), /has been revoked/);
        expectRefused(await ask(second.url, token), /has been revoked/);
        // Other tokens are untouched.
        expectServed(await ask(first.url, workspace.reader));

        // Revoking again announces it again, and is no error.
        const again = await revoke(token);
        expect(again.code).toBe(0);
        expect(again.stdout).toBe('token was already revoked; announced again; 2 running instances confirmed\n');
      } finally {
        await first.close();
        await second.close();
        await database.destroy();
      }
    });

    it('trusts no cached check across a lost connection: a revocation made meanwhile, unannounced, is refused', async () => {
      const database = await openHere();
      const server = await startTestServer({}, { database });
      try {
        const token = await issueToken(database.db, 'keys', 'reader');
        await hearing(server);
        expectServed(await ask(server.url, token));
        expectServed(await ask(server.url, token));
        // The listening connection is cut and the token revoked behind the instance's back, with
        // no notice, before it can listen again.
        const listeners = () => database.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = current_database()', [LISTENER_NAME]);
        const [cut] = await listeners();
        await database.query(
          `with cut as (select pg_terminate_backend($1))
           update api_tokens set revoked_at = now() where token_hash = $2 and (select count(*) from cut) = 1`,
          [cut!.pid, hashToken(token)],
        );
        // Listening again on a new connection: the loss was noticed in between.
        await waitFor('the instance to listen again', listeners, (rows) => rows.length === 1 && rows[0]!.pid !== cut!.pid);
        await hearing(server);
        expectRefused(await ask(server.url, token), /has been revoked/);
      } finally {
        await server.close();
        await database.destroy();
      }
    });
  } else {
    it('on the embedded store, revokes with the server stopped: the next start refuses the token', async () => {
      const token = await (async () => {
        const database = await openHere();
        try {
          return await issueToken(database.db, 'keys', 'reader');
        } finally {
          await database.destroy();
        }
      })();
      const before = await startServerProcess(store.env);
      try {
        expectServed(await ask(before.url, token));
      } finally {
        expect(await before.stop()).toBe(0);
      }
      const result = await revoke(token);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('token revoked\n');
      const after = await startServerProcess(store.env);
      try {
        expectRefused(await ask(after.url, token), /has been revoked/);
        expectServed(await ask(after.url, workspace.reader));
      } finally {
        expect(await after.stop()).toBe(0);
      }
    });
  }
});
