// Per-request DataLoaders, each bound to the caller's workspace: a batch can only ever read rows of
// that workspace. Every relation of the schema resolves through one of these, so a page of 100
// contacts costs one statement per relation, not one per contact.
import DataLoader from 'dataloader';
import type { Database } from '../db/client.js';
import type { Scan } from '../db/keyset.js';
import { companiesByIds } from '../db/repositories/companies.js';
import {
  contactCountsByCompany,
  contactPagesByCompany,
  contactsByIds,
} from '../db/repositories/contacts.js';
import { noteCountsByContact, notePagesByContact, notesByIds } from '../db/repositories/notes.js';
import { tagsByContactIds, tagsByIds } from '../db/repositories/tags.js';
import type { CompanyRow, ContactRow, NoteRow, TagRow } from '../db/schema.js';
import type { EntityCache, EntityType } from '../cache/entity-cache.js';
import { dependency } from '../cache/keys.js';
import type { RequestTrace } from '../observability/request-trace.js';

type Batch<V> = (ids: readonly number[]) => Promise<V[]>;

type DependsOn = (name: string) => void;

// Each batch records what it read, so a cached response can be purged when any of it changes.
// Ids that found nothing are recorded too: a later write under that id must purge the null.
function byId<T extends { id: number }>(
  load: (ids: readonly number[]) => Promise<T[]>,
  dependsOn: DependsOn,
  tagOf: (id: number) => string,
): Batch<T | null> {
  return async (ids) => {
    for (const id of ids) dependsOn(tagOf(id));
    const rows = new Map((await load(ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  };
}

function grouped<V>(
  load: (ids: readonly number[]) => Promise<Map<number, V>>,
  empty: () => V,
  dependsOn: DependsOn,
  tagOf: (id: number) => string,
): Batch<V> {
  return async (ids) => {
    for (const id of ids) dependsOn(tagOf(id));
    const groups = await load(ids);
    return ids.map((id) => groups.get(id) ?? empty());
  };
}

function scanKey(scan: Scan): string {
  return `${scan.limit}:${scan.descending}:${scan.from?.value ?? ''}:${scan.from?.id ?? ''}`;
}

export interface WorkspaceLoaderOptions {
  /** The database as this request uses it. */
  db: Database;
  workspaceId: number;
  /** Most ids one batch sends in one statement (LOADER_MAX_BATCH_SIZE). */
  maxBatchSize: number;
  /** Records what the response depends on, for invalidation. */
  dependsOn: DependsOn;
  entities?: EntityCache;
  /** Set when reads may go to a replica: the stamp entity-cache fills must still match. */
  fillsSince?: string;
  /** Told of each batch's size, by loader name (the batch-size metric). */
  onBatch?: (loader: string, size: number) => void;
  /** The request's trace, when tracing is on: a span per batch. */
  trace?: RequestTrace;
}

export function createWorkspaceLoaders(request: WorkspaceLoaderOptions) {
  const { db, workspaceId, maxBatchSize, dependsOn, entities, fillsSince, trace } = request;
  const onBatch = request.onBatch ?? (() => {});
  // Rows by id come from the entity cache where a current copy exists, else from SQL.
  const cached =
    <T extends { id: number }>(type: EntityType, load: (ids: readonly number[]) => Promise<T[]>) =>
    (ids: readonly number[]) =>
      entities ? entities.load(workspaceId, type, ids, load, fillsSince) : load(ids);
  const options = { maxBatchSize };
  // Traced or not is decided once per loader, when the request's loaders are made.
  const loader = <V>(name: string, batch: Batch<V>) =>
    new DataLoader<number, V>(
      trace
        ? (ids) => {
            onBatch(name, ids.length);
            return trace.around(`dataloader.batch ${name}`, { 'cardfile.loader.name': name, 'cardfile.loader.batch_size': ids.length }, () => batch(ids));
          }
        : (ids) => {
            onBatch(name, ids.length);
            return batch(ids);
          },
      options,
    );

  // Nested pages: parents asking for the same page shape share one batch (one LATERAL statement).
  const pageLoaders = <V>(name: string, load: (ids: readonly number[], scan: Scan) => Promise<Map<number, V[]>>, tagOf: (id: number) => string) => {
    const loaders = new Map<string, DataLoader<number, V[]>>();
    return (scan: Scan) => {
      const key = scanKey(scan);
      let pageLoader = loaders.get(key);
      if (!pageLoader) {
        pageLoader = loader(name, grouped((ids) => load(ids, scan), () => [], dependsOn, tagOf));
        loaders.set(key, pageLoader);
      }
      return pageLoader;
    };
  };

  return {
    contact: loader<ContactRow | null>('contact', byId(cached('Contact', (ids) => contactsByIds(db, workspaceId, ids)), dependsOn, dependency.contact)),
    company: loader<CompanyRow | null>('company', byId(cached('Company', (ids) => companiesByIds(db, workspaceId, ids)), dependsOn, dependency.company)),
    tag: loader<TagRow | null>('tag', byId(cached('Tag', (ids) => tagsByIds(db, workspaceId, ids)), dependsOn, dependency.tag)),
    note: loader<NoteRow | null>('note', byId(cached('Note', (ids) => notesByIds(db, workspaceId, ids)), dependsOn, dependency.note)),
    // A contact's tags are part of the contact: tagging or untagging purges Contact:<id>.
    tagsOfContact: loader<TagRow[]>('tagsOfContact', grouped((ids) => tagsByContactIds(db, workspaceId, ids), () => [], dependsOn, dependency.contact)),
    noteCountOfContact: loader<number>('noteCountOfContact', grouped((ids) => noteCountsByContact(db, workspaceId, ids), () => 0, dependsOn, dependency.contactNotes)),
    contactCountOfCompany: loader<number>(
      'contactCountOfCompany',
      grouped((ids) => contactCountsByCompany(db, workspaceId, ids), () => 0, dependsOn, dependency.companyContacts),
    ),
    notesOfContact: pageLoaders('notesOfContact', (ids, scan) => notePagesByContact(db, workspaceId, ids, scan), dependency.contactNotes),
    contactsOfCompany: pageLoaders('contactsOfCompany', async (ids, scan) => {
      const pages = await contactPagesByCompany(db, workspaceId, ids, scan);
      for (const rows of pages.values()) for (const row of rows) dependsOn(dependency.contact(row.id));
      return pages;
    }, dependency.companyContacts),
  };
}

export type WorkspaceLoaders = ReturnType<typeof createWorkspaceLoaders>;
