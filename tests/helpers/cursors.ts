// Cursors as a server over `db` seals them, for tests that look inside one or forge a near miss:
// the key is read from the database the way every instance reads it, and sealed with the server's
// own codec. A forgery made here passes the seal, so what it tests is the check of its contents.
import { CURSOR_KEY, sharedKey } from '../../src/db/repositories/server-keys.js';
import type { Database } from '../../src/db/client.js';
import { CursorCodec } from '../../src/graphql/cursor-codec.js';

export interface CursorForger {
  /** What a cursor holds: [scope, sortValue, id]. */
  open(cursor: string): [string, unknown, unknown];
  /** `contents` (any JSON value), sealed as the server seals cursors. */
  seal(contents: unknown): string;
  /** Raw bytes sealed as they are (not JSON, say). */
  sealBytes(bytes: Buffer): string;
}

export async function cursorForger(db: Database): Promise<CursorForger> {
  const codec = new CursorCodec(await sharedKey(db, CURSOR_KEY));
  return {
    open: (cursor) => {
      const opened = codec.open(cursor);
      if (!opened) throw new Error(`not a cursor of this server: ${cursor}`);
      return JSON.parse(opened.toString('utf8'));
    },
    seal: (contents) => codec.seal(Buffer.from(JSON.stringify(contents))),
    sealBytes: (bytes) => codec.seal(bytes),
  };
}

/** `cursor` with the bits of one byte flipped (the byte at `index` of what it decodes to). */
export function flipByte(cursor: string, index: number): string {
  const bytes = Buffer.from(cursor, 'base64url');
  bytes[index] = bytes[index]! ^ 0xff;
  return bytes.toString('base64url');
}
