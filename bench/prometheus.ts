// Reads cardfile's /metrics and the two figures the benchmark takes from it: SQL statements per
// request and cache outcomes, as differences across the measured window.
export const CACHE_OUTCOMES = ['hit-l1', 'hit-l2', 'stale', 'miss', 'coalesced', 'bypass'] as const;
export type CacheOutcome = (typeof CACHE_OUTCOMES)[number];

export interface MetricsSnapshot {
  sqlSum: number;
  sqlCount: number;
  outcomes: Record<CacheOutcome, number>;
}

export function sumOf(text: string, name: string, labelFilter?: (labels: string) => boolean): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    if (labelFilter && !labelFilter(match[3] ?? '')) continue;
    total += Number(match[4]);
  }
  return total;
}

export async function scrapeMetrics(metricsUrl: string): Promise<MetricsSnapshot> {
  const response = await fetch(metricsUrl);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const outcomes = {} as Record<CacheOutcome, number>;
  for (const outcome of CACHE_OUTCOMES) {
    outcomes[outcome] = sumOf(text, 'cardfile_response_cache_requests_total', (labels) => labels.includes(`outcome="${outcome}"`));
  }
  return {
    sqlSum: sumOf(text, 'cardfile_sql_statements_per_request_sum'),
    sqlCount: sumOf(text, 'cardfile_sql_statements_per_request_count'),
    outcomes,
  };
}

export interface WindowFigures {
  /** Statements per executed request (0 when every request was a cache hit). */
  sqlPerRequest: number;
  /** Share of each outcome among all counted requests. */
  outcomeShares: Record<CacheOutcome, number> | null;
  /** Served from a cache tier (l1, l2 or stale) among query requests (bypass left out). */
  hitRate: number | null;
}

export function difference(before: MetricsSnapshot, after: MetricsSnapshot): WindowFigures {
  const executed = after.sqlCount - before.sqlCount;
  const counts = {} as Record<CacheOutcome, number>;
  let total = 0;
  for (const outcome of CACHE_OUTCOMES) {
    counts[outcome] = after.outcomes[outcome] - before.outcomes[outcome];
    total += counts[outcome];
  }
  const hits = counts['hit-l1'] + counts['hit-l2'] + counts.stale;
  const queries = total - counts.bypass;
  const shares = {} as Record<CacheOutcome, number>;
  for (const outcome of CACHE_OUTCOMES) shares[outcome] = total > 0 ? counts[outcome] / total : 0;
  return {
    // The histogram observes executions only: a window served entirely from cache ran no statement.
    sqlPerRequest: executed > 0 ? (after.sqlSum - before.sqlSum) / executed : 0,
    outcomeShares: total > 0 ? shares : null,
    hitRate: queries > 0 ? hits / queries : null,
  };
}
