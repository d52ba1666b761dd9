// Every main list, search and loader query is served by an index. On PostgreSQL this runs against
// 100,000 seeded contacts with fresh statistics, so the planner chooses as it would in production.
// On the embedded PGlite store the workspace is small, where a sequential scan is legitimately
// cheapest, so sequential scans are priced out (enable_seqscan = off): the planner then still picks
// one only when no index can serve the query, which is the defect this test looks for.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src/auth/tokens.js';
import type { Keyset } from '../src/db/keyset.js';
import { companiesByIds, listCompanies } from '../src/db/repositories/companies.js';
import {
  type ContactOrderField,
  contactCountsByCompany,
  contactPagesByCompany,
  contactsByIds,
  countContacts,
  listContacts,
} from '../src/db/repositories/contacts.js';
import { noteCountsByContact, notePagesByContact, notesByIds } from '../src/db/repositories/notes.js';
import { tagsByContactIds, listTags } from '../src/db/repositories/tags.js';
import { findWorkspaceByName } from '../src/db/repositories/workspaces.js';
import { contacts } from '../src/db/schema.js';
import { seedWorkspace } from '../src/db/seed.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';

const CONTACTS = onPostgres ? 100_000 : 3_000;
const guardedTables = new Set(['contacts', 'notes', 'contact_tags']);

let database: TestDatabase;
let captured: Array<{ text: string; params: unknown[] }> = [];
let workspaceId: number;
let sample: { contactIds: number[]; companyIds: number[]; tagIds: number[]; noteIds: number[]; nameKey: Keyset; instant: Keyset };

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function sequentialScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && guardedTables.has(node['Relation Name'] ?? '') ? [node['Relation Name']!] : [];
  return [...own, ...(node.Plans ?? []).flatMap(sequentialScans)];
}

/** Runs `query` and returns the plan of every statement it sent. */
async function plansOf(query: () => Promise<unknown>): Promise<Array<{ text: string; plan: PlanNode }>> {
  captured = [];
  await query();
  const statements = captured;
  captured = [];
  expect(statements.length).toBeGreaterThan(0);
  const plans = [];
  for (const { text, params } of statements) {
    const [row] = await database.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${text}`, params);
    const plan = row!['QUERY PLAN'];
    plans.push({ text, plan: (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan });
  }
  return plans;
}

async function expectIndexed(query: () => Promise<unknown>) {
  for (const { text, plan } of await plansOf(query)) {
    expect(sequentialScans(plan), `sequential scan in: ${text}`).toEqual([]);
  }
}

beforeAll(async () => {
  database = await openTestDatabase({ onStatement: (text, params) => captured.push({ text, params }) });
  await seedWorkspace(database.db, { workspace: 'plans', contacts: CONTACTS });
  await seedWorkspace(database.db, { workspace: 'neighbour', contacts: Math.round(CONTACTS / 10) });
  await issueToken(database.db, 'plans', 'reader');
  workspaceId = (await findWorkspaceByName(database.db, 'plans'))!.id;
  if (onPostgres) await database.query('vacuum analyze');
  else await database.query('set enable_seqscan = off');

  const middle = await database.query<{ id: string; name_key: string; created_at: Date; company_id: string }>(
    `select id, name_key, created_at, company_id from contacts where workspace_id = $1 and company_id is not null
     order by name_key, id offset ${Math.floor(CONTACTS / 2)} limit 100`,
    [workspaceId],
  );
  const tags = await listTags(database.db, workspaceId);
  const notes = await database.query<{ id: string }>('select id from notes where workspace_id = $1 limit 20', [workspaceId]);
  sample = {
    contactIds: middle.map((row) => Number(row.id)),
    companyIds: [...new Set(middle.map((row) => Number(row.company_id)))],
    tagIds: tags.map((tag) => tag.id),
    noteIds: notes.map((row) => Number(row.id)),
    nameKey: { value: middle[0]!.name_key, id: Number(middle[0]!.id) },
    instant: { value: new Date(middle[0]!.created_at).getTime(), id: Number(middle[0]!.id) },
  };
}, 300_000);

afterAll(() => database?.destroy());

describe('contact lists use their keyset index', () => {
  const orders: ContactOrderField[] = ['NAME', 'CREATED_AT', 'UPDATED_AT'];
  for (const order of orders) {
    for (const descending of [false, true]) {
      it(`${order} ${descending ? 'DESC' : 'ASC'}, first page and a deep page`, async () => {
        const from = order === 'NAME' ? sample.nameKey : sample.instant;
        await expectIndexed(() => listContacts(database.db, workspaceId, {}, order, { limit: 21, descending }));
        await expectIndexed(() => listContacts(database.db, workspaceId, {}, order, { limit: 101, descending, from }));
      });
    }
  }
});

describe('filters use an index', () => {
  it('search by a name fragment', async () => {
    await expectIndexed(() => listContacts(database.db, workspaceId, { search: 'zieme' }, 'NAME', { limit: 21, descending: false }));
    await expectIndexed(() => countContacts(database.db, workspaceId, { search: 'zieme' }));
  });

  it('search by an email fragment', async () => {
    await expectIndexed(() => listContacts(database.db, workspaceId, { search: 'runolfsdottir' }, 'UPDATED_AT', { limit: 21, descending: true }));
  });

  it('by company', async () => {
    const filter = { companyId: sample.companyIds[0]! };
    await expectIndexed(() => listContacts(database.db, workspaceId, filter, 'NAME', { limit: 21, descending: false }));
    await expectIndexed(() => countContacts(database.db, workspaceId, filter));
  });

  it('by tags', async () => {
    const filter = { tagIds: sample.tagIds.slice(0, 2) };
    await expectIndexed(() => listContacts(database.db, workspaceId, filter, 'NAME', { limit: 21, descending: false }));
    await expectIndexed(() => countContacts(database.db, workspaceId, filter));
  });

  it('updated after a recent instant', async () => {
    const filter = { updatedAfter: new Date('2026-05-31T00:00:00Z') };
    await expectIndexed(() => listContacts(database.db, workspaceId, filter, 'UPDATED_AT', { limit: 21, descending: false }));
    await expectIndexed(() => countContacts(database.db, workspaceId, filter));
  });
});

describe('DataLoader batches use an index', () => {
  it('contacts, companies and notes by id', async () => {
    await expectIndexed(() => contactsByIds(database.db, workspaceId, sample.contactIds));
    await expectIndexed(() => companiesByIds(database.db, workspaceId, sample.companyIds));
    await expectIndexed(() => notesByIds(database.db, workspaceId, sample.noteIds));
  });

  it('tags of 100 contacts', async () => {
    await expectIndexed(() => tagsByContactIds(database.db, workspaceId, sample.contactIds));
  });

  it('the first notes of 100 contacts, and their counts', async () => {
    await expectIndexed(() => notePagesByContact(database.db, workspaceId, sample.contactIds, { limit: 4, descending: true }));
    await expectIndexed(() => noteCountsByContact(database.db, workspaceId, sample.contactIds));
  });

  it('the first contacts of each company, and their counts', async () => {
    await expectIndexed(() => contactPagesByCompany(database.db, workspaceId, sample.companyIds, { limit: 6, descending: false }));
    await expectIndexed(() => contactCountsByCompany(database.db, workspaceId, sample.companyIds));
  });

  it('companies by name', async () => {
    await expectIndexed(() => listCompanies(database.db, workspaceId, {}, { limit: 21, descending: false }));
  });
});

it('the guard itself sees a sequential scan where no index applies', async () => {
  // A filter on a column without an index must be reported, or the checks above prove nothing.
  // phone has no index by design.
  const plans = await plansOf(() => database.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.phone, '+1 555 0100')));
  expect(plans.flatMap(({ plan }) => sequentialScans(plan))).toContain('contacts');
});
