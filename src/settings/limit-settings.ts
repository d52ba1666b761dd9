// The abuse limits' knobs, read from the environment with their defaults: query shape and size,
// and request rates. Kept apart from config.ts so the limits can be read and tested as one set.

import { type Env, integer } from './env-values.js';

export interface LimitSettings {
  /** Deepest selection nesting an operation may have. */
  maxQueryDepth: number;
  /** Most aliases in one document. */
  maxQueryAliases: number;
  /** Most directives in one document. */
  maxQueryDirectives: number;
  /** Most lexical tokens in one document, counted before it is parsed. */
  maxQueryTokens: number;
  /** Highest cost of one operation: each field counts 1, and a paginated field's selection counts once per requested item. */
  maxQueryCost: number;
  /** Longest query document, in characters, refused before anything parses it. */
  maxQueryChars: number;
  /** Largest `variables`, in bytes of JSON. */
  maxVariablesBytes: number;
  /** Requests one bearer token may send per window; 0: no limit. */
  rateLimitPerToken: number;
  /** Requests one client address may send per window; 0: no limit. */
  rateLimitPerIp: number;
  rateLimitWindowMs: number;
  /**
   * Proxies in front of cardfile whose X-Forwarded-For entries are believed: the client address is
   * the entry this many places from the right. 0: the socket's peer address, the header ignored.
   */
  trustProxyHops: number;
}

/** `true` trusts one proxy, `false` none; a number trusts that many in a chain. */
function proxyHops(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const lower = raw.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(lower)) return 1;
  if (['false', 'no', '0'].includes(lower)) return 0;
  const hops = Number(lower);
  if (!Number.isInteger(hops) || hops < 0 || hops > 10) throw new Error(`TRUST_PROXY must be true, false or a number of proxies from 0 to 10, got "${raw}"`);
  return hops;
}

export function limitSettingsFrom(env: Env): LimitSettings {
  return {
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 12, 1, 1000),
    maxQueryAliases: integer(env, 'MAX_QUERY_ALIASES', 15, 0, 100_000),
    maxQueryDirectives: integer(env, 'MAX_QUERY_DIRECTIVES', 50, 0, 100_000),
    maxQueryTokens: integer(env, 'MAX_QUERY_TOKENS', 2_000, 10, 1_000_000),
    maxQueryCost: integer(env, 'MAX_QUERY_COST', 10_000, 1, 1_000_000_000),
    maxQueryChars: integer(env, 'MAX_QUERY_CHARS', 20_000, 100, 100_000_000),
    maxVariablesBytes: integer(env, 'MAX_VARIABLES_BYTES', 64_000, 100, 100_000_000),
    rateLimitPerToken: integer(env, 'RATE_LIMIT_PER_TOKEN', 600, 0, 1_000_000_000),
    rateLimitPerIp: integer(env, 'RATE_LIMIT_PER_IP', 1_200, 0, 1_000_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    trustProxyHops: proxyHops(env.TRUST_PROXY),
  };
}
