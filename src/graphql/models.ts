// What resolvers hand each other: database rows for entities, plain objects for connections.
// codegen.ts maps the schema's types onto these (its `mappers`), so resolver types stay honest.
import type { Viewer } from '../auth/viewer.js';
import type { CompanyRow, ContactRow, NoteRow, TagRow, WorkspaceRow } from '../db/schema.js';

export type { CompanyRow, ContactRow, NoteRow, TagRow };
export type ViewerModel = Viewer;
export type WorkspaceModel = Pick<WorkspaceRow, 'id' | 'name'>;

export interface PageInfoModel {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface EdgeModel<T> {
  cursor: string;
  node: T;
}

export interface ConnectionModel<T> {
  edges: EdgeModel<T>[];
  pageInfo: PageInfoModel;
  /** Counted only when a client asks for it (resolvers/connections.ts). */
  totalCount: () => Promise<number>;
}

export interface ContactConnectionModel extends ConnectionModel<ContactRow> {
  totalCountExact: () => Promise<boolean>;
}
export type CompanyConnectionModel = ConnectionModel<CompanyRow>;
export type NoteConnectionModel = ConnectionModel<NoteRow>;
export type ContactEdgeModel = EdgeModel<ContactRow>;
export type CompanyEdgeModel = EdgeModel<CompanyRow>;
export type NoteEdgeModel = EdgeModel<NoteRow>;

/** An entity tagged with its GraphQL type, as the `node` query returns it. */
export type NodeModel =
  | (ContactRow & { __typename: 'Contact' })
  | (CompanyRow & { __typename: 'Company' })
  | (TagRow & { __typename: 'Tag' })
  | (NoteRow & { __typename: 'Note' })
  | (WorkspaceModel & { __typename: 'Workspace' });
