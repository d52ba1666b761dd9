import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { contacts, type WorkspaceRow, workspaces } from '../schema.js';

export async function findWorkspaceByName(db: Database, name: string): Promise<WorkspaceRow | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.name, name));
  return row;
}

export async function findOrCreateWorkspace(db: Database, name: string): Promise<WorkspaceRow> {
  await db.insert(workspaces).values({ name }).onConflictDoNothing();
  return (await findWorkspaceByName(db, name))!;
}

/**
 * Workspaces by their latest contact change, most recent first: the ones worth warming at start.
 * One backward probe of contacts_workspace_updated_idx per workspace, never a scan of contacts.
 */
export async function recentlyActiveWorkspaces(db: Database, limit: number): Promise<Array<{ id: number; name: string }>> {
  return db
    .select({ id: workspaces.id, name: workspaces.name })
    .from(workspaces)
    .orderBy(
      sql`(select max(${contacts.updatedAt}) from ${contacts}
           where ${contacts.workspaceId} = ${workspaces.id} and ${contacts.deletedAt} is null) desc nulls last`,
      workspaces.id,
    )
    .limit(limit);
}
