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

/**
 * What a cached response depends on, for invalidation ("dependencies", so that "tag" means the
 * domain's tag; they travel as Surrogate-Key values and index purges).
 */
export const dependency = {
  contact: (id: number) => `Contact:${id}`,
  company: (id: number) => `Company:${id}`,
  tag: (id: number) => `Tag:${id}`,
  note: (id: number) => `Note:${id}`,
  /**
   * Contact lists, by what can change them. Every list of the workspace's contacts depends on its
   * members (a contact created or deleted); a list also depends on its order's sort value and on
   * what its filter reads. A shown contact's own change reaches the list through its Contact tag.
   */
  contactMembers: (workspaceId: number) => `ContactMembers:${workspaceId}`,
  contactOrder: (workspaceId: number, field: 'NAME' | 'CREATED_AT' | 'UPDATED_AT') => `ContactOrder:${workspaceId}:${field}`,
  contactSearch: (workspaceId: number) => `ContactSearch:${workspaceId}`,
  taggedContacts: (tagId: number) => `TaggedContacts:${tagId}`,
  companyList: (workspaceId: number) => `CompanyList:${workspaceId}`,
  tagList: (workspaceId: number) => `TagList:${workspaceId}`,
  companyContacts: (companyId: number) => `CompanyContacts:${companyId}`,
  contactNotes: (contactId: number) => `ContactNotes:${contactId}`,
};

const ENTITY_TAG = /^(Contact|Company|Tag|Note):/;
/** Lists that can show contacts, with their workspace. */
const CONTACT_SHOWING_LIST = /^(?:ContactMembers|CompanyList):(\d+)$/;

/**
 * Tags that stand for `tags` when there are too many to send: the list tags alone, plus, for a
 * response holding lists that can show contacts, the tag every contact edit purges (UPDATED_AT
 * order), so that any change to a contact it shows still reaches it.
 */
export function coarseDependencies(tags: string[]): string[] {
  const coarse = new Set(tags.filter((name) => !ENTITY_TAG.test(name)));
  for (const name of tags) {
    const list = CONTACT_SHOWING_LIST.exec(name);
    if (list) coarse.add(dependency.contactOrder(Number(list[1]), 'UPDATED_AT'));
  }
  return [...coarse];
}

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
    /** The set of response keys that depend on a dependency (named `t:` in Redis, as it always was). */
    dependencyIndex: (name: string) => `${prefix}t:${name}`,
    /** Increases on every invalidation in a workspace; a fill that saw an older value is dropped. */
    writeSequence: (workspaceId: number) => `${prefix}seq:${workspaceId}`,
    /** The primary's WAL position after the workspace's last write: what a replica must have replayed to serve it. */
    writePosition: (workspaceId: number) => `${prefix}wpos:${workspaceId}`,
    /** Held by the one instance refreshing a stale entry. */
    refreshLock: (responseKey: string) => `${prefix}lock:${responseKey}`,
    invalidationChannel: `${prefix}invalidations`,
    /** The stream recorded contact views wait in until a flusher counts them (src/view-counting/). */
    viewStream: `${prefix}views`,
    /** A document registered as a persisted query, by its sha256 (src/cache/persisted-queries.ts). */
    persistedDocument: (hash: string) => `${prefix}apq:${hash}`,
    /** How many documents a workspace registered in the current window. */
    persistedRegistrations: (workspaceId: number) => `${prefix}apqn:${workspaceId}`,
  };
}

export type CacheKeys = ReturnType<typeof cacheKeys>;
