// Cache warming at start: the configured hot operations of the persisted-documents manifest are
// run for the most recently active workspaces, as a reader and as an editor, so the first users
// after a deploy find their list pages already cached. Runs in the background; a failure only
// means a colder cache.
import type { Viewer } from '../auth/viewer.js';
import type { Database } from '../db/client.js';
import { recentlyActiveWorkspaces } from '../db/repositories/workspaces.js';
import type { Logger } from '../observability/logger.js';
import type { PersistedDocuments } from './persisted-documents.js';

export interface HotOperationsOptions {
  /** Operation names from the manifest (e.g. ContactsPage). */
  operations: string[];
  /** How many recently active workspaces to warm. */
  workspaces: number;
}

export type Prefetch = (viewer: Viewer, documentHash: string, query: string, operationName: string) => Promise<boolean>;

export async function warmHotOperations(
  db: Database,
  documents: PersistedDocuments,
  prefetch: Prefetch,
  options: HotOperationsOptions,
  logger: Logger,
): Promise<number> {
  if (options.workspaces === 0 || options.operations.length === 0) return 0;
  const wanted = new Set(options.operations);
  const operations: Array<{ hash: string; query: string; name: string }> = [];
  for (const [hash, query] of documents) {
    const name = /^query\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query)?.[1];
    if (name && wanted.has(name)) operations.push({ hash, query, name });
  }
  const missing = [...wanted].filter((name) => !operations.some((operation) => operation.name === name));
  if (missing.length > 0) logger.warn({ missing }, 'WARM_OPERATIONS names queries that are not in the persisted-documents manifest');

  let warmed = 0;
  for (const workspace of await recentlyActiveWorkspaces(db, options.workspaces)) {
    for (const role of ['reader', 'editor'] as const) {
      const viewer: Viewer = { workspaceId: workspace.id, workspaceName: workspace.name, role };
      for (const operation of operations) {
        if (await prefetch(viewer, operation.hash, operation.query, operation.name)) warmed += 1;
      }
    }
  }
  return warmed;
}
