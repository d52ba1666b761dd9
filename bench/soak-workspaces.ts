// The soak's workspaces: two, seeded like the bench's (different names give different data), each
// with every global id it owns, so that any id in an answer can be told to be its own or not.
import postgres from 'postgres';
import { type BenchWorkspace, prepareWorkspace } from './bench-workspace.js';
import type { MixedPlan } from './mixed-traffic.js';
import type { SoakPlan } from './soak-traffic.js';
import { toGlobalId, type NodeType } from '../src/graphql/global-id.js';

export const SOAK_WORKSPACES = ['soak-north', 'soak-south'] as const;

export interface SoakWorkspace {
  name: string;
  workspace: BenchWorkspace;
  ownIds: string[];
}

/** Every row of the workspace that a query can show, deleted contacts included, as global ids. */
async function globalIdsOf(workspaceId: number): Promise<string[]> {
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ type: NodeType; id: number }[]>`
      select 'Contact' as type, id::int as id from contacts where workspace_id = ${workspaceId}
      union all select 'Company', id::int from companies where workspace_id = ${workspaceId}
      union all select 'Tag', id::int from tags where workspace_id = ${workspaceId}
      union all select 'Note', id::int from notes where workspace_id = ${workspaceId}`;
    return [toGlobalId('Workspace', workspaceId), ...rows.map((row) => toGlobalId(row.type, row.id))];
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function prepareSoakWorkspaces(contacts: number, log: (line: string) => void): Promise<SoakWorkspace[]> {
  const prepared: SoakWorkspace[] = [];
  try {
    for (const name of SOAK_WORKSPACES) {
      const workspace = await prepareWorkspace(name, contacts, log);
      prepared.push({ name, workspace, ownIds: await globalIdsOf(workspace.id) });
      log(`workspace "${name}": ${workspace.contacts} contacts, ${prepared.at(-1)!.ownIds.length} ids in all`);
    }
  } catch (error) {
    for (const { workspace } of prepared) await workspace.close();
    throw error;
  }
  return prepared;
}

/**
 * The traffic of one load job: each workspace's own tokens, page variants and popular contacts at
 * their current versions (an earlier job or run moved them), and a title prefix of its own.
 */
export async function soakPlan(workspaces: SoakWorkspace[], operations: MixedPlan['operations']): Promise<SoakPlan> {
  return {
    workspaces: await Promise.all(
      workspaces.map(async ({ name, workspace, ownIds }) => ({
        name,
        ownIds,
        mixed: {
          readerToken: workspace.readerToken,
          editorToken: workspace.editorToken,
          operations,
          pageVariants: workspace.pageVariants,
          contacts: await workspace.popularContacts(),
          writeShare: 0.1,
          pageShare: 0.5,
          titlePrefix: `${name} title`,
        },
      })),
    ),
  };
}
