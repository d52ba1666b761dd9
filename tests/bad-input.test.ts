// Whatever a client sends, it gets a clear, coded error: never a 500, a stack trace, SQL text or
// a hang, and the server goes on answering. Every case goes through the real HTTP server, raw
// bodies and bytes included, and each is followed by an ordinary query that must still work.
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CursorForger, cursorForger } from './helpers/cursors.js';
import { expectCoded } from './helpers/expect-answer.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { type Reply, reply } from './helpers/raw-reply.js';

/** Long enough for the slowest case here; a request still unanswered by then has hung. */
const ANSWER_WITHIN_MS = 15_000;
const SEEDED_CONTACTS = 12;
const MAX_BODY_BYTES = 1_000_000;


/** Speaks HTTP to one server the ways a client (or an attacker) can. */
function clientOf(target: () => TestServer) {
  const send = async (path: string, init: RequestInit = {}): Promise<Reply> => {
    const response = await target().request(path, { ...init, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
    return reply(response.status, response.headers.get('content-type'), await response.text());
  };
  const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

  return {
    send,
    /** POSTs a body exactly as given, with exactly these headers. */
    post: (body: RequestInit['body'], headers: Record<string, string>) => send('/graphql', { method: 'POST', headers, body }),
    /** POSTs one operation as JSON. */
    graphql: (query: string | undefined, variables?: Record<string, unknown>, token?: string, extra: Record<string, unknown> = {}) =>
      send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(token) },
        body: JSON.stringify({ query, variables, ...extra }),
      }),
    /** GETs /graphql with a raw query string, past Apollo's CSRF check unless told otherwise. */
    get: (search: string, token: string | undefined, preflight = true) =>
      send(`/graphql?${search}`, { headers: { ...bearer(token), ...(preflight ? { 'apollo-require-preflight': 'true' } : {}) } }),

    /**
     * POSTs a body in chunks with no Content-Length (so a size cap must be enforced while reading),
     * over `agent`'s connections when given.
     */
    chunkedPost: (chunks: Buffer[], token: string, agent?: http.Agent) =>
      new Promise<Reply & { reusedSocket: boolean }>((resolve, reject) => {
        const url = new URL(target().url);
        let answered = false;
        const request = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: '/graphql',
            method: 'POST',
            headers: { 'content-type': 'application/json', ...bearer(token) },
            timeout: ANSWER_WITHIN_MS,
            ...(agent ? { agent } : {}),
          },
          (response) => {
            answered = true;
            const parts: Buffer[] = [];
            response.on('data', (part: Buffer) => parts.push(part));
            response.on('end', () =>
              resolve({
                ...reply(response.statusCode ?? 0, response.headers['content-type'], Buffer.concat(parts).toString()),
                reusedSocket: request.reusedSocket,
              }),
            );
            response.on('error', reject);
          },
        );
        request.on('timeout', () => request.destroy(new Error('no answer: the server hung')));
        // The server may answer 413 before the last chunk is out; only an error before any answer
        // counts.
        request.on('error', (error) => {
          if (!answered) reject(error);
        });
        for (const chunk of chunks) request.write(chunk);
        request.end();
      }),

    /** Writes raw bytes on a socket: request lines and headers that fetch and node:http refuse to send. */
    rawExchange: (bytes: Buffer) =>
      new Promise<Reply>((resolve, reject) => {
        const url = new URL(target().url);
        const parts: Buffer[] = [];
        const socket = net.connect(Number(url.port), url.hostname, () => socket.write(bytes));
        socket.setTimeout(ANSWER_WITHIN_MS, () => socket.destroy(new Error('no answer: the server hung')));
        socket.on('data', (part: Buffer) => parts.push(part));
        socket.on('error', reject);
        socket.on('end', () => {
          const raw = Buffer.concat(parts).toString();
          const headerEnd = raw.indexOf('\r\n\r\n');
          const head = headerEnd < 0 ? raw : raw.slice(0, headerEnd);
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
          const contentType = /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim();
          resolve(reply(status, contentType, headerEnd < 0 ? '' : raw.slice(headerEnd + 4)));
        });
      }),
  };
}

/** What no answer may ever contain: a stack trace, Apollo's stacktrace extension, SQL text. */
function expectNothingLeaked(text: string) {
  expect(text).not.toContain('    at ');
  const lower = text.toLowerCase();
  for (const needle of ['stacktrace', 'select ', 'insert ', 'where ', 'from "']) expect(lower).not.toContain(needle);
}

interface Expected {
  status: number;
  code: string;
  /** The argument or input field the error names, where the API names one. */
  field?: string;
}

function expectCodedError(answer: Reply, expected: Expected) {
  expectCoded(answer, expected.status, expected.code, { field: expected.field });
  expectNothingLeaked(answer.text);
}

interface BadInputCase extends Expected {
  name: string;
  send: () => Promise<Reply>;
}

function itAnswersEach(cases: BadInputCase[]) {
  for (const { name, send, ...expected } of cases) {
    it(name, async () => expectCodedError(await send(), expected));
  }
}

let server: TestServer;
let acme: Workspace;
let rival: Workspace;
const client = clientOf(() => server);

// Ids and cursors the cases refer to, found once the workspaces exist.
const ids = { contact: '', tag: '', company: '', rivalContact: '', rivalTag: '', rivalCompany: '' };
let nameCursor = '';

const globalId = (raw: string) => Buffer.from(raw).toString('base64url');
const asCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Seals forgeries with the server's own key: they pass the seal, so its contents are what is checked. */
let forger: CursorForger;
/** A real cursor's parts ([scope, sortValue, id]), to build near-miss forgeries from. */
const cursorParts = () => forger.open(nameCursor);

async function data(query: string, variables: Record<string, unknown>, token: string) {
  const answer = await client.graphql(query, variables, token);
  expect(answer.body?.errors, answer.text).toBeUndefined();
  return answer.body.data;
}

/** An ordinary query, answered in full: the server survived whatever came before. */
async function expectStillAnswering(target: TestServer, token: string, atLeast: number) {
  const response = await target.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { role } contacts(first: 2) { totalCount edges { node { id firstName } } } }' }),
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  const body = (await response.json()) as any;
  expect(response.status).toBe(200);
  expect(body.errors).toBeUndefined();
  expect(body.data.contacts.totalCount).toBeGreaterThanOrEqual(atLeast);
  expect(body.data.contacts.edges).toHaveLength(2);
}

beforeAll(async () => {
  server = await startTestServer();
  acme = await createWorkspace(server.db, 'acme', SEEDED_CONTACTS);
  rival = await createWorkspace(server.db, 'rival', 3);

  const acmeData = await data(
    `mutation { createTag(input: { name: "zz-bad-input" }) { tag { id } }
       createCompany(input: { name: "Bad Input Ltd" }) { company { id } } }`,
    {},
    acme.editor,
  );
  ids.tag = acmeData.createTag.tag.id;
  ids.company = acmeData.createCompany.company.id;
  const page = await data('{ contacts(first: 2) { edges { cursor node { id } } } }', {}, acme.reader);
  ids.contact = page.contacts.edges[0].node.id;
  nameCursor = page.contacts.edges[0].cursor;
  forger = await cursorForger(server.db);

  const rivalData = await data(
    `mutation { createTag(input: { name: "zz-rival" }) { tag { id } }
       createCompany(input: { name: "Rival Inc" }) { company { id } }
       createContact(input: { firstName: "Rita", lastName: "Rival" }) { contact { id } } }`,
    {},
    rival.editor,
  );
  ids.rivalTag = rivalData.createTag.tag.id;
  ids.rivalCompany = rivalData.createCompany.company.id;
  ids.rivalContact = rivalData.createContact.contact.id;
});

afterAll(() => server?.close());

describe('bad input', () => {
  afterEach(() => expectStillAnswering(server, acme.reader, SEEDED_CONTACTS));

  const json = () => ({ 'content-type': 'application/json', authorization: `Bearer ${acme.editor}` });
  const ok = '{"query":"{ viewer { role } }"}';
  /** A JSON body of some 1.1 MB, in 100 kB chunks. */
  const oversizedChunks = () => [
    Buffer.from('{"query":"{ viewer { role } }","variables":{"pad":"'),
    ...Array.from({ length: 11 }, () => Buffer.alloc(100_000, 0x78)),
    Buffer.from('"}}'),
  ];
  const gql = (query: string, variables?: Record<string, unknown>) => () => client.graphql(query, variables, acme.editor);
  const read = (query: string, variables?: Record<string, unknown>) => () => client.graphql(query, variables, acme.reader);

  describe('request bodies', () => {
    const cases: BadInputCase[] = [
      { name: 'malformed JSON', send: () => client.post('{"query": ', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'JSON followed by garbage', send: () => client.post(`${ok} trailing`, json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'an empty body', send: () => client.post('', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'a body of whitespace', send: () => client.post(' \r\n\t ', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'a JSON array (a batch)', send: () => client.post(`[${ok},${ok}]`, json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'an empty JSON array', send: () => client.post('[]', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'a JSON number', send: () => client.post('42', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'JSON null', send: () => client.post('null', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'an object without a query', send: () => client.post('{}', json()), status: 400, code: 'BAD_REQUEST' },
      { name: 'a query that is not a string', send: () => client.post('{"query":{"a":1}}', json()), status: 400, code: 'BAD_REQUEST' },
      {
        name: 'variables as a JSON-encoded string',
        send: () => client.post('{"query":"{ viewer { role } }","variables":"{}"}', json()),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'an operationName that is not a string',
        send: () => client.post('{"query":"{ viewer { role } }","operationName":7}', json()),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        // 0xFF and 0xFE never occur in UTF-8.
        name: 'non-UTF-8 bytes',
        send: () =>
          client.post(
            Buffer.concat([Buffer.from('{"query":"{ contacts(filter: { search: \\"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\\" }) { totalCount } }"}')]),
            json(),
          ),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        // A surrogate half encoded on its own (CESU-8 style) is not valid UTF-8 either.
        name: 'a UTF-8-encoded lone surrogate',
        send: () =>
          client.post(
            Buffer.concat([Buffer.from('{"query":"mutation { createTag(input: { name: \\"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\\" }) { tag { id } } }"}')]),
            json(),
          ),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'a body over MAX_BODY_BYTES with a Content-Length',
        send: () => client.post(JSON.stringify({ query: '{ viewer { role } }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES) } }), json()),
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      { name: 'a body over MAX_BODY_BYTES sent in chunks', send: () => client.chunkedPost(oversizedChunks(), acme.editor), status: 413, code: 'PAYLOAD_TOO_LARGE' },
      {
        name: 'a 1 MiB first name (over the cap)',
        send: gql('mutation ($name: String!) { createContact(input: { firstName: $name, lastName: "X" }) { contact { id } } }', {
          name: 'a'.repeat(1024 * 1024),
        }),
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
    ];
    itAnswersEach(cases);

    it('keeps the connection usable after refusing a body in chunks', async () => {
      // One socket, kept alive: the follow-up request must travel on the connection whose body was
      // refused, which only works if the server read the rest of that body.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expectCodedError(await client.chunkedPost(oversizedChunks(), acme.editor, agent), { status: 413, code: 'PAYLOAD_TOO_LARGE' });
        const next = await client.chunkedPost([Buffer.from(ok)], acme.reader, agent);
        expect(next.reusedSocket).toBe(true);
        expect(next.status).toBe(200);
        expect(next.body).toEqual({ data: { viewer: { role: 'READER' } } });
      } finally {
        agent.destroy();
      }
    });
  });

  describe('HTTP methods, content types and raw requests', () => {
    const mutation = encodeURIComponent('mutation { createTag(input: { name: "via-get" }) { tag { id } } }');
    const viewerQuery = `query=${encodeURIComponent('{ viewer { role } }')}`;
    const afterGoodGet = (brokenParams: string) => async () => {
      const good = await client.get(viewerQuery, acme.reader);
      expect(good.body).toEqual({ data: { viewer: { role: 'READER' } } });
      return client.get(`${viewerQuery}${brokenParams}`, acme.reader);
    };
    const cases: BadInputCase[] = [
      // Apollo's CSRF prevention refuses these "simple" requests a browser could send cross-site.
      { name: 'Content-Type text/plain', send: () => client.post(ok, { ...json(), 'content-type': 'text/plain' }), status: 400, code: 'BAD_REQUEST' },
      {
        name: 'Content-Type application/x-www-form-urlencoded',
        send: () => client.post('query=%7B%20viewer%20%7B%20role%20%7D%20%7D', { ...json(), 'content-type': 'application/x-www-form-urlencoded' }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'Content-Type multipart/form-data',
        send: () => client.post(ok, { ...json(), 'content-type': 'multipart/form-data; boundary=x' }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        // A byte body makes fetch send no Content-Type at all.
        name: 'no Content-Type',
        send: () => client.post(new TextEncoder().encode(ok), { authorization: `Bearer ${acme.editor}` }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'Content-Type application/graphql',
        send: () => client.post('{ viewer { role } }', { ...json(), 'content-type': 'application/graphql' }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      { name: 'a garbled Content-Type', send: () => client.post(ok, { ...json(), 'content-type': ';;;' }), status: 400, code: 'BAD_REQUEST' },
      {
        name: 'PUT',
        send: () => client.send('/graphql', { method: 'PUT', headers: json(), body: ok }),
        status: 405,
        code: 'BAD_REQUEST',
      },
      { name: 'GET with a mutation', send: () => client.get(`query=${mutation}`, acme.editor), status: 405, code: 'BAD_REQUEST' },
      {
        name: 'GET with a mutation and no CSRF preflight header',
        send: () => client.get(`query=${mutation}`, acme.editor, false),
        status: 400,
        code: 'BAD_REQUEST',
      },
      { name: 'GET without a query', send: () => client.get('', acme.reader), status: 400, code: 'BAD_REQUEST' },
      // The same query is asked properly first: whatever was remembered of that answer must not
      // stand in for the broken request's.
      { name: 'GET with variables that are not JSON', send: afterGoodGet('&variables=%7B'), status: 400, code: 'BAD_REQUEST' },
      { name: 'GET with extensions that are not JSON', send: afterGoodGet('&extensions=%7Bnope'), status: 400, code: 'BAD_REQUEST' },
      {
        name: 'GET with a percent-encoded query that is not UTF-8',
        send: () => client.get('query=%FF%FE%7B', acme.reader),
        status: 400,
        code: 'GRAPHQL_PARSE_FAILED',
      },
      {
        name: 'a raw non-ASCII byte in the request line',
        send: () =>
          client.rawExchange(
            Buffer.concat([Buffer.from('GET /graphql?query='), Buffer.from([0xff]), Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')]),
          ),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'a header name with a space in it',
        send: () => client.rawExchange(Buffer.from('POST /graphql HTTP/1.1\r\nhost: x\r\nbad header: 1\r\ncontent-length: 0\r\n\r\n')),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'headers over the HTTP parser limit',
        send: () => client.send('/graphql', { method: 'POST', headers: { ...json(), 'x-padding': 'p'.repeat(20_000) }, body: ok }),
        status: 431,
        code: 'BAD_REQUEST',
      },
    ];
    itAnswersEach(cases);

    it('changes nothing when a mutation comes by GET', async () => {
      await client.get(`query=${mutation}`, acme.editor);
      const { tags } = await data('{ tags { name } }', {}, acme.reader);
      expect(tags.map((tag: { name: string }) => tag.name)).not.toContain('via-get');
    });
  });

  describe('documents', () => {
    const cases: BadInputCase[] = [
      { name: 'a syntax error', send: read('{ contacts { totalCount '), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
      { name: 'a NUL byte in the document', send: read('{ viewer \u0000 { role } }'), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
      {
        name: 'an unpaired surrogate escape in a string literal',
        send: read('{ contacts(filter: { search: "ab\\uD800cd" }) { totalCount } }'),
        status: 400,
        code: 'GRAPHQL_PARSE_FAILED',
      },
      // Over MAX_QUERY_CHARS: refused before anything parses it.
      { name: 'selections nested 100,000 deep', send: read(`{ viewer ${'{ a '.repeat(100_000)}${'}'.repeat(100_000)} }`), status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { name: 'an unknown field', send: read('{ contacts { totalCount bogus } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      { name: 'an unknown argument', send: read('{ contacts(bogus: 1) { totalCount } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      { name: 'a missing required argument', send: read('{ contact { id } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      {
        name: 'an unknown input field',
        send: gql('mutation { createTag(input: { name: "x", colour: "red" }) { tag { id } } }'),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      {
        name: 'an unknown enum value',
        send: read('{ contacts(orderBy: { field: SHOE_SIZE }) { totalCount } }'),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      { name: 'an argument literal of the wrong type', send: read('{ contacts(first: "ten") { totalCount } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      {
        name: 'two operations and no operationName',
        send: read('query A { viewer { role } } query B { tags { id } }'),
        status: 400,
        code: 'OPERATION_RESOLUTION_FAILURE',
      },
      {
        name: 'an operationName that names no operation',
        send: () => client.graphql('query A { viewer { role } }', undefined, acme.reader, { operationName: 'Z' }),
        status: 400,
        code: 'OPERATION_RESOLUTION_FAILURE',
      },
      { name: 'a subscription', send: read('subscription { contactChanged { id } }'), status: 400, code: 'BAD_REQUEST' },
      {
        name: 'a persisted-query hash nobody registered',
        send: () =>
          client.graphql(undefined, undefined, acme.reader, {
            extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } },
          }),
        status: 200,
        code: 'PERSISTED_QUERY_NOT_FOUND',
      },
      {
        name: 'a persisted-query hash that does not match its query',
        send: () =>
          client.graphql('{ viewer { role } }', undefined, acme.reader, { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'an unsupported persisted-query version',
        send: () =>
          client.graphql('{ viewer { role } }', undefined, acme.reader, { extensions: { persistedQuery: { version: 2, sha256Hash: 'f'.repeat(64) } } }),
        status: 400,
        code: 'BAD_REQUEST',
      },
    ];
    itAnswersEach(cases);
  });

  describe('variables of the wrong type', () => {
    const page = 'query ($n: Int) { contacts(first: $n) { totalCount } }';
    const search = 'query ($filter: ContactFilter) { contacts(filter: $filter) { totalCount } }';
    const cases: BadInputCase[] = [
      { name: 'a string for an Int', send: read(page, { n: 'ten' }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'a fraction for an Int', send: read(page, { n: 1.5 }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'an Int beyond 32 bits', send: read(page, { n: 2 ** 40 }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'an object for an Int', send: read(page, { n: { $gt: 1 } }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'a missing required variable', send: read('query ($id: ID!) { contact(id: $id) { id } }', {}), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'an object for a String', send: read(search, { filter: { search: { like: '%' } } }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'an object for a list of ids', send: read(search, { filter: { tagIds: { any: true } } }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'a fraction for an ID', send: read(search, { filter: { tagIds: [1.5] } }), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'an unknown field in an input variable', send: read(search, { filter: { search: 'ab', deleted: true } }), status: 400, code: 'BAD_USER_INPUT' },
      {
        name: 'an unknown enum value in a variable',
        send: read('query ($order: ContactOrder) { contacts(orderBy: $order) { totalCount } }', { order: { field: 'SHOE_SIZE' } }),
        status: 400,
        code: 'BAD_USER_INPUT',
      },
      {
        name: 'a missing required input field',
        send: gql('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }', { input: { firstName: 'Ann' } }),
        status: 400,
        code: 'BAD_USER_INPUT',
      },
    ];
    itAnswersEach(cases);
  });

  describe('page sizes', () => {
    const cases: BadInputCase[] = [
      { name: 'first over 100', send: read('{ contacts(first: 101) { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'first' },
      { name: 'last over 100', send: read('{ contacts(last: 1000) { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'last' },
      { name: 'a negative first', send: read('{ contacts(first: -1) { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'first' },
      { name: 'a negative last', send: read('{ contacts(last: -5) { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'last' },
      { name: 'first together with last', send: read('{ contacts(first: 2, last: 2) { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'last' },
      { name: 'after together with before', send: read('{ contacts(after: "a", before: "b") { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'before' },
      { name: 'last together with after', send: read('{ contacts(last: 2, after: "a") { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      { name: 'companies with first over 100', send: read('{ companies(first: 500) { totalCount } }'), status: 200, code: 'BAD_USER_INPUT', field: 'first' },
      {
        name: 'nested notes with first over 100',
        send: read('{ contacts(first: 1) { edges { node { notes(first: 101) { totalCount } } } } }'),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'first',
      },
    ];
    itAnswersEach(cases);
  });

  describe('cursors', () => {
    const after = (cursor: () => string, orderBy = '') => () =>
      client.graphql(`query ($after: String) { contacts(first: 2, after: $after${orderBy}) { totalCount } }`, { after: cursor() }, acme.reader);
    const cases: BadInputCase[] = [
      { name: 'a random string', send: after(() => 'not a cursor!'), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      { name: 'an empty string', send: after(() => ''), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      { name: 'base64 of text that is not JSON', send: after(() => globalId('hello there')), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      { name: 'base64 of a JSON object', send: after(() => asCursor({ id: 1, admin: true })), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      { name: 'base64 of a JSON array of the wrong length', send: after(() => asCursor([1, 2, 3, 4])), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      { name: 'an overlong cursor', send: after(() => 'A'.repeat(20_000)), status: 200, code: 'BAD_USER_INPUT', field: 'after' },
      {
        name: 'a real cursor with a number for the name',
        send: after(() => forger.seal([cursorParts()[0], 12345, cursorParts()[2]])),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'after',
      },
      {
        name: 'a real cursor with SQL for the id',
        send: after(() => forger.seal([cursorParts()[0], cursorParts()[1], '1 or 1=1'])),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'after',
      },
      {
        name: 'a real cursor with an id beyond any row',
        send: after(() => forger.seal([cursorParts()[0], cursorParts()[1], 1e300])),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'after',
      },
      {
        name: 'a real cursor used with another ordering',
        send: after(() => nameCursor, ', orderBy: { field: CREATED_AT }'),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'after',
      },
      {
        name: 'a garbage before cursor',
        send: read('{ contacts(last: 2, before: "%%%") { totalCount } }'),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'before',
      },
    ];
    itAnswersEach(cases);
  });

  describe('ids', () => {
    const contact = (id: () => string) => () => client.graphql('query ($id: ID!) { contact(id: $id) { id } }', { id: id() }, acme.reader);
    const cases: BadInputCase[] = [
      { name: 'a garbage contact id', send: contact(() => 'zzz'), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'an empty id', send: contact(() => ''), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'an overlong id', send: contact(() => 'Q'.repeat(10_000)), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'a Tag id where a Contact id is expected', send: contact(() => ids.tag), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'an id for row 0', send: contact(() => globalId('Contact:0')), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'an id for a negative row', send: contact(() => globalId('Contact:-1')), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'an id beyond bigint', send: contact(() => globalId('Contact:99999999999999999999')), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      { name: 'an id carrying SQL', send: contact(() => globalId("Contact:1' or '1'='1")), status: 200, code: 'BAD_USER_INPUT', field: 'id' },
      {
        name: 'a garbage node id',
        send: () => client.graphql('query ($id: ID!) { node(id: $id) { id } }', { id: 'not-an-id' }, acme.reader),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'id',
      },
      {
        name: 'a Tag id as filter.companyId',
        send: () => client.graphql('query ($id: ID) { contacts(filter: { companyId: $id }) { totalCount } }', { id: ids.tag }, acme.reader),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'filter.companyId',
      },
      {
        name: 'more than 50 filter.tagIds',
        send: () =>
          client.graphql('query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }', { ids: Array(51).fill(ids.tag) }, acme.reader),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'filter.tagIds',
      },
      {
        name: 'a Contact id in input.tagIds',
        send: () =>
          client.graphql(
            'mutation ($tags: [ID!]) { createContact(input: { firstName: "A", lastName: "B", tagIds: $tags }) { contact { id } } }',
            { tags: [ids.contact] },
            acme.editor,
          ),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'input.tagIds',
      },
      {
        name: 'another workspace’s contact, to update',
        send: () =>
          client.graphql(
            'mutation ($id: ID!) { updateContact(input: { id: $id, expectedVersion: 1, firstName: "Mine" }) { contact { id } } }',
            { id: ids.rivalContact },
            acme.editor,
          ),
        status: 200,
        code: 'NOT_FOUND',
        field: 'input.id',
      },
      {
        name: 'another workspace’s contact, to delete',
        send: () => client.graphql('mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }', { id: ids.rivalContact }, acme.editor),
        status: 200,
        code: 'NOT_FOUND',
        field: 'input.id',
      },
      {
        name: 'another workspace’s contact, to add a note to',
        send: () =>
          client.graphql('mutation ($id: ID!) { addNote(input: { contactId: $id, body: "hi" }) { note { id } } }', { id: ids.rivalContact }, acme.editor),
        status: 200,
        code: 'NOT_FOUND',
        field: 'input.contactId',
      },
      {
        name: 'another workspace’s tag, to tag with',
        send: () =>
          client.graphql(
            'mutation ($c: ID!, $t: ID!) { tagContact(input: { contactId: $c, tagId: $t }) { contact { id } } }',
            { c: ids.contact, t: ids.rivalTag },
            acme.editor,
          ),
        status: 200,
        code: 'NOT_FOUND',
        field: 'input.tagId',
      },
      {
        name: 'another workspace’s company, for a new contact',
        send: () =>
          client.graphql(
            'mutation ($company: ID) { createContact(input: { firstName: "A", lastName: "B", companyId: $company }) { contact { id } } }',
            { company: ids.rivalCompany },
            acme.editor,
          ),
        status: 200,
        code: 'NOT_FOUND',
        field: 'input.companyId',
      },
    ];
    itAnswersEach(cases);

    it('reads another workspace’s objects as absent, not as errors', async () => {
      const answer = await client.graphql(
        'query ($c: ID!, $t: ID!, $co: ID!) { contact(id: $c) { id } node(id: $t) { id } company(id: $co) { id } }',
        { c: ids.rivalContact, t: ids.rivalTag, co: ids.rivalCompany },
        acme.reader,
      );
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toEqual({ contact: null, node: null, company: null });
    });
  });

  describe('strings', () => {
    const create = (input: Record<string, unknown>) =>
      gql('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }', { input });
    const searchFor = (search: string) => read('query ($s: String) { contacts(filter: { search: $s }) { totalCount } }', { s: search });
    const cases: BadInputCase[] = [
      {
        // Under the body cap, over MAX_VARIABLES_BYTES: refused before the operation runs.
        name: 'a first name just under the body cap',
        send: create({ firstName: 'a'.repeat(MAX_BODY_BYTES - 1_000), lastName: 'X' }),
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      { name: 'a 10,000-character search', send: searchFor('s'.repeat(10_000)), status: 200, code: 'BAD_USER_INPUT', field: 'filter.search' },
      { name: 'a one-character search', send: searchFor('a'), status: 200, code: 'BAD_USER_INPUT', field: 'filter.search' },
      { name: 'a NUL byte in a first name', send: create({ firstName: 'Ann\u0000a', lastName: 'X' }), status: 200, code: 'BAD_USER_INPUT', field: 'input.firstName' },
      { name: 'a NUL byte in a search', send: searchFor('ab\u0000cd'), status: 200, code: 'BAD_USER_INPUT', field: 'filter.search' },
      {
        name: 'a NUL byte in a note',
        send: () =>
          client.graphql('mutation ($id: ID!) { addNote(input: { contactId: $id, body: "line\\u0000break" }) { note { id } } }', { id: ids.contact }, acme.editor),
        status: 200,
        code: 'BAD_USER_INPUT',
        field: 'input.body',
      },
      { name: 'a NUL byte in a tag name', send: gql('mutation { createTag(input: { name: "t\\u0000g" }) { tag { id } } }'), status: 200, code: 'BAD_USER_INPUT', field: 'input.name' },
      { name: 'an unpaired high surrogate in a last name', send: create({ firstName: 'Ann', lastName: 'Lee\ud800' }), status: 200, code: 'BAD_USER_INPUT', field: 'input.lastName' },
      { name: 'an unpaired low surrogate in a search', send: searchFor('ab\udc00cd'), status: 200, code: 'BAD_USER_INPUT', field: 'filter.search' },
      { name: 'a blank first name', send: create({ firstName: '   ', lastName: 'X' }), status: 200, code: 'BAD_USER_INPUT', field: 'input.firstName' },
      { name: 'an email that is not one', send: create({ firstName: 'A', lastName: 'B', email: "x' or 1=1" }), status: 200, code: 'BAD_USER_INPUT', field: 'input.email' },
      { name: 'a domain that is not one', send: gql('mutation { createCompany(input: { name: "C", domain: "-; drop" }) { company { id } } }'), status: 200, code: 'BAD_USER_INPUT', field: 'input.domain' },
    ];
    itAnswersEach(cases);
  });

  describe('DateTime values in updatedAfter', () => {
    const since = (value: unknown) => read('query ($d: DateTime) { contacts(filter: { updatedAfter: $d }) { totalCount } }', { d: value });
    // Variables fail coercion before execution (400); a bad literal fails validation.
    const cases: BadInputCase[] = [
      ...[
        'yesterday',
        '',
        '2024-01-01',
        '2024-01-01T10:00:00',
        '2024-02-30T00:00:00Z',
        '2023-02-29T00:00:00Z',
        '2024-01-01T24:00:00Z',
        '2024-13-01T00:00:00Z',
        '2024-01-01T00:00:00+25:00',
        '0000-01-01T00:00:00Z',
        '0001-01-01T00:30:00+01:00',
        '9999-12-31T23:59:59-14:00',
        '+275760-09-13T00:00:00Z',
        "2024-01-01T00:00:00Z' or '1'='1",
      ].map((value) => ({ name: `"${value}"`, send: since(value), status: 400, code: 'BAD_USER_INPUT', field: 'DateTime' })),
      { name: 'a number', send: since(1_700_000_000_000), status: 400, code: 'BAD_USER_INPUT' },
      { name: 'an object', send: since({ after: 'now' }), status: 400, code: 'BAD_USER_INPUT' },
      {
        name: 'an impossible literal',
        send: read('{ contacts(filter: { updatedAfter: "2024-13-45T99:99:99Z" }) { totalCount } }'),
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
    ];
    itAnswersEach(cases);

    it('still accepts the edges of the range and real leap days', async () => {
      for (const value of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2024-02-29T12:00:00+05:30']) {
        const answer = await since(value)();
        expect(answer.body.errors, `${value}: ${answer.text}`).toBeUndefined();
      }
      const { contacts } = await data('{ contacts(filter: { updatedAfter: "0001-01-01T00:00:00Z" }) { totalCount } }', {}, acme.reader);
      expect(contacts.totalCount).toBeGreaterThanOrEqual(SEEDED_CONTACTS);
    });
  });

  describe('credentials', () => {
    const viewer = (headers: Record<string, string>) => () => client.post(ok, { 'content-type': 'application/json', ...headers });
    const cases: BadInputCase[] = [
      { name: 'no token', send: viewer({}), status: 401, code: 'UNAUTHENTICATED' },
      { name: 'a garbage token', send: viewer({ authorization: 'Bearer not-a-token' }), status: 401, code: 'UNAUTHENTICATED' },
      { name: 'a token carrying SQL', send: viewer({ authorization: "Bearer x'or'1'='1" }), status: 401, code: 'UNAUTHENTICATED' },
      { name: 'another scheme', send: viewer({ authorization: `Basic ${btoa('a:b')}` }), status: 401, code: 'UNAUTHENTICATED' },
      { name: 'a 10,000-character token', send: viewer({ authorization: `Bearer ${'t'.repeat(10_000)}` }), status: 401, code: 'UNAUTHENTICATED' },
      {
        name: 'a reader token for a mutation',
        send: () => client.graphql('mutation { createTag(input: { name: "readers-cannot" }) { tag { id } } }', undefined, acme.reader),
        status: 403,
        code: 'FORBIDDEN',
      },
    ];
    itAnswersEach(cases);
  });
});

describe('SQL-looking input', () => {
  afterEach(() => expectStillAnswering(server, acme.reader, SEEDED_CONTACTS));

  const count = async (search: string) =>
    (await data('query ($s: String) { contacts(filter: { search: $s }) { totalCount } }', { s: search }, acme.reader)).contacts.totalCount;

  it('is searched for as text', async () => {
    for (const search of ["'; drop table contacts; --", "' or '1'='1", '%%', '__', '\\\\', "%' or 1=1 --"]) {
      expect(await count(search), search).toBe(0);
    }
  });

  it('is stored and read back as it was written', async () => {
    const input = { firstName: "Robert'); DROP TABLE contacts;--", lastName: '" OR ""="', title: '%_\\ 1=1; --' };
    const created = await data(
      'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }',
      { input },
      acme.editor,
    );
    const { contact } = await data('query ($id: ID!) { contact(id: $id) { firstName lastName title } }', { id: created.createContact.contact.id }, acme.reader);
    expect(contact).toEqual(input);
    // Found by a fragment of it, and only it: LIKE's wildcards in the name match themselves.
    expect(await count("'); drop table")).toBe(1);
    expect(await count('" or ""')).toBe(1);
  });
});

describe('in production', () => {
  let production: TestServer;
  let workspace: Workspace;
  const prod = clientOf(() => production);

  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production' });
    workspace = await createWorkspace(production.db, 'prod', 3);
  });
  afterAll(() => production?.close());
  afterEach(() => expectStillAnswering(production, workspace.reader, 3));

  // Each check runs against the development server too, where the detail is present: the
  // production answer lacks it because production hides it, not because nobody would give it.
  const suggestive: Array<{ name: string; query: string; variables?: Record<string, unknown>; code: string; mutation?: boolean }> = [
    { name: 'a misspelled field', query: '{ contacts { edges { node { firstNam } } } }', code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'a misspelled argument', query: '{ contacts(frist: 1) { totalCount } }', code: 'GRAPHQL_VALIDATION_FAILED' },
    {
      name: 'a misspelled enum value in a variable',
      query: 'query ($order: ContactOrder) { contacts(orderBy: $order) { totalCount } }',
      variables: { order: { field: 'NAMES' } },
      code: 'BAD_USER_INPUT',
    },
    {
      name: 'a misspelled input field in a variable',
      query: 'mutation ($input: CreateTagInput!) { createTag(input: $input) { tag { id } } }',
      variables: { input: { name: 'x', nam: 'x' } },
      code: 'BAD_USER_INPUT',
      mutation: true,
    },
  ];
  for (const { name, query, variables, code, mutation } of suggestive) {
    it(`suggests no names for ${name}`, async () => {
      const development = await client.graphql(query, variables, mutation ? acme.editor : acme.reader);
      expectCodedError(development, { status: 400, code });
      expect(development.text).toContain('Did you mean');

      const answer = await prod.graphql(query, variables, mutation ? workspace.editor : workspace.reader);
      expectCodedError(answer, { status: 400, code });
      expect(answer.text).not.toContain('Did you mean');
    });
  }

  for (const query of ['{ __schema { queryType { name } types { name } } }', '{ __type(name: "Contact") { fields { name } } }']) {
    it(`refuses introspection: ${query}`, async () => {
      const development = await client.graphql(query, undefined, acme.reader);
      expect(development.status).toBe(200);
      expect(development.body.data).toBeTruthy();

      for (const token of [workspace.reader, undefined]) {
        const answer = await prod.graphql(query, undefined, token);
        expectCodedError(answer, { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
        expect(answer.body.errors[0].extensions.validationErrorCode).toBe('INTROSPECTION_DISABLED');
        expect(answer.body.data).toBeUndefined();
      }
    });
  }

  const failing: BadInputCase[] = [
    { name: 'a body that is not JSON', send: () => prod.post('{', { 'content-type': 'application/json' }), status: 400, code: 'BAD_REQUEST' },
    { name: 'a syntax error', send: () => prod.graphql('{ contacts {', undefined, workspace.reader), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
    { name: 'no token', send: () => prod.graphql('{ viewer { role } }'), status: 401, code: 'UNAUTHENTICATED' },
    {
      name: 'a garbage cursor',
      send: () => prod.graphql('{ contacts(after: "nope") { totalCount } }', undefined, workspace.reader),
      status: 200,
      code: 'BAD_USER_INPUT',
      field: 'after',
    },
    {
      name: 'a bad DateTime',
      send: () => prod.graphql('query ($d: DateTime) { contacts(filter: { updatedAfter: $d }) { totalCount } }', { d: '0000-01-01T00:00:00Z' }, workspace.reader),
      status: 400,
      code: 'BAD_USER_INPUT',
    },
    {
      name: 'an unknown contact to update',
      send: () =>
        prod.graphql(
          'mutation ($id: ID!) { updateContact(input: { id: $id, expectedVersion: 1, firstName: "X" }) { contact { id } } }',
          { id: globalId('Contact:999999') },
          workspace.editor,
        ),
      status: 200,
      code: 'NOT_FOUND',
    },
    { name: 'a subscription', send: () => prod.graphql('subscription { x }', undefined, workspace.reader), status: 400, code: 'BAD_REQUEST' },
  ];
  for (const { name, send, ...expected } of failing) {
    it(`answers ${name} without a stack`, async () => {
      const answer = await send();
      expectCodedError(answer, expected);
      for (const error of answer.body.errors) expect(error.extensions).not.toHaveProperty('stacktrace');
    });
  }
});
