// The `bench` workspace: migrated, seeded to size, with reader and editor tokens, and the sample
// data the scenarios draw from (popular contacts, page variants, search fragments, a deep cursor).
import postgres from 'postgres';
import { issueToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import type { DatabaseHandle } from '../src/db/client.js';
import { openConfiguredDatabase } from '../src/db/open.js';
import { seedWorkspace } from '../src/tools/seed.js';
import { toGlobalId } from '../src/graphql/global-id.js';
import { CURSOR_KEY, sharedKey } from '../src/db/repositories/server-keys.js';
import { CursorCodec } from '../src/graphql/cursor-codec.js';
import { listCursors } from '../src/graphql/pagination.js';

/** How many contacts the mixed scenario reads and writes (Zipf over them, by id). */
const POPULAR_CONTACTS = 1000;

export interface BenchWorkspace {
  id: number;
  contacts: number;
  postgresVersion: string;
  readerToken: string;
  editorToken: string;
  /** ContactsPage variables for the mixed scenario, most popular first. */
  pageVariants: Record<string, unknown>[];
  searchFragments: string[];
  /** `after` cursor of the contact 90% of the way through the list by name. */
  deepCursor: string;
  /** The popular contacts with their current versions, most popular first. */
  popularContacts(): Promise<{ id: string; version: number }[]>;
  close(): Promise<void>;
}

async function liveContacts(database: DatabaseHandle, workspaceId: number): Promise<number> {
  const [row] = await database.query<{ n: number }>(
    'select count(*)::int as n from contacts where workspace_id = $1 and deleted_at is null',
    [workspaceId],
  );
  return row?.n ?? 0;
}

async function workspaceId(database: DatabaseHandle, name: string): Promise<number | undefined> {
  const [row] = await database.query<{ id: number }>('select id::int as id from workspaces where name = $1', [name]);
  return row?.id;
}

/** A 3 to 5 letter fragment of a name, from a random position. */
function fragmentOf(name: string): string | undefined {
  const letters = name.toLowerCase().replace(/[^a-z]/g, '');
  if (letters.length < 3) return undefined;
  const length = Math.min(letters.length, 3 + Math.floor(Math.random() * 3));
  const start = Math.floor(Math.random() * (letters.length - length + 1));
  return letters.slice(start, start + length);
}

/**
 * On a connection of its own, without the pool's statement timeout: at a million contacts the
 * first vacuum after a seed takes longer than any request may.
 */
async function vacuumContactTables(): Promise<void> {
  const maintenance = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    await maintenance.unsafe('vacuum (analyze) contacts, companies, contact_tags, tags, notes');
  } finally {
    await maintenance.end({ timeout: 5 });
  }
}

export async function prepareWorkspace(name: string, target: number, log: (line: string) => void): Promise<BenchWorkspace> {
  // Opening applies the migrations that have not run yet (what `npm run db:migrate` does).
  const database = await openConfiguredDatabase(loadConfig());
  try {
    const existingId = await workspaceId(database, name);
    const existing = existingId === undefined ? 0 : await liveContacts(database, existingId);
    if (existing < target) {
      log(`seeding workspace "${name}": ${existing} -> ${target} contacts (takes a while once)`);
      await seedWorkspace(database.db, { workspace: name, contacts: target - existing });
    }
    // Fresh statistics and visibility maps: without them (autovacuum may be off, and it lags a bulk
    // seed anyway) the planner guesses row counts and counts cannot use index-only scans, so every
    // scenario that reaches the database would measure a state no long-running deployment is in.
    log('vacuum (analyze) of the contact tables');
    await vacuumContactTables();
    const id = (await workspaceId(database, name))!;
    const contacts = await liveContacts(database, id);
    const readerToken = await issueToken(database.db, name, 'reader');
    const editorToken = await issueToken(database.db, name, 'editor');

    const tagRows = await database.query<{ id: number }>('select id::int as id from tags where workspace_id = $1 order by name limit 2', [id]);
    const [company] = await database.query<{ id: number }>(
      'select company_id::int as id from contacts where workspace_id = $1 and company_id is not null group by company_id order by count(*) desc limit 1',
      [id],
    );
    const pageVariants: Record<string, unknown>[] = [];
    for (const field of ['NAME', 'UPDATED_AT', 'CREATED_AT']) {
      for (const direction of ['ASC', 'DESC']) pageVariants.push({ first: 50, orderBy: { field, direction } });
    }
    for (const tag of tagRows) pageVariants.push({ first: 50, filter: { tagIds: [toGlobalId('Tag', tag.id)] } });
    if (company) pageVariants.push({ first: 50, filter: { companyId: toGlobalId('Company', company.id) } });
    pageVariants.push({ first: 50, filter: { search: 'son' } }, { first: 50, filter: { search: 'mar' } });

    const names = await database.query<{ first_name: string; last_name: string }>(
      'select first_name, last_name from contacts where workspace_id = $1 and deleted_at is null order by random() limit 400',
      [id],
    );
    const searchFragments = [
      ...new Set(names.flatMap((row) => [fragmentOf(row.first_name), fragmentOf(row.last_name)]).filter((f): f is string => !!f)),
    ];

    const [deep] = await database.query<{ name_key: string; id: number }>(
      `select name_key, id::int as id from contacts where workspace_id = $1 and deleted_at is null
       order by name_key, id offset $2 limit 1`,
      [id, Math.floor(contacts * 0.9)],
    );
    // The cursor cardfile itself issues for that row in the default ordering (NAME ASC, no filter),
    // sealed with the key its servers share.
    const cursors = listCursors(new CursorCodec(await sharedKey(database.db, CURSOR_KEY)), id, 'contacts', 'NAME', 'ASC', {});
    const deepCursor = cursors.encode({ value: deep!.name_key, id: deep!.id });

    const [version] = await database.query<{ server_version: string }>('show server_version');

    return {
      id,
      contacts,
      postgresVersion: version?.server_version ?? 'unknown',
      readerToken,
      editorToken,
      pageVariants,
      searchFragments,
      deepCursor,
      popularContacts: async () =>
        (
          await database.query<{ id: number; version: number }>(
            'select id::int as id, version from contacts where workspace_id = $1 and deleted_at is null order by id limit $2',
            [id, POPULAR_CONTACTS],
          )
        ).map((row) => ({ id: toGlobalId('Contact', row.id), version: row.version })),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
