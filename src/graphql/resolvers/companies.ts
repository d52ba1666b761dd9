import { sortValueOf } from '../../db/keyset.js';
import { type CompanyFilter, countCompanies, createCompany, listCompanies } from '../../db/repositories/companies.js';
import type { CompanyRow, ContactRow } from '../../db/schema.js';
import { dependency } from '../../cache/keys.js';
import { editableWorkspaceOf, workspaceOf } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { cursorsFor, readPageArgs, scanFor, toConnection } from '../pagination.js';
import * as valid from '../validation.js';

const byName = (row: CompanyRow | ContactRow) => ({ value: sortValueOf(row.nameKey), id: row.id });

export const companyResolvers: Resolvers = {
  Query: {
    company: (_parent, { id }, context) => workspaceOf(context).loaders.company.load(fromGlobalId(id, 'Company', 'id')),

    companies: async (_parent, args, context) => {
      const workspace = workspaceOf(context);
      const filter: CompanyFilter = {};
      if (args.filter?.search !== null && args.filter?.search !== undefined) {
        filter.search = valid.text(args.filter.search, 'filter.search', valid.rules.search).toLowerCase();
      }
      const cursors = await cursorsFor(workspace, 'companies', filter);
      const page = readPageArgs(args, cursors, 'text');
      workspace.dependsOn(dependency.companyList(workspace.id));
      const rows = await listCompanies(workspace.db, workspace.id, filter, scanFor(page, false));
      for (const row of rows) {
        workspace.dependsOn(dependency.company(row.id));
        workspace.loaders.company.prime(row.id, row);
      }
      return toConnection(rows, page, cursors, byName, () => countCompanies(workspace.db, workspace.id, filter));
    },
  },

  Company: {
    id: (company) => toGlobalId('Company', company.id),
    contacts: async (company, args, context) => {
      const workspace = workspaceOf(context);
      const { loaders } = workspace;
      const cursors = await cursorsFor(workspace, 'company-contacts', company.id, 'NAME', 'ASC');
      const page = readPageArgs(args, cursors, 'text');
      const rows = await loaders.contactsOfCompany(scanFor(page, false)).load(company.id);
      for (const row of rows) loaders.contact.prime(row.id, row);
      // A company's contacts are counted exactly, in one grouped statement for every company shown.
      return {
        ...toConnection([...rows], page, cursors, byName, () => loaders.contactCountOfCompany.load(company.id)),
        totalCountExact: async () => true,
      };
    },
  },

  Mutation: {
    createCompany: async (_parent, { input }, context) => {
      const workspace = editableWorkspaceOf(context);
      const name = valid.text(input.name, 'input.name', valid.rules.companyName);
      const domain = valid.domain(input.domain, 'input.domain') ?? null;
      const company = await createCompany(workspace.db, workspace.id, { name, domain });
      await workspace.invalidate([dependency.companyList(workspace.id), dependency.company(company.id)], [{ type: 'Company', row: company }]);
      return { company };
    },
  },
};
