// Request bodies labelled with a Content-Encoding: gzip, deflate and br are decoded and then read
// exactly as a plain body is, identity is a plain body, and everything else is refused in the
// usual error shape: an unknown or stacked coding with 415, a malformed header or data that does
// not decode with 400. A zip bomb is stopped once its decoded bytes pass MAX_BODY_BYTES (413),
// without being inflated whole.
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCoded } from './helpers/expect-answer.js';
import { counter } from './helpers/metrics.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let acme: Workspace;

beforeAll(async () => {
  server = await startTestServer({ WARM_WORKSPACES: '0' });
  acme = await createWorkspace(server.db, 'acme', 5);
});

afterAll(() => server?.close());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  const response = await server.request(path, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

const graphqlHeaders = (encoding?: string) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${acme.editor}`,
  ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
});

const PAGE = JSON.stringify({
  query: 'query ($first: Int) { contacts(first: $first, orderBy: { field: NAME }) { totalCount edges { node { id firstName company { name } } } } }',
  variables: { first: 5 },
});

const encoders: Record<string, (body: Buffer) => Buffer> = {
  gzip: (body) => zlib.gzipSync(body),
  'x-gzip': (body) => zlib.gzipSync(body),
  deflate: (body) => zlib.deflateSync(body),
  br: (body) => zlib.brotliCompressSync(body),
  identity: (body) => body,
};

describe('a compressed request body', () => {
  it('in gzip, deflate or br executes exactly as the plain body does; identity is the plain body', async () => {
    const plain = await post('/graphql', PAGE, graphqlHeaders());
    expect(plain.status).toBe(200);
    expect(plain.body.data.contacts.edges).toHaveLength(5);
    for (const [encoding, encode] of Object.entries(encoders)) {
      for (const label of [encoding, encoding.toUpperCase()]) {
        const answer = await post('/graphql', encode(Buffer.from(PAGE)), graphqlHeaders(label));
        expect(answer.status, `${label}: ${answer.text}`).toBe(200);
        expect(answer.body, label).toEqual(plain.body);
      }
    }
  });

  it('runs a mutation once, decoded', async () => {
    const body = JSON.stringify({ query: 'mutation ($name: String!) { createTag(input: { name: $name }) { tag { name } } }', variables: { name: 'brotli' } });
    const answer = await post('/graphql', zlib.brotliCompressSync(Buffer.from(body)), graphqlHeaders('br'));
    expect(answer.body).toEqual({ data: { createTag: { tag: { name: 'brotli' } } } });
    const tags = await server.graphql('{ tags { name } }', {}, acme.reader);
    expect(tags.body.data.tags.filter((tag: { name: string }) => tag.name === 'brotli')).toHaveLength(1);
  });

  it('to /rum is decoded too', async () => {
    const batch = JSON.stringify({ page: '/contacts', metrics: [{ name: 'LCP', value: 1200, rating: 'good', delta: 1200, id: 'v5-1', navigationType: 'navigate' }] });
    const before = await counter(server, 'cardfile_rum_lcp_seconds_count');
    const answer = await post('/rum', zlib.gzipSync(Buffer.from(batch)), { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    expect(answer.status, answer.text).toBe(204);
    expect(await counter(server, 'cardfile_rum_lcp_seconds_count')).toBe(before + 1);
  });
});

describe('a zip bomb', () => {
  // 100 MB of zeros compresses to about 100 KB in gzip and deflate, and to a few hundred bytes in br.
  const inflated = Buffer.alloc(100_000_000);
  const bombs: Array<[string, Buffer]> = [
    ['gzip', zlib.gzipSync(inflated)],
    ['deflate', zlib.deflateSync(inflated)],
    ['br', zlib.brotliCompressSync(inflated, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })],
  ];

  for (const [encoding, bomb] of bombs) {
    it(`in ${encoding} is refused with 413 once its decoded bytes pass the cap, without being inflated whole`, async () => {
      expect(bomb.length).toBeLessThan(200_000);
      const refusals = await counter(server, 'cardfile_http_body_refusals_total', { reason: 'too_large' });
      // What the process holds in buffers, sampled while the server reads the bomb: a bomb
      // inflated whole would add 100 MB.
      const base = process.memoryUsage().arrayBuffers;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
      try {
        expectCoded(await post('/graphql', bomb, graphqlHeaders(encoding)), 413, 'PAYLOAD_TOO_LARGE', { bare: true });
      } finally {
        clearInterval(sampler);
      }
      expect(peak - base).toBeLessThan(32_000_000);
      expect(await counter(server, 'cardfile_http_body_refusals_total', { reason: 'too_large' })).toBe(refusals + 1);
      expect(await counter(server, 'cardfile_http_body_bytes_in_flight')).toBe(0);
    });
  }
});

describe('an encoding that cannot be read', () => {
  const body = zlib.gzipSync(Buffer.from(PAGE));
  for (const encoding of ['compress', 'zstd', 'x-compress', 'snappy', '*']) {
    it(`is refused with 415 when unknown: ${encoding}`, async () => {
      expectCoded(await post('/graphql', body, graphqlHeaders(encoding)), 415, 'UNSUPPORTED_MEDIA_TYPE', { bare: true });
    });
  }

  for (const encoding of ['gzip, gzip', 'gzip, br', 'deflate,gzip']) {
    it(`is refused with 415 when stacked: ${encoding}`, async () => {
      expectCoded(await post('/graphql', zlib.gzipSync(body), graphqlHeaders(encoding)), 415, 'UNSUPPORTED_MEDIA_TYPE', { bare: true });
    });
  }

  for (const encoding of ['gzip;q=1', 'g zip', 'gzip,', '"gzip"']) {
    it(`is refused with 400 when the header is malformed: ${encoding}`, async () => {
      expectCoded(await post('/graphql', body, graphqlHeaders(encoding)), 400, 'BAD_REQUEST', { bare: true });
    });
  }

  const gzipped = zlib.gzipSync(Buffer.from(PAGE));
  const corrupt: Array<[string, string, Buffer]> = [
    ['plain JSON labelled gzip', 'gzip', Buffer.from(PAGE)],
    ['gzip cut short', 'gzip', gzipped.subarray(0, gzipped.length - 10)],
    ['gzip with a wrong checksum', 'gzip', Buffer.concat([gzipped.subarray(0, -8), Buffer.from([0, 0, 0, 0]), gzipped.subarray(-4)])],
    ['raw deflate without the zlib wrapper', 'deflate', zlib.deflateRawSync(Buffer.from(PAGE))],
    ['gzip labelled br', 'br', gzipped],
    ['random bytes labelled br', 'br', Buffer.from(Array.from({ length: 64 }, (_, index) => (index * 97 + 13) % 256))],
    ['an empty body labelled gzip', 'gzip', Buffer.alloc(0)],
  ];
  for (const [name, encoding, data] of corrupt) {
    it(`is refused with 400 when the data does not decode: ${name}`, async () => {
      expectCoded(await post('/graphql', data, graphqlHeaders(encoding)), 400, 'BAD_REQUEST', { bare: true });
      expect(await counter(server, 'cardfile_http_body_bytes_in_flight')).toBe(0);
    });
  }

  it('leaves the server answering', async () => {
    expect(await counter(server, 'cardfile_unexpected_errors_total')).toBe(0);
    const after = await server.graphql('{ viewer { role } }', {}, acme.reader);
    expect(after.body).toEqual({ data: { viewer: { role: 'READER' } } });
  });
});
