// The two checks nearly every HTTP test makes of an answer: a plain GraphQL success, or a coded
// error with its HTTP status. Test files read answers in several shapes (server.graphql's, a raw
// socket's reply, a load helper's answer); these checks need only what all of them have.
import { expect } from 'vitest';

/** What the checks read of an answer, whichever helper produced it. */
export interface AnswerLike {
  status: number;
  /** The body as received; shown when a check fails, and searched for stack traces. */
  text?: string;
  /** The parsed body. When the answer has no `body` at all, `text` is parsed instead. */
  body?: any;
  /** A fetch Response's headers, or headers read off a socket (names in lower case). */
  headers?: Headers | Record<string, string>;
  contentType?: string;
}

export interface CodedError {
  message: string;
  path?: unknown[];
  extensions?: Record<string, any>;
}

export interface CodedChecks {
  /** The argument or input field the error must name (`extensions.field`). */
  field?: string;
  /** What the error's message must match. */
  message?: RegExp;
  /**
   * What may come back beside the error: 'none' when the request is refused before execution (no
   * `data` key at all), 'null' when execution failed at its root (`data` absent or null). Left
   * unchecked otherwise, since a field's error comes with the rest of the answer.
   */
  data?: 'none' | 'null';
  /**
   * The HTTP layer's own error shape: the body is exactly one error with a message and the code,
   * nothing else (and application/json, where the answer's shape has a content type).
   */
  bare?: boolean;
  /**
   * Validation may find several faults in one document: one error or more, each with the code
   * (the first checked as above). Exactly one otherwise.
   */
  several?: boolean;
}

/** A stack frame ("at handler (/srv/app.ts:12:3)"): no answer may carry one. */
const STACK_FRAME = /\bat .*\.(ts|js):\d+/;

function bodyOf(answer: AnswerLike): any {
  if ('body' in answer) return answer.body;
  return answer.text ? JSON.parse(answer.text) : undefined;
}

function textOf(answer: AnswerLike): string {
  return answer.text ?? JSON.stringify(answer.body);
}

/** The answer's content type; null when it has headers but no content type, undefined when it has neither. */
function contentTypeOf(answer: AnswerLike): string | null | undefined {
  if (answer.contentType !== undefined) return answer.contentType;
  const { headers } = answer;
  if (headers === undefined) return undefined;
  return headers instanceof Headers ? headers.get('content-type') : (headers['content-type'] ?? null);
}

/** A plain success: 200, no errors, and data, which it returns. */
export function expectOk<T = any>(answer: AnswerLike): T {
  const body = bodyOf(answer);
  const shown = textOf(answer);
  expect(body?.errors, shown).toBeUndefined();
  expect(answer.status, shown).toBe(200);
  expect(body?.data, `no data: ${shown}`).toBeTruthy();
  return body.data;
}

/**
 * A coded error and nothing wrong around it: the HTTP status, exactly one error (unless `several`)
 * with a message and `code`, a JSON content type (where the answer's shape says), no stack trace,
 * and whatever of `checks` is asked. Returns the (first) error.
 */
export function expectCoded(answer: AnswerLike, status: number, code: string, checks: CodedChecks = {}): CodedError {
  const body = bodyOf(answer);
  const shown = textOf(answer);
  const errors: CodedError[] | undefined = body?.errors;
  const codes = errors?.map((error) => error.extensions?.code);
  expect(codes, shown).toEqual(checks.several ? Array(Math.max(codes?.length ?? 0, 1)).fill(code) : [code]);
  expect(answer.status, shown).toBe(status);
  const error = errors![0]!;
  expect(error.message, shown).toEqual(expect.any(String));
  expect(error.message.length, shown).toBeGreaterThan(0);
  if (checks.field !== undefined) expect(error.extensions?.field, shown).toBe(checks.field);
  if (checks.message !== undefined) expect(error.message, shown).toMatch(checks.message);
  if (checks.data === 'none') expect(body.data, shown).toBeUndefined();
  if (checks.data === 'null') expect(body.data ?? null, shown).toBeNull();
  if (checks.bare) expect(body, shown).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
  const contentType = contentTypeOf(answer);
  if (contentType !== undefined) expect(contentType, shown).toMatch(checks.bare ? /^application\/json\b/ : /^application\/(graphql-response\+)?json\b/);
  expect(shown).not.toMatch(STACK_FRAME);
  return error;
}
