// Counts the SQL statements each request runs. The count travels in AsyncLocalStorage so the
// database layer, which is shared by all requests, can attribute a statement to its request.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface StatementTally {
  statements: number;
}

const current = new AsyncLocalStorage<StatementTally>();

export function withStatementTally<T>(tally: StatementTally, run: () => T): T {
  return current.run(tally, run);
}

export function countStatement(): void {
  const tally = current.getStore();
  if (tally) tally.statements += 1;
}
