// The stock pipeline to compare against: Apollo Server 5's startStandaloneServer with cardfile's own
// schema, resolvers, DataLoaders and token check, and none of cardfile's caching (no response
// cache, no entity cache, no custom HTTP layer). Env: PORT, READY_PORT, DATABASE_URL.
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createViewerResolver } from '../src/auth/viewer.js';
import { openDatabase } from '../src/db/client.js';
import type { RequestContext } from '../src/graphql/context.js';
import { createRequestContext, newExecutionRecord } from '../src/graphql/request-context.js';
import { CURSOR_KEY, sharedKey } from '../src/db/repositories/server-keys.js';
import { cursorCodecOnce } from '../src/graphql/cursor-codec.js';
import { buildSchema } from '../src/graphql/schema.js';

const port = Number(process.env.PORT);
// cardfile's defaults for the pool, the DataLoader batch size and the token check.
const database = await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL!, poolMax: 10 });
const resolveViewer = createViewerResolver(database.db, 30_000);
// The cursors cardfile issues, from the same shared key.
const cursors = cursorCodecOnce(() => sharedKey(database.db, CURSOR_KEY));

const apollo = new ApolloServer<RequestContext>({ schema: buildSchema(), introspection: false });
await startStandaloneServer(apollo, {
  listen: { port, host: '127.0.0.1' },
  context: async ({ req }) =>
    createRequestContext(await resolveViewer(req.headers.authorization), String(req.headers['x-request-id'] ?? ''), newExecutionRecord(), {
      db: database.db,
      loaderMaxBatchSize: 1000,
      // No caching to purge, and the page under test records no views.
      invalidate: async () => {},
      recordView: async () => {},
      cursors,
    }),
});

// startStandaloneServer answers every path with GraphQL; readiness is a small server of its own
// on READY_PORT, so the benchmark can wait for this one the way it waits for the others.
const readiness = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"status":"ready"}');
});
readiness.listen(Number(process.env.READY_PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  readiness.close();
  void apollo.stop().then(() => database.close()).then(() => process.exit(0));
});
