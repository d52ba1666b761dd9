// Size limits on a request's GraphQL document and variables, checked on the raw request before
// anything parses the document: an oversized or token-stuffed query costs a length check and a
// lexer pass that stops at the limit, never a parse or a validation.
//
// Tokens are counted here, with graphql-js's own lexer, rather than with graphql-armor's
// max-tokens: armor's counts inside a second, full parse (Apollo cannot be given another parser),
// while this stops at the limit without building anything and answers before Apollo runs.
import { Lexer, Source, TokenKind } from 'graphql';
import type { LimitSettings } from '../settings/limit-settings.js';
import { ErrorCode, httpError } from '../errors.js';

export type DocumentLimits = Pick<LimitSettings, 'maxQueryChars' | 'maxQueryTokens' | 'maxVariablesBytes'>;

/** Whether `query` has more than `max` tokens; a lexing error is left for Apollo to report. */
function hasMoreTokensThan(query: string, max: number): boolean {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > max) return true;
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * Deepest nesting of objects and arrays a request's variables may have: several times what any
 * input type of the schema needs (a filter's list of tag ids is three levels down).
 */
export const MAX_VARIABLES_DEPTH = 32;

/**
 * Whether `value` nests objects or arrays more than `max` levels deep, found without recursion.
 * JSON.parse builds a few thousand levels happily, but what walks them recursively afterwards
 * (JSON.stringify for the size, the cache key's canonical JSON) overflows the stack on them.
 */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: refused later, where the parameters are read.
    return undefined;
  }
}

function fieldsOf(method: string, search: string, body: unknown): { query: unknown; variables: unknown; variablesBytes: () => number } {
  if (method === 'GET') {
    const params = new URLSearchParams(search);
    const variables = params.get('variables');
    return {
      query: params.get('query'),
      variables: variables === null ? undefined : parsedOrUndefined(variables),
      variablesBytes: () => (variables === null ? 0 : Buffer.byteLength(variables)),
    };
  }
  if (typeof body !== 'object' || body === null) return { query: undefined, variables: undefined, variablesBytes: () => 0 };
  const { query, variables } = body as { query?: unknown; variables?: unknown };
  return { query, variables, variablesBytes: () => (variables === undefined || variables === null ? 0 : Buffer.byteLength(JSON.stringify(variables))) };
}

/** Throws a coded HttpError when the request's document or variables are over a limit. */
export function checkDocumentLimits(method: string, search: string, body: unknown, limits: DocumentLimits): void {
  const { query, variables, variablesBytes } = fieldsOf(method, search, body);
  // Before the size, which is measured by serialising them.
  if (nestedDeeperThan(variables, MAX_VARIABLES_DEPTH)) {
    throw httpError(ErrorCode.BAD_REQUEST, 'The variables are nested too deeply.');
  }
  if (variablesBytes() > limits.maxVariablesBytes) {
    throw httpError(ErrorCode.PAYLOAD_TOO_LARGE, 'The variables are too large: send less data per request.');
  }
  if (typeof query !== 'string') return;
  if (query.length > limits.maxQueryChars) {
    throw httpError(ErrorCode.PAYLOAD_TOO_LARGE, 'The query document is too long: send a shorter one, or a persisted query by its hash.');
  }
  if (hasMoreTokensThan(query, limits.maxQueryTokens)) {
    throw httpError(ErrorCode.GRAPHQL_VALIDATION_FAILED, 'The query document has too many tokens: send a shorter one.');
  }
}
