import { workspaceOf } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { toGlobalId } from '../global-id.js';

export const viewerResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, context) => workspaceOf(context).viewer,
  },
  Viewer: {
    role: (viewer) => (viewer.role === 'editor' ? 'EDITOR' : 'READER'),
    workspace: (viewer) => ({ id: viewer.workspaceId, name: viewer.workspaceName }),
  },
  Workspace: {
    id: (workspace) => toGlobalId('Workspace', workspace.id),
  },
};
