// One scenario's figures, as the table, the targets and the JSON file read them.
import type { LoadGeneratorName } from './load-plan.js';
import type { MixedResult } from './mixed-traffic.js';
import type { ScenarioName } from './options.js';
import type { PeerName } from './peers/peer-servers.js';
import type { PgbenchResult } from './pgbench-page.js';
import type { CacheOutcome } from './prometheus.js';

export interface ScenarioRatios {
  limitHttp?: number;
  limitDb?: number;
  baselineApollo?: number;
  /** Against the peers of its kind (report.ts, PEER_COMPARISONS): cached with caching peers, executed with the uncached one. */
  peers?: Partial<Record<PeerName, number>>;
}

export interface ScenarioResult {
  name: ScenarioName;
  /** False when the scenario failed outright (server did not start, every request failed, a stale read). */
  ok: boolean;
  failure?: string;
  requests?: number;
  requestsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Non-2xx answers (CONFLICT excepted), connection errors, timeouts and error bodies. */
  errors?: number;
  /** From cardfile's histogram; absent for the reference servers. */
  sqlPerRequest?: number;
  outcomeShares?: Record<CacheOutcome, number> | null;
  hitRate?: number | null;
  peakRssMb?: number;
  /** Mean bytes read per response, headers included, as the load generator counted them. */
  bytesPerResponse?: number;
  /** One answer's body as it travels (compressed when the request asked for it), measured before the run. */
  bodyBytes?: number;
  /** That answer's Content-Encoding, when compressed. */
  contentEncoding?: string;
  ratios?: ScenarioRatios;
  mixed?: MixedResult;
  /** deep-page: the first page measured the same way, for the comparison. */
  firstPage?: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  deepToFirstP50?: number;
  /** plans: how many main queries were explained, and what was wrong with their plans. */
  plans?: { checked: number; statements: number; problems: string[] };
  notes?: string;
  /** What sent the load: autocannon or wrk (load-generator.ts), or pgbench for limit-db. */
  generator?: LoadGeneratorName | 'pgbench';
  /** limit-db: every client count pgbench ran, and the best. */
  pgbench?: PgbenchResult;
}
