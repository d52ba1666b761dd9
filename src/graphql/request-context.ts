// Builds the context of one request: the caller's workspace scope with per-request DataLoaders
// over the request's database handle. The server (src/app.ts) adds its caches and view buffer;
// the benchmark's stock-Apollo baseline and tests build the same context without them.
import type { Viewer } from '../auth/viewer.js';
import type { EntityCache } from '../cache/entity-cache.js';
import type { Database } from '../db/client.js';
import { createWorkspaceLoaders } from '../loaders/workspace-loaders.js';
import type { RequestTrace } from '../observability/request-trace.js';
import type { ExecutionRecord, RequestContext, WrittenRow } from './context.js';
import type { CursorCodec } from './cursor-codec.js';

export interface ContextParts {
  /** The database as this request uses it (DatabaseHandle.counting, to count its statements). */
  db: Database;
  loaderMaxBatchSize: number;
  entities?: EntityCache;
  /** When reads may go to a replica: the stamp entity-cache fills must still match (EntityCache.load). */
  fillsSince?: string;
  /** Told of each DataLoader batch's size. */
  onBatch?: (loader: string, size: number) => void;
  /** After a write commits: purge what depends on `tags` and keep the written rows. */
  invalidate: (workspaceId: number, tags: string[], written: WrittenRow[]) => Promise<void>;
  recordView: (workspaceId: number, contactId: number) => Promise<void>;
  /** The codec cursors are sealed with, its key loaded once (cursor-codec.ts `cursorCodecOnce`). */
  cursors: () => Promise<CursorCodec>;
}

export function createRequestContext(viewer: Viewer | null, requestId: string, execution: ExecutionRecord, parts: ContextParts): RequestContext {
  if (!viewer) return { requestId, execution, workspace: null };
  const dependsOn = (name: string) => void execution.dependencies.add(name);
  return {
    requestId,
    execution,
    workspace: {
      id: viewer.workspaceId,
      viewer,
      db: parts.db,
      loaders: createWorkspaceLoaders({
        db: parts.db,
        workspaceId: viewer.workspaceId,
        maxBatchSize: parts.loaderMaxBatchSize,
        dependsOn,
        entities: parts.entities,
        fillsSince: parts.fillsSince,
        onBatch: parts.onBatch,
        trace: execution.trace,
      }),
      dependsOn,
      invalidate: (tags, written = []) => parts.invalidate(viewer.workspaceId, tags, written),
      recordView: (contactId) => parts.recordView(viewer.workspaceId, contactId),
      cursors: parts.cursors,
    },
  };
}

/**
 * A new execution record, for a request about to run (`trace`: the request's, when tracing is on;
 * `readOnly`: its answer may be shared or cached, so only a query may run).
 */
export function newExecutionRecord(trace?: RequestTrace, readOnly = false): ExecutionRecord {
  return { operation: undefined, hadErrors: false, dependencies: new Set(), policy: undefined, statements: 0, trace, readOnly };
}
