// Contacts: reads for lists, loaders and search, and the contact mutations. Every statement is
// scoped to one workspace and leaves soft-deleted contacts out.
//
// Every function here is async, so it hands out a real Promise: a Drizzle query builder is a
// thenable that runs its statement again each time `then` is called, and GraphQL plugins do call
// `then` on a resolver's result a second time.
import { and, count, eq, getTableColumns, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { notFound, conflict } from '../../errors.js';
import type { Database } from '../client.js';
import { anyOf } from '../id-list.js';
import { mapDatabaseErrors } from '../errors.js';
import { afterKeyset, type Scan, scanOrder, type SortKey } from '../keyset.js';
import { companies, contacts, contactTags, tags, type ContactRow, workspaceContactCounts } from '../schema.js';

export type ContactOrderField = 'NAME' | 'CREATED_AT' | 'UPDATED_AT';

export interface ContactFilter {
  search?: string;
  companyId?: number;
  tagIds?: number[];
  updatedAfter?: Date;
}

const { searchText: _searchText, ...contactColumns } = getTableColumns(contacts);
export { contactColumns };

export const contactSortKeys: Record<ContactOrderField, SortKey> = {
  NAME: { column: contacts.nameKey, isInstant: false },
  CREATED_AT: { column: contacts.createdAt, isInstant: true },
  UPDATED_AT: { column: contacts.updatedAt, isInstant: true },
};

/** `%fragment%` for LIKE, with LIKE's own wildcards taken literally. */
export function containsPattern(fragment: string): string {
  return `%${fragment.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filterConditions(workspaceId: number, filter: ContactFilter): SQL[] {
  const conditions: SQL[] = [eq(contacts.workspaceId, workspaceId), isNull(contacts.deletedAt)];
  if (filter.search) conditions.push(sql`${contacts.searchText} like ${containsPattern(filter.search)}`);
  if (filter.companyId !== undefined) conditions.push(eq(contacts.companyId, filter.companyId));
  if (filter.updatedAfter) conditions.push(gt(contacts.updatedAt, filter.updatedAfter));
  if (filter.tagIds && filter.tagIds.length > 0) {
    const tagIds = [...new Set(filter.tagIds)];
    // Contacts carrying every listed tag: served by contact_tags_tag_idx.
    const carryingAll = sql`select ${contactTags.contactId} from ${contactTags}
      where ${anyOf(contactTags.tagId, tagIds)}
      group by ${contactTags.contactId} having count(*) = ${tagIds.length}`;
    conditions.push(sql`${contacts.id} in (${carryingAll})`);
  }
  return conditions;
}

export async function listContacts(
  db: Database,
  workspaceId: number,
  filter: ContactFilter,
  order: ContactOrderField,
  scan: Scan,
): Promise<ContactRow[]> {
  const key = contactSortKeys[order];
  const conditions = filterConditions(workspaceId, filter);
  const keyset = afterKeyset(key, contacts.id, scan);
  if (keyset) conditions.push(keyset);
  return db
    .select(contactColumns)
    .from(contacts)
    .where(and(...conditions))
    .orderBy(...scanOrder(key, contacts.id, scan.descending))
    .limit(scan.limit) as Promise<ContactRow[]>;
}

const isUnfiltered = (filter: ContactFilter) =>
  !filter.search && filter.companyId === undefined && !filter.updatedAfter && !(filter.tagIds && filter.tagIds.length > 0);

/**
 * Matches a filtered list counts at most: past this, totalCount is this number and
 * totalCountExact is false. A search for a common fragment matches tens of thousands of a large
 * workspace's contacts, and counting them means reading every one of those rows (hundreds of ms
 * at a million contacts), where the page itself reads a handful; a bounded count keeps the
 * search box as fast as its page, and a list UI shows "1,000+" past it anyway.
 */
export const FILTERED_COUNT_LIMIT = 1000;

export interface ContactCount {
  count: number;
  /** False when the count stopped at FILTERED_COUNT_LIMIT: `count` is a lower bound. */
  exact: boolean;
}

/**
 * How many live contacts match. The unfiltered count of a workspace is kept by triggers
 * (drizzle/0005): one row read, at any size. A filtered count reads the matches, up to
 * FILTERED_COUNT_LIMIT of them.
 */
export async function countContacts(db: Database, workspaceId: number, filter: ContactFilter): Promise<ContactCount> {
  if (isUnfiltered(filter)) {
    const [kept] = await db
      .select({ n: workspaceContactCounts.contacts })
      .from(workspaceContactCounts)
      .where(eq(workspaceContactCounts.workspaceId, workspaceId));
    return { count: kept?.n ?? 0, exact: true };
  }
  const matches = db
    .select({ one: sql`1` })
    .from(contacts)
    .where(and(...filterConditions(workspaceId, filter)))
    .limit(FILTERED_COUNT_LIMIT + 1)
    .as('matches');
  const [row] = await db.select({ n: count() }).from(matches);
  const n = row?.n ?? 0;
  return n > FILTERED_COUNT_LIMIT ? { count: FILTERED_COUNT_LIMIT, exact: false } : { count: n, exact: true };
}

export async function contactsByIds(db: Database, workspaceId: number, ids: readonly number[]): Promise<ContactRow[]> {
  return db
    .select(contactColumns)
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), anyOf(contacts.id, [...ids]), isNull(contacts.deletedAt))) as Promise<
    ContactRow[]
  >;
}

/** One name-ordered page of contacts for each company, in a single statement (LATERAL). */
export async function contactPagesByCompany(
  db: Database,
  workspaceId: number,
  companyIds: readonly number[],
  scan: Scan,
): Promise<Map<number, ContactRow[]>> {
  const parent = db
    .select({ companyId: companies.id })
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), anyOf(companies.id, [...companyIds])))
    .as('parent');
  const key = contactSortKeys.NAME;
  const conditions = [
    eq(contacts.workspaceId, workspaceId),
    sql`${contacts.companyId} = ${parent.companyId}`,
    isNull(contacts.deletedAt),
  ];
  const keyset = afterKeyset(key, contacts.id, scan);
  if (keyset) conditions.push(keyset);
  const page = db
    .select(contactColumns)
    .from(contacts)
    .where(and(...conditions))
    .orderBy(...scanOrder(key, contacts.id, scan.descending))
    .limit(scan.limit)
    .as('page');
  const rows = await db.select().from(parent).innerJoinLateral(page, sql`true`);
  const pages = new Map<number, ContactRow[]>();
  for (const row of rows) {
    const list = pages.get(row.parent.companyId) ?? [];
    list.push(row.page as ContactRow);
    pages.set(row.parent.companyId, list);
  }
  return pages;
}

export async function contactCountsByCompany(
  db: Database,
  workspaceId: number,
  companyIds: readonly number[],
): Promise<Map<number, number>> {
  const rows = await db
    .select({ companyId: contacts.companyId, n: count() })
    .from(contacts)
    .where(
      and(eq(contacts.workspaceId, workspaceId), anyOf(contacts.companyId, [...companyIds]), isNull(contacts.deletedAt)),
    )
    .groupBy(contacts.companyId);
  return new Map(rows.map((row) => [row.companyId as number, row.n]));
}

export interface ContactFields {
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  title: string | null;
  companyId: number | null;
}

async function assertCompanyInWorkspace(db: Database, workspaceId: number, companyId: number | null | undefined) {
  if (companyId === null || companyId === undefined) return;
  const found = await db
    .select({ id: companies.id })
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), eq(companies.id, companyId)));
  if (found.length === 0) throw notFound('input.companyId', 'No company with this id exists in this workspace.');
}

async function assertTagsInWorkspace(db: Database, workspaceId: number, tagIds: number[], field: string) {
  if (tagIds.length === 0) return;
  const found = await db
    .select({ id: tags.id })
    .from(tags)
    .where(and(eq(tags.workspaceId, workspaceId), anyOf(tags.id, tagIds)));
  if (found.length !== tagIds.length) throw notFound(field, 'No tag with this id exists in this workspace.');
}

export function createContact(
  db: Database,
  workspaceId: number,
  fields: ContactFields,
  tagIds: number[],
): Promise<ContactRow> {
  return mapDatabaseErrors(() =>
    db.transaction(async (tx) => {
      await assertCompanyInWorkspace(tx, workspaceId, fields.companyId);
      const uniqueTagIds = [...new Set(tagIds)];
      await assertTagsInWorkspace(tx, workspaceId, uniqueTagIds, 'input.tagIds');
      const [row] = await tx
        .insert(contacts)
        .values({ workspaceId, ...fields })
        .returning(contactColumns);
      if (uniqueTagIds.length > 0) {
        await tx.insert(contactTags).values(uniqueTagIds.map((tagId) => ({ contactId: row!.id, tagId })));
      }
      return row as ContactRow;
    }),
  );
}

/** Live contact of the workspace, locked for the rest of the transaction. */
async function lockContact(db: Database, workspaceId: number, id: number, field: string): Promise<ContactRow> {
  const [row] = await db
    .select(contactColumns)
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id), isNull(contacts.deletedAt)))
    .for('update');
  if (!row) throw notFound(field, 'No contact with this id exists in this workspace.');
  return row as ContactRow;
}

const bumpVersion = { version: sql`${contacts.version} + 1`, updatedAt: sql`now()` };

export function updateContact(
  db: Database,
  workspaceId: number,
  id: number,
  expectedVersion: number,
  changes: Partial<ContactFields>,
): Promise<{ contact: ContactRow; previous: ContactRow }> {
  return mapDatabaseErrors(() =>
    db.transaction(async (tx) => {
      const current = await lockContact(tx, workspaceId, id, 'input.id');
      if (current.version !== expectedVersion) {
        throw conflict(
          `The contact was changed since version ${expectedVersion}; it is now at version ${current.version}.`,
          current.version,
        );
      }
      await assertCompanyInWorkspace(tx, workspaceId, changes.companyId);
      const [row] = await tx
        .update(contacts)
        .set({ ...changes, ...bumpVersion })
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id)))
        .returning(contactColumns);
      return { contact: row as ContactRow, previous: current };
    }),
  );
}

/** Soft-deletes a live contact; returns it as it was. */
export async function softDeleteContact(db: Database, workspaceId: number, id: number): Promise<ContactRow> {
  const rows = await db
    .update(contacts)
    .set({ deletedAt: sql`now()`, ...bumpVersion })
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id), isNull(contacts.deletedAt)))
    .returning(contactColumns);
  if (rows.length === 0) throw notFound('input.id', 'No contact with this id exists in this workspace.');
  return rows[0] as ContactRow;
}

/** Adds or removes one tag; a change to a contact's tags is a change to the contact (new version). */
export function setContactTag(
  db: Database,
  workspaceId: number,
  contactId: number,
  tagId: number,
  present: boolean,
): Promise<ContactRow> {
  return mapDatabaseErrors(() =>
    db.transaction(async (tx) => {
      const current = await lockContact(tx, workspaceId, contactId, 'input.contactId');
      await assertTagsInWorkspace(tx, workspaceId, [tagId], 'input.tagId');
      const changed = present
        ? await tx.insert(contactTags).values({ contactId, tagId }).onConflictDoNothing().returning({ id: contactTags.tagId })
        : await tx
            .delete(contactTags)
            .where(and(eq(contactTags.contactId, contactId), eq(contactTags.tagId, tagId)))
            .returning({ id: contactTags.tagId });
      if (changed.length === 0) return current;
      const [row] = await tx
        .update(contacts)
        .set(bumpVersion)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
        .returning(contactColumns);
      return row as ContactRow;
    }),
  );
}
