// The per-request context every resolver receives.
import type { Viewer } from '../auth/viewer.js';
import type { Database } from '../db/client.js';
import { forbidden, unauthenticated } from '../errors.js';
import type { WorkspaceLoaders } from '../loaders/workspace-loaders.js';

/** Everything a resolver may touch, bound to the caller's workspace. */
export interface WorkspaceScope {
  id: number;
  viewer: Viewer;
  db: Database;
  loaders: WorkspaceLoaders;
}

export interface RequestContext {
  requestId: string;
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
