import { badUserInput } from '../../errors.js';
import { workspaceOf } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { parseGlobalId } from '../global-id.js';
import type { NodeModel } from '../models.js';

export const nodeResolvers: Resolvers = {
  Query: {
    node: async (_parent, { id }, context): Promise<NodeModel | null> => {
      const { loaders, viewer } = workspaceOf(context);
      const parsed = parseGlobalId(id);
      if (!parsed) throw badUserInput('id', '"id" is not a valid id.');
      const tagged = (__typename: NodeModel['__typename'], row: object | null) =>
        row ? ({ ...row, __typename } as unknown as NodeModel) : null;
      switch (parsed.type) {
        case 'Contact':
          return tagged('Contact', await loaders.contact.load(parsed.id));
        case 'Company':
          return tagged('Company', await loaders.company.load(parsed.id));
        case 'Tag':
          return tagged('Tag', await loaders.tag.load(parsed.id));
        case 'Note':
          return tagged('Note', await loaders.note.load(parsed.id));
        case 'Workspace':
          return parsed.id === viewer.workspaceId
            ? { __typename: 'Workspace', id: viewer.workspaceId, name: viewer.workspaceName }
            : null;
      }
    },
  },
  Node: {
    __resolveType: (node) => node.__typename,
  },
};
