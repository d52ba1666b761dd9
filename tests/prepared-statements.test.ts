// Statements are prepared once per shape and connection on PostgreSQL (so each is planned once),
// unless DB_PREPARE=false asks otherwise for a pooler in transaction mode. On the embedded store
// there is no pool and nothing to prepare: the same reads must work with either setting.
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { contactsByIds } from '../src/db/repositories/contacts.js';
import { createScratchDatabase, onPostgres } from './helpers/database.js';

const scratches: Array<{ drop: () => Promise<void> }> = [];
afterAll(async () => {
  for (const scratch of scratches) await scratch.drop();
});

/** Prepared statements on the one connection of a fresh PostgreSQL pool, after an id-list read ran with two lengths. */
async function preparedAfterReads(prepare: boolean): Promise<number> {
  const scratch = await createScratchDatabase();
  scratches.push(scratch);
  // One connection: the check below runs where the reads ran.
  const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolMax: 1, prepare });
  try {
    await handle.migrate();
    const db = handle.counting({ statements: 0 });
    for (let round = 0; round < 2; round++) expect(await contactsByIds(db, 1, [1, 2, 3].slice(0, round + 2))).toEqual([]);
    const [row] = await handle.query<{ n: unknown }>(
      "select count(*) as n from pg_prepared_statements where statement like '%from \"contacts\"%' and statement like '%= any(%'",
    );
    return Number(row!.n);
  } finally {
    await handle.close();
  }
}

describe('prepared statements', () => {
  if (onPostgres) {
    it('prepares one statement for an id-list read, whatever the list\'s length', async () => {
      expect(await preparedAfterReads(true)).toBe(1);
    });

    it('prepares nothing with DB_PREPARE=false', async () => {
      expect(await preparedAfterReads(false)).toBe(0);
    });
  } else {
    it('reads an id list as one array parameter on the embedded store', async () => {
      const seen: unknown[][] = [];
      const handle = await openDatabase({ kind: 'pglite' }, { onStatement: (_text, params) => seen.push(params) });
      try {
        await handle.migrate();
        const tally = { statements: 0 };
        expect(await contactsByIds(handle.counting(tally), 1, [1, 2, 3])).toEqual([]);
        expect(tally.statements).toBe(1);
        expect(seen.at(-1)).toContainEqual([1, 2, 3]);
      } finally {
        await handle.close();
      }
    });
  }
});
