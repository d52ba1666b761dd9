// A list of ids as one array parameter (`= any($1::bigint[])`) rather than one parameter per id
// (`in ($1, $2, ...)`): the statement's text is then the same whatever the list's length, so it is
// prepared and planned once per connection instead of once per distinct length, and no list comes
// near PostgreSQL's cap of 65,535 parameters.
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export function anyOf(column: AnyPgColumn, ids: readonly number[]): SQL {
  return sql`${column} = any(${sql.param([...ids])}::bigint[])`;
}
