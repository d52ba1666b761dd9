// recordContactView: counts a view of a contact, write-behind (src/views/). Open to readers, since
// looking at a contact is reading it; the access plugin lets this one mutation through for them.
import { notFound } from '../../errors.js';
import { workspaceOf } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';

export const viewResolvers: Resolvers = {
  Mutation: {
    recordContactView: async (_parent, { input }, context) => {
      const workspace = workspaceOf(context);
      const contactId = fromGlobalId(input.contactId, 'Contact', 'input.contactId');
      // Only a contact the caller can read: one of another workspace, deleted or unknown is refused
      // here rather than acknowledged and then never counted.
      const contact = await workspace.loaders.contact.load(contactId);
      if (!contact) throw notFound('input.contactId', 'No contact with this id exists in this workspace.');
      await workspace.recordView(contactId);
      return { contactId: toGlobalId('Contact', contactId) };
    },
  },
};
