// Keys every instance shares, kept in the database (server_keys): the first process to need one
// makes it from the operating system's random source, every other one, now or after any restart,
// reads the same. Concurrent first uses agree: the insert does nothing when another got there
// first, and everyone then reads the one row that won. Always on the primary (the handle given).
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../client.js';
import { serverKeys } from '../schema.js';

/** The key cursors are sealed with (src/graphql/cursor-codec.ts). */
export const CURSOR_KEY = 'cursor';
const KEY_BYTES = 32;

async function readKey(db: Database, name: string): Promise<Buffer | undefined> {
  const [row] = await db.select({ secret: serverKeys.secret }).from(serverKeys).where(eq(serverKeys.name, name));
  if (!row) return undefined;
  const key = Buffer.from(row.secret, 'base64url');
  // A row that is not a whole key was not written here: refuse it rather than seal with less.
  if (key.length !== KEY_BYTES) throw new Error(`server_keys holds a malformed "${name}" key.`);
  return key;
}

/** The named key, made now if no process has made it yet. */
export async function sharedKey(db: Database, name: string): Promise<Buffer> {
  const existing = await readKey(db, name);
  if (existing) return existing;
  await db
    .insert(serverKeys)
    .values({ name, secret: randomBytes(KEY_BYTES).toString('base64url') })
    .onConflictDoNothing();
  return (await readKey(db, name))!;
}
