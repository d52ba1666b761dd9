// Records the operation's cache policy (cache-policy.ts) in the execution record, in place of
// Apollo's cache-control plugin, which is turned off: computed once per document, not per field.
// It writes no header: the HTTP layer decides what may be kept and writes Cache-Control from the
// policy once (src/http/answer-caching.ts), so nothing parses a header back into a policy.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { cachePolicies } from './cache-policy.js';
import type { RequestContext } from './context.js';

export function cachePolicyPlugin(schema: GraphQLSchema): ApolloServerPlugin<RequestContext> {
  const policyOf = cachePolicies(schema);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (operation) contextValue.execution.policy = policyOf(document, operation as OperationDefinitionNode);
        },
      };
    },
  };
}
