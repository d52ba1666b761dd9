// Compressed answers: a cached answer's brotli and gzip forms are made once, when its entry is
// filled, kept in both tiers beside the plain bytes, and picked per request by Accept-Encoding; each
// form has an ETag of its own. Answers that are not kept are compressed once, cheaply, when long
// enough. Requests go out through node:http so that Accept-Encoding is exactly what each test sends
// (fetch adds its own).
import { createHash } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { createClient, RESP_TYPES } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CachedResponse, deserializeEntryBytes, newEntry, serializeEntry } from '../src/cache/entry.js';
import { MemoryTier } from '../src/cache/memory-tier.js';
import { startOwnRedis, type OwnRedis } from './helpers/redis.js';
import { waitFor } from './helpers/wait-for.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

const PAGE = 'query Page { contacts(first: 30) { edges { cursor node { id firstName lastName email title company { name } tags { name } } } } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: Buffer;
}

function send(server: TestServer, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, bytes: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The page as a persisted-query GET (document and hash together), with these extra headers. */
function getPage(server: TestServer, token: string, headers: Record<string, string> = {}): Promise<Raw> {
  const params = new URLSearchParams({ query: PAGE, extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(PAGE) } }) });
  return send(server, 'GET', `/graphql?${params}`, { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true', ...headers });
}

function decoded(raw: Raw): Buffer {
  const coding = raw.headers['content-encoding'];
  if (coding === 'br') return zlib.brotliDecompressSync(raw.bytes);
  if (coding === 'gzip') return zlib.gunzipSync(raw.bytes);
  expect(coding).toBeUndefined();
  return raw.bytes;
}

const varyList = (raw: Raw) => String(raw.headers.vary ?? '').split(/\s*,\s*/);

describe('a cached answer in the form each client takes', () => {
  let server: TestServer;
  let acme: Workspace;
  let plain: Raw;

  beforeAll(async () => {
    server = await startTestServer();
    acme = await createWorkspace(server.db, 'acme', 40);
    plain = await getPage(server, acme.reader);
    expect(plain.status).toBe(200);
    expect(plain.bytes.length).toBeGreaterThan(4_000);
  });

  afterAll(() => server?.close());

  it('picks brotli or gzip by the client weights, and sends the same JSON in every form', async () => {
    const cases: Array<[acceptEncoding: string, coding: string | undefined]> = [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['gzip, deflate, br, zstd', 'br'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['GZIP ; Q=0.9, br;q=0.8', 'gzip'],
      ['x-gzip', 'gzip'],
      ['*', 'br'],
      ['gzip;q=0.2, *;q=0.5', 'br'],
      ['identity', undefined],
      ['deflate', undefined],
      ['br;q=0, gzip;q=0', undefined],
      ['*;q=0', undefined],
      ['br;q=2, gzip;q=abc', undefined],
    ];
    const plainEtag = String(plain.headers.etag);
    for (const [acceptEncoding, coding] of cases) {
      const answer = await getPage(server, acme.reader, { 'accept-encoding': acceptEncoding });
      expect(answer.status, acceptEncoding).toBe(200);
      expect(answer.headers['x-cache'], acceptEncoding).toBe('hit-l1');
      expect(answer.headers['content-encoding'], acceptEncoding).toBe(coding);
      expect(decoded(answer).equals(plain.bytes), acceptEncoding).toBe(true);
      expect(Number(answer.headers['content-length']), acceptEncoding).toBe(answer.bytes.length);
      expect(varyList(answer), acceptEncoding).toEqual(expect.arrayContaining(['Authorization', 'Accept-Encoding']));
      const suffix = coding === 'br' ? '.br' : coding === 'gzip' ? '.gz' : '';
      expect(answer.headers.etag, acceptEncoding).toBe(`${plainEtag.slice(0, -1)}${suffix}"`);
      if (coding) expect(answer.bytes.length, acceptEncoding).toBeLessThan(plain.bytes.length / 2);
    }
    // The plain answer says it varies by encoding too: a cache must not give it to a client of another.
    expect(varyList(plain)).toContain('Accept-Encoding');
  });

  it('answers 304 to the ETag of the form it would send, and the full answer to another form\'s', async () => {
    const br = await getPage(server, acme.reader, { 'accept-encoding': 'br' });
    const revalidated = await getPage(server, acme.reader, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    expect(revalidated.status).toBe(304);
    expect(revalidated.bytes.length).toBe(0);
    expect(revalidated.headers.etag).toBe(br.headers.etag);

    const plainEtag = String(plain.headers.etag);
    const otherForm = await getPage(server, acme.reader, { 'accept-encoding': 'br', 'if-none-match': plainEtag });
    expect(otherForm.status).toBe(200);
    expect(otherForm.headers['content-encoding']).toBe('br');
    const withoutCoding = await getPage(server, acme.reader, { 'if-none-match': String(br.headers.etag) });
    expect(withoutCoding.status).toBe(200);
    expect(withoutCoding.headers['content-encoding']).toBeUndefined();
    expect(withoutCoding.bytes.equals(plain.bytes)).toBe(true);
  });

  it('sends a short answer as it is', async () => {
    const query = '{ viewer { role } }';
    const params = new URLSearchParams({ query });
    const answer = await send(server, 'GET', `/graphql?${params}`, {
      authorization: `Bearer ${acme.reader}`,
      'apollo-require-preflight': 'true',
      'accept-encoding': 'br, gzip',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(answer.bytes.toString())).toEqual({ data: { viewer: { role: 'READER' } } });
  });
});

describe('compressed forms in the shared tier', () => {
  let redis: OwnRedis;
  let server: TestServer;
  let acme: Workspace;

  beforeAll(async () => {
    redis = await startOwnRedis();
    server = await startTestServer({ REDIS_URL: redis.url, MEMORY_CACHE_MAX_BYTES: '0' });
    acme = await createWorkspace(server.db, 'acme', 40);
  });

  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('keeps them in Redis with the entry: a hit from Redis sends the bytes stored there', async () => {
    const miss = await getPage(server, acme.reader, { 'accept-encoding': 'br' });
    expect(miss.headers['x-cache']).toBe('miss');
    // The miss stores its entry in Redis once it has answered.
    const hit = await waitFor('an answer from Redis', () => getPage(server, acme.reader, { 'accept-encoding': 'br' }), (answer) => answer.headers['x-cache'] === 'hit-l2');
    expect(hit.bytes.equals(miss.bytes)).toBe(true);
    const gzipHit = await getPage(server, acme.reader, { 'accept-encoding': 'gzip' });
    expect(gzipHit.headers['x-cache']).toBe('hit-l2');
    expect(gzipHit.headers['content-encoding']).toBe('gzip');

    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const stored: CachedResponse[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${server.database.namespace}:r:*`, COUNT: 1000 })) {
        for (const key of batch) stored.push(deserializeEntryBytes((await client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(key)) as unknown as Buffer)!);
      }
      const page = stored.find((entry) => entry.payload?.equals(zlib.brotliDecompressSync(hit.bytes)));
      expect(page?.encoded?.br.equals(hit.bytes)).toBe(true);
      expect(page?.encoded?.gzip.equals(gzipHit.bytes)).toBe(true);
    } finally {
      client.destroy();
    }
  });
});

describe('an answer that is not kept', () => {
  let server: TestServer;
  let acme: Workspace;

  beforeAll(async () => {
    server = await startTestServer({ RESPONSE_CACHE: 'false' });
    acme = await createWorkspace(server.db, 'acme', 40);
  });

  afterAll(() => server?.close());

  it('is compressed once when it is long enough and the client takes it, and carries no Surrogate-Key', async () => {
    const body = JSON.stringify({ query: PAGE });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${acme.reader}` };
    const plain = await send(server, 'POST', '/graphql', headers, body);
    expect(plain.headers['x-cache']).toBe('bypass');
    expect(plain.headers['content-encoding']).toBeUndefined();
    for (const coding of ['br', 'gzip']) {
      const answer = await send(server, 'POST', '/graphql', { ...headers, 'accept-encoding': coding }, body);
      expect(answer.headers['content-encoding']).toBe(coding);
      expect(varyList(answer)).toContain('Accept-Encoding');
      expect(decoded(answer).equals(plain.bytes)).toBe(true);
      expect(answer.headers['surrogate-key']).toBeUndefined();
    }
  });
});

describe('the Redis form of an entry', () => {
  const entry = (body: string) => newEntry({ body, maxAgeSeconds: 30, tags: ['Contact:1'], now: Date.now(), staleSeconds: 0 });

  it('round-trips a body with its compressed forms, and one too short to have them', () => {
    for (const body of [JSON.stringify({ data: { names: Array.from({ length: 200 }, (_, i) => `name ${i} ✓`) } }), '{"data":{}}']) {
      const made = entry(body);
      const read = deserializeEntryBytes(serializeEntry(made))!;
      expect(read.body).toBe(body);
      expect(read.etag).toBe(made.etag);
      expect(Boolean(read.encoded)).toBe(body.length > 1024);
      if (read.encoded) expect(zlib.brotliDecompressSync(read.encoded.br).toString()).toBe(body);
      if (read.encoded) expect(zlib.gunzipSync(read.encoded.gzip).toString()).toBe(body);
    }
  });

  it('reads an entry written before compressed forms were kept, and refuses one whose lengths do not add up', () => {
    const body = JSON.stringify({ data: { text: 'x'.repeat(2_000) } });
    const { body: _body, payload: _payload, encoded: _encoded, ...meta } = entry(body);
    const older = Buffer.from(`${JSON.stringify(meta)}\n${body}`);
    const read = deserializeEntryBytes(older)!;
    expect(read.body).toBe(body);
    expect(read.encoded).toBeUndefined();

    const whole = serializeEntry(entry(body));
    expect(deserializeEntryBytes(whole.subarray(0, whole.length - 1))).toBeUndefined();
  });

  it('counts the compressed forms against the in-process tier\'s byte budget', () => {
    const made = entry(JSON.stringify({ data: { names: Array.from({ length: 300 }, (_, i) => `name ${i}`) } }));
    const memory = new MemoryTier(10_000_000);
    memory.set('k', made);
    expect(memory.bytes).toBeGreaterThanOrEqual(made.bytes * 2 + made.encoded!.br.length + made.encoded!.gzip.length);
  });
});
