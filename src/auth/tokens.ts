// Issuing API tokens: shown once to their owner, stored as their sha256 only (token-format.ts),
// optionally with an expiry. Revocation is in token-revocation.ts.
import type { Database } from '../db/client.js';
import { insertToken } from '../db/repositories/tokens.js';
import { findWorkspaceByName } from '../db/repositories/workspaces.js';
import type { Role } from '../db/schema.js';
import { hashToken, newToken } from './token-format.js';

export { hashToken } from './token-format.js';

export function isRole(value: string): value is Role {
  return value === 'reader' || value === 'editor';
}

export interface TokenOptions {
  /** When the token stops working; undefined: never. */
  expiresAt?: Date;
}

/** Creates a token for an existing workspace and returns it; throws when the workspace is unknown. */
export async function issueToken(db: Database, workspaceName: string, role: Role, options: TokenOptions = {}): Promise<string> {
  const workspace = await findWorkspaceByName(db, workspaceName);
  if (!workspace) {
    throw new Error(
      `There is no workspace named "${workspaceName}". Create it with: npm run db:seed -- --workspace ${workspaceName} --contacts 0`,
    );
  }
  const token = newToken();
  await insertToken(db, workspace.id, hashToken(token), role, options.expiresAt ?? null);
  return token;
}
