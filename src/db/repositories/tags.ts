import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../client.js';
import { anyOf } from '../id-list.js';
import { mapDatabaseErrors } from '../errors.js';
import { contactTags, type TagRow, tags } from '../schema.js';

export async function listTags(db: Database, workspaceId: number): Promise<TagRow[]> {
  return db.select().from(tags).where(eq(tags.workspaceId, workspaceId)).orderBy(asc(tags.name), asc(tags.id));
}

export async function tagsByIds(db: Database, workspaceId: number, ids: readonly number[]): Promise<TagRow[]> {
  return db
    .select()
    .from(tags)
    .where(and(eq(tags.workspaceId, workspaceId), anyOf(tags.id, [...ids])));
}

/** The tags of each contact, by name, in one statement. */
export async function tagsByContactIds(
  db: Database,
  workspaceId: number,
  contactIds: readonly number[],
): Promise<Map<number, TagRow[]>> {
  const rows = await db
    .select({ contactId: contactTags.contactId, tag: tags })
    .from(contactTags)
    .innerJoin(tags, eq(tags.id, contactTags.tagId))
    .where(and(eq(tags.workspaceId, workspaceId), anyOf(contactTags.contactId, [...contactIds])))
    .orderBy(asc(tags.name), asc(tags.id));
  const byContact = new Map<number, TagRow[]>();
  for (const row of rows) {
    const list = byContact.get(row.contactId) ?? [];
    list.push(row.tag);
    byContact.set(row.contactId, list);
  }
  return byContact;
}

export async function createTag(db: Database, workspaceId: number, name: string): Promise<TagRow> {
  const [row] = await mapDatabaseErrors(() => db.insert(tags).values({ workspaceId, name }).returning());
  return row!;
}
