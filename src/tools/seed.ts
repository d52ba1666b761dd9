// Realistic demo and benchmark data: companies, tags, contacts with tags and notes. Reproducible:
// the same workspace name and size give the same data (seed-rows.ts). Rows travel by COPY
// (bulk-copy.ts) in chunks: a million contacts load in minutes with memory bounded by one chunk,
// and the next chunk is generated while the database takes the previous one.
import { setImmediate as turnOfEventLoop } from 'node:timers/promises';
import { asc, count, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { type BulkWriter, bulkWriter } from './bulk-copy.js';
import { copyLine } from './copy-text.js';
import { findOrCreateWorkspace } from '../db/repositories/workspaces.js';
import { contacts, tags } from '../db/schema.js';
import { type SeedContact, seedRows, TAG_NAMES } from './seed-rows.js';

export interface SeedOptions {
  workspace: string;
  contacts: number;
}

export interface SeedSummary {
  workspace: string;
  contacts: number;
  companies: number;
  tags: number;
  notes: number;
  contactTags: number;
  seconds: number;
}

// Contacts per COPY round: a few MB of text, well inside any statement timeout, and few enough
// rounds that the per-round costs (id reservation, the counter trigger) do not show.
const CHUNK = 10_000;
// Contacts generated between two turns of the event loop, so the COPY of the previous chunk keeps
// streaming to the socket while the next one is generated.
const SLICE = 500;

const COMPANY_COLUMNS = ['id', 'workspace_id', 'name', 'domain', 'created_at'];
const CONTACT_COLUMNS = ['id', 'workspace_id', 'company_id', 'first_name', 'last_name', 'email', 'phone', 'title', 'created_at', 'updated_at'];
const TAG_LINK_COLUMNS = ['contact_id', 'tag_id'];
// Notes take their ids from the table's identity: nothing refers to them.
const NOTE_COLUMNS = ['workspace_id', 'contact_id', 'body', 'created_at'];

async function nextChunk(iterator: Iterator<SeedContact>): Promise<SeedContact[]> {
  const chunk: SeedContact[] = [];
  while (chunk.length < CHUNK) {
    const next = iterator.next();
    if (next.done) break;
    chunk.push(next.value);
    if (chunk.length % SLICE === 0) await turnOfEventLoop();
  }
  return chunk;
}

interface ContactWrite {
  writer: BulkWriter;
  workspaceId: number;
  companyIds: number[];
  tagIds: number[];
}

/** A chunk of contacts as COPY text, under ids reserved for them, with their tag links and notes. */
interface EncodedChunk {
  contacts: number;
  contactText: string;
  tagText: string;
  noteText: string;
  notes: number;
  contactTags: number;
}

async function encodeChunk(target: ContactWrite, chunk: SeedContact[]): Promise<EncodedChunk> {
  const { writer, workspaceId, companyIds, tagIds } = target;
  const ids = await writer.reserveIds('contacts_id_seq', chunk.length);
  const encoded: EncodedChunk = { contacts: chunk.length, contactText: '', tagText: '', noteText: '', notes: 0, contactTags: 0 };
  chunk.forEach((contact, i) => {
    const id = ids[i]!;
    const companyId = contact.company === undefined ? null : companyIds[contact.company]!;
    encoded.contactText += copyLine([
      id, workspaceId, companyId, contact.firstName, contact.lastName, contact.email, contact.phone, contact.title,
      contact.createdAt, contact.updatedAt,
    ]);
    for (const tag of contact.tags) encoded.tagText += copyLine([id, tagIds[tag]!]);
    for (const note of contact.notes) encoded.noteText += copyLine([workspaceId, id, note.body, note.createdAt]);
    encoded.contactTags += contact.tags.length;
    encoded.notes += contact.notes.length;
  });
  return encoded;
}

async function writeLinks(writer: BulkWriter, encoded: EncodedChunk, totals: { contacts: number; notes: number; contactTags: number }) {
  if (encoded.tagText) await writer.copy('contact_tags', TAG_LINK_COLUMNS, encoded.tagText);
  if (encoded.noteText) await writer.copy('notes', NOTE_COLUMNS, encoded.noteText);
  totals.contacts += encoded.contacts;
  totals.notes += encoded.notes;
  totals.contactTags += encoded.contactTags;
}

/** Marks a promise handled now (it is awaited later), so a failure is not reported as unhandled meanwhile. */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

export async function seedWorkspace(db: Database, options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const writer = bulkWriter(db);
  const workspace = await findOrCreateWorkspace(db, options.workspace);
  const workspaceId = workspace.id;
  // Deleted contacts count too: their email numbers stay taken.
  const [existing] = await db.select({ n: count() }).from(contacts).where(eq(contacts.workspaceId, workspaceId));

  // Tags: a fixed vocabulary, created once per workspace; contacts pick among them by position.
  const tagRows = await db
    .insert(tags)
    .values(TAG_NAMES.map((name) => ({ workspaceId, name })))
    .onConflictDoNothing()
    .returning({ id: tags.id });
  const tagIds = (await db.select({ id: tags.id }).from(tags).where(eq(tags.workspaceId, workspaceId)).orderBy(asc(tags.id))).map((t) => t.id);

  const rows = seedRows(options.workspace, existing?.n ?? 0, options.contacts, tagIds.length);

  const companyIds: number[] = [];
  for (let start = 0; start < rows.companies.length; start += CHUNK) {
    const chunk = rows.companies.slice(start, start + CHUNK);
    const ids = await writer.reserveIds('companies_id_seq', chunk.length);
    const text = chunk.map((company, i) => copyLine([ids[i]!, workspaceId, company.name, company.domain, company.createdAt])).join('');
    await writer.copy('companies', COMPANY_COLUMNS, text);
    companyIds.push(...ids);
  }

  // Two lanes on two connections: a chunk's contacts, then (once they exist, for the foreign keys)
  // its tag links and notes, while the next chunk's contacts load and the one after is generated.
  // The database's per-row work (triggers, index entries, key checks) is most of a seed's time; on
  // two lanes it uses two server processes. PGlite runs one statement at a time: lanes just queue.
  const target: ContactWrite = { writer, workspaceId, companyIds, tagIds };
  const totals = { contacts: 0, notes: 0, contactTags: 0 };
  const iterator = rows.contacts();
  let contactsLane: Promise<EncodedChunk | undefined> = Promise.resolve(undefined);
  let linksLane: Promise<void> = Promise.resolve();
  for (let chunk = await nextChunk(iterator); chunk.length > 0; chunk = await nextChunk(iterator)) {
    const previous = await contactsLane;
    const current = chunk;
    contactsLane = later(
      encodeChunk(target, current).then(async (encoded) => {
        await writer.copy('contacts', CONTACT_COLUMNS, encoded.contactText);
        return encoded;
      }),
    );
    if (previous) {
      await linksLane;
      linksLane = later(writeLinks(writer, previous, totals));
    }
  }
  const last = await contactsLane;
  await linksLane;
  if (last) await writeLinks(writer, last, totals);
  // Statistics for what was just loaded: until autovacuum gets to it (it may be off, and it lags a
  // bulk load), the planner guesses, and guessed wrong here (the tag loader began from the tags:
  // misses ran at 100-119 req/s instead of 134-141 on 100,000 contacts).
  if (totals.contacts > 0) await db.execute(sql`analyze companies, contacts, contact_tags, notes, tags`);

  return {
    workspace: options.workspace,
    contacts: totals.contacts,
    companies: companyIds.length,
    tags: tagRows.length,
    notes: totals.notes,
    contactTags: totals.contactTags,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export function describeSeed(summary: SeedSummary): string {
  return (
    `workspace "${summary.workspace}": +${summary.contacts} contacts, +${summary.companies} companies, ` +
    `+${summary.tags} tags, +${summary.notes} notes, +${summary.contactTags} tag links in ${summary.seconds}s`
  );
}
