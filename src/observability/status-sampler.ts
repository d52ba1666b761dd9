// The figures behind GET /status: once a second, what the GraphQL requests of the last second
// came to (throughput, p50/p99 latency, cache outcome by tier, errors), kept in a bounded ring of
// recent points, for people running one instance without a metrics stack.
//
// Only aggregates are kept, never a workspace, token, operation or variable. Requests are counted
// as they end (metrics.ts forwards them here); that path does a few additions and one array write
// and allocates nothing. All the work (sorting durations, building a point) happens once per tick.
import { CACHE_OUTCOMES, type CacheOutcome } from './cache-outcomes.js';
import { LatencyReservoir } from './latency-reservoir.js';

/** In the order the page lists them: the cache tiers first, then what reached the executor. */
export const OUTCOMES: readonly CacheOutcome[] = CACHE_OUTCOMES;
const OUTCOME_INDEX = new Map<string, number>(OUTCOMES.map((outcome, index) => [outcome, index]));

/** The route label metrics.ts gives GraphQL requests; other routes (this page's own polling) are left out. */
const GRAPHQL_ROUTE = 'graphql';

export interface ErrorCounts {
  /** Answered 5xx. */
  server: number;
  /** Answered 4xx: refused before or by execution (bad document, token, body). */
  client: number;
  /** Answered with a success status and errors in the body (a partial or failed execution). */
  partial: number;
}

export interface StatusPoint {
  /** When the interval ended, epoch milliseconds. */
  at: number;
  requests: number;
  /** Requests per second over the interval as actually timed. */
  throughput: number;
  /** Null when no request ended in the interval. */
  p50Ms: number | null;
  p99Ms: number | null;
  errors: ErrorCounts;
  /** Share of the interval's requests answered with errors; null without requests. */
  errorRate: number | null;
  /** Requests by cache outcome (x-cache). */
  outcomes: Record<CacheOutcome, number>;
  /** Each outcome's share of the interval's outcomes; null when there were none. */
  hitRate: Record<CacheOutcome, number | null>;
}

export interface StatusSnapshot {
  intervalMs: number;
  /** Most points kept: the sparklines span capacity × intervalMs. */
  capacity: number;
  latest: StatusPoint | null;
  /** Sums over every point sampled since start (including those the ring has dropped). */
  totals: { requests: number; errors: ErrorCounts; outcomes: Record<CacheOutcome, number> };
  /** The kept points, oldest first, one array per figure (what a sparkline draws). */
  series: {
    at: number[];
    requests: number[];
    throughput: number[];
    p50Ms: Array<number | null>;
    p99Ms: Array<number | null>;
    errorRate: Array<number | null>;
    outcomes: Record<CacheOutcome, number[]>;
    hitRate: Record<CacheOutcome, Array<number | null>>;
  };
}

export interface StatusSamplerOptions {
  intervalMs?: number;
  /** Points kept (300 at one a second: five minutes). */
  capacity?: number;
}

const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

function byOutcome<T>(value: (outcome: CacheOutcome, index: number) => T): Record<CacheOutcome, T> {
  return Object.fromEntries(OUTCOMES.map((outcome, index) => [outcome, value(outcome, index)])) as Record<CacheOutcome, T>;
}

export class StatusSampler {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly latency = new LatencyReservoir();
  // The interval under way.
  private requests = 0;
  private serverErrors = 0;
  private clientErrors = 0;
  private partialErrors = 0;
  private readonly outcomeCounts = new Array<number>(OUTCOMES.length).fill(0);
  private intervalStart = performance.now();
  // Kept points: a ring of `capacity`, `next` being where the next point goes.
  private readonly ring: StatusPoint[] = [];
  private next = 0;
  private readonly totals = {
    requests: 0,
    errors: { server: 0, client: 0, partial: 0 } as ErrorCounts,
    outcomes: byOutcome(() => 0),
  };
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;

  constructor(options: StatusSamplerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.capacity = options.capacity ?? 300;
  }

  /** Samples every interval until stop(); the timer never keeps the process alive by itself. */
  start(): this {
    if (this.timer) return this;
    this.intervalStart = performance.now();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A request ended (every route; only GraphQL requests are counted). */
  request(route: string, status: number, seconds: number): void {
    if (route !== GRAPHQL_ROUTE) return;
    this.requests++;
    if (status >= 500) this.serverErrors++;
    else if (status >= 400) this.clientErrors++;
    this.latency.add(seconds);
  }

  cacheOutcome(outcome: string): void {
    const index = OUTCOME_INDEX.get(outcome);
    if (index !== undefined) this.outcomeCounts[index]!++;
  }

  /** A GraphQL response with a success status carried errors. */
  errorsInResult(): void {
    this.partialErrors++;
  }

  /** Points taken since start: the snapshot changes only when this does. */
  get sampled(): number {
    return this.samples;
  }

  /** Ends the interval under way: turns it into a point, keeps it and starts the next. */
  sample(): StatusPoint {
    this.samples++;
    const now = performance.now();
    const seconds = Math.max(now - this.intervalStart, 1) / 1000;
    this.intervalStart = now;
    const [p50, p99] = this.latency.drain([0.5, 0.99]);
    const requests = this.requests;
    const errors: ErrorCounts = { server: this.serverErrors, client: this.clientErrors, partial: this.partialErrors };
    const outcomeTotal = this.outcomeCounts.reduce((sum, count) => sum + count, 0);
    const counts = [...this.outcomeCounts];
    const point: StatusPoint = {
      at: Date.now(),
      requests,
      throughput: round(requests / seconds, 2),
      p50Ms: p50 === null || p50 === undefined ? null : round(p50, 3),
      p99Ms: p99 === null || p99 === undefined ? null : round(p99, 3),
      errors,
      errorRate: requests === 0 ? null : round(Math.min(1, (errors.server + errors.client + errors.partial) / requests), 4),
      outcomes: byOutcome((_, index) => counts[index]!),
      hitRate: byOutcome((_, index) => (outcomeTotal === 0 ? null : round(counts[index]! / outcomeTotal, 4))),
    };
    this.requests = this.serverErrors = this.clientErrors = this.partialErrors = 0;
    this.outcomeCounts.fill(0);

    this.totals.requests += requests;
    this.totals.errors.server += errors.server;
    this.totals.errors.client += errors.client;
    this.totals.errors.partial += errors.partial;
    OUTCOMES.forEach((outcome, index) => (this.totals.outcomes[outcome] += counts[index]!));

    this.ring[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
    return point;
  }

  /** The kept points, oldest first. */
  points(): StatusPoint[] {
    if (this.ring.length < this.capacity) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  snapshot(): StatusSnapshot {
    const points = this.points();
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      latest: points.at(-1) ?? null,
      totals: { requests: this.totals.requests, errors: { ...this.totals.errors }, outcomes: { ...this.totals.outcomes } },
      series: {
        at: points.map((point) => point.at),
        requests: points.map((point) => point.requests),
        throughput: points.map((point) => point.throughput),
        p50Ms: points.map((point) => point.p50Ms),
        p99Ms: points.map((point) => point.p99Ms),
        errorRate: points.map((point) => point.errorRate),
        outcomes: byOutcome((outcome) => points.map((point) => point.outcomes[outcome])),
        hitRate: byOutcome((outcome) => points.map((point) => point.hitRate[outcome])),
      },
    };
  }
}
