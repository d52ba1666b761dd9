// Which document a request runs, by an identity the server computed: the sha256 of the text the
// request carried, or of the text a verified store holds under the hash it named. A hash a client
// claims is checked against its text and refused when they differ, before anything is looked up,
// remembered or keyed by it: a claim is how one client could otherwise make another client's
// mutation look like a query (and share one execution), or two operations share one cache entry.
import type { PersistedQueries } from '../cache/persisted-queries.js';
import { documentHash } from '../cache/keys.js';
import type { GraphQLParams } from './graphql-request.js';
import { ErrorCode, httpError } from '../errors.js';

export type RequestDocument =
  | {
      kind: 'known';
      /** sha256 (hex) of `text`, computed here or checked when the text was stored. */
      hash: string;
      text: string;
      /** The text came with a matching persisted-query hash: the client asks for it to be registered. */
      register: boolean;
    }
  /** A hash alone that names no known document: the client must send the text. */
  | { kind: 'unknown-hash' };

/**
 * The request's document: at once when it is at hand, or once Redis has answered. `textHash` is
 * the sha256 of params.query when the caller already knows it (computed earlier from the same
 * request text). Throws a HttpError when a claimed hash does not match the text sent with it.
 */
export function requestDocument(params: GraphQLParams, persisted: PersistedQueries, textHash?: string): RequestDocument | Promise<RequestDocument> {
  if (params.query !== undefined) {
    const hash = textHash ?? documentHash(params.query);
    if (params.claimedHash !== undefined && params.claimedHash !== hash) {
      throw httpError(ErrorCode.BAD_REQUEST, 'provided sha does not match query');
    }
    return { kind: 'known', hash, text: params.query, register: params.claimedHash !== undefined };
  }
  if (params.claimedHash === undefined) return UNKNOWN_HASH;
  const hash = params.claimedHash;
  // Answered without waiting when this process knows the hash (a cache hit's usual case); a
  // document only Redis holds is looked up there.
  const text = persisted.lookup(hash);
  const named = (found: string | undefined): RequestDocument => (found === undefined ? UNKNOWN_HASH : { kind: 'known', hash, text: found, register: false });
  return text instanceof Promise ? text.then(named) : named(text);
}

const UNKNOWN_HASH: RequestDocument = { kind: 'unknown-hash' };
