import { and, count, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { anyOf } from '../id-list.js';
import { mapDatabaseErrors } from '../errors.js';
import { afterKeyset, type Scan, scanOrder, type SortKey } from '../keyset.js';
import { companies, type CompanyRow } from '../schema.js';
import { containsPattern } from './contacts.js';

export interface CompanyFilter {
  search?: string;
}

export const companySortKey: SortKey = { column: companies.nameKey, isInstant: false };

function filterConditions(workspaceId: number, filter: CompanyFilter): SQL[] {
  const conditions: SQL[] = [eq(companies.workspaceId, workspaceId)];
  if (filter.search) {
    // Same expression as companies_search_idx, so the trigram index serves it.
    conditions.push(
      sql`lower(${companies.name} || ' ' || coalesce(${companies.domain}, '')) like ${containsPattern(filter.search)}`,
    );
  }
  return conditions;
}

export async function listCompanies(db: Database, workspaceId: number, filter: CompanyFilter, scan: Scan): Promise<CompanyRow[]> {
  const conditions = filterConditions(workspaceId, filter);
  const keyset = afterKeyset(companySortKey, companies.id, scan);
  if (keyset) conditions.push(keyset);
  return db
    .select()
    .from(companies)
    .where(and(...conditions))
    .orderBy(...scanOrder(companySortKey, companies.id, scan.descending))
    .limit(scan.limit);
}

export async function countCompanies(db: Database, workspaceId: number, filter: CompanyFilter): Promise<number> {
  const [row] = await db.select({ n: count() }).from(companies).where(and(...filterConditions(workspaceId, filter)));
  return row?.n ?? 0;
}

export async function companiesByIds(db: Database, workspaceId: number, ids: readonly number[]): Promise<CompanyRow[]> {
  return db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), anyOf(companies.id, [...ids])));
}

export async function createCompany(
  db: Database,
  workspaceId: number,
  fields: { name: string; domain: string | null },
): Promise<CompanyRow> {
  const [row] = await mapDatabaseErrors(() => db.insert(companies).values({ workspaceId, ...fields }).returning());
  return row!;
}
