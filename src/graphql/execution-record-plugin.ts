// Notes which kind of operation ran and whether it produced errors: only error-free queries are
// cached, and the kind of a document that arrived as a bare persisted-query hash is learned here.
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from './context.js';

export function executionRecordPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          contextValue.execution.operation = operation?.operation;
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || response.body.singleResult.errors?.length) {
            contextValue.execution.hadErrors = true;
          }
        },
      };
    },
  };
}
