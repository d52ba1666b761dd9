// Builds each request's context: the database as that request uses it (replicas or the primary,
// counted and traced), then the caller's workspace scope over it. The request path calls it once
// per executed request; what it needs from the rest of the house is given once, here.
import type { EntityCache } from '../cache/entity-cache.js';
import type { ReadRouting } from '../db/replicas/read-routing.js';
import type { Viewer } from '../auth/viewer.js';
import type { CursorCodec } from './cursor-codec.js';
import type { ExecutionRecord, RequestContext, WrittenRow } from './context.js';
import { createRequestContext } from './request-context.js';

export interface ContextFactoryParts {
  reads: ReadRouting;
  loaderMaxBatchSize: number;
  entities: EntityCache | undefined;
  /** Told of each DataLoader batch's size. */
  onBatch: (loader: string, size: number) => void;
  /** The after-write path (src/cache/after-write.ts), once a write committed. */
  afterWrite: (workspaceId: number, tags: string[], written: WrittenRow[]) => Promise<void>;
  recordView: (workspaceId: number, contactId: number) => Promise<void>;
  cursors: () => Promise<CursorCodec>;
}

export function contextFactory(parts: ContextFactoryParts) {
  return async (viewer: Viewer | null, requestId: string, execution: ExecutionRecord): Promise<RequestContext> => {
    const { db, fillsSince } = await parts.reads.forRequest(viewer?.workspaceId, execution, execution.trace?.statements);
    return createRequestContext(viewer, requestId, execution, {
      db,
      fillsSince,
      onBatch: parts.onBatch,
      loaderMaxBatchSize: parts.loaderMaxBatchSize,
      entities: parts.entities,
      invalidate: parts.afterWrite,
      recordView: parts.recordView,
      cursors: parts.cursors,
    });
  };
}
