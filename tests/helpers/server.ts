// Starts the real cardfile HTTP server in-process on a free port, over a test database, and
// speaks HTTP to it the way clients do.
import { createHash } from 'node:crypto';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type App, createApp } from '../../src/app.js';
import { issueToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { findOrCreateWorkspace } from '../../src/db/repositories/workspaces.js';
import { seedWorkspace } from '../../src/tools/seed.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, any> }> };
  /** The raw response text, for checks on what must never appear in it. */
  text: string;
}

export interface PersistedGetOptions {
  /** More request headers (If-None-Match, Origin, ...). */
  headers?: Record<string, string>;
  /**
   * 'hash-first' (the default, as an APQ client does): the hash alone, and when the server answers
   * PERSISTED_QUERY_NOT_FOUND, the hash with the document. 'hash-only': never the document.
   * 'with-document': the hash and the document at once, registering it.
   */
  send?: 'hash-first' | 'hash-only' | 'with-document';
  /** Bounds each request: a hung request fails its test instead of stalling it. */
  timeoutMs?: number;
}

export interface PersistedAnswer<T = any> extends GraphQLResponse<T> {
  /** Whether the server did not know the hash and the document was sent after it. */
  resent: boolean;
}

export interface TestServer {
  url: string;
  database: TestDatabase;
  db: Database;
  app: App;
  /** POSTs one operation; `token` goes in the Authorization header when given. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /**
   * GETs one query as an Apollo automatic persisted query: its sha256 hash in `extensions`, and
   * `variables` when given. An empty body (a 304) reads as `{}`.
   */
  persistedGet<T = any>(query: string, variables?: Record<string, unknown>, token?: string, options?: PersistedGetOptions): Promise<PersistedAnswer<T>>;
  /** Sends any HTTP request to the server (path relative to its base URL). */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface Workspace {
  name: string;
  editor: string;
  reader: string;
}

/** Creates a workspace with `contacts` seeded contacts and an editor and a reader token. */
export async function createWorkspace(db: Database, name: string, contacts = 0): Promise<Workspace> {
  if (contacts > 0) await seedWorkspace(db, { workspace: name, contacts });
  else await findOrCreateWorkspace(db, name);
  return { name, editor: await issueToken(db, name, 'editor'), reader: await issueToken(db, name, 'reader') };
}

export const onRedis = Boolean(process.env.REDIS_URL);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface StartOptions {
  /** Serve an existing database (a second instance over the same data); it is left open on close. */
  database?: TestDatabase;
  /** The clock cache entries are judged by. */
  now?: () => number;
  /** Where the server logs (silent by default, or TEST_LOG_LEVEL). */
  logger?: Logger;
  /** Turns tracing on, with spans going to this processor. */
  spanProcessor?: SpanProcessor;
}

/**
 * Starts a server over a fresh test database. Under REDIS_URL (as in CI) it uses that Redis for
 * its shared tier, in a namespace of its database's own.
 */
export async function startTestServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await openTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    CACHE_NAMESPACE: database.namespace,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    // Tests drive one token from one address far harder than any client; the rate-limit tests set
    // the limits they check.
    RATE_LIMIT_PER_TOKEN: '0',
    RATE_LIMIT_PER_IP: '0',
    // Tests read counters right after what they count, and often: every scrape renders afresh,
    // and none waits its turn.
    METRICS_MIN_INTERVAL_MS: '0',
    METRICS_MAX_SCRAPES_PER_SECOND: '0',
    // The suite runs beside another on two cores: a healthy Redis's answer can wait in a busy event
    // loop past the 100 ms default and count as a failure, turning an exact cache check into a
    // degraded one. Tests of a slow or absent Redis set the default back.
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    ...env,
  });
  const logger = options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = await createApp(config, database, logger, { now: options.now, spanProcessor: options.spanProcessor });
  const url = await app.listen();

  const request = (path: string, init?: RequestInit) => fetch(`${url}${path}`, init);
  const authorization = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const graphql = async (query: string, variables?: Record<string, unknown>, token?: string) => {
    const response = await request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization(token) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
  };
  const persistedGet = async (query: string, variables?: Record<string, unknown>, token?: string, options: PersistedGetOptions = {}) => {
    const get = async (withDocument: boolean) => {
      const params = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(query) } }) });
      if (variables !== undefined) params.set('variables', JSON.stringify(variables));
      if (withDocument) params.set('query', query);
      const response = await request(`/graphql?${params}`, {
        // A GET with no preflight-forcing header is refused as a possible CSRF.
        headers: { ...authorization(token), 'apollo-require-preflight': 'true', ...options.headers },
        signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text), text };
    };
    const send = options.send ?? 'hash-first';
    const first = await get(send === 'with-document');
    const unknown = first.body.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND';
    if (send !== 'hash-first' || !unknown) return { ...first, resent: false };
    return { ...(await get(true)), resent: true };
  };

  return {
    url,
    database,
    db: database.db,
    app,
    graphql,
    persistedGet,
    request,
    close: async () => {
      await app.close();
      if (!options.database) await database.destroy();
    },
  };
}
