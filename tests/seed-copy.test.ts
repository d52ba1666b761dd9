// The seeder loads rows with COPY (src/db/bulk-copy.ts), on PostgreSQL and on the embedded store.
// COPY bypasses the API's statements, so this checks that what lands is what the summary says and
// what every other writer would have produced: the triggers' search text, the kept contact count,
// and appending on a second seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkWriter } from '../src/tools/bulk-copy.js';
import { copyLine } from '../src/tools/copy-text.js';
import { type SeedSummary, seedWorkspace } from '../src/tools/seed.js';
import { openTestDatabase, type TestDatabase } from './helpers/database.js';

let database: TestDatabase;
let workspaceId: number;
let first: SeedSummary;
let second: SeedSummary;

async function scalar(text: string, params: unknown[] = []): Promise<number> {
  const [row] = await database.query<{ n: unknown }>(text, params);
  return Number(row!.n);
}

/** What the workspace holds, counted row by row. */
async function counted() {
  return {
    contacts: await scalar('select count(*) as n from contacts where workspace_id = $1', [workspaceId]),
    companies: await scalar('select count(*) as n from companies where workspace_id = $1', [workspaceId]),
    tags: await scalar('select count(*) as n from tags where workspace_id = $1', [workspaceId]),
    notes: await scalar('select count(*) as n from notes where workspace_id = $1', [workspaceId]),
    contactTags: await scalar(
      'select count(*) as n from contact_tags join contacts on contacts.id = contact_tags.contact_id where contacts.workspace_id = $1',
      [workspaceId],
    ),
  };
}

beforeAll(async () => {
  database = await openTestDatabase();
  // Another workspace first, so ids, counters and tags of two workspaces sit side by side.
  await seedWorkspace(database.db, { workspace: 'elsewhere', contacts: 50 });
  first = await seedWorkspace(database.db, { workspace: 'copied', contacts: 700 });
  const [row] = await database.query<{ id: unknown }>('select id from workspaces where name = $1', ['copied']);
  workspaceId = Number(row!.id);
});

afterAll(() => database?.destroy());

describe('a seed loaded by COPY', () => {
  it('leaves the tables it loaded analyzed, so the first plans are not guesses', async () => {
    const analyzed = await database.query<{ relname: string; last_analyze: unknown }>(
      "select relname, last_analyze from pg_stat_user_tables where relname in ('companies', 'contacts', 'contact_tags', 'notes', 'tags') order by relname",
    );
    expect(analyzed.map((table) => table.relname)).toEqual(['companies', 'contact_tags', 'contacts', 'notes', 'tags']);
    for (const table of analyzed) expect(table.last_analyze, table.relname).not.toBeNull();
    // The planner's row estimate for contacts is what the two seeds loaded, not a default.
    expect(await scalar("select reltuples as n from pg_class where relname = 'contacts'")).toBe(750);
  });

  it('holds exactly what its summary says', async () => {
    expect(first).toMatchObject({ workspace: 'copied', contacts: 700, companies: 35, tags: 15 });
    // Every contact has 0 to 4 notes and 0 to 3 tags: the totals are the generator's, not fixed.
    expect(first.notes).toBeGreaterThan(700);
    expect(first.contactTags).toBeGreaterThan(350);
    expect(await counted()).toEqual({
      contacts: first.contacts,
      companies: first.companies,
      tags: first.tags,
      notes: first.notes,
      contactTags: first.contactTags,
    });
  });

  it('has every contact linked within its workspace: company, tags and notes', async () => {
    const strays = await scalar(
      `select count(*) as n from contacts
         left join companies on companies.id = contacts.company_id
        where contacts.workspace_id = $1 and contacts.company_id is not null and companies.workspace_id <> $1`,
      [workspaceId],
    );
    const foreignTags = await scalar(
      `select count(*) as n from contact_tags
         join contacts on contacts.id = contact_tags.contact_id
         join tags on tags.id = contact_tags.tag_id
        where contacts.workspace_id = $1 and tags.workspace_id <> $1`,
      [workspaceId],
    );
    const foreignNotes = await scalar(
      'select count(*) as n from notes join contacts on contacts.id = notes.contact_id where notes.workspace_id <> contacts.workspace_id',
    );
    expect({ strays, foreignTags, foreignNotes }).toEqual({ strays: 0, foreignTags: 0, foreignNotes: 0 });
    expect(await scalar('select count(*) as n from contacts where workspace_id = $1 and company_id is not null', [workspaceId])).toBeGreaterThan(500);
  });

  it('has the search text the trigger computes from names, email and company', async () => {
    const wrong = await scalar(
      `select count(*) as n from contacts
         left join companies on companies.id = contacts.company_id
        where contacts.workspace_id = $1
          and contacts.search_text <> lower(contacts.first_name || ' ' || contacts.last_name || ' ' ||
                                            coalesce(contacts.email, '') || ' ' || coalesce(companies.name, ''))`,
      [workspaceId],
    );
    expect(wrong).toBe(0);
    expect(await scalar(`select count(*) as n from contacts where workspace_id = $1 and search_text = ''`, [workspaceId])).toBe(0);
  });

  it('keeps the contact counter equal to the contacts, per workspace', async () => {
    const kept = await database.query<{ name: string; kept: unknown; live: unknown }>(
      `select workspaces.name, counts.contacts as kept,
              (select count(*) from contacts where contacts.workspace_id = workspaces.id and deleted_at is null) as live
         from workspaces join workspace_contact_counts as counts on counts.workspace_id = workspaces.id
        order by workspaces.name`,
    );
    expect(kept.map((row) => [row.name, Number(row.kept), Number(row.live)])).toEqual([
      ['copied', 700, 700],
      ['elsewhere', 50, 50],
    ]);
  });
});

describe('seeding the same workspace again', () => {
  beforeAll(async () => {
    second = await seedWorkspace(database.db, { workspace: 'copied', contacts: 300 });
  });

  it('appends new people, companies, notes and tag links, and no new tags', async () => {
    expect(second).toMatchObject({ workspace: 'copied', contacts: 300, companies: 15, tags: 0 });
    expect(await counted()).toEqual({
      contacts: first.contacts + second.contacts,
      companies: first.companies + second.companies,
      tags: first.tags,
      notes: first.notes + second.notes,
      contactTags: first.contactTags + second.contactTags,
    });
    const duplicateEmails = await scalar(
      'select count(*) - count(distinct lower(email)) as n from contacts where workspace_id = $1',
      [workspaceId],
    );
    expect(duplicateEmails).toBe(0);
  });

  it('keeps the counter and the search text right', async () => {
    const kept = await scalar('select contacts as n from workspace_contact_counts where workspace_id = $1', [workspaceId]);
    expect(kept).toBe(1000);
    expect(kept).toBe(await scalar('select count(*) as n from contacts where workspace_id = $1 and deleted_at is null', [workspaceId]));
    expect(await scalar(`select count(*) as n from contacts where workspace_id = $1 and search_text = ''`, [workspaceId])).toBe(0);
  });
});

describe('COPY text', () => {
  it('carries tabs, newlines, backslashes and nulls through unchanged', async () => {
    const [contact] = await database.query<{ id: unknown }>('select id from contacts where workspace_id = $1 order by id limit 1', [workspaceId]);
    const body = 'tab\there\nnew line\r\nback\\slash \\N not null';
    const writer = bulkWriter(database.db);
    await writer.copy('notes', ['workspace_id', 'contact_id', 'body', 'created_at'], copyLine([workspaceId, Number(contact!.id), body, new Date('2026-01-02T03:04:05.678Z')]));
    const [row] = await database.query<{ body: string; created_at: Date | string }>(
      'select body, created_at from notes where contact_id = $1 order by id desc limit 1',
      [contact!.id],
    );
    expect(row!.body).toBe(body);
    expect(new Date(row!.created_at).toISOString()).toBe('2026-01-02T03:04:05.678Z');
    await writer.copy('contacts', ['workspace_id', 'first_name', 'last_name', 'email'], copyLine([workspaceId, 'Null', 'Email', null]));
    expect(await scalar(`select count(*) as n from contacts where workspace_id = $1 and last_name = 'Email' and email is null`, [workspaceId])).toBe(1);
  });

  it('refuses rows that break a constraint, with the database error', async () => {
    const writer = bulkWriter(database.db);
    // No contact has this id: the notes foreign key refuses the row.
    await expect(writer.copy('notes', ['workspace_id', 'contact_id', 'body'], copyLine([workspaceId, 987654321, 'orphan']))).rejects.toThrow(
      /foreign key/,
    );
    // The connection is usable afterwards.
    expect(await scalar('select count(*) as n from notes where contact_id = 987654321')).toBe(0);
  });
});
