// What the peer servers share: the schema of cardfile's list page (the subset `ContactsPage`
// selects), plain resolvers over cardfile's tables, per-request DataLoaders, a token check and
// readiness. Written the way a team would write them with the usual tools, not with cardfile's
// code, so each peer measures its own framework doing the same work: the same four statements a
// cardfile miss runs (page, kept count, companies, tags), scoped to the token's workspace.
import { createHash } from 'node:crypto';
import http from 'node:http';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import postgres from 'postgres';

type Sql = postgres.Sql;

/** Opens a pool as large as cardfile's default and waits until the database answers. */
export async function openPeerDatabase(url: string): Promise<Sql> {
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  await sql`select 1`;
  return sql;
}

// The hints mirror cardfile's schema.graphql: the page is PRIVATE (per token) for 30 s. Apollo's
// cache control and Yoga's response cache both read @cacheControl; Mercurius ignores it.
export const typeDefs = /* GraphQL */ `
  enum CacheControlScope {
    PUBLIC
    PRIVATE
  }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION

  type Query {
    contacts(first: Int, after: String, filter: ContactFilter, orderBy: ContactOrder): ContactConnection!
      @cacheControl(maxAge: 30, scope: PRIVATE)
  }
  # Declared because ContactsPage declares variables of these types; only the default order and
  # no filter are served (see contacts below).
  input ContactFilter {
    search: String
  }
  enum ContactOrderField {
    NAME
  }
  enum OrderDirection {
    ASC
  }
  input ContactOrder {
    field: ContactOrderField!
    direction: OrderDirection = ASC
  }
  type ContactConnection @cacheControl(inheritMaxAge: true) {
    edges: [ContactEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type ContactEdge @cacheControl(inheritMaxAge: true) {
    cursor: String!
    node: Contact!
  }
  type PageInfo @cacheControl(inheritMaxAge: true) {
    hasNextPage: Boolean!
    endCursor: String
  }
  type Contact @cacheControl(maxAge: 60, scope: PRIVATE) {
    id: ID!
    firstName: String!
    lastName: String!
    email: String
    title: String
    company: Company
    tags: [Tag!]!
  }
  type Company @cacheControl(maxAge: 60, scope: PRIVATE) {
    id: ID!
    name: String!
  }
  type Tag @cacheControl(maxAge: 60, scope: PRIVATE) {
    id: ID!
    name: String!
  }
`;

export interface Viewer {
  workspaceId: string;
  /** sha256 of the bearer token: what the response caches key a session by. */
  tokenHash: string;
}

/**
 * The token's workspace, from api_tokens joined to workspaces. Checks are kept in a Map for the
 * life of the process (the benchmark's tokens are neither revoked nor expired while it runs).
 */
export function createTokenCheck(sql: Sql): (authorization: string | undefined) => Promise<Viewer | null> {
  const checks = new Map<string, Promise<Viewer | null>>();
  return (authorization) => {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return Promise.resolve(null);
    const tokenHash = createHash('sha256').update(token).digest('hex');
    let check = checks.get(tokenHash);
    if (!check) {
      check = sql<{ workspace_id: string }[]>`
        select t.workspace_id from api_tokens t join workspaces w on w.id = t.workspace_id
        where t.token_hash = ${tokenHash} and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())`.then((rows) =>
        rows[0] ? { workspaceId: rows[0].workspace_id, tokenHash } : null,
      );
      checks.set(tokenHash, check);
    }
    return check;
  };
}

interface ContactRow {
  id: string;
  first_name: string;
  last_name: string;
  email: string | null;
  title: string | null;
  company_id: string | null;
  name_key: string;
}
interface Named {
  id: string;
  name: string;
}

/** Batches of one request, scoped to the viewer's workspace (ids are bigint, read as strings). */
function createLoaders(sql: Sql, workspaceId: string) {
  return {
    company: new DataLoader<string, Named | null>(async (ids) => {
      const rows = await sql<Named[]>`
        select id, name from companies where workspace_id = ${workspaceId} and id = any(${sql.array([...ids])}::bigint[])`;
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    tags: new DataLoader<string, Named[]>(async (contactIds) => {
      const rows = await sql<(Named & { contact_id: string })[]>`
        select ct.contact_id, t.id, t.name from contact_tags ct join tags t on t.id = ct.tag_id
        where ct.contact_id = any(${sql.array([...contactIds])}::bigint[]) and t.workspace_id = ${workspaceId}
        order by t.name, t.id`;
      const byContact = new Map<string, Named[]>(contactIds.map((id) => [id, []]));
      for (const row of rows) byContact.get(row.contact_id)?.push({ id: row.id, name: row.name });
      return contactIds.map((id) => byContact.get(id)!);
    }),
  };
}

export interface PeerContext {
  sql: Sql;
  viewer: Viewer;
  loaders: ReturnType<typeof createLoaders>;
}

export const unauthenticated = () => new GraphQLError('A valid bearer token is required.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** The context of one request; null when its token is not a valid one. */
export async function createPeerContext(
  sql: Sql,
  checkToken: ReturnType<typeof createTokenCheck>,
  authorization: string | undefined,
): Promise<PeerContext | null> {
  const viewer = await checkToken(authorization);
  return viewer ? { sql, viewer, loaders: createLoaders(sql, viewer.workspaceId) } : null;
}

// Global ids as cardfile shapes them, base64url("Type:id"). Cursors are plain base64 of the
// position (name_key, id): peers do not seal their cursors as cardfile does.
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const toCursor = (row: ContactRow) => Buffer.from(JSON.stringify([row.name_key, row.id])).toString('base64');
function fromCursor(cursor: string): [string, string] {
  const position: unknown = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!Array.isArray(position) || typeof position[0] !== 'string' || typeof position[1] !== 'string') throw new GraphQLError('Invalid cursor.');
  return [position[0], position[1]];
}

interface ContactsArgs {
  first?: number | null;
  after?: string | null;
  filter?: unknown;
  orderBy?: { field: string; direction?: string } | null;
}
interface Connection {
  rows: ContactRow[];
  hasNextPage: boolean;
}

export const resolvers = {
  Query: {
    // Ordered as cardfile orders by default (NAME: last name, first name, case-insensitive; then
    // id), on the same index. One row past the page tells whether there is a next one.
    async contacts(_: unknown, args: ContactsArgs, { sql, viewer }: PeerContext): Promise<Connection> {
      if (args.filter) throw new GraphQLError('The peer servers serve the unfiltered list only.');
      const first = Math.min(Math.max(args.first ?? 20, 0), 100);
      const workspaceId = viewer.workspaceId;
      const [afterKey, afterId] = args.after ? fromCursor(args.after) : [undefined, undefined];
      const rows = await (afterKey === undefined
        ? sql<ContactRow[]>`
            select id, first_name, last_name, email, title, company_id, name_key from contacts
            where workspace_id = ${workspaceId} and deleted_at is null
            order by name_key, id limit ${first + 1}`
        : sql<ContactRow[]>`
            select id, first_name, last_name, email, title, company_id, name_key from contacts
            where workspace_id = ${workspaceId} and deleted_at is null and (name_key, id) > (${afterKey}, ${afterId}::bigint)
            order by name_key, id limit ${first + 1}`);
      return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
    },
  },
  ContactConnection: {
    edges: (connection: Connection) => connection.rows.map((row) => ({ cursor: toCursor(row), node: row })),
    pageInfo: (connection: Connection) => {
      const last = connection.rows.at(-1);
      return { hasNextPage: connection.hasNextPage, endCursor: last ? toCursor(last) : null };
    },
    // The count the triggers keep (drizzle/0005), as cardfile reads it: counting 100,000 rows per
    // request would measure PostgreSQL, not the server.
    async totalCount(_: Connection, __: unknown, { sql, viewer }: PeerContext): Promise<number> {
      const rows = await sql<{ contacts: string }[]>`select contacts from workspace_contact_counts where workspace_id = ${viewer.workspaceId}`;
      return Number(rows[0]?.contacts ?? 0);
    },
  },
  Contact: {
    id: (row: ContactRow) => globalId('Contact', row.id),
    firstName: (row: ContactRow) => row.first_name,
    lastName: (row: ContactRow) => row.last_name,
    company: (row: ContactRow, _: unknown, { loaders }: PeerContext) => (row.company_id ? loaders.company.load(row.company_id) : null),
    tags: (row: ContactRow, _: unknown, { loaders }: PeerContext) => loaders.tags.load(row.id),
  },
  Company: { id: (company: Named) => globalId('Company', company.id) },
  Tag: { id: (tag: Named) => globalId('Tag', tag.id) },
};

// --- readiness: every server under test answers GET /readyz once it can serve.
export const READY_PATH = '/readyz';

export function answerReady(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"status":"ready"}');
}

/** For a server that routes every path to GraphQL: readiness on a port of its own. */
export function serveReadiness(port: number): http.Server {
  return http.createServer((_request, response) => answerReady(response)).listen(port, '127.0.0.1');
}
