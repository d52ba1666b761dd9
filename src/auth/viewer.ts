// Who is calling. A token is checked against the primary database once and then trusted for a
// short, configurable time (TOKEN_CACHE_TTL_MS), so a cached response costs no SQL at all, but only
// while this instance hears every revocation (revocation-watch.ts): a revoked token is refused by
// the next request on every instance, and an expired one by the first request after its expiry.
import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/client.js';
import { requestErrorFor } from '../db/errors.js';
import { findToken, type TokenRecord } from '../db/repositories/tokens.js';
import type { Role } from '../db/schema.js';
import { unauthenticated } from '../errors.js';
import { credentialsOf, credentialsOfRequest, type RequestCredentials } from './authorization-header.js';
import { nothingElseRevokes, type RevocationState } from './revocation-watch.js';
import { hashToken } from './token-format.js';

export interface Viewer {
  workspaceId: number;
  workspaceName: string;
  role: Role;
}

export type ViewerResolver = (authorization: string | undefined) => Promise<Viewer | null>;

/** Byte budget of the cached token checks: some 10,000 tokens. */
export const TOKEN_CHECKS_MAX_BYTES = 4_000_000;

const UNKNOWN = Symbol('unknown token');
type Check = TokenRecord | typeof UNKNOWN;

/**
 * What an entry costs: its key (a 64-character hex hash) and the workspace name, as two-byte
 * characters to be safe, plus the record and the cache's own bookkeeping (about 300 bytes in
 * all per entry, measured with a 20-character name).
 */
function checkBytes(check: Check, tokenHash: string): number {
  return 2 * tokenHash.length + (check === UNKNOWN ? 0 : 2 * check.workspaceName.length + 120) + 200;
}

export interface TokenCheckOptions {
  /** How long a check is trusted without asking the database again, in ms; 0: never cached. */
  ttlMs: number;
  /** Whether cached checks may be used now; the default suits a process nothing else revokes for. */
  revocations?: RevocationState;
  /** The clock expiry is judged by. */
  now?: () => number;
}

export class TokenChecks {
  // Keyed by the token's hash, never the token: a heap dump must not reveal tokens either.
  private readonly checks: LRUCache<string, Check>;
  private readonly revocations: RevocationState;
  private readonly now: () => number;
  /** The revocation epoch the cached checks were read under. */
  private epoch: number;

  constructor(
    /** The primary's database: a replica that lags could still show a revoked token as valid. */
    private readonly db: Database,
    private readonly options: TokenCheckOptions,
  ) {
    this.checks = new LRUCache({ maxSize: TOKEN_CHECKS_MAX_BYTES, sizeCalculation: checkBytes, ttl: Math.max(options.ttlMs, 1) });
    this.revocations = options.revocations ?? nothingElseRevokes;
    this.now = options.now ?? Date.now;
    this.epoch = this.revocations.epoch;
  }

  /** Bytes held by the cached checks, as counted against TOKEN_CHECKS_MAX_BYTES. */
  get bytes(): number {
    return this.checks.calculatedSize;
  }

  private cached(tokenHash: string): Check | undefined {
    if (this.options.ttlMs <= 0 || !this.revocations.trusted) return undefined;
    if (this.revocations.epoch !== this.epoch) {
      // A revocation was heard, or hearing was lost and regained, since these were read.
      this.checks.clear();
      this.epoch = this.revocations.epoch;
      return undefined;
    }
    return this.checks.get(tokenHash);
  }

  private async read(tokenHash: string): Promise<Check> {
    const trustedAtStart = this.revocations.trusted;
    const epochAtStart = this.revocations.epoch;
    let found: TokenRecord | undefined;
    try {
      found = await findToken(this.db, tokenHash);
    } catch (error) {
      // A token that cannot be checked (the database unreachable, its pool exhausted) ends the
      // request with its coded error and status (503), not an unexpected failure.
      throw requestErrorFor(error) ?? error;
    }
    const check = found ?? UNKNOWN;
    // Kept only if no revocation can have been missed while it was read: one heard meanwhile may
    // concern this very token, read just before that revocation committed.
    const nothingMissed = trustedAtStart && this.revocations.trusted && this.revocations.epoch === epochAtStart;
    if (this.options.ttlMs > 0 && nothingMissed && this.epoch === epochAtStart) this.checks.set(tokenHash, check);
    return check;
  }

  /** The caller of a request, from its headers (read once per request: authorization-header.ts). */
  readonly resolveRequest = (headers: IncomingHttpHeaders): Promise<Viewer | null> => this.resolveCredentials(credentialsOfRequest(headers));

  readonly resolve: ViewerResolver = (authorization) => {
    const credentials = credentialsOf(authorization);
    return this.resolveCredentials(credentials.kind === 'bearer' ? { ...credentials, tokenHash: hashToken(credentials.token) } : credentials);
  };

  private async resolveCredentials(credentials: RequestCredentials): Promise<Viewer | null> {
    if (credentials.kind === 'none') return null;
    if (credentials.kind === 'refused') throw unauthenticated(credentials.reason, { credentialRefused: true });
    const tokenHash = credentials.tokenHash;
    const check = this.cached(tokenHash) ?? (await this.read(tokenHash));
    if (check === UNKNOWN) throw unauthenticated('The API token is not valid.', { credentialRefused: true });
    if (check.revokedAt) throw unauthenticated('The API token has been revoked.', { credentialRefused: true });
    if (check.expiresAt && check.expiresAt.getTime() <= this.now()) {
      throw unauthenticated(`The API token expired at ${check.expiresAt.toISOString()}.`, { credentialRefused: true });
    }
    return { workspaceId: check.workspaceId, workspaceName: check.workspaceName, role: check.role };
  }
}

/** The resolver alone, for tools and comparisons that need no revocations (bench, tests). */
export function createViewerResolver(db: Database, ttlMs: number): ViewerResolver {
  return new TokenChecks(db, { ttlMs }).resolve;
}
