// The main queries of the API (list pages in every ordering, each filter, search, the loaders'
// batches, nested pages, counts) as one list, and a check that none of them reads a big table
// with a sequential scan. The test suite runs it at 100,000 contacts (tests/query-plans.test.ts)
// and the benchmark at any size (bench/plan-check.ts): one list, so both check the same queries.
import type { DatabaseHandle } from '../db/client.js';
import type { Keyset } from '../db/keyset.js';
import { companiesByIds, listCompanies } from '../db/repositories/companies.js';
import {
  type ContactOrderField,
  contactCountsByCompany,
  contactPagesByCompany,
  contactsByIds,
  countContacts,
  listContacts,
} from '../db/repositories/contacts.js';
import { noteCountsByContact, notePagesByContact, notesByIds } from '../db/repositories/notes.js';
import { listTags, tagsByContactIds } from '../db/repositories/tags.js';

/** Tables big enough that a sequential scan of them is a defect in any main query. */
export const GUARDED_TABLES = new Set(['contacts', 'notes', 'contact_tags', 'companies']);

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Ids and positions from the middle of a workspace, for deep pages and loader batches. */
export interface PlanSample {
  contactIds: number[];
  companyIds: number[];
  tagIds: number[];
  noteIds: number[];
  nameKey: Keyset;
  instant: Keyset;
}

export interface MainQuery {
  /** What the API uses it for. */
  group: 'lists' | 'filters' | 'loaders' | 'counts';
  name: string;
  run(): Promise<unknown>;
  /** Tables the query must not read at all (the kept count must never count contacts). */
  mustNotRead?: string[];
  /**
   * Set (to the reason) for a query that stops after a fixed number of rows: a sequential scan
   * right under its Limit is accepted, as it reads about limit / share-of-matching rows, not the
   * table. The filtered counts are such: for a fragment matching a large share of the workspace,
   * PostgreSQL rightly reads the table in order until 1,001 matches (2 to 12 ms at a million
   * contacts) rather than gather every match from the trigram index first (15 to 35 ms).
   */
  limitBounded?: string;
}

export async function planSample(database: DatabaseHandle, workspaceId: number, contacts: number): Promise<PlanSample> {
  const middle = await database.query<{ id: string; name_key: string; created_at: Date; company_id: string }>(
    `select id, name_key, created_at, company_id from contacts
      where workspace_id = $1 and company_id is not null and deleted_at is null
      order by name_key, id offset ${Math.floor(contacts / 2)} limit 100`,
    [workspaceId],
  );
  if (middle.length === 0) throw new Error('the workspace has no contacts to sample');
  const tags = await listTags(database.db, workspaceId);
  const notes = await database.query<{ id: string }>(
    'select notes.id from notes where contact_id = any($1::bigint[]) limit 20',
    [middle.map((row) => row.id)],
  );
  return {
    contactIds: middle.map((row) => Number(row.id)),
    companyIds: [...new Set(middle.map((row) => Number(row.company_id)))],
    tagIds: tags.map((tag) => tag.id),
    noteIds: notes.map((row) => Number(row.id)),
    nameKey: { value: middle[0]!.name_key, id: Number(middle[0]!.id) },
    instant: { value: new Date(middle[0]!.created_at).getTime(), id: Number(middle[0]!.id) },
  };
}

export function mainQueries(database: DatabaseHandle, workspaceId: number, sample: PlanSample): MainQuery[] {
  const db = database.db;
  const queries: MainQuery[] = [];
  const orders: ContactOrderField[] = ['NAME', 'CREATED_AT', 'UPDATED_AT'];
  for (const order of orders) {
    for (const descending of [false, true]) {
      const label = `${order} ${descending ? 'DESC' : 'ASC'}`;
      const from = order === 'NAME' ? sample.nameKey : sample.instant;
      queries.push(
        { group: 'lists', name: `${label}, first page`, run: () => listContacts(db, workspaceId, {}, order, { limit: 21, descending }) },
        { group: 'lists', name: `${label}, deep page`, run: () => listContacts(db, workspaceId, {}, order, { limit: 101, descending, from }) },
      );
    }
  }
  const firstPage = { limit: 21, descending: false };
  const filters = [
    { name: 'search by a rare name fragment', filter: { search: 'zieme' } },
    { name: 'search by a common name fragment', filter: { search: 'son' } },
    { name: 'by company', filter: { companyId: sample.companyIds[0]! } },
    { name: 'by tags', filter: { tagIds: sample.tagIds.slice(0, 2) } },
    { name: 'updated after a recent instant', filter: { updatedAfter: new Date('2026-05-31T00:00:00Z') } },
  ];
  for (const { name, filter } of filters) {
    const order: ContactOrderField = filter.updatedAfter ? 'UPDATED_AT' : 'NAME';
    queries.push(
      { group: 'filters', name, run: () => listContacts(db, workspaceId, filter, order, firstPage) },
      {
        group: 'filters',
        name: `${name}, its count`,
        run: () => countContacts(db, workspaceId, filter),
        limitBounded: 'a filtered count stops at FILTERED_COUNT_LIMIT + 1 matches',
      },
    );
  }
  queries.push(
    {
      group: 'filters',
      name: 'search by an email fragment, newest changes first',
      run: () => listContacts(db, workspaceId, { search: 'runolfsdottir' }, 'UPDATED_AT', { limit: 21, descending: true }),
    },
    { group: 'loaders', name: 'contacts by id', run: () => contactsByIds(db, workspaceId, sample.contactIds) },
    { group: 'loaders', name: 'companies by id', run: () => companiesByIds(db, workspaceId, sample.companyIds) },
    { group: 'loaders', name: 'notes by id', run: () => notesByIds(db, workspaceId, sample.noteIds) },
    { group: 'loaders', name: 'tags of 100 contacts', run: () => tagsByContactIds(db, workspaceId, sample.contactIds) },
    {
      group: 'loaders',
      name: 'the first notes of 100 contacts',
      run: () => notePagesByContact(db, workspaceId, sample.contactIds, { limit: 4, descending: true }),
    },
    { group: 'loaders', name: 'note counts of 100 contacts', run: () => noteCountsByContact(db, workspaceId, sample.contactIds) },
    {
      group: 'loaders',
      name: 'the first contacts of each company',
      run: () => contactPagesByCompany(db, workspaceId, sample.companyIds, { limit: 6, descending: false }),
    },
    { group: 'loaders', name: 'contact counts of companies', run: () => contactCountsByCompany(db, workspaceId, sample.companyIds) },
    { group: 'loaders', name: 'companies by name', run: () => listCompanies(db, workspaceId, {}, firstPage) },
    {
      group: 'counts',
      name: 'totalCount of the whole workspace',
      run: () => countContacts(db, workspaceId, {}),
      mustNotRead: ['contacts'],
    },
  );
  return queries;
}

/** Tables a plan reads, by node, with the node type and whether a Limit node sits right above it. */
function scans(node: PlanNode, underLimit = false): Array<{ type: string; table: string; underLimit: boolean }> {
  const own = node['Relation Name'] ? [{ type: node['Node Type'], table: node['Relation Name'], underLimit }] : [];
  return [...own, ...(node.Plans ?? []).flatMap((child) => scans(child, node['Node Type'] === 'Limit'))];
}

/** The guarded tables a plan reads with a sequential scan (but for scans right under a Limit, when `limitBounded`). */
export function sequentialScans(plan: PlanNode, limitBounded = false): string[] {
  return scans(plan)
    .filter((scan) => scan.type === 'Seq Scan' && GUARDED_TABLES.has(scan.table) && !(limitBounded && scan.underLimit))
    .map((scan) => scan.table);
}

export interface StatementPlan {
  text: string;
  plan: PlanNode;
}

/** EXPLAIN (not run) of each statement, with the values it was sent with. */
export async function explainStatements(
  database: DatabaseHandle,
  statements: Array<{ text: string; params: unknown[] }>,
): Promise<StatementPlan[]> {
  const plans: StatementPlan[] = [];
  for (const { text, params } of statements) {
    const [row] = await database.query<{ 'QUERY PLAN': string | Array<{ Plan: PlanNode }> }>(`explain (format json) ${text}`, params);
    const plan = row!['QUERY PLAN'];
    plans.push({ text, plan: (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan });
  }
  return plans;
}

/** What is wrong with a query's plans: sequential scans of guarded tables, reads it must not make. */
export function planProblems(query: MainQuery, plans: StatementPlan[]): string[] {
  const problems: string[] = [];
  for (const { plan } of plans) {
    for (const table of sequentialScans(plan, query.limitBounded !== undefined)) problems.push(`Seq Scan on ${table}`);
    for (const scan of scans(plan)) {
      if (query.mustNotRead?.includes(scan.table)) problems.push(`reads ${scan.table} (${scan.type})`);
    }
  }
  return problems;
}
