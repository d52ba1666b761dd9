// Peer: Mercurius on Fastify with graphql-jit (`jit: 1`: a query is compiled once it has been
// seen once) and the shared plain resolvers and DataLoaders, no response cache. Measured as
// misses, every request executed. Env: PORT, DATABASE_URL.
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { createPeerContext, createTokenCheck, openPeerDatabase, READY_PATH, resolvers, typeDefs, unauthenticated } from './plain-contacts.js';

const sql = await openPeerDatabase(process.env.DATABASE_URL!);
const checkToken = createTokenCheck(sql);

const app = Fastify({ logger: false });
await app.register(mercurius, {
  schema: typeDefs,
  resolvers: resolvers as unknown as mercurius.IResolvers,
  jit: 1,
  graphiql: false,
  context: async (request) => {
    const context = await createPeerContext(sql, checkToken, request.headers.authorization);
    // Fastify answers a thrown error with its statusCode (500 otherwise).
    if (!context) throw Object.assign(unauthenticated(), { statusCode: 401 });
    return context;
  },
});
app.get(READY_PATH, async () => ({ status: 'ready' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });

process.on('SIGTERM', () => {
  void app.close().then(() => sql.end({ timeout: 5 })).then(() => process.exit(0));
});
