// Who may run what, decided once per operation before anything executes: without a token only
// introspection (for Sandbox and codegen) is allowed; mutations need an editor token, except
// recordContactView, which only counts a view and is open to anyone who may read the contact.
// Resolvers check again (workspaceOf / editableWorkspaceOf), so a missed case here cannot leak data.
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode, type SelectionSetNode, type DocumentNode } from 'graphql';
import { ErrorCode, forbidden, requestError, unauthenticated } from '../errors.js';
import type { RequestContext } from './context.js';

/** Whether every root field the selection reaches (through fragments too) passes `allowed`. */
function onlyRootFields(selectionSet: SelectionSetNode, document: DocumentNode, allowed: (name: string) => boolean, depth = 0): boolean {
  if (depth > 10) return false;
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return allowed(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return onlyRootFields(selection.selectionSet, document, allowed, depth + 1);
    const fragment = document.definitions.find(
      (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
    );
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && onlyRootFields(fragment.selectionSet, document, allowed, depth + 1);
  });
}

const isIntrospection = (name: string) => name.startsWith('__');
/** The one mutation a reader token may run: recording a view is part of reading. */
const isReaderMutation = (name: string) => name === 'recordContactView';

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
            if (op.operation === 'query' && onlyRootFields(op.selectionSet, document, isIntrospection)) return;
            throw unauthenticated();
          }
          if (
            op.operation === 'mutation' &&
            contextValue.workspace.viewer.role !== 'editor' &&
            !onlyRootFields(op.selectionSet, document, isReaderMutation)
          ) {
            throw forbidden('This token may only read; changes need an editor token.');
          }
        },
      };
    },
  };
}
