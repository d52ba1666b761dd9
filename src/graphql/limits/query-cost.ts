// The cost of an operation: an upper bound on the fields it can resolve. Each field counts 1 plus
// its selection; a paginated field (one that takes `first`/`last`) counts its selection once per
// item it may return, so nested pages multiply: 100 contacts with 100 notes each cost ~40,000,
// while the published list page of 50 costs ~900.
//
// graphql-armor's cost limit weighs objects, scalars and depth but knows nothing of page sizes, so
// the cost comes from graphql-query-complexity with an estimator of our own. It runs once the
// operation and its variables are known (a page size is usually a variable, which a validation
// rule cannot see); Apollo's validation cache makes no difference to it.
import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination.js';
import { limitError } from './limit-error.js';

function pageSizeOf(args: Record<string, unknown>): number {
  const requested = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : DEFAULT_PAGE_SIZE;
  // Beyond the contract's maximum the resolver refuses the argument itself (BAD_USER_INPUT naming
  // it): counted at the maximum, such a request gets that clearer error rather than this one.
  return Math.max(0, Math.min(requested, MAX_PAGE_SIZE));
}

const paginatedFieldCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const paginated = field.args.some((arg) => arg.name === 'first' || arg.name === 'last');
  return 1 + (paginated ? pageSizeOf(args) : 1) * childComplexity;
};

const TOO_MUCH = 'The query asks for too much at once: request smaller pages or fewer nested lists.';

/** Selections the counting visits at most; past this, counting stops and the query is refused. */
const MAX_QUERY_NODES = 10_000;

/** graphql-query-complexity throws (not reports) this one error when it stops counting. */
const tooManyNodes = (error: unknown) => error instanceof Error && /maximum allowed number of nodes/.test(error.message);

export function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown> = {}): number {
  return getComplexity({ schema, query: document, operationName, variables, estimators: [paginatedFieldCost], maxQueryNodes: MAX_QUERY_NODES });
}

/** Costs kept per published document, by operation name and variables. */
const COSTS_PER_DOCUMENT = 32;
/** Variables longer than this (as JSON) are counted each time rather than kept as a key. */
const MAX_KEY_CHARS = 1024;

/**
 * Counting walks the whole document (about 2% of an uncached page's CPU), yet clients send the
 * published documents with the same few variables again and again. Only those documents' costs
 * are kept, by the sha256 of their text (Apollo's own hash of what it parsed), at most
 * COSTS_PER_DOCUMENT keys of at most MAX_KEY_CHARS each per document: under 40 KB a document, for
 * a number of documents the manifest fixes, whatever clients send. Any other document is counted
 * each time.
 */
function costMemo(schema: GraphQLSchema, publishedHashes: ReadonlySet<string>) {
  const known = new Map<string, Map<string, number>>();
  return (queryHash: string | undefined, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number => {
    if (queryHash === undefined || !publishedHashes.has(queryHash)) return operationCost(schema, document, operationName, variables);
    const key = JSON.stringify([operationName ?? null, variables]);
    if (key.length > MAX_KEY_CHARS) return operationCost(schema, document, operationName, variables);
    let costs = known.get(queryHash);
    const kept = costs?.get(key);
    if (kept !== undefined) return kept;
    const cost = operationCost(schema, document, operationName, variables);
    if (!costs) known.set(queryHash, (costs = new Map()));
    if (costs.size >= COSTS_PER_DOCUMENT) costs.clear();
    costs.set(key, cost);
    return cost;
  };
}

export function queryCostPlugin<Context extends object>(
  schema: GraphQLSchema,
  maxCost: number,
  /** sha256 of the published documents' texts: their costs are kept. */
  publishedHashes: ReadonlySet<string> = new Set(),
): ApolloServerPlugin<Context> {
  const costOf = costMemo(schema, publishedHashes);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ queryHash, document, operationName, request }) {
          let cost: number;
          try {
            cost = costOf(queryHash, document, operationName ?? undefined, request.variables ?? {});
          } catch (error) {
            // Too many selections to even count (fragments spread into each other): refused.
            if (tooManyNodes(error)) throw limitError(TOO_MUCH);
            // Variables that do not fit the operation: execution refuses them with a clearer,
            // coded error, and nothing runs.
            return;
          }
          if (cost > maxCost) throw limitError(TOO_MUCH);
        },
      };
    },
  };
}
