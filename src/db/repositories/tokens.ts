// API tokens by their sha256: issue, look up, revoke. Callers pass the database they mean; the
// token check passes the primary's (see src/auth/viewer.ts), never a replica's.
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { apiTokens, type Role, workspaces } from '../schema.js';

export interface TokenRecord {
  workspaceId: number;
  workspaceName: string;
  role: Role;
  /** Null: never expires. */
  expiresAt: Date | null;
  /** Null: not revoked. */
  revokedAt: Date | null;
}

export async function findToken(db: Database, tokenHash: string): Promise<TokenRecord | undefined> {
  const [row] = await db
    .select({
      workspaceId: workspaces.id,
      workspaceName: workspaces.name,
      role: apiTokens.role,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(workspaces, eq(workspaces.id, apiTokens.workspaceId))
    .where(eq(apiTokens.tokenHash, tokenHash));
  return row;
}

export async function insertToken(db: Database, workspaceId: number, tokenHash: string, role: Role, expiresAt: Date | null = null): Promise<void> {
  await db.insert(apiTokens).values({ workspaceId, tokenHash, role, expiresAt });
}

export type RevocationOutcome = 'revoked' | 'already-revoked' | 'unknown';

export interface Announcement {
  channel: string;
  payload: string;
  /** The application_name of the connections that hear the channel (see src/auth/revocation-watch.ts). */
  listenerName: string;
}

/** The rows of a raw statement: postgres.js hands back an array, PGlite an object holding one. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * Marks the token revoked (once: a second revocation keeps the first time) and, in the same
 * transaction, sends `announcement` with NOTIFY: PostgreSQL delivers it when the revocation
 * commits, never before and never for a revocation rolled back. Also returns the backend pids of
 * the connections listening at that moment: each of them hears the notice, and each is asked to
 * confirm it. An unknown token changes nothing and announces nothing.
 */
export async function revokeAndAnnounce(
  db: Database,
  tokenHash: string,
  announcement: Announcement,
): Promise<{ outcome: RevocationOutcome; listeners: number[] }> {
  return db.transaction(async (tx) => {
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    let outcome: RevocationOutcome = 'revoked';
    if (revoked.length === 0) {
      const [known] = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
      if (!known) return { outcome: 'unknown' as const, listeners: [] };
      outcome = 'already-revoked';
    }
    await tx.execute(sql`select pg_notify(${announcement.channel}, ${announcement.payload})`);
    // A listener takes its name only once its LISTEN is in force, so every connection named here
    // hears this notice when the transaction commits.
    return { outcome, listeners: await listenersNamed(tx as unknown as Database, announcement.listenerName) };
  });
}

/** Backend pids of this database's connections that carry `applicationName`. */
export async function listenersNamed(db: Database, applicationName: string): Promise<number[]> {
  const rows = rowsOf<{ pid: number }>(
    await db.execute(sql`select pid from pg_stat_activity where application_name = ${applicationName} and datname = current_database()`),
  );
  return rows.map((row) => Number(row.pid));
}
