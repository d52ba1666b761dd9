// Peer: stock Apollo Server 5 (startStandaloneServer) with its response-cache plugin, on the
// shared plain resolvers. The page's @cacheControl hints make it cacheable for 30 s, PRIVATE, so
// the plugin keys each entry by session: the token's hash. Measured as hits.
// Env: PORT, READY_PORT, DATABASE_URL.
import { ApolloServer } from '@apollo/server';
import ApolloServerPluginResponseCache from '@apollo/server-plugin-response-cache';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createPeerContext, createTokenCheck, openPeerDatabase, type PeerContext, resolvers, serveReadiness, typeDefs, unauthenticated } from './plain-contacts.js';

const sql = await openPeerDatabase(process.env.DATABASE_URL!);
const checkToken = createTokenCheck(sql);

const apollo = new ApolloServer<PeerContext>({
  typeDefs,
  resolvers,
  introspection: false,
  plugins: [ApolloServerPluginResponseCache({ sessionId: async ({ contextValue }) => contextValue.viewer.tokenHash })],
});
await startStandaloneServer(apollo, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => (await createPeerContext(sql, checkToken, req.headers.authorization)) ?? Promise.reject(unauthenticated()),
});

// startStandaloneServer answers every path with GraphQL: readiness has a port of its own.
const readiness = serveReadiness(Number(process.env.READY_PORT));

process.on('SIGTERM', () => {
  readiness.close();
  void apollo.stop().then(() => sql.end({ timeout: 5 })).then(() => process.exit(0));
});
