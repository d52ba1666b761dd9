// The slow-statement log: a statement that ran longer than SLOW_QUERY_MS is logged once per shape
// (its text, with $n placeholders and never its parameters), with its running time and, on
// PostgreSQL, the plan EXPLAIN gives for it. Once per shape: a slow query on a busy path would
// otherwise log on every request and bury everything else.
//
// Start-up work is not logged: migrations and the demo's seed run before the log listens, and
// cache warming, which runs many statements at once on a cold database (on the embedded store each
// waits for the one before), is held quiet until it ends (quietUntil). Slow there says nothing
// about what requests will see; the warnings would only teach people to ignore them.
import { LRUCache } from 'lru-cache';
import type { Logger } from './logger.js';
import { statementLabel } from './statement-labels.js';

/** Asks the database for a statement's plan (EXPLAIN, not run); undefined where there is none. */
export type Explain = (text: string, params: readonly unknown[]) => Promise<string | undefined>;

const MAX_STATEMENT_LENGTH = 2_000;

/** One line, bounded: the same shape always reads the same. */
export function statementShape(text: string): string {
  const shape = text.replace(/\s+/g, ' ').trim();
  return shape.length > MAX_STATEMENT_LENGTH ? `${shape.slice(0, MAX_STATEMENT_LENGTH)}...` : shape;
}

export class SlowStatementLog {
  private readonly logged = new LRUCache<string, true>({ max: 1_000 });
  private quiet = false;

  constructor(
    private readonly thresholdMs: number,
    private readonly logger: Logger,
    private readonly explain: Explain | undefined,
  ) {}

  /** Logs nothing until `startUp` settles (requests served meanwhile included). */
  quietUntil(startUp: Promise<unknown>): void {
    this.quiet = true;
    const speak = () => {
      this.quiet = false;
    };
    startUp.then(speak, speak);
  }

  observe(text: string, params: readonly unknown[], ms: number): void {
    if (ms < this.thresholdMs || this.quiet) return;
    const shape = statementShape(text);
    if (this.logged.has(shape)) return;
    this.logged.set(shape, true);
    const durationMs = Math.round(ms * 10) / 10;
    // The label the statement-duration histogram gives this shape.
    const label = statementLabel(text);
    // Only reads are explained: EXPLAIN never runs the statement, but a plan of a write is rarely
    // what a slow write needs, and it would take a connection from a pool under pressure.
    if (!this.explain || !/^\s*(select|with)\b/i.test(text)) {
      this.logger.warn({ statement: shape, label, durationMs, thresholdMs: this.thresholdMs }, 'slow SQL statement');
      return;
    }
    this.explain(text, params).then(
      (plan) => this.logger.warn({ statement: shape, label, durationMs, thresholdMs: this.thresholdMs, plan }, 'slow SQL statement'),
      () => this.logger.warn({ statement: shape, label, durationMs, thresholdMs: this.thresholdMs }, 'slow SQL statement'),
    );
  }
}
