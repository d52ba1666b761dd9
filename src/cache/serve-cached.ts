// The response cache's front door: the whole protocol for serving one request from the cache, in
// one place, so the HTTP layer knows neither tiers nor tickets. For a key it:
//
// 1. looks the answer up in L1, then L2 (ResponseCache.lookup; an L1 entry only while Redis
//    confirms its write sequence);
// 2. on a stale hit, answers with it at once and starts one background refresh;
// 3. on a miss, checks L1 once more (a concurrent request may have filled it while Redis answered);
// 4. runs the request once for all identical concurrent misses that saw the same write sequences
//    (single flight), and stores its answer only if no write happened meanwhile (the ticket).
//
// `run` executes the request and says what may be kept of it. It must run only what may be shared:
// the caller passes queries alone, and the execution refuses anything else (execution-record-plugin.ts).
import type { RequestTrace } from '../observability/request-trace.js';
import type { CachedResponse } from './entry.js';
import type { ResponseCache } from './response-cache.js';

/** What one run produced: the value handed to the request(s), and the entry to keep, if any. */
export interface Fill<T> {
  value: T;
  entry: CachedResponse | undefined;
}

/** Why `run` is called: for the request(s) waiting, or to refresh a stale entry in the background. */
export type RunFor = 'request' | 'refresh';

export type Served<T> =
  | { outcome: 'hit-l1' | 'hit-l2' | 'stale'; entry: CachedResponse }
  | { outcome: 'miss' | 'coalesced'; value: T };

export async function serveCached<T>(
  cache: ResponseCache,
  key: string,
  workspaceId: number,
  run: (why: RunFor) => Promise<Fill<T>>,
  trace?: RequestTrace,
): Promise<Served<T>> {
  const found = await cache.lookup(key, workspaceId, trace);
  if ('entry' in found) {
    if (found.stale) {
      cache.refreshInBackground(key, async () => {
        const ticket = await cache.ticket(workspaceId);
        const fill = await run('refresh');
        if (fill.entry) await cache.store(key, fill.entry, ticket);
      });
      return { outcome: 'stale', entry: found.entry };
    }
    return { outcome: found.tier === 'l1' ? 'hit-l1' : 'hit-l2', entry: found.entry };
  }
  const filledMeanwhile = cache.fromMemory(key);
  if (filledMeanwhile) return { outcome: 'hit-l1', entry: filledMeanwhile };
  const { value, shared } = await cache.singleFlight(key, found, async () => {
    const fill = await run('request');
    if (fill.entry) void cache.store(key, fill.entry, found);
    return fill.value;
  });
  return { outcome: shared ? 'coalesced' : 'miss', value };
}

/**
 * Runs a request no client made and keeps its answer (start-up warming), under the same rule as a
 * miss: stored only if no write happened while it ran. True when stored.
 */
export async function prefill(cache: ResponseCache, key: string, workspaceId: number, run: () => Promise<CachedResponse | undefined>): Promise<boolean> {
  const ticket = await cache.ticket(workspaceId);
  const entry = await run();
  if (!entry) return false;
  await cache.store(key, entry, ticket);
  return true;
}
