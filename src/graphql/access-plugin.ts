// Who may run what, decided once per operation before anything executes: without a token only
// introspection (for Sandbox and codegen) is allowed; mutations need an editor token. Resolvers
// check again (workspaceOf / editableWorkspaceOf), so a missed case here cannot leak data.
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode, type SelectionSetNode, type DocumentNode } from 'graphql';
import { ErrorCode, forbidden, requestError, unauthenticated } from '../errors.js';
import type { RequestContext } from './context.js';

function onlyIntrospection(selectionSet: SelectionSetNode, document: DocumentNode, depth = 0): boolean {
  if (depth > 10) return false;
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
    if (selection.kind === Kind.INLINE_FRAGMENT) return onlyIntrospection(selection.selectionSet, document, depth + 1);
    const fragment = document.definitions.find(
      (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
    );
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && onlyIntrospection(fragment.selectionSet, document, depth + 1);
  });
}

export function accessPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          // No operation matched (several in the document and no or a wrong operationName): nothing
          // can execute, and Apollo answers OPERATION_RESOLUTION_FAILURE itself.
          if (!operation) return;
          const op = operation as OperationDefinitionNode;
          // The schema has no Subscription root; graphql-js would fail it during execution with an
          // uncoded error that reads as an internal one.
          if (op.operation === 'subscription') throw requestError(ErrorCode.BAD_REQUEST, 'Subscriptions are not supported.');
          if (!contextValue.workspace) {
            if (op.operation === 'query' && onlyIntrospection(op.selectionSet, document)) return;
            throw unauthenticated();
          }
          if (op.operation === 'mutation' && contextValue.workspace.viewer.role !== 'editor') {
            throw forbidden('This token may only read; changes need an editor token.');
          }
        },
      };
    },
  };
}
