import { sortValueOf } from '../../db/keyset.js';
import { addNote } from '../../db/repositories/notes.js';
import type { NoteRow } from '../../db/schema.js';
import { dependency } from '../../cache/keys.js';
import { editableWorkspaceOf, workspaceOf } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { cursorsFor, readPageArgs, scanFor, toConnection } from '../pagination.js';
import * as valid from '../validation.js';

const keysetOf = (note: NoteRow) => ({ value: sortValueOf(note.createdAt), id: note.id });

export const noteResolvers: Resolvers = {
  Contact: {
    // Newest first. Every contact on a page asking for the same page shares one statement.
    notes: async (contact, args, context) => {
      const workspace = workspaceOf(context);
      const { loaders } = workspace;
      const cursors = await cursorsFor(workspace, 'notes', contact.id, 'CREATED_AT', 'DESC');
      const page = readPageArgs(args, cursors, 'instant');
      const rows = await loaders.notesOfContact(scanFor(page, true)).load(contact.id);
      return toConnection([...rows], page, cursors, keysetOf, () => loaders.noteCountOfContact.load(contact.id));
    },
  },

  Note: {
    id: (note) => toGlobalId('Note', note.id),
  },

  Mutation: {
    addNote: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const contactId = fromGlobalId(input.contactId, 'Contact', 'input.contactId');
      const body = valid.text(input.body, 'input.body', valid.rules.noteBody);
      const note = await addNote(workspace.db, workspace.id, contactId, body);
      await workspace.invalidate([dependency.contactNotes(contactId), dependency.note(note.id)], [{ type: 'Note', row: note }]);
      return { note };
    },
  },
};
