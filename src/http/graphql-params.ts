// The GraphQL parameters of an HTTP request (query, persisted-query hash, operation name,
// variables), read without executing anything: enough to look a response up in the cache.
// Anything unusual yields undefined and the request goes the ordinary way, where Apollo answers it.
import { documentHash } from '../cache/keys.js';

export interface GraphQLParams {
  documentHash: string;
  query: string | undefined;
  operationName: string | null;
  variables: Record<string, unknown> | null;
}

/** Stands for a parameter that is not JSON: no plain object, so fromFields turns it away. */
const NOT_JSON = Symbol('not JSON');

function parseJsonParam(value: string | null): unknown {
  if (value === null) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return NOT_JSON;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromFields(query: unknown, operationName: unknown, variables: unknown, extensions: unknown): GraphQLParams | undefined {
  if (query !== undefined && typeof query !== 'string') return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) return undefined;
  let hash: string | undefined;
  if (extensions !== undefined) {
    if (!isPlainObject(extensions)) return undefined;
    const persisted = extensions.persistedQuery;
    if (persisted !== undefined) {
      if (!isPlainObject(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') return undefined;
      if (!/^[0-9a-f]{64}$/.test(persisted.sha256Hash)) return undefined;
      hash = persisted.sha256Hash;
    }
  }
  if (!hash && !query) return undefined;
  return {
    // With both a query and a hash, Apollo checks that they match; a mismatch is an error and
    // errors are never cached.
    documentHash: hash ?? documentHash(query!),
    query: query as string | undefined,
    operationName: (operationName as string | null | undefined) ?? null,
    variables: (variables as Record<string, unknown> | null | undefined) ?? null,
  };
}

export function graphQLParamsOf(method: string, search: string, body: unknown): GraphQLParams | undefined {
  if (method === 'GET') {
    const params = new URLSearchParams(search);
    return fromFields(
      params.get('query') ?? undefined,
      params.get('operationName') ?? undefined,
      parseJsonParam(params.get('variables')),
      parseJsonParam(params.get('extensions')),
    );
  }
  if (method === 'POST' && isPlainObject(body)) return fromFields(body.query, body.operationName, body.variables, body.extensions);
  return undefined;
}
