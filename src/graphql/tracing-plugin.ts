// Apollo's phases as spans of the request's trace: parse, validate, execute. Installed only when
// tracing is on. A document Apollo has seen before comes from its document cache, already parsed
// and validated, so those two spans appear only the first time a document is seen.
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from './context.js';

export function tracingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      // Requests run without a client (cache warming, background refreshes) have no trace.
      const trace = contextValue.execution.trace;
      if (!trace) return;
      return {
        async parsingDidStart() {
          const end = trace.phase('graphql.parse');
          return async (error) => end(error);
        },
        async validationDidStart() {
          const end = trace.phase('graphql.validate');
          return async (errors) => end(errors?.[0]);
        },
        async executionDidStart({ operation }) {
          // Loader batches and statements start while execution runs: they go under this span.
          const end = trace.phase('graphql.execute', { 'graphql.operation.type': operation.operation }, true);
          return {
            async executionDidEnd(error) {
              end(error);
            },
          };
        },
      };
    },
  };
}
