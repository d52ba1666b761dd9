import { createTag, listTags } from '../../db/repositories/tags.js';
import { dependency } from '../../cache/keys.js';
import { editableWorkspaceOf, workspaceOf } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { toGlobalId } from '../global-id.js';
import * as valid from '../validation.js';

export const tagResolvers: Resolvers = {
  Query: {
    tags: (_parent, _args, context) => {
      const workspace = workspaceOf(context);
      workspace.dependsOn(dependency.tagList(workspace.id));
      return listTags(workspace.db, workspace.id);
    },
  },

  Tag: {
    id: (tag) => toGlobalId('Tag', tag.id),
  },

  Mutation: {
    createTag: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const name = valid.text(input.name, 'input.name', valid.rules.tagName);
      const tag = await createTag(workspace.db, workspace.id, name);
      await workspace.invalidate([dependency.tagList(workspace.id), dependency.tag(tag.id)], [{ type: 'Tag', row: tag }]);
      return { tag };
    },
  },
};
