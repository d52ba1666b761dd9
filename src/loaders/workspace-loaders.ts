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

type Batch<V> = (ids: readonly number[]) => Promise<V[]>;

function byId<T extends { id: number }>(load: (ids: readonly number[]) => Promise<T[]>): Batch<T | null> {
  return async (ids) => {
    const rows = new Map((await load(ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  };
}

function grouped<V>(load: (ids: readonly number[]) => Promise<Map<number, V>>, empty: () => V): Batch<V> {
  return async (ids) => {
    const groups = await load(ids);
    return ids.map((id) => groups.get(id) ?? empty());
  };
}

function scanKey(scan: Scan): string {
  return `${scan.limit}:${scan.descending}:${scan.from?.value ?? ''}:${scan.from?.id ?? ''}`;
}

export function createWorkspaceLoaders(db: Database, workspaceId: number, maxBatchSize: number) {
  const options = { maxBatchSize };
  const loader = <V>(batch: Batch<V>) => new DataLoader<number, V>(batch, options);

  // Nested pages: parents asking for the same page shape share one batch (one LATERAL statement).
  const pageLoaders = <V>(load: (ids: readonly number[], scan: Scan) => Promise<Map<number, V[]>>) => {
    const loaders = new Map<string, DataLoader<number, V[]>>();
    return (scan: Scan) => {
      const key = scanKey(scan);
      let pageLoader = loaders.get(key);
      if (!pageLoader) {
        pageLoader = loader(grouped((ids) => load(ids, scan), () => []));
        loaders.set(key, pageLoader);
      }
      return pageLoader;
    };
  };

  return {
    contact: loader<ContactRow | null>(byId((ids) => contactsByIds(db, workspaceId, ids))),
    company: loader<CompanyRow | null>(byId((ids) => companiesByIds(db, workspaceId, ids))),
    tag: loader<TagRow | null>(byId((ids) => tagsByIds(db, workspaceId, ids))),
    note: loader<NoteRow | null>(byId((ids) => notesByIds(db, workspaceId, ids))),
    tagsOfContact: loader<TagRow[]>(grouped((ids) => tagsByContactIds(db, workspaceId, ids), () => [])),
    noteCountOfContact: loader<number>(grouped((ids) => noteCountsByContact(db, workspaceId, ids), () => 0)),
    contactCountOfCompany: loader<number>(grouped((ids) => contactCountsByCompany(db, workspaceId, ids), () => 0)),
    notesOfContact: pageLoaders((ids, scan) => notePagesByContact(db, workspaceId, ids, scan)),
    contactsOfCompany: pageLoaders((ids, scan) => contactPagesByCompany(db, workspaceId, ids, scan)),
  };
}

export type WorkspaceLoaders = ReturnType<typeof createWorkspaceLoaders>;
