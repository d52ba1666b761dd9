// The GraphQL parameters of an HTTP request (query, persisted-query claim, operation name,
// variables, extensions), read and checked before anything uses them. Every request goes through
// this one reader, whether it is then answered from the cache or run by Apollo, so a hit is refused
// for everything a miss is refused for. The checks are Apollo Server's own (its HTTP layer and the
// persisted-query step of its pipeline), answered with the same statuses, plus cardfile's: an
// operation name must be a GraphQL name of sane length.
import { ErrorCode, httpError } from '../errors.js';

export interface GraphQLParams {
  query: string | undefined;
  /**
   * The sha256 the client claims for its document (extensions.persistedQuery.sha256Hash): a claim,
   * never an identity. It is checked against the query text when both came, and otherwise names a
   * document to look up among verified ones (src/graphql/documents.ts).
   */
  claimedHash: string | undefined;
  operationName: string | null;
  variables: Record<string, unknown> | null;
  /** The request's extensions other than persistedQuery, passed on to execution as sent. */
  extensions: Record<string, unknown> | undefined;
}

/**
 * Operation names are GraphQL names; none in the published SDK is longer than 40 characters. A
 * bound keeps a megabyte-long name out of keys, logs and memos.
 */
export const MAX_OPERATION_NAME_LENGTH = 128;
const OPERATION_NAME = new RegExp(`^[_A-Za-z][_0-9A-Za-z]{0,${MAX_OPERATION_NAME_LENGTH - 1}}$`);

const refuse = (message: string): never => {
  throw httpError(ErrorCode.BAD_REQUEST, message);
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A GET parameter given once, or undefined; given twice it is ambiguous, and refused. */
function once(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) refuse(`The '${name}' search parameter may only be specified once.`);
  return values[0];
}

function jsonObjectParam(params: URLSearchParams, name: string): Record<string, unknown> | undefined {
  const value = once(params, name);
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return refuse(`The ${name} search parameter contains invalid JSON.`);
  }
  if (!isRecord(parsed)) refuse(`The ${name} search parameter should contain a JSON-encoded object.`);
  return parsed as Record<string, unknown>;
}

function fromGet(search: string): Omit<GraphQLParams, 'claimedHash'> & { rawExtensions: Record<string, unknown> | undefined } {
  const params = new URLSearchParams(search);
  return {
    query: once(params, 'query'),
    operationName: once(params, 'operationName') ?? null,
    variables: jsonObjectParam(params, 'variables') ?? null,
    rawExtensions: jsonObjectParam(params, 'extensions'),
    extensions: undefined,
  };
}

function fromPost(body: unknown): Omit<GraphQLParams, 'claimedHash'> & { rawExtensions: Record<string, unknown> | undefined } {
  if (!isRecord(body) || Object.keys(body).length === 0) refuse('POST body missing, invalid Content-Type, or JSON object has no keys.');
  const fields = body as Record<string, unknown>;
  const { query, variables, extensions, operationName } = fields;
  if (query && typeof query !== 'string') refuse('GraphQL queries must be strings.');
  if (typeof variables === 'string') refuse('`variables` in a POST body should be provided as an object, not a recursively JSON-encoded string.');
  if (typeof extensions === 'string') refuse('`extensions` in a POST body should be provided as an object, not a recursively JSON-encoded string.');
  if ('extensions' in fields && extensions !== null && !isRecord(extensions)) refuse('`extensions` in a POST body must be an object if provided.');
  if ('variables' in fields && variables !== null && !isRecord(variables)) refuse('`variables` in a POST body must be an object if provided.');
  if ('operationName' in fields && operationName !== null && typeof operationName !== 'string') refuse('`operationName` in a POST body must be a string if provided.');
  return {
    query: typeof query === 'string' ? query : undefined,
    operationName: typeof operationName === 'string' ? operationName : null,
    variables: isRecord(variables) ? variables : null,
    rawExtensions: isRecord(extensions) ? extensions : undefined,
    extensions: undefined,
  };
}

/**
 * Reads a GET's query string or a POST's parsed JSON body. Throws a HttpError (400) for anything
 * Apollo would refuse before executing, and for an operation name that is not a GraphQL name.
 */
export function readGraphQLRequest(method: 'GET' | 'POST', search: string, body: unknown): GraphQLParams {
  const { rawExtensions, ...fields } = method === 'GET' ? fromGet(search) : fromPost(body);
  if (fields.operationName !== null && fields.operationName !== '' && !OPERATION_NAME.test(fields.operationName)) {
    // Such a name can select no operation of any document: refused as Apollo refuses a name the
    // document lacks, without the name being read any further.
    throw httpError(ErrorCode.OPERATION_RESOLUTION_FAILURE, `operationName must be a GraphQL name (letters, digits and _, not starting with a digit) of at most ${MAX_OPERATION_NAME_LENGTH} characters.`,
    );
  }
  let claimedHash: string | undefined;
  let extensions = rawExtensions;
  const persisted = rawExtensions?.persistedQuery;
  if (persisted) {
    if (!isRecord(persisted) || persisted.version !== 1) refuse('Unsupported persisted query version');
    const hash = (persisted as Record<string, unknown>).sha256Hash;
    // A claim that cannot be a sha256 in hex names no document: unknown when asked for alone, and
    // never equal to a query's hash when the query came too.
    claimedHash = typeof hash === 'string' ? hash : String(hash);
    const { persistedQuery: _persisted, ...rest } = rawExtensions!;
    extensions = Object.keys(rest).length > 0 ? rest : undefined;
  }
  if (claimedHash === undefined && !fields.query) refuse('GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.');
  return { ...fields, claimedHash, extensions };
}
