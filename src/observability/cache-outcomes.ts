// How a GraphQL request was served, as requests are labelled in metrics, logs and the status page:
// from this process's cache (hit-l1), Redis (hit-l2), a stale entry (stale), sharing a concurrent
// miss (coalesced), executed (miss), or around the cache (bypass). Kept here, where they are
// counted, so that observability names them without reaching into the cache.
export const CACHE_OUTCOMES = ['hit-l1', 'hit-l2', 'stale', 'coalesced', 'miss', 'bypass'] as const;

export type CacheOutcome = (typeof CACHE_OUTCOMES)[number];
