import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { notFound } from '../../errors.js';
import type { Database } from '../client.js';
import { anyOf } from '../id-list.js';
import { mapDatabaseErrors } from '../errors.js';
import { afterKeyset, type Scan, scanOrder, type SortKey } from '../keyset.js';
import { contacts, type NoteRow, notes } from '../schema.js';

export const noteSortKey: SortKey = { column: notes.createdAt, isInstant: true };

/** One newest-first page of notes for each contact, in a single statement (LATERAL). */
export async function notePagesByContact(
  db: Database,
  workspaceId: number,
  contactIds: readonly number[],
  scan: Scan,
): Promise<Map<number, NoteRow[]>> {
  const parent = db
    .select({ contactId: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), anyOf(contacts.id, [...contactIds])))
    .as('parent');
  const conditions = [eq(notes.workspaceId, workspaceId), sql`${notes.contactId} = ${parent.contactId}`];
  const keyset = afterKeyset(noteSortKey, notes.id, scan);
  if (keyset) conditions.push(keyset);
  const page = db
    .select()
    .from(notes)
    .where(and(...conditions))
    .orderBy(...scanOrder(noteSortKey, notes.id, scan.descending))
    .limit(scan.limit)
    .as('page');
  const rows = await db.select().from(parent).innerJoinLateral(page, sql`true`);
  const pages = new Map<number, NoteRow[]>();
  for (const row of rows) {
    const list = pages.get(row.parent.contactId) ?? [];
    list.push(row.page as NoteRow);
    pages.set(row.parent.contactId, list);
  }
  return pages;
}

export async function noteCountsByContact(
  db: Database,
  workspaceId: number,
  contactIds: readonly number[],
): Promise<Map<number, number>> {
  const rows = await db
    .select({ contactId: notes.contactId, n: count() })
    .from(notes)
    .where(and(eq(notes.workspaceId, workspaceId), anyOf(notes.contactId, [...contactIds])))
    .groupBy(notes.contactId);
  return new Map(rows.map((row) => [row.contactId, row.n]));
}

export async function notesByIds(db: Database, workspaceId: number, ids: readonly number[]): Promise<NoteRow[]> {
  return db
    .select()
    .from(notes)
    .where(and(eq(notes.workspaceId, workspaceId), anyOf(notes.id, [...ids])));
}

export function addNote(db: Database, workspaceId: number, contactId: number, body: string): Promise<NoteRow> {
  return mapDatabaseErrors(() =>
    db.transaction(async (tx) => {
      const [contact] = await tx
        .select({ id: contacts.id })
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId), isNull(contacts.deletedAt)))
        .for('share');
      if (!contact) throw notFound('input.contactId', 'No contact with this id exists in this workspace.');
      const [row] = await tx.insert(notes).values({ workspaceId, contactId, body }).returning();
      return row!;
    }),
  );
}
