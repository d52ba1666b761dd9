// Bulk writes for the seeder: COPY ... FROM STDIN on PostgreSQL (postgres.js streams the text to
// the server) and COPY ... FROM '/dev/blob' on the embedded store (PGlite reads the text from a
// Blob). COPY skips the per-statement parsing, planning and parameter binding of INSERT, and row
// triggers, constraints and statement triggers (with their transition tables) still run, so the
// data ends up as any other writer's would.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import type { Database } from '../db/client.js';

/** Identity sequences the seeder draws ids from (named by drizzle/0001). */
export type IdSequence = 'companies_id_seq' | 'contacts_id_seq';

export interface BulkWriter {
  /**
   * `count` fresh ids from a table's identity sequence, ascending. Taken with nextval, as any
   * insert takes them, so writers running at the same time never get the same id.
   */
  reserveIds(sequence: IdSequence, count: number): Promise<number[]>;
  /** Loads rows given as COPY text (see copy-text.ts) into the named columns of a table. */
  copy(table: string, columns: readonly string[], text: string): Promise<void>;
}

interface PgliteLike {
  query(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<{ rows: Array<Record<string, unknown>> }>;
}

const reserveStatement = (sequence: IdSequence) =>
  `select nextval('${sequence}') as id from generate_series(1, $1::int) order by 1`;

function postgresWriter(sql: postgres.Sql): BulkWriter {
  return {
    reserveIds: async (sequence, count) => {
      // A tagged template, not unsafe(): the pool's wrapper bounds waits of API statements, and
      // a seed's statements are not requests.
      const rows = await sql`select nextval(${sequence}::regclass) as id from generate_series(1, ${count}::int) order by 1`;
      return rows.map((row) => Number(row.id));
    },
    copy: async (table, columns, text) => {
      const query = sql`copy ${sql(table)} (${sql(columns as string[])}) from stdin`;
      const stream = await query.writable();
      // postgres.js 3.4 never settles the writable when the server refuses the rows after the
      // last one was sent (constraint and foreign-key checks run then): the error reaches only the
      // query's own reject, which it calls although the query already resolved to the stream
      // (porsager/postgres#1173). Taking that reject turns the refusal into a rejection here
      // instead of a wait without end; the connection itself is ready for the next statement.
      const refused = new Promise<never>((_, reject) => {
        (query as unknown as { reject: (error: unknown) => void }).reject = reject;
      });
      refused.catch(() => {});
      await Promise.race([pipeline(Readable.from([text]), stream), refused]);
    },
  };
}

function pgliteWriter(client: PgliteLike): BulkWriter {
  return {
    reserveIds: async (sequence, count) => {
      const { rows } = await client.query(reserveStatement(sequence), [count]);
      return rows.map((row) => Number(row.id));
    },
    copy: async (table, columns, text) => {
      const quoted = columns.map((column) => `"${column}"`).join(', ');
      await client.query(`copy "${table}" (${quoted}) from '/dev/blob'`, [], { blob: new Blob([text]) });
    },
  };
}

/** The bulk writer for whichever client the database runs on (postgres.js is a function, PGlite an object). */
export function bulkWriter(db: Database): BulkWriter {
  const client = (db as unknown as { $client: unknown }).$client;
  if (typeof client === 'function') return postgresWriter(client as postgres.Sql);
  if (client && typeof (client as PgliteLike).query === 'function') return pgliteWriter(client as PgliteLike);
  throw new Error('bulk writes need a postgres.js or PGlite client');
}
