// The slow-statement log: with SLOW_QUERY_MS=0 every statement counts as slow, so what a log line
// holds can be checked on ordinary requests: the statement's shape (placeholders, never the
// values), its running time, on PostgreSQL its plan, and one line per shape however often it runs.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from './helpers/database.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { waitFor } from './helpers/wait-for.js';

interface Line {
  msg: string;
  statement?: string;
  durationMs?: number;
  plan?: string;
}

const lines: Line[] = [];
let server: TestServer;
let acme: Workspace;
const SEARCH = 'zqxj';

beforeAll(async () => {
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  // No warming: its statements would run at any moment; every statement here is the test's own.
  server = await startTestServer({ SLOW_QUERY_MS: '0', RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0' }, { logger });
  await server.app.warmed;
  acme = await createWorkspace(server.db, 'acme', 10);
});

afterAll(() => server?.close());

const slow = () => lines.filter((line) => line.msg === 'slow SQL statement');
const searchQuery = `{ contacts(first: 5, filter: { search: "${SEARCH}" }) { totalCount edges { node { id company { name } } } } }`;

/**
 * Plans are asked for in the background: wait until every read's line has been written, the
 * search's among them (statements outside the request, such as the token check, have lines too,
 * so a count alone can be reached before the search's line comes).
 */
async function settled(count: number) {
  await waitFor(
    `${count} slow-statement lines, the search's among them`,
    async () => slow(),
    (written) => written.length >= count && written.some((line) => line.statement?.includes('like')),
    5_000,
  );
}

describe('the slow-statement log', () => {
  it('logs each statement shape once, with its running time and without its parameter values', async () => {
    // Seeding's statements were logged too; from here on, only the request's count.
    lines.length = 0;
    const reply = await server.graphql(searchQuery, {}, acme.reader);
    expect(reply.body.errors).toBeUndefined();
    // Every statement of the request (x-sql-statements counts them) has its line by then.
    await settled(Number(reply.headers.get('x-sql-statements')));
    const search = slow().filter((line) => line.statement?.includes('like'));
    expect(search.length).toBeGreaterThan(0);
    for (const line of slow()) {
      expect(line.statement).toMatch(/\$1/);
      expect(typeof line.durationMs).toBe('number');
      expect(JSON.stringify(line)).not.toContain(SEARCH);
      expect(JSON.stringify(line)).not.toContain(acme.reader);
    }
    // The same request again and again: its statements, all already logged, are not logged again.
    const replies = await Promise.all([1, 2, 3].map(() => server.graphql(searchQuery, {}, acme.reader)));
    const statements = replies.reduce((sum, again) => sum + Number(again.headers.get('x-sql-statements')), 0);
    expect(statements).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(new Set(slow().map((line) => line.statement)).size).toBe(slow().length);
  });

  it(onPostgres ? 'adds the plan PostgreSQL gives for a read, with no value in it' : 'has no plan on the embedded store', async () => {
    const reads = slow().filter((line) => /^(select|with)/i.test(line.statement ?? ''));
    expect(reads.length).toBeGreaterThan(0);
    for (const line of reads) {
      if (onPostgres) {
        expect(line.plan, line.statement).toMatch(/Scan|Result|Aggregate/);
        expect(line.plan).not.toContain(SEARCH);
      } else expect(line.plan).toBeUndefined();
    }
    if (onPostgres) expect(reads.some((line) => line.plan?.includes("'?'"))).toBe(true);
  });
});
