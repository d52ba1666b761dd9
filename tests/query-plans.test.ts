// Every main list, search and loader query is served by an index. On PostgreSQL this runs against
// 100,000 seeded contacts with fresh statistics, so the planner chooses as it would in production.
// On the embedded PGlite store the workspace is small, where a sequential scan is legitimately
// cheapest, so sequential scans are priced out (enable_seqscan = off): the planner then still picks
// one only when no index can serve the query, which is the defect this test looks for.
// The queries are those of src/db/query-plans.ts, which the benchmark's plan check runs at any size.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src/auth/tokens.js';
import { explainStatements, mainQueries, type MainQuery, planProblems, planSample, sequentialScans } from '../src/tools/query-plans.js';
import { findWorkspaceByName } from '../src/db/repositories/workspaces.js';
import { contacts } from '../src/db/schema.js';
import { seedWorkspace } from '../src/tools/seed.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';

const CONTACTS = onPostgres ? 100_000 : 3_000;

let database: TestDatabase;
let captured: Array<{ text: string; params: unknown[] }> = [];
let queries: MainQuery[] = [];

/** Runs `query` and returns the plan of every statement it sent. */
async function plansOf(query: () => Promise<unknown>) {
  captured = [];
  await query();
  const statements = captured;
  captured = [];
  expect(statements.length).toBeGreaterThan(0);
  return explainStatements(database, statements);
}

beforeAll(async () => {
  database = await openTestDatabase({ onStatement: (text, params) => captured.push({ text, params }) });
  await seedWorkspace(database.db, { workspace: 'plans', contacts: CONTACTS });
  await seedWorkspace(database.db, { workspace: 'neighbour', contacts: Math.round(CONTACTS / 10) });
  await issueToken(database.db, 'plans', 'reader');
  const workspaceId = (await findWorkspaceByName(database.db, 'plans'))!.id;
  if (onPostgres) await database.query('vacuum analyze');
  else await database.query('set enable_seqscan = off');
  queries = mainQueries(database, workspaceId, await planSample(database, workspaceId, CONTACTS));
}, 300_000);

afterAll(() => database?.destroy());

// The queries exist only once the workspace is seeded: one test per group checks each of its
// queries and names the one at fault.
const groups: Record<MainQuery['group'], string> = {
  lists: 'contact lists use their keyset index',
  filters: 'filters use an index',
  loaders: 'DataLoader batches use an index',
  counts: 'counts use an index, and the whole workspace is not counted',
};
for (const [group, title] of Object.entries(groups)) {
  describe(title, () => {
    it('every query of the group', async () => {
      const ofGroup = queries.filter((query) => query.group === group);
      expect(ofGroup.length).toBeGreaterThan(0);
      for (const query of ofGroup) {
        const problems = planProblems(query, await plansOf(query.run));
        expect(problems, `${query.name}`).toEqual([]);
      }
    });
  });
}

it('the guard itself sees a sequential scan where no index applies', async () => {
  // A filter on a column without an index must be reported, or the checks above prove nothing.
  // phone has no index by design.
  const plans = await plansOf(() => database.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.phone, '+1 555 0100')));
  expect(plans.flatMap(({ plan }) => sequentialScans(plan))).toContain('contacts');
});

it('accepts a sequential scan only right under a Limit, and only for a query marked as stopping early', async () => {
  const unlimited = await plansOf(() => database.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.phone, '+1 555 0100')));
  const limited = await plansOf(() => database.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.phone, '+1 555 0100')).limit(5));
  const marked = { group: 'counts', name: 'marked', run: async () => undefined, limitBounded: 'stops after 5 rows' } as const;
  const unmarked = { group: 'counts', name: 'unmarked', run: async () => undefined } as const;
  expect(planProblems(marked, unlimited)).toContain('Seq Scan on contacts');
  expect(planProblems(unmarked, limited)).toContain('Seq Scan on contacts');
  expect(planProblems(marked, limited)).toEqual([]);
});
