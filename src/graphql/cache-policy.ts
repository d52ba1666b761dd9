// The cache policy of an operation, computed once per parsed document from the schema's
// @cacheControl hints, instead of once per resolved field per request.
//
// Apollo's cache-control plugin derives the same policy at run time: a hook on every resolved
// field, which cost about a third of an uncached list page's throughput here (50 contacts resolve
// hundreds of fields). This module follows the same rules (a field's hint, else its type's for a
// composite type, inheritMaxAge, a default of 0 for root fields and composite fields without one,
// the overall policy being the lowest maxAge and PRIVATE if any part is) over the operation's
// selections instead of its resolved fields. Where the two can differ, this one is the stricter:
// it counts fields under a null object, an empty list or a fragment of another concrete type as
// if they had resolved. cardfile sets no hint at run time, so nothing dynamic is missed.
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

// Types are told apart by their tag, not graphql's isObjectType and friends: those check the
// class, and a schema built by another copy of graphql (a test runner may load the package twice,
// once per module format) fails the check, or throws, though it is the same schema.
const tagOf = (type: unknown) => (type as { [Symbol.toStringTag]?: string } | null | undefined)?.[Symbol.toStringTag];
const isComposite = (type: unknown): type is GraphQLCompositeType =>
  ['GraphQLObjectType', 'GraphQLInterfaceType', 'GraphQLUnionType'].includes(tagOf(type) ?? '');
function namedTypeOf(type: GraphQLType): GraphQLNamedType {
  let named: GraphQLType = type;
  while ('ofType' in named && named.ofType) named = named.ofType as GraphQLType;
  return named as GraphQLNamedType;
}

export type CacheScope = 'PUBLIC' | 'PRIVATE';

export interface CacheHint {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge?: boolean;
}

/** A policy under construction, with Apollo's replace and restrict. */
class Policy {
  maxAge: number | undefined;
  scope: CacheScope | undefined;

  replace(hint: CacheHint) {
    if (hint.maxAge !== undefined) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined) this.scope = hint.scope;
  }

  restrict(hint: { maxAge?: number; scope?: CacheScope }) {
    if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge)) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined && this.scope !== 'PRIVATE') this.scope = hint.scope;
  }
}

/** What may be cached, and by whom; undefined when nothing may (maxAge 0 or no hint at all). */
export interface CachePolicy {
  maxAge: number;
  scope: CacheScope;
}

type Hinted = { astNode?: { directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: any }[] }[] } | null };

function hintOf(element: Hinted): CacheHint {
  const directive = element.astNode?.directives?.find((found) => found.name.value === 'cacheControl');
  const hint: CacheHint = {};
  for (const argument of directive?.arguments ?? []) {
    const value = valueFromASTUntyped(argument.value);
    if (argument.name.value === 'maxAge' && typeof value === 'number') hint.maxAge = value;
    if (argument.name.value === 'scope' && (value === 'PUBLIC' || value === 'PRIVATE')) hint.scope = value;
    if (argument.name.value === 'inheritMaxAge' && value === true) hint.inheritMaxAge = true;
  }
  return hint;
}

/** A field of an object or interface type (a union has none of its own). */
function fieldOf(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return 'getFields' in type ? type.getFields()[name] : undefined;
}

const MAX_FRAGMENT_DEPTH = 50;

export function operationCachePolicy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): CachePolicy | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return undefined;
  const overall = new Policy();

  const visit = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, atRoot: boolean, depth: number) => {
    if (depth > MAX_FRAGMENT_DEPTH) {
      // Deeper than any real document: give up on caching it rather than recurse further.
      overall.restrict({ maxAge: 0 });
      return;
    }
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
        if (isComposite(condition)) visit(selection.selectionSet, condition, atRoot, depth + 1);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && isComposite(condition)) visit(fragment.selectionSet, condition, atRoot, depth + 1);
        continue;
      }
      // Meta fields (__typename, __schema, __type) carry no hint and, as in Apollo, count for nothing.
      if (selection.name.value.startsWith('__')) continue;
      const field = fieldOf(parentType, selection.name.value);
      if (!field) continue;
      const target = namedTypeOf(field.type);
      const policy = new Policy();
      let inheritMaxAge = false;
      if (isComposite(target)) {
        const typeHint = hintOf(target as Hinted);
        policy.replace(typeHint);
        inheritMaxAge = Boolean(typeHint.inheritMaxAge);
      }
      const fieldHint = hintOf(field as Hinted);
      if (fieldHint.inheritMaxAge && policy.maxAge === undefined) {
        inheritMaxAge = true;
        if (fieldHint.scope) policy.replace({ scope: fieldHint.scope });
      } else {
        policy.replace(fieldHint);
      }
      if (policy.maxAge === undefined && ((isComposite(target) && !inheritMaxAge) || atRoot)) policy.restrict({ maxAge: 0 });
      overall.restrict(policy);
      if (selection.selectionSet && isComposite(target)) visit(selection.selectionSet, target, false, depth);
    }
  };
  visit(operation.selectionSet, root, true, 0);
  if (overall.maxAge === undefined || overall.maxAge === 0) return undefined;
  return { maxAge: overall.maxAge, scope: overall.scope ?? 'PUBLIC' };
}

/** Memoized per parsed operation: Apollo keeps parsed documents, so a repeat costs one lookup. */
export function cachePolicies(schema: GraphQLSchema) {
  const known = new WeakMap<OperationDefinitionNode, CachePolicy | null>();
  return (document: DocumentNode, operation: OperationDefinitionNode): CachePolicy | undefined => {
    let policy = known.get(operation);
    if (policy === undefined) {
      policy = operationCachePolicy(schema, document, operation) ?? null;
      known.set(operation, policy);
    }
    return policy ?? undefined;
  };
}
