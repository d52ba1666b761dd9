// A connection's counts are kept as functions, run only when a client selects them (a count is a
// statement of its own). Resolved explicitly here rather than left to a default resolver that
// happens to call function-valued properties: compiled execution reads a field without a
// resolver as a plain property.
import type { Resolvers } from '../generated/resolvers.js';

export const connectionResolvers: Resolvers = {
  ContactConnection: {
    totalCount: (connection) => connection.totalCount(),
    totalCountExact: (connection) => connection.totalCountExact(),
  },
  CompanyConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
  NoteConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
};
