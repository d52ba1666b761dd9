// API tokens: 32 random bytes shown once to their owner; only their sha256 is stored, so a copy of
// the database does not hand out working tokens.
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/client.js';
import { findWorkspaceByName, insertToken } from '../db/repositories/workspaces.js';
import type { Role } from '../db/schema.js';

const TOKEN_PREFIX = 'cf_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function isRole(value: string): value is Role {
  return value === 'reader' || value === 'editor';
}

/** Creates a token for an existing workspace and returns it; throws when the workspace is unknown. */
export async function issueToken(db: Database, workspaceName: string, role: Role): Promise<string> {
  const workspace = await findWorkspaceByName(db, workspaceName);
  if (!workspace) {
    throw new Error(
      `There is no workspace named "${workspaceName}". Create it with: npm run db:seed -- --workspace ${workspaceName} --contacts 0`,
    );
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await insertToken(db, workspace.id, hashToken(token), role);
  return token;
}
