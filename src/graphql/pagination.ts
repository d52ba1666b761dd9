// Relay cursor connections over keyset scans. A cursor is base64url(JSON [scope, sortValue, id]),
// where scope is a digest of the ordering and filter it was issued for: a cursor carried over to
// another ordering or filter would silently skip or repeat rows, so it is refused instead.
import { createHash } from 'node:crypto';
import { badUserInput } from '../errors.js';
import type { Keyset, Scan, SortValue } from '../db/keyset.js';
import type { ConnectionModel } from './models.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const MAX_CURSOR_LENGTH = 1024;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A checked page request: how many rows, which way, from where. */
export interface PageRequest {
  size: number;
  backward: boolean;
  from?: Keyset;
  /** The argument that carried the cursor, for pageInfo. */
  hasCursor: boolean;
}

export type SortValueKind = 'text' | 'instant';

/** The scope a cursor is valid in: a short digest of everything that shapes the ordering. */
export function cursorScope(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

export function encodeCursor(scope: string, keyset: Keyset): string {
  return Buffer.from(JSON.stringify([scope, keyset.value, keyset.id])).toString('base64url');
}

function decodeCursor(cursor: string, scope: string, kind: SortValueKind, argument: string): Keyset {
  const invalid = () => badUserInput(argument, `"${argument}" is not a valid cursor for this list.`);
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [cursorScopeValue, value, id] = parsed as [unknown, unknown, unknown];
  if (cursorScopeValue !== scope) {
    throw badUserInput(argument, `"${argument}" was issued for a different ordering or filter; start again without it.`);
  }
  const valueOk = kind === 'text' ? typeof value === 'string' : Number.isSafeInteger(value) && Math.abs(value as number) < 8.64e15;
  if (!valueOk || !Number.isSafeInteger(id) || (id as number) < 1) throw invalid();
  return { value: value as SortValue, id: id as number };
}

function checkSize(value: number, argument: string): number {
  if (value < 0) throw badUserInput(argument, `"${argument}" must not be negative.`);
  if (value > MAX_PAGE_SIZE) throw badUserInput(argument, `"${argument}" must be at most ${MAX_PAGE_SIZE}.`);
  return value;
}

export function readPageArgs(args: PageArgs, scope: string, kind: SortValueKind): PageRequest {
  const { first, after, last, before } = args;
  const hasFirst = first !== undefined && first !== null;
  const hasLast = last !== undefined && last !== null;
  const hasAfter = after !== undefined && after !== null;
  const hasBefore = before !== undefined && before !== null;
  if (hasFirst && hasLast) throw badUserInput('last', 'Pass "first" or "last", not both.');
  if (hasAfter && hasBefore) throw badUserInput('before', 'Pass "after" or "before", not both.');
  if (hasLast || hasBefore) {
    if (hasFirst) throw badUserInput('first', '"before" pages backward: use it with "last", not "first".');
    if (hasAfter) throw badUserInput('after', '"last" pages backward: use it with "before", not "after".');
    return {
      size: checkSize(hasLast ? last : DEFAULT_PAGE_SIZE, 'last'),
      backward: true,
      from: hasBefore ? decodeCursor(before, scope, kind, 'before') : undefined,
      hasCursor: hasBefore,
    };
  }
  return {
    size: checkSize(hasFirst ? first : DEFAULT_PAGE_SIZE, 'first'),
    backward: false,
    from: hasAfter ? decodeCursor(after, scope, kind, 'after') : undefined,
    hasCursor: hasAfter,
  };
}

/** The scan to run: one row more than asked for, to learn whether another page follows. */
export function scanFor(page: PageRequest, descendingOrder: boolean): Scan {
  return { limit: page.size + 1, descending: descendingOrder !== page.backward, from: page.from };
}

export function toConnection<T>(
  rows: T[],
  page: PageRequest,
  scope: string,
  keysetOf: (row: T) => Keyset,
  totalCount: () => Promise<number>,
): ConnectionModel<T> {
  const hasMore = rows.length > page.size;
  const pageRows = hasMore ? rows.slice(0, page.size) : rows;
  if (page.backward) pageRows.reverse();
  const edges = pageRows.map((node) => ({ cursor: encodeCursor(scope, keysetOf(node)), node }));
  return {
    edges,
    pageInfo: {
      // Relay lets a server answer the opposite direction cheaply: a cursor means rows lie beyond it.
      hasNextPage: page.backward ? page.hasCursor : hasMore,
      hasPreviousPage: page.backward ? hasMore : page.hasCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
