// Notes which kind of operation ran and whether it produced errors: only error-free queries are
// cached. And stops any operation but a query in an execution marked read-only (one whose answer
// is shared between concurrent requests or cached) before it runs: whatever led the request path
// to believe it was a query, a write never runs once for several callers, nor lands in a cache.
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode, requestError } from '../errors.js';
import type { RequestContext } from './context.js';

export function executionRecordPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const execution = contextValue.execution;
          execution.operation = operation?.operation;
          if (execution.readOnly && operation && operation.operation !== 'query') {
            execution.refusedWrite = true;
            throw requestError(ErrorCode.BAD_REQUEST, 'Only a query may run where answers are shared.');
          }
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
