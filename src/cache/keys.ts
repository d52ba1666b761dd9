// Every cache key and invalidation tag cardfile uses is built here and nowhere else, so that what
// is stored and what is purged can never drift apart, and so that no key can be built without the
// workspace and role it belongs to.
import { createHash } from 'node:crypto';
import type { Role } from '../db/schema.js';

/** JSON with object keys sorted at every level: equal variables give equal keys. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

export function documentHash(query: string): string {
  return createHash('sha256').update(query).digest('hex');
}

export interface ResponseKeyParts {
  documentHash: string;
  operationName: string | null;
  variables: Record<string, unknown> | null;
  workspaceId: number;
  role: Role;
}

/** Invalidation tags: what a cached response depends on. */
export const tag = {
  contact: (id: number) => `Contact:${id}`,
  company: (id: number) => `Company:${id}`,
  tag: (id: number) => `Tag:${id}`,
  note: (id: number) => `Note:${id}`,
  /** Any list of the workspace's contacts, whatever its filter and order. */
  contactList: (workspaceId: number) => `ContactList:${workspaceId}`,
  companyList: (workspaceId: number) => `CompanyList:${workspaceId}`,
  tagList: (workspaceId: number) => `TagList:${workspaceId}`,
  companyContacts: (companyId: number) => `CompanyContacts:${companyId}`,
  contactNotes: (contactId: number) => `ContactNotes:${contactId}`,
};

/**
 * The part of a response key that depends on the request alone (document, operation, variables),
 * computed once per distinct request text by the HTTP layer; responseFor adds workspace and role.
 */
export function requestPart(documentHash: string, operationName: string | null, variables: Record<string, unknown> | null): string {
  const canonical = variables && Object.keys(variables).length > 0 ? canonicalJson(variables) : '';
  const variablesDigest = canonical.length > 64 ? createHash('sha256').update(canonical).digest('base64url') : canonical;
  return `${documentHash}:${operationName ?? ''}:${variablesDigest}`;
}

/**
 * The keys of one deployment. `namespace` (CACHE_NAMESPACE) separates deployments, or test
 * databases, that share one Redis: their workspace ids overlap, their keys must not.
 */
export function cacheKeys(namespace: string) {
  const prefix = `${namespace}:`;
  const responseFor = (workspaceId: number, role: Role, request: string) => `${prefix}r:${workspaceId}:${role}:${request}`;
  return {
    /**
     * The key of one cached response. The workspace and role are part of it: two workspaces
     * running the same query with the same variables must never share an entry.
     */
    response(parts: ResponseKeyParts): string {
      return responseFor(parts.workspaceId, parts.role, requestPart(parts.documentHash, parts.operationName, parts.variables));
    },
    /** The same key, from the part that depends on the request alone (see requestPart). */
    responseFor,
    /** One database row (entity cache), within its workspace. */
    entity: (workspaceId: number, type: string, id: number) => `${prefix}e:${workspaceId}:${type}:${id}`,
    /** The set of response keys that depend on a tag. */
    tagIndex: (name: string) => `${prefix}t:${name}`,
    /** Increases on every invalidation in a workspace; a fill that saw an older value is dropped. */
    writeSequence: (workspaceId: number) => `${prefix}seq:${workspaceId}`,
    /** Held by the one instance refreshing a stale entry. */
    refreshLock: (responseKey: string) => `${prefix}lock:${responseKey}`,
    invalidationChannel: `${prefix}invalidations`,
    /** The stream recorded contact views wait in until a flusher counts them (src/views/). */
    viewStream: `${prefix}views`,
    /** Apollo prefixes persisted-query keys with `apq:` itself: ours become `<namespace>:apq:<sha256>`. */
    apqPrefix: prefix,
  };
}

export type CacheKeys = ReturnType<typeof cacheKeys>;
