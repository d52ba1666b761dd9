// Validation rules that bound an operation's shape (nesting depth, aliases, directives), from
// graphql-armor. They run once per document: Apollo keeps validated documents. Their messages
// never carry the limit, so it cannot be probed for.
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { LimitSettings } from '../../settings/limit-settings.js';

/**
 * Armor throws out of graphql-js's validate() when told to propagate a rejection, which Apollo
 * would answer as a 500. Reported to the validation context instead, the rejection becomes an
 * ordinary GRAPHQL_VALIDATION_FAILED (400), with our message alone (armor's starts "Syntax Error").
 */
function reported(message: string) {
  return {
    exposeLimits: false,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null) => context?.reportError(new GraphQLError(message))],
  };
}

export function shapeRules(limits: Pick<LimitSettings, 'maxQueryDepth' | 'maxQueryAliases' | 'maxQueryDirectives'>): ValidationRule[] {
  return [
    maxDepthRule({
      n: limits.maxQueryDepth,
      // Fragments count at the depth they are spread at, so moving fields into one hides nothing.
      flattenFragments: true,
      // Sandbox's and codegen's introspection query is deep by nature; introspection is off in
      // production unless INTROSPECTION=true.
      ignoreIntrospection: true,
      ...reported('The query is nested too deeply.'),
    }) as ValidationRule,
    maxAliasesRule({ n: limits.maxQueryAliases, ...reported('The query uses too many aliases.') }) as ValidationRule,
    maxDirectivesRule({ n: limits.maxQueryDirectives, ...reported('The query uses too many directives.') }) as ValidationRule,
  ];
}
