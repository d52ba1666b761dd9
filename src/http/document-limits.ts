// Size limits on a request's GraphQL document and variables, checked on the raw request before
// anything parses the document: an oversized or token-stuffed query costs a length check and a
// lexer pass that stops at the limit, never a parse or a validation.
//
// Tokens are counted here, with graphql-js's own lexer, rather than with graphql-armor's
// max-tokens: armor's counts inside a second, full parse (Apollo cannot be given another parser),
// while this stops at the limit without building anything and answers before Apollo runs.
import { Lexer, Source, TokenKind } from 'graphql';
import type { LimitSettings } from '../limits/settings.js';
import { BodyError } from './request-body.js';

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

function fieldsOf(method: string, search: string, body: unknown): { query: unknown; variablesBytes: number } {
  if (method === 'GET') {
    const params = new URLSearchParams(search);
    const variables = params.get('variables');
    return { query: params.get('query'), variablesBytes: variables === null ? 0 : Buffer.byteLength(variables) };
  }
  if (typeof body !== 'object' || body === null) return { query: undefined, variablesBytes: 0 };
  const { query, variables } = body as { query?: unknown; variables?: unknown };
  return { query, variablesBytes: variables === undefined || variables === null ? 0 : Buffer.byteLength(JSON.stringify(variables)) };
}

/** Throws a coded BodyError when the request's document or variables are over a limit. */
export function checkDocumentLimits(method: string, search: string, body: unknown, limits: DocumentLimits): void {
  const { query, variablesBytes } = fieldsOf(method, search, body);
  if (variablesBytes > limits.maxVariablesBytes) {
    throw new BodyError(413, 'PAYLOAD_TOO_LARGE', 'The variables are too large: send less data per request.');
  }
  if (typeof query !== 'string') return;
  if (query.length > limits.maxQueryChars) {
    throw new BodyError(413, 'PAYLOAD_TOO_LARGE', 'The query document is too long: send a shorter one, or a persisted query by its hash.');
  }
  if (hasMoreTokensThan(query, limits.maxQueryTokens)) {
    throw new BodyError(400, 'GRAPHQL_VALIDATION_FAILED', 'The query document has too many tokens: send a shorter one.');
  }
}
