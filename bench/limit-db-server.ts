// The limit-db-http reference: node:http plus postgres.js, the page's one SQL statement
// (limit-db-page.ts) per request, its JSON written back as it comes. limit-db is the same
// statement run by pgbench (pgbench-page.ts), without HTTP or Node in the way.
// Env: PORT, DATABASE_URL, WORKSPACE_ID.
import http from 'node:http';
import postgres from 'postgres';
import { LIMIT_DB_SCOPE, PAGE_SQL } from './limit-db-page.js';

const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
const workspaceId = Number(process.env.WORKSPACE_ID);

const server = http.createServer((request, response) => {
  if (request.url === '/readyz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ready"}');
    return;
  }
  sql
    .unsafe(PAGE_SQL, [workspaceId, LIMIT_DB_SCOPE])
    .then((rows) => {
      const body = (rows[0] as unknown as { body: string }).body;
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
      response.end(body);
    })
    .catch(() => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end('{"errors":[{"message":"query failed"}]}');
    });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void sql.end({ timeout: 5 }).then(() => process.exit(0)));
  server.closeAllConnections();
});
