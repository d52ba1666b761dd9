// No log line carries a value a statement was given. A real statement fails on its way through
// the API (a trigger refuses it, quoting the value in its own message, as a RAISE may), and a search
// carries the same value to the slow-statement log (every statement is slow at SLOW_QUERY_MS=0,
// with its plan on PostgreSQL); then every line the server wrote, at every level, is searched for
// the value, as sent and as JSON would escape it.
import pino from 'pino';
import { onPostgres } from './helpers/database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { waitFor } from './helpers/wait-for.js';

interface Line {
  msg: string;
  [field: string]: unknown;
}

// Letters only: the error log drops digits from messages, which would hide a leak of a marker
// that had any.
const MARKER = 'qzvmarkerwyx';
const QUOTED_MARKER = `o'qzv"markerwyx`;
const lines: Line[] = [];
let server: TestServer;
let acme: Workspace;

beforeAll(async () => {
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  server = await startTestServer(
    { SLOW_QUERY_MS: '0', RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0', ERROR_LOG_INTERVAL_MS: '60000' },
    { logger },
  );
  await server.app.warmed;
  acme = await createWorkspace(server.db, 'acme', 5);
  // An update whose title holds the marker fails in the database, and says why with the value.
  await server.database.query(`
    create function refuse_marked_titles() returns trigger language plpgsql as $$
    begin
      if position('markerwyx' in new.title) > 0 then
        raise exception 'title % refused', new.title;
      end if;
      return new;
    end $$`);
  await server.database.query(
    'create trigger refuse_marked_titles before update on contacts for each row execute function refuse_marked_titles()',
  );
});

afterAll(async () => {
  await server?.database.query('drop trigger if exists refuse_marked_titles on contacts');
  await server?.close();
});

const UPDATE = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id title } } }';
const SEARCH = 'query ($q: String!) { contacts(first: 5, filter: { search: $q }) { totalCount edges { node { id company { name } } } } }';

/** Lines are written as responses go out, plans a little later (EXPLAIN runs in the background). */
const loggedUntil = (what: string, done: () => boolean) => waitFor(what, async () => done(), (value) => value);

function expectNoValue(value: string) {
  for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
    const carrying = lines.filter((line) => JSON.stringify(line).includes(form) || JSON.stringify(line).includes(JSON.stringify(form).slice(1, -1)));
    expect(carrying, `log lines carrying ${form}`).toEqual([]);
  }
}

describe('values in logs', () => {
  it('logs an unexpected database error with its frames and a message without the values of its statement', async () => {
    const page = await server.graphql('{ contacts(first: 2) { edges { node { id version } } } }', {}, acme.reader);
    const [first, second] = page.body.data.contacts.edges.map((edge: { node: unknown }) => edge.node) as Array<{ id: string; version: number }>;
    lines.length = 0;
    const failed = [
      await server.graphql(UPDATE, { input: { id: first!.id, expectedVersion: first!.version, title: `before ${MARKER} after` } }, acme.editor),
      await server.graphql(UPDATE, { input: { id: second!.id, expectedVersion: second!.version, title: QUOTED_MARKER } }, acme.editor),
    ];
    for (const answer of failed) {
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(answer.text).not.toContain('markerwyx');
    }
    await loggedUntil('the unexpected error line', () => lines.some((line) => line.msg === 'unexpected error'));
    const logged = lines.filter((line) => line.msg === 'unexpected error');
    expect(logged).toHaveLength(1);
    const err = logged[0]!.err as { message: string; stack: string };
    expect(err.stack).toMatch(/^\s+at /);
    expect(err.stack).not.toMatch(/params:|Failed query|update "contacts"/i);
    expect(err.message).toMatch(/refused/);
    expectNoValue(MARKER);
    expectNoValue(QUOTED_MARKER);
    expectNoValue('markerwyx');
  });

  it('logs slow statements, with their plans, without the values they were given', async () => {
    lines.length = 0;
    const reply = await server.graphql(SEARCH, { q: MARKER }, acme.reader);
    expect(reply.body.errors).toBeUndefined();
    // The search's own statement, seen for the first time, is logged (with its plan on PostgreSQL).
    await loggedUntil('the search statement\'s line', () =>
      lines.some((line) => line.msg === 'slow SQL statement' && String(line.statement).includes('like') && (!onPostgres || line.plan !== undefined)),
    );
    expectNoValue(MARKER);
  });
});
