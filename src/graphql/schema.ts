// The executable schema: schema.graphql (the single source of the API's shape) plus resolvers.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from './generated/resolvers.js';
import { companyResolvers } from './resolvers/companies.js';
import { connectionResolvers } from './resolvers/connections.js';
import { contactResolvers } from './resolvers/contacts.js';
import { nodeResolvers } from './resolvers/node.js';
import { noteResolvers } from './resolvers/notes.js';
import { tagResolvers } from './resolvers/tags.js';
import { viewerResolvers } from './resolvers/viewer.js';
import { viewResolvers } from './resolvers/views.js';
import { DateTime } from './scalars.js';

export const schemaPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');

const resolvers: Resolvers[] = [
  { DateTime },
  viewerResolvers,
  nodeResolvers,
  contactResolvers,
  connectionResolvers,
  companyResolvers,
  tagResolvers,
  noteResolvers,
  viewResolvers,
];

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: fs.readFileSync(schemaPath, 'utf8'),
    resolvers: resolvers as never,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
