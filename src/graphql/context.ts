// The per-request context every resolver receives.
import type { Viewer } from '../auth/viewer.js';
import type { WrittenRow } from '../cache/after-write.js';
import type { Database } from '../db/client.js';
import type { CursorCodec } from './cursor-codec.js';
import { forbidden, unauthenticated } from '../errors.js';
import type { WorkspaceLoaders } from '../loaders/workspace-loaders.js';
import type { RequestTrace } from '../observability/request-trace.js';
import type { CachePolicy } from './cache-policy.js';

export type { WrittenRow };

/** Everything a resolver may touch, bound to the caller's workspace. */
export interface WorkspaceScope {
  id: number;
  viewer: Viewer;
  db: Database;
  loaders: WorkspaceLoaders;
  /** Records what the response depends on (see src/cache/keys.ts `tag`), for invalidation. */
  dependsOn: (tag: string) => void;
  /** After a write commits: purges every cached response depending on these tags, everywhere. */
  invalidate: (tags: string[], written?: WrittenRow[]) => Promise<void>;
  /** What seals this server's cursors (the key every instance shares; pagination.ts `cursorsFor`). */
  cursors: () => Promise<CursorCodec>;
  /** Buffers one view of a contact of this workspace (src/view-counting/); resolves once it is durable. */
  recordView: (contactId: number) => Promise<void>;
}

/** What the HTTP layer learns from an execution, to decide whether its response may be cached. */
export interface ExecutionRecord {
  operation: 'query' | 'mutation' | 'subscription' | undefined;
  hadErrors: boolean;
  /** Invalidation tags of everything the response was built from. */
  dependencies: Set<string>;
  /**
   * The operation's cache policy from the schema's hints (cache-policy.ts), once Apollo resolved
   * the operation; undefined before, or for a document without one. Data, not a header: the HTTP
   * layer writes Cache-Control from it once, at the edge.
   */
  policy: CachePolicy | undefined;
  /** SQL statements the execution sent. */
  statements: number;
  /** The request's trace when tracing is on: phases, loader batches and statements go under it. */
  trace: RequestTrace | undefined;
  /**
   * Set for an execution whose answer may be shared with other requests or cached: only a query
   * may run in it. The request path decides that from the document before running it; this is the
   * last word, taken from the operation Apollo actually resolved.
   */
  readOnly?: boolean;
  /** Set when a read-only execution was stopped because its operation was not a query. */
  refusedWrite?: boolean;
}

export interface RequestContext {
  requestId: string;
  execution: ExecutionRecord;
  /** Null for a request without a token: only introspection is allowed then. */
  workspace: WorkspaceScope | null;
}

export function workspaceOf(context: RequestContext): WorkspaceScope {
  if (!context.workspace) throw unauthenticated();
  return context.workspace;
}

/** The workspace of a caller allowed to change it. */
export function editableWorkspaceOf(context: RequestContext): WorkspaceScope {
  const workspace = workspaceOf(context);
  if (workspace.viewer.role !== 'editor') throw forbidden('This token may only read; changes need an editor token.');
  return workspace;
}
