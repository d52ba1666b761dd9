// Peer: GraphQL Yoga on node:http with Yoga's useResponseCache (@graphql-yoga/plugin-response-cache,
// built on @envelop/response-cache), on the shared plain resolvers. The page's @cacheControl hints
// give it a 30 s TTL and a PRIVATE scope, so entries are keyed by session: the token's hash.
// Measured as hits. Env: PORT, DATABASE_URL.
import http from 'node:http';
import { useResponseCache } from '@graphql-yoga/plugin-response-cache';
import { createSchema, createYoga } from 'graphql-yoga';
import { answerReady, createPeerContext, createTokenCheck, openPeerDatabase, type PeerContext, READY_PATH, resolvers, typeDefs, unauthenticated } from './plain-contacts.js';

const sql = await openPeerDatabase(process.env.DATABASE_URL!);
const checkToken = createTokenCheck(sql);

const yoga = createYoga<object, PeerContext>({
  schema: createSchema<PeerContext>({ typeDefs, resolvers }),
  context: async ({ request }) => {
    const context = await createPeerContext(sql, checkToken, request.headers.get('authorization') ?? undefined);
    if (!context) throw unauthenticated();
    return context;
  },
  // Yoga looks a hit up before it builds the context, so the session is read from the request:
  // the token is checked there (a hit is still authenticated), and an unknown token has no
  // session, under which no PRIVATE page is ever stored.
  plugins: [useResponseCache({ session: async (request) => (await checkToken(request.headers.get('authorization') ?? undefined))?.tokenHash ?? null })],
  graphiql: false,
  logging: false,
});

const server = http.createServer((request, response) => {
  if (request.url === READY_PATH) answerReady(response);
  else void yoga(request, response);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close(() => void sql.end({ timeout: 5 }).then(() => process.exit(0)));
  server.closeAllConnections();
});
