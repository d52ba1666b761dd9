// PostgreSQL going away under load: while it is down every request answers fast with the coded
// error SERVICE_UNAVAILABLE (never a hang, a 500, a stack or SQL) and /readyz says 503; once it is
// back the same servers answer normally again by themselves, and no mutation they acknowledged is
// lost. PostgreSQL is stopped and started, restarted (fast) and restarted as after a crash
// (immediate: no checkpoint, recovery from the WAL at start), on a cluster of the test's own, since
// other test files use the shared server meanwhile. The embedded store cannot go away on its own
// (it lives in the server's process), so without DATABASE_URL only its readiness is checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/db/client.js';
import { openConfiguredDatabase } from '../src/db/open.js';
import { loadConfig } from '../src/config.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { ensureCluster, lockCluster, type PgCluster } from './helpers/pg-cluster.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import postgres from 'postgres';

// Small bounds, so that a request stuck on any of them shows as one well inside the test's time.
const POOL_WAIT_MS = 500;
const STATEMENT_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 1_000;
/** The longest any request may take, PostgreSQL up or down: each bound at most once, and some slack for a 2-core machine. */
const ANSWER_BOUND_MS = POOL_WAIT_MS + STATEMENT_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 1_000;
/** A request still unanswered after this is abandoned and counted as hung. */
const HANG_MS = 10_000;
/** Longest wait for any awaited event (load warmed up, requests seen while down, recovery). */
const EVENT_DEADLINE_MS = 15_000;
/** Each load stops by itself after this many requests or this long, whatever the test does. */
const LOAD_MAX_REQUESTS = 6_000;
const LOAD_MAX_MS = 40_000;
/** A client's think time between two requests: paces the load, waits for nothing. */
const THINK_MS = 10;

const DB_ENV = {
  DB_POOL_MAX: '4',
  DB_POOL_WAIT_MS: String(POOL_WAIT_MS),
  DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
  DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
};

const READ = '{ contacts(first: 5, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount edges { node { id email company { name } tags { name } } } } }';
const CREATE = 'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id email } } }';

type Kind = 'read' | 'write' | 'ready';

interface Answer {
  server: string;
  kind: Kind;
  started: number;
  ended: number;
  /** HTTP status; 0 when no answer came (the request hung or the connection failed). */
  status: number;
  /** A read or write answered with data and no errors, or /readyz answered 200. */
  ok: boolean;
  codes: string[];
  text: string;
  /** The email a write created. */
  email?: string;
}

interface Target {
  label: string;
  server: TestServer;
  workspace: Workspace;
}

let writeCounter = 0;

async function timedFetch(url: string, init: RequestInit): Promise<{ status: number; text: string }> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return { status: 0, text: `no answer: ${(error as Error).name}` };
  }
}

async function send(target: Target, kind: Kind): Promise<Answer> {
  const started = performance.now();
  const base = { server: target.label, kind, started };
  if (kind === 'ready') {
    const { status, text } = await timedFetch(`${target.server.url}/readyz`, {});
    return { ...base, ended: performance.now(), status, ok: status === 200, codes: [], text };
  }
  const email = kind === 'write' ? `restart-${process.pid}-${++writeCounter}@example.com` : undefined;
  const body = kind === 'write' ? { query: CREATE, variables: { input: { firstName: 'Load', lastName: `Writer ${writeCounter}`, email } } } : { query: READ };
  const { status, text } = await timedFetch(`${target.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.workspace.editor}` },
    body: JSON.stringify(body),
  });
  const ended = performance.now();
  let parsed: { data?: Record<string, any> | null; errors?: Array<{ extensions?: { code?: string } }> } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: `ok` stays false and the assertions show the text.
  }
  const codes = (parsed.errors ?? []).map((error) => String(error.extensions?.code));
  const answered = kind === 'write' ? parsed.data?.createContact?.contact?.email === email : Array.isArray(parsed.data?.contacts?.edges);
  return { ...base, ended, status, ok: status === 200 && !parsed.errors && answered, codes, text, email };
}

/**
 * Steady read and write load on every target, plus /readyz probes, until stopped (or its own
 * bounds run out). `waitFor` resolves when a condition over the answers so far holds: the test
 * waits on events the load shows, never for a fixed time.
 */
function startLoad(targets: Target[]) {
  const answers: Answer[] = [];
  /** Requests sent and not answered yet, for the message of a wait that runs out. */
  const inFlight = new Map<string, number>();
  const waiters = new Set<() => void>();
  const startedAt = performance.now();
  let stopped = false;
  const running = () => !stopped && answers.length < LOAD_MAX_REQUESTS && performance.now() - startedAt < LOAD_MAX_MS;
  const record = (answer: Answer) => {
    answers.push(answer);
    for (const check of [...waiters]) check();
  };
  const worker = async (target: Target, kinds: Kind[]) => {
    for (let turn = 0; running(); turn++) {
      const kind = kinds[turn % kinds.length]!;
      const key = `${kind} on ${target.label} #${turn}`;
      inFlight.set(key, performance.now());
      const answer = await send(target, kind);
      inFlight.delete(key);
      record(answer);
      await new Promise<void>((resolve) => setTimeout(resolve, THINK_MS));
    }
  };
  const workers = targets.flatMap((target) => [worker(target, ['read', 'write']), worker(target, ['write', 'read']), worker(target, ['ready'])]);
  return {
    answers,
    waitFor(what: string, condition: (answers: Answer[]) => boolean): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          const now = performance.now();
          const pending = [...inFlight].map(([key, sent]) => `${key} unanswered for ${Math.round(now - sent)} ms`);
          reject(new Error(`waited ${EVENT_DEADLINE_MS} ms for ${what}; in flight: ${pending.join(', ') || 'none'}; last answers: ${JSON.stringify(answers.slice(-3))}`));
        }, EVENT_DEADLINE_MS);
        const check = () => {
          if (!condition(answers)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(): Promise<Answer[]> {
      stopped = true;
      await Promise.all(workers);
      return answers;
    },
  };
}

const graphqlAnswers = (answers: Answer[]) => answers.filter((answer) => answer.kind !== 'ready');
const count = (answers: Answer[], keep: (answer: Answer) => boolean) => answers.filter(keep).length;

/** What no answer may ever be, whatever PostgreSQL is doing. */
function expectWellBehaved(answers: Answer[]) {
  for (const answer of answers) {
    const where = `${answer.kind} on ${answer.server}: ${answer.status} ${answer.text.slice(0, 300)}`;
    expect(answer.status, where).not.toBe(0);
    expect(answer.ended - answer.started, `answered after ${Math.round(answer.ended - answer.started)} ms: ${where}`).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    if (answer.kind === 'ready') {
      expect([200, 503], where).toContain(answer.status);
      continue;
    }
    expect(answer.text, where).not.toMatch(/\b(select|insert|update|delete)\b|\bstack|\s+at \S+ \(|ECONNREFUSED|CONNECTION_|57P0|08006/i);
    if (answer.ok) continue;
    expect(answer.status, where).not.toBe(500);
    expect(answer.codes.length, where).toBeGreaterThan(0);
    for (const code of answer.codes) expect(code, where).toBe('SERVICE_UNAVAILABLE');
  }
}

/** The moment every target has answered a read and a write correctly, each started at or after `from`. */
function recoveredAt(answers: Answer[], targets: Target[], from: number): number | undefined {
  let latest = from;
  for (const target of targets) {
    for (const kind of ['read', 'write', 'ready'] as const) {
      const first = answers.find((answer) => answer.server === target.label && answer.kind === kind && answer.started >= from && answer.ok);
      if (!first) return undefined;
      latest = Math.max(latest, first.ended);
    }
  }
  return latest;
}

/** Once recovered, a server stays so: every answer started after `recovered` is a normal one. */
function expectServingAfter(answers: Answer[], recovered: number) {
  for (const answer of answers.filter((each) => each.started >= recovered)) {
    expect(answer.ok, `${answer.kind} on ${answer.server} after recovery: ${answer.status} ${answer.text.slice(0, 300)}`).toBe(true);
  }
}

const longest = (answers: Answer[]) => Math.round(Math.max(0, ...answers.map((answer) => answer.ended - answer.started)));

describe('PostgreSQL restarting under load', () => {
  if (onPostgres) {
    // A cluster of this test's own on port 5434, created once and kept between runs (creating one
    // costs an initdb; a kept one starts in about two seconds). It is left stopped and without the
    // test's database at the end: it holds no memory, port or data then, and never starts on its
    // own (start.conf manual). A run that died half-way leaves it in a state the next run handles:
    // start() is a no-op on a running cluster and the database is made afresh.
    const CLUSTER = 'cardfile_restart';
    const PORT = 5434;
    const DATABASE = 'cardfile_restart';
    let cluster: PgCluster;
    let database: DatabaseHandle | undefined;
    const targets: Target[] = [];
    const acknowledged: string[] = [];
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      // Another run of this file on the machine would stop and start the same cluster: one at a time.
      const lock = await lockCluster(CLUSTER);
      cleanups.push(async () => lock.release());
      try {
        cluster = await ensureCluster(CLUSTER, PORT);
        await cluster.start();
      } catch (error) {
        throw new Error(`this test needs a PostgreSQL cluster of its own (${CLUSTER} on port ${PORT}) and could not make or start it: ${(error as Error).message}`);
      }
      const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
        await admin.unsafe(`create database ${DATABASE}`);
      } finally {
        await admin.end({ timeout: 5 });
      }
      // Opened the way the service opens its database, so the bounds come from the same settings.
      const handle = await openConfiguredDatabase(loadConfig({ DATABASE_URL: cluster.url(DATABASE), ...DB_ENV }));
      database = handle;
      const shared: TestDatabase = { ...handle, namespace: `t${CLUSTER}${process.pid}`, destroy: async () => {} };
      cleanups.push(async () => {
        await handle.close();
        const cleaner = postgres(cluster.url(), { max: 1, onnotice: () => {} });
        try {
          await cleaner.unsafe(`drop database if exists ${DATABASE} with (force)`);
        } finally {
          await cleaner.end({ timeout: 5 });
        }
        await cluster.stop('fast');
      });
      const workspace = await createWorkspace(handle.db, 'acme', 20);
      // Two servers over the one database: one checks the caller's token in the database on every
      // request (as any server does once its token cache expires), the other trusts its cache, so
      // the outage meets both the token check and the query itself.
      for (const [label, ttl] of [
        ['checks-tokens', '0'],
        ['caches-tokens', '600000'],
      ] as const) {
        const server = await startTestServer({ ...DB_ENV, RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0', TOKEN_CACHE_TTL_MS: ttl }, { database: shared });
        cleanups.push(() => server.close());
        targets.push({ label, server, workspace });
      }
    });

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    const warmedUp = (answers: Answer[]) =>
      targets.every((target) => ['read', 'write', 'ready'].every((kind) => count(answers, (a) => a.server === target.label && a.kind === kind && a.ok) >= 3));

    async function underLoad(name: string, disrupt: (load: ReturnType<typeof startLoad>) => Promise<{ down?: [number, number]; up: number }>) {
      const load = startLoad(targets);
      let answers: Answer[] = [];
      try {
        await load.waitFor('the load to be answered normally', warmedUp);
        const disrupted = performance.now();
        const { down, up } = await disrupt(load);
        await load.waitFor('every server to answer normally again', (so) => recoveredAt(so, targets, up) !== undefined);
        answers = await load.stop();
        const recovered = recoveredAt(answers, targets, up)!;
        const failed = answers.filter((answer) => answer.started >= disrupted && !answer.ok);
        console.info(
          `${name}: ${answers.length} requests, ${failed.length} refused after the disruption (longest answer ${longest(failed)} ms, longest of all ${longest(answers)} ms)` +
            `${down ? `, ${count(answers, (a) => a.started >= down[0] && a.ended <= down[1])} while down` : ''}; every server answered normally ${Math.round(recovered - up)} ms after PostgreSQL accepted connections again`,
        );
        return { answers, recovered, down, disrupted };
      } finally {
        if (answers.length === 0) answers = await load.stop();
        // A scenario that failed half-way may leave PostgreSQL stopped: the next one starts from a running server.
        await cluster.start();
        for (const answer of answers) if (answer.kind === 'write' && answer.ok) acknowledged.push(answer.email!);
      }
    }

    it('while PostgreSQL is stopped every request answers SERVICE_UNAVAILABLE at once and /readyz 503; once started the same servers serve again', async () => {
      const { answers, recovered, down } = await underLoad('stopped, then started', async (load) => {
        await cluster.stop('fast');
        const downFrom = performance.now();
        // Observe the outage: enough requests of every kind to every server, all started after it began.
        await load.waitFor('requests answered while PostgreSQL is down', (so) =>
          targets.every(
            (target) =>
              count(so, (a) => a.server === target.label && a.kind === 'read' && a.started >= downFrom) >= 5 &&
              count(so, (a) => a.server === target.label && a.kind === 'write' && a.started >= downFrom) >= 5 &&
              count(so, (a) => a.server === target.label && a.kind === 'ready' && a.started >= downFrom) >= 2,
          ),
        );
        const downUntil = performance.now();
        await cluster.start();
        return { down: [downFrom, downUntil], up: performance.now() };
      });
      expectWellBehaved(answers);
      const whileDown = answers.filter((answer) => answer.started >= down![0] && answer.ended <= down![1]);
      expect(count(whileDown, (a) => a.kind !== 'ready')).toBeGreaterThanOrEqual(20);
      for (const answer of whileDown) {
        expect(answer.ok, `${answer.kind} on ${answer.server} while PostgreSQL was down: ${answer.text.slice(0, 200)}`).toBe(false);
        if (answer.kind === 'ready') expect(answer.status).toBe(503);
        else expect(answer.codes).toEqual(['SERVICE_UNAVAILABLE']);
      }
      expectServingAfter(answers, recovered);
    });

    it('a fast restart under load costs some requests SERVICE_UNAVAILABLE, none a hang or a 500, and the servers recover by themselves', async () => {
      const { answers, recovered } = await underLoad('fast restart', async () => {
        await cluster.restart('fast');
        return { up: performance.now() };
      });
      expectWellBehaved(answers);
      expectServingAfter(answers, recovered);
    });

    it('an immediate restart (as after a crash: recovery from the WAL) under load: the same, and acknowledged writes survive it', async () => {
      const { answers, recovered } = await underLoad('immediate restart', async () => {
        await cluster.restart('immediate');
        return { up: performance.now() };
      });
      expectWellBehaved(answers);
      expectServingAfter(answers, recovered);
    });

    it('every mutation that was acknowledged is in the database', async () => {
      expect(acknowledged.length).toBeGreaterThan(30);
      const rows = await database!.query<{ email: string }>('select email from contacts where email = any($1)', [acknowledged]);
      const stored = new Set(rows.map((row) => row.email));
      expect(acknowledged.filter((email) => !stored.has(email))).toEqual([]);
    });
  } else {
    it('reports the embedded store ready, and it answers queries', async () => {
      const database = await openTestDatabase();
      const server = await startTestServer({ RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0' }, { database });
      try {
        const ready = await server.request('/readyz');
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ status: 'ready' });
        const acme = await createWorkspace(database.db, 'acme', 3);
        expect((await server.graphql(READ, {}, acme.reader)).body.data.contacts.totalCount).toBe(3);
      } finally {
        await server.close();
        await database.destroy();
      }
    });
  }
});
