// Keyset (seek) pagination: a page is "the next N rows after this (sort value, id) in scan order",
// which costs the same on page 1 and page 5,000 because it is an index range scan, not an OFFSET.
import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

export type SortValue = string | number;

/** A position in a scan: the sort value and id of the last row seen. */
export interface Keyset {
  value: SortValue;
  id: number;
}

/** One page of a scan: up to `limit` rows strictly after `from`, in the given direction. */
export interface Scan {
  limit: number;
  descending: boolean;
  from?: Keyset;
}

export interface SortKey {
  column: AnyColumn;
  /** Timestamps travel in cursors as epoch milliseconds. */
  isInstant: boolean;
}

function parameter(key: SortKey, value: SortValue): SQL {
  return key.isInstant ? sql`${new Date(value).toISOString()}::timestamptz` : sql`${value}`;
}

/** `(sort, id) > (value, id)` (or `<` when descending): one row comparison, which the index serves. */
export function afterKeyset(key: SortKey, idColumn: AnyColumn, scan: Scan): SQL | undefined {
  if (!scan.from) return undefined;
  const op = scan.descending ? sql`<` : sql`>`;
  return sql`(${key.column}, ${idColumn}) ${op} (${parameter(key, scan.from.value)}, ${scan.from.id})`;
}

export function scanOrder(key: SortKey, idColumn: AnyColumn, descending: boolean): SQL[] {
  return descending
    ? [sql`${key.column} desc`, sql`${idColumn} desc`]
    : [sql`${key.column} asc`, sql`${idColumn} asc`];
}

export function sortValueOf(value: string | Date): SortValue {
  return value instanceof Date ? value.getTime() : value;
}
