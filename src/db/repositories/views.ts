// Contact views: the PostgreSQL buffer they wait in when Redis cannot take them, and the one
// statement that counts a batch of them into contacts.
//
// Counting is idempotent: the statement records every view id it counts in applied_contact_views,
// in the same statement (so the same transaction) as the count, and skips ids already there. A
// view delivered twice (a stream entry replayed after a crash, one claimed by two instances, one
// that reached both buffers) is counted once.
import { count, min, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { mapDatabaseErrors } from '../errors.js';
import { contactViewBuffer } from '../schema.js';

/** One recorded view, as it waits in either buffer. */
export interface RecordedView {
  /** Unique to this view (a UUID): what makes counting it idempotent. */
  viewId: string;
  workspaceId: number;
  contactId: number;
  viewedAt: Date;
}

export interface CountedContact {
  workspaceId: number;
  contactId: number;
}

export interface CountResult {
  /** Views taken from the buffer, counted or not (already counted, or their contact is gone). */
  taken: number;
  /** Contacts whose count changed: their cached responses are stale. */
  counted: CountedContact[];
}

/** Appends a view to the PostgreSQL buffer; once this resolves the view is durable. */
export async function bufferView(db: Database, view: RecordedView): Promise<void> {
  await mapDatabaseErrors(async () => {
    await db.insert(contactViewBuffer).values(view);
  });
}

/** How many views wait in the PostgreSQL buffer, and when the oldest of them happened. */
export async function bufferBacklog(db: Database): Promise<{ count: number; oldest: Date | undefined }> {
  const [row] = await db.select({ n: count(), oldest: min(contactViewBuffer.viewedAt) }).from(contactViewBuffer);
  return { count: row?.n ?? 0, oldest: row?.oldest ?? undefined };
}

/** The rows of a raw statement: postgres.js hands back an array, PGlite an object holding one. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * Counts the views `incoming` yields (columns view_id, workspace_id, contact_id, viewed_at) into
 * their contacts, in one statement: skip the ids already applied, aggregate the rest per contact,
 * then one UPDATE ... FROM. `version` and `updated_at` stay: a view is not an edit.
 *
 * The contacts are locked in id order before the update, so two instances counting overlapping
 * batches wait for each other instead of deadlocking.
 */
async function countViews(db: Database, incoming: SQL): Promise<CountResult> {
  const result = await db.execute(sql`
    with incoming as (${incoming}),
    fresh as (
      insert into applied_contact_views (view_id)
      select view_id from incoming order by view_id
      on conflict (view_id) do nothing
      returning view_id
    ),
    per_contact as (
      -- distinct: a batch holding one view twice must still count it once.
      select i.workspace_id, i.contact_id, count(distinct i.view_id)::int as views, max(i.viewed_at) as last_viewed_at
      from incoming i join fresh f on f.view_id = i.view_id
      group by i.workspace_id, i.contact_id
    ),
    locked as materialized (
      select c.id from contacts c
      join per_contact p on p.contact_id = c.id and p.workspace_id = c.workspace_id
      order by c.id
      for update of c
    ),
    counted as (
      update contacts c
      set view_count = c.view_count + p.views,
          last_viewed_at = greatest(c.last_viewed_at, p.last_viewed_at)
      from per_contact p join locked l on l.id = p.contact_id
      where c.id = p.contact_id and c.workspace_id = p.workspace_id
      returning c.workspace_id, c.id
    )
    select
      (select count(*)::int from incoming) as taken,
      (select coalesce(json_agg(json_build_array(workspace_id, id)), '[]'::json) from counted)::text as counted
  `);
  const [row] = rowsOf<{ taken: number; counted: string }>(result);
  const pairs = JSON.parse(row?.counted ?? '[]') as Array<[number, number]>;
  return {
    taken: Number(row?.taken ?? 0),
    counted: pairs.map(([workspaceId, contactId]) => ({ workspaceId: Number(workspaceId), contactId: Number(contactId) })),
  };
}

/** Counts views read from the Redis stream. */
export function countStreamViews(db: Database, views: RecordedView[]): Promise<CountResult> {
  const json = JSON.stringify(
    views.map((view) => ({
      view_id: view.viewId,
      workspace_id: view.workspaceId,
      contact_id: view.contactId,
      viewed_at: view.viewedAt.toISOString(),
    })),
  );
  return countViews(
    db,
    sql`select * from json_to_recordset(${json}::json)
      as v(view_id uuid, workspace_id bigint, contact_id bigint, viewed_at timestamptz)`,
  );
}

/**
 * Takes up to `limit` of the oldest views in the PostgreSQL buffer and counts them; the rows are
 * deleted by the same statement, so a view leaves the buffer exactly when it is counted. SKIP
 * LOCKED lets instances flushing at the same moment take different rows.
 */
export function countBufferedViews(db: Database, limit: number): Promise<CountResult> {
  return countViews(
    db,
    sql`delete from contact_view_buffer
      where id in (select id from contact_view_buffer order by id limit ${limit} for update skip locked)
      returning view_id, workspace_id, contact_id, viewed_at`,
  );
}

/** Forgets applied view ids older than `olderThanMs`; a bounded batch per call. */
export async function pruneAppliedViews(db: Database, olderThanMs: number): Promise<void> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  await db.execute(sql`
    delete from applied_contact_views
    where view_id in (
      select view_id from applied_contact_views where applied_at < ${cutoff}::timestamptz limit 10000
    )
  `);
}
