// Cache warming at start: the configured hot operations among the published ones are run for the
// most recently active workspaces, as a reader and as an editor, so the first users after a deploy
// find their list pages already cached. Runs in the background; a failure only means a colder
// cache.
import type { Viewer } from '../auth/viewer.js';
import type { Database } from '../db/client.js';
import { recentlyActiveWorkspaces } from '../db/repositories/workspaces.js';
import type { Logger } from '../observability/logger.js';
import type { PublishedOperation, PublishedOperations } from './published-operations.js';

export interface HotOperationsOptions {
  /** Names of published queries (e.g. ContactsPage). */
  operations: string[];
  /** How many recently active workspaces to warm. */
  workspaces: number;
}

export type Prefetch = (viewer: Viewer, documentHash: string, query: string, operationName: string) => Promise<boolean>;

export interface WarmingParts {
  db: Database;
  published: PublishedOperations;
  /** Runs one operation for a workspace and keeps its answer (the GraphQL handler's). */
  prefetch: Prefetch;
  logger: Logger;
}

export async function warmHotOperations({ db, published, prefetch, logger }: WarmingParts, options: HotOperationsOptions): Promise<number> {
  if (options.workspaces === 0 || options.operations.length === 0) return 0;
  const operations: PublishedOperation[] = [];
  const missing: string[] = [];
  for (const name of options.operations) {
    const operation = published.byName.get(name);
    if (operation?.kind === 'query') operations.push(operation);
    else missing.push(name);
  }
  if (missing.length > 0) logger.warn({ missing }, 'WARM_OPERATIONS names queries that are not in the persisted-documents manifest');

  let warmed = 0;
  for (const workspace of await recentlyActiveWorkspaces(db, options.workspaces)) {
    for (const role of ['reader', 'editor'] as const) {
      const viewer: Viewer = { workspaceId: workspace.id, workspaceName: workspace.name, role };
      for (const operation of operations) {
        if (await prefetch(viewer, operation.hash, operation.text, operation.name)) warmed += 1;
      }
    }
  }
  return warmed;
}
