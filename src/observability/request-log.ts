// What every answered GraphQL request leaves behind: its duration in the metrics (by published
// operation, cache outcome and status) and one log line at info (LOG_LEVEL=warn leaves them out).
import type { CacheOutcome } from './cache-outcomes.js';
import type { Logger } from './logger.js';

/** One answered GraphQL request, as logged and measured. */
export interface AnsweredRequest {
  requestId: string;
  /** A published operation's name, or `other`. */
  operation: string;
  /** hit-l1, hit-l2, stale, miss, coalesced, bypass, or refused (answered before any of those). */
  outcome: CacheOutcome | 'refused';
  status: number;
  workspaceId: number | undefined;
  statements: number;
  seconds: number;
}

export function requestLog(logger: Logger, observe: (operation: string, outcome: string, status: number, seconds: number) => void) {
  return (answered: AnsweredRequest): void => {
    observe(answered.operation, answered.outcome, answered.status, answered.seconds);
    logger.info(
      {
        requestId: answered.requestId,
        operation: answered.operation,
        workspaceId: answered.workspaceId,
        durationMs: Math.round(answered.seconds * 10_000) / 10,
        cache: answered.outcome,
        statements: answered.statements,
        status: answered.status,
      },
      'graphql request',
    );
  };
}
