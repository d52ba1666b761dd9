// What a cacheable answer tells browsers: keep the bytes, but ask before every use.
//
// A mutation purges the server's tiers (and, through Surrogate-Key, a CDN's) before it answers,
// but nothing can purge a browser's cache. An answer a browser may reuse for N seconds without
// asking would show the old value to the very user who just wrote the new one. `no-cache` lets it
// keep the answer and revalidate it with the ETag each time: unchanged, a 304 without a body;
// changed, the new answer. `private` keeps shared caches out of it: every cacheable answer is to
// a request with a token, and CDNs get a policy of their own in Surrogate-Control (GET only,
// keyed by Authorization; see src/http/cached-response.ts).

/** Cache-Control of every answer browsers may keep. */
export const REVALIDATE_EACH_TIME = 'private, no-cache';

/** Cache-Control of everything that may not be kept at all: errors, mutations, uncacheable queries. */
export const NOT_STORED = 'no-store';
