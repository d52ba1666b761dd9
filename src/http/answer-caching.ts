// Whether an executed answer may be kept, decided here and nowhere else: by this server's caches,
// by browsers (which revalidate it every time) and by CDNs. Only an error-free answer to a query,
// asked for with a token, whose policy gives it a max age, is kept; everything else says no-store.
import type { CachePolicy } from '../graphql/cache-policy.js';
import { NOT_STORED, REVALIDATE_EACH_TIME } from '../graphql/browser-cache-control.js';
import type { ExecutionRecord } from '../graphql/context.js';

export interface ExecutedAnswer {
  status: number;
  operation: ExecutionRecord['operation'];
  hadErrors: boolean;
  policy: CachePolicy | undefined;
  /** Asked for with a valid token: answers to anonymous requests (introspection) are never kept. */
  withViewer: boolean;
}

/** Seconds the answer may be kept; 0 when it may not be kept at all. */
export function keepSeconds(answer: ExecutedAnswer): number {
  if (answer.status !== 200 || answer.operation !== 'query' || answer.hadErrors || !answer.withViewer) return 0;
  return answer.policy?.maxAge ?? 0;
}

/**
 * Cache-Control of an answer written as executed rather than from a cache entry (the response
 * cache off, or an answer that may not be kept). Browsers revalidate every time; the max age is
 * the policy's, for whoever keeps answers on their own terms.
 */
export function cacheControlOf(seconds: number): string {
  return seconds > 0 ? `${REVALIDATE_EACH_TIME}, max-age=${seconds}` : NOT_STORED;
}
