// Who is calling. A token is checked against the database once and then trusted for a short,
// configurable time (TOKEN_CACHE_TTL_MS), so a cached response costs no SQL at all.
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/client.js';
import { findTokenGrant, type TokenGrant } from '../db/repositories/workspaces.js';
import type { Role } from '../db/schema.js';
import { unauthenticated } from '../errors.js';
import { hashToken } from './tokens.js';

export interface Viewer {
  workspaceId: number;
  workspaceName: string;
  role: Role;
}

export type ViewerResolver = (authorization: string | undefined) => Promise<Viewer | null>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const NO_GRANT = Symbol('no grant');

export function createViewerResolver(db: Database, ttlMs: number): ViewerResolver {
  // Keyed by the token's hash, never the token: a heap dump must not reveal tokens either.
  const grants = new LRUCache<string, TokenGrant | typeof NO_GRANT>({ max: 10_000, ttl: Math.max(ttlMs, 1) });
  return async (authorization) => {
    if (authorization === undefined || authorization === '') return null;
    const match = BEARER.exec(authorization);
    if (!match || match[1]!.length > 200) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    const tokenHash = hashToken(match[1]!);
    let grant = ttlMs > 0 ? grants.get(tokenHash) : undefined;
    if (grant === undefined) {
      grant = (await findTokenGrant(db, tokenHash)) ?? NO_GRANT;
      if (ttlMs > 0) grants.set(tokenHash, grant);
    }
    if (grant === NO_GRANT) throw unauthenticated('The API token is not valid.');
    return { workspaceId: grant.workspaceId, workspaceName: grant.workspaceName, role: grant.role };
  };
}
