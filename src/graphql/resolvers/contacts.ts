import {
  type ContactFilter,
  type ContactFields,
  type ContactOrderField,
  type ContactCount,
  countContacts,
  createContact,
  listContacts,
  setContactTag,
  softDeleteContact,
  updateContact,
} from '../../db/repositories/contacts.js';
import { sortValueOf } from '../../db/keyset.js';
import type { ContactRow } from '../../db/schema.js';
import { badUserInput } from '../../errors.js';
import { dependency } from '../../cache/keys.js';
import { editableWorkspaceOf, workspaceOf } from '../context.js';
import type { ContactFilter as ContactFilterInput, Resolvers } from '../generated/resolvers.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { cursorsFor, readPageArgs, scanFor, toConnection } from '../pagination.js';
import * as valid from '../validation.js';

const MAX_TAG_IDS = 50;

function readFilter(input: ContactFilterInput | null | undefined): ContactFilter {
  if (!input) return {};
  const filter: ContactFilter = {};
  if (input.search !== null && input.search !== undefined) {
    filter.search = valid.text(input.search, 'filter.search', valid.rules.search).toLowerCase();
  }
  if (input.companyId !== null && input.companyId !== undefined) {
    filter.companyId = fromGlobalId(input.companyId, 'Company', 'filter.companyId');
  }
  const tagIds = valid.idList(input.tagIds, 'filter.tagIds', MAX_TAG_IDS);
  if (tagIds.length > 0) {
    filter.tagIds = [...new Set(tagIds.map((id) => fromGlobalId(id, 'Tag', 'filter.tagIds')))].sort((a, b) => a - b);
  }
  if (input.updatedAfter) filter.updatedAfter = input.updatedAfter;
  return filter;
}

const keysetOf = {
  NAME: (row: ContactRow) => ({ value: row.nameKey, id: row.id }),
  CREATED_AT: (row: ContactRow) => ({ value: sortValueOf(row.createdAt), id: row.id }),
  UPDATED_AT: (row: ContactRow) => ({ value: sortValueOf(row.updatedAt), id: row.id }),
};

function readContactFields(input: {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  title?: string | null;
  companyId?: string | null;
}): Partial<ContactFields> {
  const fields: Partial<ContactFields> = {};
  for (const name of ['firstName', 'lastName'] as const) {
    const value = input[name];
    if (value === null) throw badUserInput(`input.${name}`, `"input.${name}" cannot be cleared.`);
    if (value !== undefined) fields[name] = valid.text(value, `input.${name}`, valid.rules.personName);
  }
  const email = valid.email(input.email, 'input.email');
  if (email !== undefined) fields.email = email;
  const phone = valid.phone(input.phone, 'input.phone');
  if (phone !== undefined) fields.phone = phone;
  const title = valid.optionalText(input.title, 'input.title', valid.rules.title);
  if (title !== undefined) fields.title = title;
  if (input.companyId !== undefined) {
    fields.companyId = input.companyId === null ? null : fromGlobalId(input.companyId, 'Company', 'input.companyId');
  }
  return fields;
}

/**
 * What a new or deleted contact makes stale: the contact (an earlier `contact(id)` answered null
 * for a new id), every contact list of the workspace (its members changed) and its company's list.
 */
function membershipChange(workspaceId: number, contact: ContactRow): string[] {
  const tags = [dependency.contact(contact.id), dependency.contactMembers(workspaceId)];
  if (contact.companyId !== null) tags.push(dependency.companyContacts(contact.companyId));
  return tags;
}

/**
 * What an edit of a contact makes stale: the contact itself (and so every cached list showing it),
 * and the lists it may have moved in, joined or left: every edit moves it in UPDATED_AT order (and
 * in or out of updatedAfter filters); a new name moves it in NAME order, in its company's list and
 * in searches; a new email or company changes what searches find; a new company moves it between
 * company lists. Lists that neither show it nor could now include it stay cached.
 */
function editChange(workspaceId: number, contact: ContactRow, previous: ContactRow, tagsChanged: number[] = []): string[] {
  const tags = [dependency.contact(contact.id), dependency.contactOrder(workspaceId, 'UPDATED_AT')];
  const renamed = contact.firstName !== previous.firstName || contact.lastName !== previous.lastName;
  const movedCompany = contact.companyId !== previous.companyId;
  if (renamed) tags.push(dependency.contactOrder(workspaceId, 'NAME'));
  if (renamed || movedCompany || contact.email !== previous.email) tags.push(dependency.contactSearch(workspaceId));
  if (renamed || movedCompany) {
    for (const companyId of new Set([contact.companyId, previous.companyId])) {
      if (companyId !== null) tags.push(dependency.companyContacts(companyId));
    }
  }
  for (const tagId of tagsChanged) tags.push(dependency.taggedContacts(tagId));
  return tags;
}

/** The tags a contacts list depends on, beyond the contacts it shows. */
function listDependencies(workspaceId: number, field: ContactOrderField, filter: ContactFilter): string[] {
  const tags = [dependency.contactMembers(workspaceId), dependency.contactOrder(workspaceId, field)];
  if (filter.search) tags.push(dependency.contactSearch(workspaceId));
  if (filter.companyId !== undefined) tags.push(dependency.companyContacts(filter.companyId));
  if (filter.updatedAfter) tags.push(dependency.contactOrder(workspaceId, 'UPDATED_AT'));
  for (const tagId of filter.tagIds ?? []) tags.push(dependency.taggedContacts(tagId));
  return tags;
}

export const contactResolvers: Resolvers = {
  Query: {
    contact: (_parent, { id }, context) => workspaceOf(context).loaders.contact.load(fromGlobalId(id, 'Contact', 'id')),

    contacts: async (_parent, args, context) => {
      const workspace = workspaceOf(context);
      const filter = readFilter(args.filter);
      const field = args.orderBy?.field ?? 'NAME';
      const direction = args.orderBy?.direction ?? 'ASC';
      const cursors = await cursorsFor(workspace, 'contacts', field, direction, filter);
      const page = readPageArgs(args, cursors, field === 'NAME' ? 'text' : 'instant');
      for (const name of listDependencies(workspace.id, field, filter)) workspace.dependsOn(name);
      const rows = await listContacts(workspace.db, workspace.id, filter, field, scanFor(page, direction === 'DESC'));
      for (const row of rows) {
        workspace.dependsOn(dependency.contact(row.id));
        workspace.loaders.contact.prime(row.id, row);
      }
      // totalCount and totalCountExact share one count, run only if either is asked for.
      let counted: Promise<ContactCount> | undefined;
      const count = () => (counted ??= countContacts(workspace.db, workspace.id, filter));
      return {
        ...toConnection(rows, page, cursors, keysetOf[field], async () => (await count()).count),
        totalCountExact: async () => (await count()).exact,
      };
    },
  },

  Contact: {
    id: (contact) => toGlobalId('Contact', contact.id),
    company: (contact, _args, context) =>
      contact.companyId === null ? null : workspaceOf(context).loaders.company.load(contact.companyId),
    tags: (contact, _args, context) => workspaceOf(context).loaders.tagsOfContact.load(contact.id),
  },

  Mutation: {
    createContact: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const fields = readContactFields(input);
      const tagIds = valid
        .idList(input.tagIds, 'input.tagIds', MAX_TAG_IDS)
        .map((id) => fromGlobalId(id, 'Tag', 'input.tagIds'));
      const contact = await createContact(
        workspace.db,
        workspace.id,
        { email: null, phone: null, title: null, companyId: null, ...fields } as ContactFields,
        tagIds,
      );
      // A new contact can appear in any list of the workspace and in its company's list; an
      // earlier `contact(id)` answered null for its id would be wrong now too.
      await workspace.invalidate(membershipChange(workspace.id, contact), [{ type: 'Contact', row: contact }]);
      return { contact };
    },

    updateContact: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const id = fromGlobalId(input.id, 'Contact', 'input.id');
      if (!Number.isInteger(input.expectedVersion) || input.expectedVersion < 1) {
        throw badUserInput('input.expectedVersion', '"input.expectedVersion" must be a positive integer.');
      }
      const { contact, previous } = await updateContact(workspace.db, workspace.id, id, input.expectedVersion, readContactFields(input));
      await workspace.invalidate(editChange(workspace.id, contact, previous), [{ type: 'Contact', row: contact }]);
      return { contact };
    },

    deleteContact: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const deleted = await softDeleteContact(workspace.db, workspace.id, fromGlobalId(input.id, 'Contact', 'input.id'));
      await workspace.invalidate(membershipChange(workspace.id, deleted));
      return { deletedId: input.id };
    },

    tagContact: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const contactId = fromGlobalId(input.contactId, 'Contact', 'input.contactId');
      const tagId = fromGlobalId(input.tagId, 'Tag', 'input.tagId');
      const contact = await setContactTag(workspace.db, workspace.id, contactId, tagId, true);
      await workspace.invalidate(editChange(workspace.id, contact, contact, [tagId]), [{ type: 'Contact', row: contact }]);
      return { contact };
    },

    untagContact: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const contactId = fromGlobalId(input.contactId, 'Contact', 'input.contactId');
      const tagId = fromGlobalId(input.tagId, 'Tag', 'input.tagId');
      const contact = await setContactTag(workspace.db, workspace.id, contactId, tagId, false);
      await workspace.invalidate(editChange(workspace.id, contact, contact, [tagId]), [{ type: 'Contact', row: contact }]);
      return { contact };
    },
  },
};
