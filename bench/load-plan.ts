// What the load generator is asked to do and what it answers: plain data, passed as JSON between
// the benchmark and the generator process.
import type { MixedPlan, MixedResult } from './mixed-traffic.js';
import type { MetricsSnapshot } from './prometheus.js';
import type { SoakPlan, SoakResult } from './soak-traffic.js';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type LoadPlan =
  /** The same request every time. */
  | { kind: 'fixed'; request: LoadRequest; minResponseBytes: number }
  /** One of these, drawn uniformly, each time. */
  | { kind: 'pick'; requests: LoadRequest[]; minResponseBytes: number }
  /** Reads and writes with the stale-read checker (mixed-traffic.ts). */
  | { kind: 'mixed'; mixed: MixedPlan }
  /** Mixed traffic over several workspaces, each answer checked for other workspaces' data (soak-traffic.ts). */
  | { kind: 'soak'; soak: SoakPlan };

export interface LoadJob {
  /** Several: the connections are spread over them in turn (autocannon's own distribution). */
  baseUrl: string | string[];
  connections: number;
  /** Load before the measured window, with the same traffic, not measured; 0: none. */
  warmupSeconds: number;
  durationSeconds: number;
  plan: LoadPlan;
  /** cardfile's /metrics, read right before and right after the measured window. */
  metricsUrl?: string;
  /** Default: wrk for a fixed plan when it is installed, autocannon otherwise (load-generator.ts). */
  generator?: LoadGeneratorName;
}

export type LoadGeneratorName = 'autocannon' | 'wrk';

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside 2xx (the mixed scenario's CONFLICT answers are not among them). */
  non2xx: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  /** 2xx answers that were not a GraphQL result without errors. */
  badBodies: number;
  /** Mean bytes read per response, headers included (fixed and pick plans). */
  bytesPerResponse?: number;
  mixed?: MixedResult;
  soak?: SoakResult;
  metrics?: { before: MetricsSnapshot; after: MetricsSnapshot };
  /** Which generator measured it. */
  generator: LoadGeneratorName;
}
