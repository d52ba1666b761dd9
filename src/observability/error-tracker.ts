// Unexpected errors, grouped: each gets a fingerprint (its code, its GraphQL path with list indices
// dropped, and its message with numbers and quoted values dropped), is counted by fingerprint, and
// is logged with its stack once per fingerprint per interval (with how many more were seen since),
// so one failing resolver on a busy path shows as one line a minute, not thousands. The client
// gets a masked error carrying the request id to quote and the fingerprint.
import { createHash } from 'node:crypto';
import { messageWithoutValues, stackFrames } from './error-text.js';
import type { Logger } from './logger.js';

export interface CapturedError {
  fingerprint: string;
  code: string;
  path: string;
  message: string;
  name: string;
  stack: string | undefined;
}

interface Seen {
  captured: CapturedError;
  loggedAt: number | undefined;
  /** Occurrences since the last log line. */
  since: number;
}

/**
 * The message to group by and log: the driver's, not Drizzle's (which holds the statement and its
 * parameters), without parameter values (error-text.ts), quoted values, numbers or ids, bounded.
 */
export function normalizedMessage(error: unknown): string {
  return messageWithoutValues(error)
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '?')
    .replace(/\d+(\.\d+)?/g, '#')
    .slice(0, 200);
}

export function normalizedPath(path: ReadonlyArray<string | number> | undefined): string {
  return path ? path.map((part) => (typeof part === 'number' ? '[]' : part)).join('.') : '';
}

export class ErrorTracker {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly onCount: (fingerprint: string) => void = () => {},
    private readonly now: () => number = Date.now,
    private readonly maxFingerprints = 1_000,
  ) {}

  /** Fingerprints an unexpected error (from the error formatter, where its stack is at hand). */
  capture(error: unknown, code: string, path: ReadonlyArray<string | number> | undefined): string {
    const captured: Omit<CapturedError, 'fingerprint'> = {
      code,
      path: normalizedPath(path),
      message: normalizedMessage(error),
      name: (error as Error | undefined)?.name ?? 'Error',
      // The frames only: the lines above them are the message, which may hold values (Drizzle's
      // "params: ..." line among them).
      stack: stackFrames(error),
    };
    const fingerprint = createHash('sha256').update(`${captured.code}\n${captured.path}\n${captured.message}`).digest('hex').slice(0, 12);
    if (!this.seen.has(fingerprint)) {
      // Bounded: the oldest fingerprint makes room (Map keeps insertion order).
      if (this.seen.size >= this.maxFingerprints) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(fingerprint, { captured: { fingerprint, ...captured }, loggedAt: undefined, since: 0 });
    }
    return fingerprint;
  }

  /** One occurrence, answered to request `requestId`: counted, and logged unless logged within the interval. */
  report(fingerprint: string, requestId: string | undefined): void {
    this.onCount(fingerprint);
    const seen = this.seen.get(fingerprint);
    if (!seen) return;
    seen.since++;
    const now = this.now();
    if (seen.loggedAt !== undefined && now - seen.loggedAt < this.intervalMs) return;
    const { captured } = seen;
    this.logger.error(
      {
        fingerprint,
        requestId,
        code: captured.code,
        path: captured.path,
        err: { name: captured.name, message: captured.message, stack: captured.stack },
        occurrences: seen.since,
        intervalMs: this.intervalMs,
      },
      'unexpected error',
    );
    seen.loggedAt = now;
    seen.since = 0;
  }
}
