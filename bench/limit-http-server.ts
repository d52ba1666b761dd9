// The ceiling for a cache hit: node:http writing fixed bytes (the cached list page cardfile served,
// with its content-type), with no lookup, no parsing, nothing else. Env: PORT, BODY_FILE, CONTENT_TYPE.
import fs from 'node:fs';
import http from 'node:http';

const body = fs.readFileSync(process.env.BODY_FILE!);
const headers = {
  'content-type': process.env.CONTENT_TYPE ?? 'application/json; charset=utf-8',
  'content-length': String(body.length),
};

const server = http.createServer((request, response) => {
  if (request.url === '/readyz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ready"}');
    return;
  }
  response.writeHead(200, headers);
  response.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
