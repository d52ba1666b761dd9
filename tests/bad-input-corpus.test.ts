// A corpus of hostile and malformed requests, run one after another against one real server:
// broken JSON and GraphQL, wrong content types, oversized and deeply nested documents, alias and
// fragment bombs, invalid UTF-8 in bodies and URLs, forged ids and cursors, injection-looking
// strings in every string argument, unicode edge cases, page sizes out of range, mutations over
// GET, unknown persisted hashes, bad credentials, conflicting parameters and HTTP oddities.
//
// Every case must get a 4xx or a coded GraphQL error (never a 5xx), with no stack trace, no SQL
// and no token in the answer; the few inputs that are hostile-looking but legitimate (SQL words in
// a name, an emoji tag) must instead be answered exactly, stored and read back as sent. After each
// case the server must still answer an ordinary query, read fresh from the database.
//
// tests/bad-input.test.ts holds the hand-written cases; nothing here repeats one of them.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken } from '../src/auth/token-revocation.js';
import { issueToken } from '../src/auth/tokens.js';
import { MAX_VARIABLES_DEPTH } from '../src/http/document-limits.js';
import { createLogger } from '../src/observability/logger.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { type Reply, reply } from './helpers/raw-reply.js';
import zlib from 'node:zlib';
import { persistedQueryUrl } from './helpers/browser-fetch.js';
import { counter } from './helpers/metrics.js';
import { openSlowClient, requestHead, unchunk } from './helpers/slow-client.js';
import { waitFor } from './helpers/wait-for.js';
import { type CursorForger, cursorForger, flipByte } from './helpers/cursors.js';

/** A request still unanswered after this long has hung. */
const ANSWER_WITHIN_MS = 15_000;


let server: TestServer;
let acme: Workspace;
let rival: Workspace;

async function send(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await server.request(path, { ...init, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  return reply(response.status, response.headers.get('content-type'), await response.text());
}

const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** POSTs one operation as JSON. */
const post = (query: string | undefined, variables: Record<string, unknown> | undefined, token: string | undefined, extra: Record<string, unknown> = {}) =>
  send('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify({ query, variables, ...extra }),
  });

/** POSTs a body exactly as given. */
const postRaw = (body: string | Uint8Array, headers: Record<string, string>) => send('/graphql', { method: 'POST', headers, body });

/** GETs /graphql with a query string as given, with Apollo's CSRF preflight header unless told not to. */
const get = (search: string, token: string | undefined, headers: Record<string, string> = { 'apollo-require-preflight': 'true' }) =>
  send(`/graphql?${search}`, { headers: { ...bearer(token), ...headers } });

/**
 * Writes bytes on a fresh socket and reads the answer until the server closes: for request lines,
 * headers and URLs that fetch would refuse or normalise. Requests ask for `connection: close`.
 */
function rawExchange(bytes: Buffer | string, { halfClose = false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const parts: Buffer[] = [];
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    socket.setTimeout(ANSWER_WITHIN_MS, () => socket.destroy(new Error('no answer: the server hung')));
    socket.on('data', (part: Buffer) => parts.push(part));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(parts);
      const headerEnd = raw.indexOf('\r\n\r\n');
      const head = (headerEnd < 0 ? raw : raw.subarray(0, headerEnd)).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim();
      let rest: Buffer = headerEnd < 0 ? Buffer.alloc(0) : raw.subarray(headerEnd + 4);
      if (/^transfer-encoding:\s*chunked/im.test(head)) rest = unchunk(rest);
      resolve(reply(status, contentType, rest.toString()));
    });
  });
}

/** A raw HTTP/1.1 request with a JSON body (or the body given), closing the connection after. */
function rawRequest(requestLine: string, headers: string[], body: Buffer | string = ''): Buffer {
  const head = [requestLine, `host: 127.0.0.1`, 'connection: close', ...headers].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const globalId = (raw: string) => Buffer.from(raw).toString('base64url');
const asCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

// ---------------------------------------------------------------------------------------------
// What every answer is held to.

/** Codes the contract lists, plus those the HTTP layer, graphql-js and Apollo use. */
const knownCodes = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'METHOD_NOT_ALLOWED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Text no answer may hold: stack frames, Apollo's stacktrace extension, SQL, the driver's errors. */
const leakNeedles = ['    at ', 'stacktrace', 'node_modules', '.ts:', 'select ', 'insert ', 'delete from', 'from "', 'where ', 'syntax error at', 'postgres://', 'redis://'];

/**
 * Checks `text` for leaks, after taking out what the case itself sent: graphql-js quotes an invalid
 * value back ("got invalid value ..."), and a stored name comes back as written.
 */
function expectNothingLeaked(text: string, sent: readonly string[], secrets: readonly string[]) {
  let scrubbed = text;
  for (const value of sent) {
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) if (form.length > 0) scrubbed = scrubbed.split(form).join('');
  }
  const lower = scrubbed.toLowerCase();
  for (const needle of leakNeedles) expect(lower, `"${needle}" in ${text.slice(0, 2_000)}`).not.toContain(needle);
  for (const secret of secrets) expect(text.includes(secret), `a credential echoed in ${text.slice(0, 500)}`).toBe(false);
}

type Category =
  | 'malformed JSON'
  | 'content types'
  | 'documents'
  | 'alias, fragment and directive bombs'
  | 'circular fragments'
  | 'oversized variables'
  | 'invalid UTF-8'
  | 'ids'
  | 'cursors'
  | 'sealed cursors'
  | 'injection-looking strings'
  | 'unicode'
  | 'page sizes'
  | 'mutations over GET'
  | 'persisted queries'
  | 'persisted-query claims'
  | 'operation names'
  | 'request guards'
  | 'authorization'
  | 'credential spellings and lifetimes'
  | 'conflicting parameters'
  | 'HTTP methods and request lines'
  | 'cross-origin calls and revalidation'
  | 'web-vitals origins and rates';

interface CorpusCase {
  category: Category;
  name: string;
  send: () => Promise<Reply>;
  /** Refused: this status, and unless `bare`, a JSON error with this code (and input field). */
  status?: number;
  code?: string;
  field?: string;
  /** Node's own answer to a request it refuses by itself: a 4xx status, and no body to read. */
  bare?: boolean;
  /** Legitimate input: answered with 200 and no errors, and `data` as this checks it. */
  answered?: (data: any) => void;
  /** Strings the case sent that an answer may quote back. */
  sent?: string[];
  /** Credentials the case sent that no answer may quote back. */
  secrets?: () => string[];
}

function expectAnswerHeldTo(answer: Reply, rule: Omit<CorpusCase, 'category' | 'name' | 'send'>) {
  expect(answer.status, answer.text.slice(0, 1_000)).toBeGreaterThanOrEqual(200);
  expect(answer.status, answer.text.slice(0, 1_000)).toBeLessThan(500);
  expectNothingLeaked(answer.text, rule.sent ?? [], [acme.reader, acme.editor, rival.reader, rival.editor, ...(rule.secrets?.() ?? [])]);

  if (rule.answered) {
    expect(answer.status, answer.text.slice(0, 1_000)).toBe(200);
    expect(answer.body?.errors, answer.text.slice(0, 1_000)).toBeUndefined();
    rule.answered(answer.body.data);
    return;
  }
  expect(answer.status, answer.text.slice(0, 1_000)).toBe(rule.status);
  if (rule.bare) return;
  expect(answer.contentType).toMatch(/^application\/(graphql-response\+)?json\b/);
  const errors: Array<{ message: unknown; extensions?: Record<string, unknown> }> = answer.body?.errors ?? [];
  expect(errors.length, answer.text.slice(0, 1_000)).toBeGreaterThan(0);
  for (const error of errors) {
    expect(typeof error.message).toBe('string');
    expect(knownCodes.has(String(error.extensions?.code)), answer.text.slice(0, 1_000)).toBe(true);
    expect(error.extensions).not.toHaveProperty('stacktrace');
  }
  expect(errors[0]!.extensions?.code, answer.text.slice(0, 1_000)).toBe(rule.code);
  if (rule.field !== undefined) expect(errors[0]!.extensions?.field, answer.text.slice(0, 1_000)).toBe(rule.field);
}

// ---------------------------------------------------------------------------------------------
// The data the cases aim at, made once the server runs.

const ids = {
  anchor: '',
  target: '',
  contact: '',
  company: '',
  tag: '',
  note: '',
  workspace: '',
  rivalContact: '',
  rivalCompany: '',
  rivalTag: '',
  rivalNote: '',
};
const anchor = { firstName: 'Normal', lastName: 'Query' };
/** The version of the contact the update cases change, as their own answers report it. */
let targetVersion = 1;
const cursors = { contacts: '', companies: '', notes: '', rivalContacts: '', rivalNotes: '', rivalCompanies: '', searchContacts: '', companyContacts: '', createdAt: '' };
/** Seals with the server's own key (read from its database): forgeries that pass the seal. */
let forger: CursorForger;

async function data(query: string, variables: Record<string, unknown>, token: string) {
  const answer = await post(query, variables, token);
  expect(answer.body?.errors, answer.text).toBeUndefined();
  return answer.body.data;
}

let checks = 0;
/**
 * An ordinary query, answered in full and read from the database (a new alias each time keeps the
 * response cache out of it): the server survived whatever came before.
 */
async function expectStillServing() {
  checks += 1;
  const alias = `check${checks}`;
  const answer = await post(`query ($id: ID!) { viewer { role } ${alias}: contact(id: $id) { id firstName lastName } }`, { id: ids.anchor }, acme.reader);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual({ data: { viewer: { role: 'READER' }, [alias]: { id: ids.anchor, ...anchor } } });
}

beforeAll(async () => {
  // Rate limits stay off (startTestServer's default): the corpus is one client sending hundreds of
  // requests; the query limits are on, as in production, since several cases are aimed at them.
  server = await startTestServer();
  acme = await createWorkspace(server.db, 'corpus', 6);
  rival = await createWorkspace(server.db, 'corpus-rival', 3);

  const made = await data(
    `mutation ($anchor: CreateContactInput!) {
       anchor: createContact(input: $anchor) { contact { id } }
       target: createContact(input: { firstName: "Tess", lastName: "Target" }) { contact { id version } }
       createCompany(input: { name: "Corpus Co", domain: "corpus.example" }) { company { id } }
       createTag(input: { name: "corpus" }) { tag { id } } }`,
    { anchor },
    acme.editor,
  );
  ids.anchor = made.anchor.contact.id;
  ids.target = made.target.contact.id;
  targetVersion = made.target.contact.version;
  ids.company = made.createCompany.company.id;
  ids.tag = made.createTag.tag.id;
  const page = await data('{ contacts(first: 2) { edges { cursor node { id } } } viewer { workspace { id } } }', {}, acme.reader);
  ids.contact = page.contacts.edges[0].node.id;
  ids.workspace = page.viewer.workspace.id;
  cursors.contacts = page.contacts.edges[0].cursor;
  const note = await data('mutation ($id: ID!) { addNote(input: { contactId: $id, body: "first note" }) { note { id } } }', { id: ids.contact }, acme.editor);
  ids.note = note.addNote.note.id;
  await data('mutation ($id: ID!) { addNote(input: { contactId: $id, body: "second note" }) { note { id } } }', { id: ids.contact }, acme.editor);
  const more = await data(
    `query ($id: ID!, $company: ID!) {
       companies(first: 1) { edges { cursor } }
       contact(id: $id) { notes(first: 1) { edges { cursor } } }
       search: contacts(first: 1, filter: { search: "or" }) { edges { cursor } }
       company(id: $company) { contacts(first: 1) { edges { cursor } } } }`,
    { id: ids.contact, company: ids.company },
    acme.reader,
  );
  cursors.companies = more.companies.edges[0].cursor;
  cursors.notes = more.contact.notes.edges[0].cursor;
  cursors.searchContacts = more.search.edges[0]?.cursor ?? asCursor(['wrong-scope', 'a', 1]);
  cursors.companyContacts = asCursor(['company-list', 'a', 1]);

  const rivals = await data(
    `mutation { createCompany(input: { name: "Rival Co" }) { company { id } } createTag(input: { name: "rival" }) { tag { id } } }`,
    {},
    rival.editor,
  );
  ids.rivalCompany = rivals.createCompany.company.id;
  ids.rivalTag = rivals.createTag.tag.id;
  const rivalPage = await data('{ contacts(first: 1) { edges { cursor node { id } } } }', {}, rival.reader);
  ids.rivalContact = rivalPage.contacts.edges[0].node.id;
  cursors.rivalContacts = rivalPage.contacts.edges[0].cursor;
  const rivalNote = await data('mutation ($id: ID!) { addNote(input: { contactId: $id, body: "rival note" }) { note { id } } }', { id: ids.rivalContact }, rival.editor);
  ids.rivalNote = rivalNote.addNote.note.id;
  const rivalMore = await data(
    'query ($id: ID!) { companies(first: 1) { edges { cursor } } contact(id: $id) { notes(first: 1) { edges { cursor } } } }',
    { id: ids.rivalContact },
    rival.reader,
  );
  cursors.rivalCompanies = rivalMore.companies.edges[0].cursor;
  cursors.rivalNotes = rivalMore.contact.notes.edges[0].cursor;
  cursors.createdAt = (await data('{ contacts(first: 1, orderBy: { field: CREATED_AT }) { edges { cursor } } }', {}, acme.reader)).contacts.edges[0].cursor;
  forger = await cursorForger(server.db);
});

afterAll(() => server?.close());

// ---------------------------------------------------------------------------------------------
// The corpus.

const corpus: CorpusCase[] = [];
const add = (category: Category, cases: Array<Omit<CorpusCase, 'category'>>) => corpus.push(...cases.map((item) => ({ category, ...item })));

const jsonHeaders = () => ({ 'content-type': 'application/json', ...bearer(acme.editor) });
const viewerBody = '{"query":"{ viewer { role } }"}';
const read = (query: string, variables?: Record<string, unknown>) => () => post(query, variables, acme.reader);
const write = (query: string, variables?: Record<string, unknown>) => () => post(query, variables, acme.editor);
const refused = (status: number, code: string, field?: string) => ({ status, code, ...(field === undefined ? {} : { field }) });
const BAD_BODY = refused(400, 'BAD_REQUEST');
const PARSE = refused(400, 'GRAPHQL_PARSE_FAILED');
const INVALID = refused(400, 'GRAPHQL_VALIDATION_FAILED');
const VARIABLE = refused(400, 'BAD_USER_INPUT');
const TOO_LARGE = refused(413, 'PAYLOAD_TOO_LARGE');
const UNAUTHENTICATED = refused(401, 'UNAUTHENTICATED');
const input = (field: string) => refused(200, 'BAD_USER_INPUT', field);

// Malformed JSON bodies: all refused before GraphQL sees them.
add(
  'malformed JSON',
  [
    ['an unterminated string', '{"query":"{ viewer { role } }'],
    ['a missing closing brace', '{"query":"{ viewer { role } }"'],
    ['a trailing comma', '{"query":"{ viewer { role } }",}'],
    ['single-quoted strings', "{'query':'{ viewer { role } }'}"],
    ['unquoted keys', '{query:"{ viewer { role } }"}'],
    ['a JavaScript comment', '{"query":"{ viewer { role } }" /* hi */}'],
    ['NaN as a variable', '{"query":"query ($n: Int) { contacts(first: $n) { totalCount } }","variables":{"n":NaN}}'],
    ['Infinity as a variable', '{"query":"query ($n: Int) { contacts(first: $n) { totalCount } }","variables":{"n":Infinity}}'],
    ['a hexadecimal number', '{"query":"query ($n: Int) { contacts(first: $n) { totalCount } }","variables":{"n":0x10}}'],
    ['a number with a leading zero', '{"query":"query ($n: Int) { contacts(first: $n) { totalCount } }","variables":{"n":010}}'],
    ['an invalid escape', '{"query":"{ viewer { role } }\\x41"}'],
    ['a short unicode escape', '{"query":"{ viewer { role } }\\u12"}'],
    ['a raw newline inside a string', '{"query":"{ viewer\n{ role } }"}'],
    ['a raw NUL byte inside a string', '{"query":"{ viewer { role } }\u0000"}'],
    ['a raw tab inside a string', '{"query":"{ viewer\t{ role } }"}'],
    ['two JSON objects back to back', `${viewerBody}${viewerBody}`],
    ['a JSON string', '"{ viewer { role } }"'],
    ['JSON true', 'true'],
    ['an object nested 100,000 deep', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
    ['an array nested 100,000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['a key without a value', '{"query":}'],
    ['a value without a key', '{:"{ viewer { role } }"}'],
    ['only an opening brace', '{'],
    ['only a closing brace', '}'],
    ['an XML document', '<?xml version="1.0"?><query>{ viewer { role } }</query>'],
    ['a GraphQL document as the body', '{ viewer { role } }'],
    ['a form-encoded body under a JSON type', 'query=%7B%20viewer%20%7B%20role%20%7D%20%7D'],
    ['variables as an array', '{"query":"{ viewer { role } }","variables":[1,2]}'],
    ['variables as a number', '{"query":"{ viewer { role } }","variables":5}'],
    ['extensions as a string', '{"query":"{ viewer { role } }","extensions":"persisted"}'],
    ['a query that is an array', '{"query":["{ viewer { role } }"]}'],
    ['a query that is null', '{"query":null}'],
    ['an empty query', '{"query":""}'],
  ].map(([name, body]) => ({ name: name!, send: () => postRaw(body!, jsonHeaders()), ...BAD_BODY })),
);
// A few where the body is JSON but Apollo itself decides.
add('malformed JSON', [
  { name: 'a query of whitespace only', send: () => postRaw('{"query":"   "}', jsonHeaders()), ...PARSE },
  { name: 'a query that is only a comment', send: () => postRaw('{"query":"# nothing here"}', jsonHeaders()), ...PARSE },
  { name: 'a number too large for a double as a page size', send: () => postRaw('{"query":"query ($n: Int) { contacts(first: $n) { totalCount } }","variables":{"n":1e400}}', jsonHeaders()), ...VARIABLE },
]);

// Content types: only JSON is read; everything else is refused before the body is parsed.
add(
  'content types',
  [
    'text/html',
    'application/xml',
    'application/octet-stream',
    'image/png',
    'application/javascript',
    'application/x-json',
    'text/json',
    'application/jsonp',
    '*/*',
    'application/json-patch',
    'multipart/mixed; boundary=-',
    'application/graphql+json',
  ].map((type) => ({ name: `Content-Type ${type}`, send: () => postRaw(viewerBody, { ...jsonHeaders(), 'content-type': type }), ...BAD_BODY })),
);
add('content types', [
  {
    // The declared charset is not honoured: the bytes are read as UTF-8, which UTF-16 is not.
    name: 'a UTF-16 body declared as such',
    send: () => postRaw(Buffer.from(`\ufeff${viewerBody}`, 'utf16le'), { ...jsonHeaders(), 'content-type': 'application/json; charset=utf-16' }),
    ...BAD_BODY,
  },
  {
    name: 'a gzip body with Content-Encoding: gzip',
    // Cut short: the deflate data ends without gzip's trailer, so it does not decode.
    send: () => postRaw(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00]), { ...jsonHeaders(), 'content-encoding': 'gzip' }),
    ...BAD_BODY,
  },
]);

// Documents: broken, huge or deep GraphQL.
const nestedUnknown = (levels: number) => `{ ${'a { '.repeat(levels)}b${' }'.repeat(levels)} }`;
/** A contact's company's contacts, `levels` times: a real path, nested past the depth limit. */
const deepCompanies = (levels: number) => {
  let inner = 'id';
  for (let i = 0; i < levels; i += 1) inner = `company { contacts(first: 1) { edges { node { ${inner} } } } }`;
  return `query ($id: ID!) { node(id: $id) { ... on Contact { ${inner} } } }`;
};
add('documents', [
  { name: 'an unterminated string literal', send: read('{ contacts(filter: { search: "abc }) { totalCount } }'), ...PARSE },
  { name: 'an unterminated block string', send: read('{ contacts(filter: { search: """abc }) { totalCount } }'), ...PARSE },
  { name: 'an invalid escape in a string literal', send: read('{ contacts(filter: { search: "a\\xb" }) { totalCount } }'), ...PARSE },
  // graphql-js takes a raw NUL inside a string literal; the search check refuses it.
  { name: 'a NUL inside a string literal', send: read('{ contacts(filter: { search: "ab\u0000cd" }) { totalCount } }'), ...input('filter.search') },
  { name: 'a line separator (U+2028) between tokens', send: read('{ viewer\u2028{ role } }'), ...PARSE },
  { name: 'a Cyrillic letter in a field name', send: read('{ v\u0456ewer { role } }'), ...PARSE },
  { name: 'a right-to-left mark in a field name', send: read('{ viewer { ro\u200fle } }'), ...PARSE },
  { name: 'unbalanced braces', send: read('{ viewer { role } } }'), ...PARSE },
  { name: 'a lone spread', send: read('{ ... }'), ...PARSE },
  { name: 'a variable in a fragment definition name', send: read('fragment $F on Query { viewer { role } } { ...F }'), ...PARSE },
  { name: 'a 1,000-digit integer literal', send: read(`{ contacts(first: ${'9'.repeat(1_000)}) { totalCount } }`), ...INVALID },
  { name: 'a float literal of 1e999', send: read('{ contacts(first: 1e999) { totalCount } }'), ...INVALID },
  { name: 'a 19,000-character field name', send: read(`{ ${'f'.repeat(19_000)} }`), ...INVALID },
  { name: 'a 19,000-character search literal', send: read(`{ contacts(filter: { search: "${'s'.repeat(19_000)}" }) { totalCount } }`), ...input('filter.search') },
  { name: 'unknown fields nested 600 deep', send: read(nestedUnknown(600)), ...INVALID },
  { name: 'a real path nested past the depth limit', send: () => post(deepCompanies(4), { id: ids.contact }, acme.reader), ...INVALID },
  { name: 'a list literal nested 900 deep', send: read(`{ contacts(filter: { tagIds: ${'['.repeat(900)}${']'.repeat(900)} }) { totalCount } }`), ...INVALID },
  { name: 'an object literal nested 400 deep', send: read(`{ contacts(filter: ${'{ a: '.repeat(400)}1${' }'.repeat(400)}) { totalCount } }`), ...INVALID },
  { name: 'a document of 20,001 characters of commas', send: read(`{ viewer { role } }${','.repeat(20_001)}`), ...TOO_LARGE },
  { name: '2,001 tokens of names', send: read(`{ ${'role '.repeat(2_001)}}`), ...INVALID },
  {
    name: '250 operations and no operationName',
    send: read(Array.from({ length: 250 }, (_, i) => `query Q${i} { viewer { role } }`).join(' ')),
    ...refused(400, 'OPERATION_RESOLUTION_FAILURE'),
  },
  { name: 'two operations with one name', send: read('query A { viewer { role } } query A { tags { id } }'), ...INVALID },
  { name: '400 unused variable definitions', send: read(`query (${Array.from({ length: 400 }, (_, i) => `$v${i}: Int`).join(' ')}) { viewer { role } }`), ...INVALID },
  { name: 'an undefined variable', send: read('{ contacts(first: $nope) { totalCount } }'), ...INVALID },
  { name: 'a variable default of the wrong type', send: read('query ($n: Int = "ten") { contacts(first: $n) { totalCount } }'), ...INVALID },
  { name: 'a variable of an output type', send: read('query ($c: Contact) { viewer { role } }'), ...INVALID },
  { name: 'a fragment on a scalar', send: read('fragment F on String { length } { viewer { role } ...F }'), ...INVALID },
  { name: 'a fragment on an unknown type', send: read('fragment F on Admin { secret } { ...F }'), ...INVALID },
  { name: 'an unused fragment', send: read('fragment F on Query { tags { id } } { viewer { role } }'), ...INVALID },
  { name: 'a type definition', send: read('type Admin { secret: String } { viewer { role } }'), ...INVALID },
  { name: 'a schema extension', send: read('extend type Query { secret: String } { viewer { role } }'), ...INVALID },
  { name: 'a selection on a scalar', send: read('{ viewer { role { name } } }'), ...INVALID },
  { name: 'no selection on an object', send: read('{ viewer }'), ...INVALID },
  { name: 'conflicting fields under one name', send: read('{ viewer { role: workspace { id } role } }'), ...INVALID },
  { name: 'the Mutation type spread into a query', send: read('{ ... on Mutation { createTag(input: { name: "x" }) { tag { id } } } }'), ...INVALID },
  {
    // Inline fragments do not nest selections, so this is a legitimate (if silly) query.
    name: 'inline fragments nested 300 deep',
    send: read(`{ ${'... on Query { '.repeat(300)}viewer { role }${' }'.repeat(300)} }`),
    answered: (result) => expect(result).toEqual({ viewer: { role: 'READER' } }),
  },
]);

// Bombs: many aliases, exponential fragment spreads, directives.
const aliasFragment = (n: number) => `fragment Many on Query { ${Array.from({ length: n }, (_, i) => `t${i}: viewer { role }`).join(' ')} } { ...Many }`;
add('alias, fragment and directive bombs', [
  {
    // The alias limit leaves __typename out (graphql-armor's allow-list): it resolves to a constant
    // and costs nothing, so a hundred of them are answered.
    name: '100 aliases of __typename',
    send: read(`{ ${Array.from({ length: 100 }, (_, i) => `a${i}: __typename`).join(' ')} }`),
    answered: (result) => expect(Object.values(result)).toEqual(Array(100).fill('Query')),
  },
  { name: '16 aliases inside a fragment', send: read(aliasFragment(16)), ...INVALID },
  {
    name: 'aliases spread over nested levels',
    send: read(`{ ${Array.from({ length: 4 }, (_, i) => `c${i}: contacts(first: 1) { edges { node { ${Array.from({ length: 4 }, (__, j) => `n${j}: firstName`).join(' ')} } } }`).join(' ')} }`),
    ...INVALID,
  },
  {
    name: '16 aliased mutations',
    send: write(`mutation { ${Array.from({ length: 16 }, (_, i) => `m${i}: createTag(input: { name: "bomb-${i}" }) { tag { id } }`).join(' ')} }`),
    ...INVALID,
  },
  {
    name: '10 aliased pages of 100 with notes (cost)',
    send: read(`{ ${Array.from({ length: 10 }, (_, i) => `p${i}: contacts(first: 100) { edges { node { notes(first: 100) { edges { node { body } } } } } }`).join(' ')} }`),
    ...INVALID,
  },
  {
    name: 'a fragment doubling at each of 5 levels',
    send: () => {
      const levels = Array.from({ length: 5 }, (_, i) => {
        const next = i === 4 ? 'id' : `...L${i + 1}`;
        return `fragment L${i} on Contact { a: company { contacts(first: 100) { edges { node { ${next} } } } } b: company { contacts(first: 100) { edges { node { ${next} } } } } }`;
      });
      return post(`query ($id: ID!) { contact(id: $id) { ...L0 } } ${levels.join(' ')}`, { id: ids.contact }, acme.reader);
    },
    ...INVALID,
  },
  {
    name: 'one fragment spread under 15 aliased page fields',
    send: read(`fragment Card on Contact { notes(first: 100) { edges { node { body } } } } { ${Array.from({ length: 15 }, (_, i) => `p${i}: contacts(first: 100) { edges { node { ...Card } } }`).join(' ')} }`),
    ...INVALID,
  },
  { name: '60 unknown directives', send: read(`{ viewer { role ${'@x '.repeat(60)}} }`), ...INVALID },
  { name: '51 @skip directives on different fields', send: read(`{ ${Array.from({ length: 51 }, () => 'viewer @skip(if: false) { role }').join(' ')} }`), ...INVALID },
  { name: 'a non-repeatable directive twice', send: read('{ viewer @include(if: true) @include(if: true) { role } }'), ...INVALID },
  { name: 'a directive in the wrong place', send: read('query @include(if: true) { viewer { role } }'), ...INVALID },
  { name: '1,000 aliases (over the token limit)', send: read(`{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`), ...INVALID },
]);

// Circular fragments: graphql-js refuses the cycle; no rule may recurse forever first.
add('circular fragments', [
  { name: 'a fragment spreading itself', send: read('fragment A on Query { viewer { role } ...A } { ...A }'), ...INVALID },
  { name: 'two fragments spreading each other', send: read('fragment A on Query { ...B } fragment B on Query { viewer { role } ...A } { ...A }'), ...INVALID },
  {
    name: 'a three-fragment cycle',
    send: read('fragment A on Query { ...B } fragment B on Query { ...C } fragment C on Query { tags { id } ...A } { ...A }'),
    ...INVALID,
  },
  { name: 'a cycle through an inline fragment', send: read('fragment A on Query { ... on Query { viewer { role } ...A } } { ...A }'), ...INVALID },
  {
    name: 'a cycle through nested fields',
    send: read('fragment C on Contact { id company { contacts(first: 1) { edges { node { ...C } } } } } { contacts(first: 1) { edges { node { ...C } } } }'),
    ...INVALID,
  },
  { name: 'a cycle never spread by the operation', send: read('fragment A on Query { ...B } fragment B on Query { ...A } { viewer { role } }'), ...INVALID },
  { name: 'a fragment spreading itself 200 times', send: read(`fragment A on Query { viewer { role } ${'...A '.repeat(200)}} { ...A }`), ...INVALID },
  { name: 'two fragments with one name', send: read('fragment A on Query { viewer { role } } fragment A on Query { tags { id } } { ...A }'), ...INVALID },
]);

// Oversized and strange variables.
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const tagIdsQuery = 'query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }';
add('oversized variables', [
  {
    name: '10,000 unused variables',
    send: read('{ viewer { role } }', Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`v${i}`, i]))),
    ...TOO_LARGE,
  },
  // Deep nesting is refused before anything walks it: JSON.stringify (the size check) and the cache
  // key's canonical JSON recurse, and a few thousand levels overflowed the stack (a 500).
  {
    name: 'a variable nested 200,000 arrays deep',
    send: () => postRaw(`{"query":"${tagIdsQuery}","variables":{"ids":${nestedArrays(200_000)}}}`, jsonHeaders()),
    ...BAD_BODY,
  },
  {
    name: 'an unused variable nested 100,000 objects deep',
    send: () => postRaw(`{"query":"{ viewer { role } }","variables":{"v":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`, jsonHeaders()),
    ...BAD_BODY,
  },
  { name: 'a list variable nested 5,000 deep', send: () => postRaw(`{"query":"${tagIdsQuery}","variables":{"ids":${nestedArrays(5_000)}}}`, jsonHeaders()), ...BAD_BODY },
  {
    name: 'an input variable nested 3,000 objects deep',
    send: () => postRaw(`{"query":"query ($f: ContactFilter) { contacts(filter: $f) { totalCount } }","variables":{"f":${'{"search":'.repeat(3_000)}"x"${'}'.repeat(3_000)}}}`, jsonHeaders()),
    ...BAD_BODY,
  },
  {
    name: 'a list variable one level past the nesting limit',
    send: () => postRaw(`{"query":"${tagIdsQuery}","variables":{"ids":${nestedArrays(MAX_VARIABLES_DEPTH + 1)}}}`, jsonHeaders()),
    ...BAD_BODY,
  },
  {
    // Within the nesting limit, the type check refuses it as usual.
    name: 'a list variable at the nesting limit',
    send: () => postRaw(`{"query":"${tagIdsQuery}","variables":{"ids":${nestedArrays(MAX_VARIABLES_DEPTH)}}}`, jsonHeaders()),
    ...VARIABLE,
  },
  {
    name: 'a variable nested 2,000 deep over GET',
    send: () => get(`query=${encodeURIComponent('query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }')}&variables=${encodeURIComponent(`{"ids":${nestedArrays(2_000)}}`)}`, acme.reader),
    ...BAD_BODY,
  },
  {
    name: 'extensions nested 100,000 deep',
    send: () => postRaw(`{"query":"{ viewer { role } }","extensions":{"x":${nestedArrays(100_000)}}}`, jsonHeaders()),
    answered: (result) => expect(result).toEqual({ viewer: { role: 'EDITOR' } }),
  },
  {
    name: 'an unknown body field nested 100,000 deep',
    send: () => postRaw(`{"query":"{ viewer { role } }","junk":${nestedArrays(100_000)}}`, jsonHeaders()),
    answered: (result) => expect(result).toEqual({ viewer: { role: 'EDITOR' } }),
  },
  {
    name: '1,000 tag ids for a new contact',
    send: write('mutation ($tags: [ID!]) { createContact(input: { firstName: "Many", lastName: "Tags", tagIds: $tags }) { contact { id } } }', {
      tags: Array.from({ length: 1_000 }, (_, i) => globalId(`Tag:${i + 1}`)),
    }),
    ...input('input.tagIds'),
  },
  { name: '60,000 tag ids', send: read('query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }', { ids: Array(60_000).fill('x') }), ...TOO_LARGE },
  { name: 'a 400-digit number for an Int', send: () => postRaw(`{"query":"query ($n: Int) { contacts(first: $n) { totalCount } }","variables":{"n":${'9'.repeat(400)}}}`, jsonHeaders()), ...VARIABLE },
  {
    name: 'a required variable only under __proto__',
    send: () => postRaw('{"query":"query ($id: ID!) { contact(id: $id) { id } }","variables":{"__proto__":{"id":"x"}}}', jsonHeaders()),
    ...VARIABLE,
  },
  { name: 'variables null with a required variable', send: () => postRaw('{"query":"query ($id: ID!) { contact(id: $id) { id } }","variables":null}', jsonHeaders()), ...VARIABLE },
  { name: 'null for a required variable', send: read('query ($id: ID!) { contact(id: $id) { id } }', { id: null }), ...VARIABLE },
  { name: 'null inside a non-null list', send: read('query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }', { ids: [null] }), ...VARIABLE },
  {
    name: '20 kB of variables over GET (over the header limit)',
    send: () => get(`query=${encodeURIComponent('{ viewer { role } }')}&variables=${encodeURIComponent(JSON.stringify({ pad: 'p'.repeat(20_000) }))}`, acme.reader),
    ...refused(431, 'BAD_REQUEST'),
  },
]);

// Invalid UTF-8 in bodies and URLs.
const withBytes = (before: string, bytes: number[], after: string) => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
const searchBody = (bytes: number[]) => withBytes('{"query":"query ($s: String) { contacts(filter: { search: $s }) { totalCount } }","variables":{"s":"ab', bytes, 'cd"}}');
add(
  'invalid UTF-8',
  (
    [
      ['a lone continuation byte', [0x80]],
      ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
      ['an overlong NUL (C0 80)', [0xc0, 0x80]],
      ['a three-byte overlong "/" (E0 80 AF)', [0xe0, 0x80, 0xaf]],
      ['a four-byte overlong "/" (F0 80 80 AF)', [0xf0, 0x80, 0x80, 0xaf]],
      ['an encoded low surrogate (ED B0 80)', [0xed, 0xb0, 0x80]],
      ['a CESU-8 surrogate pair', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
      ['a code point past U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
      ['a five-byte sequence', [0xf8, 0x88, 0x80, 0x80, 0x80]],
      ['a six-byte sequence', [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]],
      ['a Latin-1 é', [0xe9]],
      ['a lead byte with no continuation', [0xe2, 0x28, 0xa1]],
    ] as Array<[string, number[]]>
  ).map(([name, bytes]) => ({ name: `${name} in a variable`, send: () => postRaw(searchBody(bytes), jsonHeaders()), ...BAD_BODY })),
);
add('invalid UTF-8', [
  { name: 'a body cut inside a character', send: () => postRaw(withBytes('{"query":"{ viewer { role } }","x":"', [0xe2, 0x82], ''), jsonHeaders()), ...BAD_BODY },
  { name: 'an invalid byte in a JSON key', send: () => postRaw(withBytes('{"que', [0xff], 'ry":"{ viewer { role } }"}'), jsonHeaders()), ...BAD_BODY },
  { name: 'an invalid byte in the operation name', send: () => postRaw(withBytes('{"query":"query A { viewer { role } }","operationName":"A', [0xc3, 0x28], '"}'), jsonHeaders()), ...BAD_BODY },
  { name: 'an invalid byte between JSON tokens', send: () => postRaw(withBytes('{"query":"{ viewer { role } }"', [0xa0], '}'), jsonHeaders()), ...BAD_BODY },
  {
    name: 'a raw continuation byte in the URL path',
    send: () => rawExchange(Buffer.concat([Buffer.from('GET /graph'), Buffer.from([0x80]), Buffer.from('ql HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])),
    ...BAD_BODY,
  },
  {
    name: 'a raw overlong sequence in a query-string value',
    send: () => rawExchange(Buffer.concat([Buffer.from('GET /graphql?query='), Buffer.from([0xc0, 0xaf]), Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])),
    ...BAD_BODY,
  },
  {
    name: 'a raw encoded surrogate in the variables parameter',
    send: () => rawExchange(Buffer.concat([Buffer.from('GET /graphql?variables='), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])),
    ...BAD_BODY,
  },
  { name: 'a raw control byte in the URL', send: () => rawExchange('GET /graphql?query=\u0001 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), ...BAD_BODY },
  { name: 'a raw space inside the URL', send: () => rawExchange('GET /graphql?query={ viewer } HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), ...BAD_BODY },
  { name: 'a percent-encoded overlong "/" in the query', send: () => get('query=%7B%20viewer%20%C0%AF%20%7D', acme.reader), ...PARSE },
  { name: 'a percent-encoded surrogate in the query', send: () => get('query=%7B%20viewer%20%ED%A0%80%20%7D', acme.reader), ...PARSE },
  { name: 'a percent-encoded NUL in the query', send: () => get('query=%7B%20viewer%00%20%7B%20role%20%7D%20%7D', acme.reader), ...PARSE },
  { name: 'a broken percent escape in the query', send: () => get('query=%7B%20viewer%ZZ%20%7B%20role%20%7D%20%7D', acme.reader), ...PARSE },
  {
    name: 'a percent-encoded invalid byte in an id variable',
    send: () => get(`query=${encodeURIComponent('query ($id: ID!) { contact(id: $id) { id } }')}&variables=%7B%22id%22%3A%22%FF%FE%22%7D`, acme.reader),
    ...input('id'),
  },
  {
    name: 'a percent-encoded invalid byte in the operationName',
    send: () => get(`query=${encodeURIComponent('query A { viewer { role } }')}&operationName=A%FF`, acme.reader),
    ...refused(400, 'OPERATION_RESOLUTION_FAILURE'),
  },
  {
    name: 'a raw 0xFF byte in the Authorization header',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', 'authorization: Bearer \xff\xfe', `content-length: ${viewerBody.length}`], viewerBody)),
    ...UNAUTHENTICATED,
  },
  {
    name: 'a raw byte in a header name',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['x-b\xffd: 1', 'content-type: application/json', `content-length: ${viewerBody.length}`], viewerBody)),
    ...BAD_BODY,
  },
]);

// Ids: garbage, other types', other workspaces', huge numbers.
const contactById = (id: () => string) => () => post('query ($id: ID!) { contact(id: $id) { id } }', { id: id() }, acme.reader);
const companyById = (id: () => string) => () => post('query ($id: ID!) { company(id: $id) { id } }', { id: id() }, acme.reader);
const nodeById = (id: () => string) => () => post('query ($id: ID!) { node(id: $id) { id } }', { id: id() }, acme.reader);
add('ids', [
  { name: 'base64 noise as a contact id', send: contactById(() => 'q83vEjRWeJq8'), ...input('id') },
  { name: 'base64 with padding as a contact id', send: contactById(() => `${Buffer.from('Contact:1').toString('base64')}==`), ...input('id') },
  { name: 'standard base64 with + and /', send: contactById(() => '+/+/Q29udGFjdDox'), ...input('id') },
  { name: 'an id with whitespace around it', send: contactById(() => ` ${ids.contact} `), ...input('id') },
  { name: 'a Company id as a contact id', send: contactById(() => ids.company), ...input('id') },
  { name: 'a Note id as a contact id', send: contactById(() => ids.note), ...input('id') },
  { name: 'a Workspace id as a contact id', send: contactById(() => ids.workspace), ...input('id') },
  { name: 'a Contact id as a company id', send: companyById(() => ids.contact), ...input('id') },
  { name: 'a made-up type in an id', send: nodeById(() => globalId('Admin:1')), ...input('id') },
  { name: 'a lower-case type in an id', send: contactById(() => globalId('contact:1')), ...input('id') },
  { name: 'a row id of 2^31', send: contactById(() => globalId(`Contact:${2 ** 31}`)), answered: (result) => expect(result).toEqual({ contact: null }) },
  { name: 'a row id of 2^53 + 1', send: contactById(() => globalId('Contact:9007199254740993')), ...input('id') },
  { name: 'a row id of 2^63', send: contactById(() => globalId('Contact:9223372036854775808')), ...input('id') },
  { name: 'a row id of 2^64', send: contactById(() => globalId('Contact:18446744073709551616')), ...input('id') },
  { name: 'a row id in exponent form', send: contactById(() => globalId('Contact:1e3')), ...input('id') },
  { name: 'a hexadecimal row id', send: contactById(() => globalId('Contact:0x10')), ...input('id') },
  { name: 'a fractional row id', send: contactById(() => globalId('Contact:1.5')), ...input('id') },
  { name: 'a row id with a plus sign', send: contactById(() => globalId('Contact:+1')), ...input('id') },
  { name: 'a row id with a leading zero', send: contactById(() => globalId('Contact:01')), ...input('id') },
  { name: 'a row id with a space', send: contactById(() => globalId('Contact: 1')), ...input('id') },
  { name: 'an id with two separators', send: contactById(() => globalId('Contact:1:2')), ...input('id') },
  { name: 'an id of a number, not a string', send: read('query ($id: ID!) { contact(id: $id) { id } }', { id: 12345678901234567890 }), ...input('id') },
  { name: 'a boolean for an ID', send: read('query ($id: ID!) { contact(id: $id) { id } }', { id: true }), ...VARIABLE },
  { name: 'another workspace’s company as filter.companyId', send: () => post('query ($id: ID) { contacts(filter: { companyId: $id }) { totalCount } }', { id: ids.rivalCompany }, acme.reader), answered: (result) => expect(result.contacts.totalCount).toBe(0) },
  { name: 'another workspace’s tag in filter.tagIds', send: () => post('query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }', { ids: [ids.rivalTag] }, acme.reader), answered: (result) => expect(result.contacts.totalCount).toBe(0) },
  { name: 'another workspace’s note by node', send: nodeById(() => ids.rivalNote), answered: (result) => expect(result).toEqual({ node: null }) },
  { name: 'another workspace’s workspace by node', send: () => post('query ($id: ID!) { node(id: $id) { id } }', { id: globalId('Workspace:999999') }, acme.reader), answered: (result) => expect(result).toEqual({ node: null }) },
  {
    name: 'another workspace’s contact, to record a view of',
    send: () => post('mutation ($id: ID!) { recordContactView(input: { contactId: $id }) { contactId } }', { id: ids.rivalContact }, acme.reader),
    ...refused(200, 'NOT_FOUND', 'input.contactId'),
  },
  {
    name: 'another workspace’s tag, to untag',
    send: () => post('mutation ($c: ID!, $t: ID!) { untagContact(input: { contactId: $c, tagId: $t }) { contact { id } } }', { c: ids.contact, t: ids.rivalTag }, acme.editor),
    ...refused(200, 'NOT_FOUND', 'input.tagId'),
  },
  {
    name: 'another workspace’s company, set on an update',
    send: () =>
      post('mutation ($id: ID!, $v: Int!, $co: ID) { updateContact(input: { id: $id, expectedVersion: $v, companyId: $co }) { contact { id } } }', { id: ids.target, v: targetVersion, co: ids.rivalCompany }, acme.editor),
    ...refused(200, 'NOT_FOUND', 'input.companyId'),
  },
  {
    name: 'a Tag id as the contact to tag',
    send: () => post('mutation ($c: ID!, $t: ID!) { tagContact(input: { contactId: $c, tagId: $t }) { contact { id } } }', { c: ids.tag, t: ids.tag }, acme.editor),
    ...input('input.contactId'),
  },
  {
    name: 'a Company id as a note’s contact',
    send: () => post('mutation ($c: ID!) { addNote(input: { contactId: $c, body: "x" }) { note { id } } }', { c: ids.company }, acme.editor),
    ...input('input.contactId'),
  },
  { name: 'a row id of 2^53 - 1 to delete', send: () => post('mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }', { id: globalId('Contact:9007199254740991') }, acme.editor), ...refused(200, 'NOT_FOUND', 'input.id') },
  { name: 'an expectedVersion of 0', send: () => post('mutation ($id: ID!) { updateContact(input: { id: $id, expectedVersion: 0, title: "x" }) { contact { id } } }', { id: ids.target }, acme.editor), ...input('input.expectedVersion') },
  { name: 'a negative expectedVersion', send: () => post('mutation ($id: ID!) { updateContact(input: { id: $id, expectedVersion: -2147483648, title: "x" }) { contact { id } } }', { id: ids.target }, acme.editor), ...input('input.expectedVersion') },
  { name: 'an expectedVersion of 2^31 - 1', send: () => post('mutation ($id: ID!) { updateContact(input: { id: $id, expectedVersion: 2147483647, title: "x" }) { contact { id } } }', { id: ids.target }, acme.editor), ...refused(200, 'CONFLICT') },
]);

// Cursors: noise, other lists', other scopes', other workspaces', forged fields.
const contactsAfter = (cursor: () => string, extra = '') => () =>
  post(`query ($c: String) { contacts(first: 2, after: $c${extra}) { edges { node { id } } } }`, { c: cursor() }, acme.reader);
const forged = (value: unknown[]) => contactsAfter(() => asCursor(value));
// What a client can forge: the position in the clear, with the list's real scope (read here with the key).
const realScope = () => forger.open(cursors.contacts)[0];
add('cursors', [
  { name: 'a companies cursor for contacts', send: contactsAfter(() => cursors.companies), ...input('after') },
  { name: 'a notes cursor for contacts', send: contactsAfter(() => cursors.notes), ...input('after') },
  { name: 'a contacts cursor for companies', send: () => post('query ($c: String) { companies(first: 2, after: $c) { totalCount } }', { c: cursors.contacts }, acme.reader), ...input('after') },
  {
    name: 'a contacts cursor for a contact’s notes',
    send: () => post('query ($id: ID!, $c: String) { contact(id: $id) { notes(first: 2, after: $c) { totalCount } } }', { id: ids.contact, c: cursors.contacts }, acme.reader),
    ...input('after'),
  },
  { name: 'a search’s cursor without the search', send: contactsAfter(() => cursors.searchContacts), ...input('after') },
  { name: 'a name cursor with DESC ordering', send: contactsAfter(() => cursors.contacts, ', orderBy: { field: NAME, direction: DESC }'), ...input('after') },
  { name: 'a cursor with a filter added', send: contactsAfter(() => cursors.contacts, ', filter: { search: "zz" }'), ...input('after') },
  // A cursor is issued for one workspace's list: another workspace's is refused, not reinterpreted.
  { name: 'another workspace’s cursor', send: contactsAfter(() => cursors.rivalContacts), ...input('after') },
  { name: 'base64 noise as a cursor', send: contactsAfter(() => 'kV8xq0ZzTt3oLm2c'), ...input('after') },
  { name: 'a cursor with padding', send: contactsAfter(() => `${Buffer.from(cursors.contacts, 'base64url').toString('base64')}==`), ...input('after') },
  { name: 'a cursor of 1,025 characters', send: contactsAfter(() => 'A'.repeat(1_025)), ...input('after') },
  { name: 'a forged cursor with a negative id', send: () => forged([realScope(), 'a', -1])(), ...input('after') },
  { name: 'a forged cursor with a string id', send: () => forged([realScope(), 'a', '1'])(), ...input('after') },
  { name: 'a forged cursor with a fractional id', send: () => forged([realScope(), 'a', 1.5])(), ...input('after') },
  { name: 'a forged cursor with an object for the name', send: () => forged([realScope(), { $gt: '' }, 1])(), ...input('after') },
  { name: 'a forged cursor with null for the name', send: () => forged([realScope(), null, 1])(), ...input('after') },
  {
    name: 'a forged CREATED_AT cursor beyond the date range',
    send: () =>
      post('query ($c: String) { contacts(first: 2, after: $c, orderBy: { field: CREATED_AT }) { totalCount } }', { c: asCursor([realScope(), 9e15, 1]) }, acme.reader),
    ...input('after'),
  },
  { name: 'a forged cursor of JSON null', send: contactsAfter(() => asCursor(null)), ...input('after') },
  { name: 'a cursor for Company.contacts from elsewhere', send: () => post('query ($id: ID!, $c: String) { company(id: $id) { contacts(first: 2, after: $c) { totalCount } } }', { id: ids.company, c: cursors.contacts }, acme.reader), ...input('after') },
  { name: 'a number for a cursor', send: read('query ($c: String) { contacts(after: $c) { totalCount } }', { c: 12 }), ...VARIABLE },
]);

// ---------------------------------------------------------------------------------------------
// Sealed cursors (cursors are sealed with a key every instance reads from the database). A client
// cannot make one, so these are forged with the server's own key (what one who stole it could
// send), tampered with, or carried to another list, workspace or parent; each is refused naming
// its argument, and no value in one reaches SQL unchecked (a NUL used to: a 500 from PostgreSQL).
const sealedAfter = (contents: () => unknown, extra = '') => contactsAfter(() => forger.seal(contents()), extra);
const scopeOf = (cursor: string) => forger.open(cursor)[0];
const positionOf = (cursor: string) => forger.open(cursor);
const createdAfter = (cursor: () => string) => () =>
  post('query ($c: String) { contacts(first: 2, after: $c, orderBy: { field: CREATED_AT }) { totalCount } }', { c: cursor() }, acme.reader);
const sealedCreated = (value: unknown) => createdAfter(() => forger.seal([scopeOf(cursors.createdAt), value, positionOf(cursors.createdAt)[2]]));
const contactsBefore = (cursor: () => string) => () =>
  post('query ($c: String) { contacts(last: 2, before: $c) { totalCount } }', { c: cursor() }, acme.reader);
const pagedOverGet = (cursor: () => string) => () =>
  get(
    `query=${encodeURIComponent('query ($c: String) { contacts(first: 2, after: $c) { totalCount } }')}&variables=${encodeURIComponent(JSON.stringify({ c: cursor() }))}`,
    acme.reader,
  );
const tampered = (change: (cursor: string) => string) => contactsAfter(() => change(cursors.contacts));
const sealedBytes = () => Buffer.from(cursors.contacts, 'base64url').length;
add('sealed cursors', [
  // NUL and other text PostgreSQL or the sort cannot take.
  { name: 'a sealed name with a NUL inside', send: sealedAfter(() => [scopeOf(cursors.contacts), 'query\u0000normal', 1]), ...input('after') },
  { name: 'a sealed name that is a lone NUL', send: sealedAfter(() => [scopeOf(cursors.contacts), '\u0000', 1]), ...input('after') },
  { name: 'a sealed name with a NUL, as before', send: () => contactsBefore(() => forger.seal([scopeOf(cursors.contacts), 'a\u0000', 1]))(), ...input('before') },
  { name: 'a sealed name with a NUL, paged over GET', send: pagedOverGet(() => forger.seal([scopeOf(cursors.contacts), 'a\u0000b', 1])), ...input('after') },
  { name: 'an unsealed position with a NUL in the name', send: () => forged([realScope(), 'query\u0000normal', 1])(), ...input('after') },
  { name: 'a sealed name with a lone surrogate', send: sealedAfter(() => [scopeOf(cursors.contacts), 'abc\udc00', 1]), ...input('after') },
  // Lengths.
  { name: 'a sealed name of 301 characters', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a'.repeat(301), 1]), ...input('after') },
  { name: 'a sealed name of 10,000 characters', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a'.repeat(10_000), 1]), ...input('after') },
  { name: 'a cursor of 2,601 base64url characters', send: contactsAfter(() => 'A'.repeat(2_601)), ...input('after') },
  { name: 'a cursor of 1 MB', send: contactsAfter(() => 'A'.repeat(1_000_000)), ...TOO_LARGE },
  { name: 'the bare 16-byte tag of a cursor', send: tampered((cursor) => Buffer.from(cursor, 'base64url').subarray(0, 16).toString('base64url')), ...input('after') },
  { name: 'an empty sealed payload', send: contactsAfter(() => forger.sealBytes(Buffer.alloc(0))), ...input('after') },
  // Wrong types and shapes, sealed.
  { name: 'a sealed number for the name', send: sealedAfter(() => [scopeOf(cursors.contacts), 7, 1]), ...input('after') },
  { name: 'a sealed array for the name', send: sealedAfter(() => [scopeOf(cursors.contacts), ['a'], 1]), ...input('after') },
  { name: 'a sealed object for the name', send: sealedAfter(() => [scopeOf(cursors.contacts), { $gt: '' }, 1]), ...input('after') },
  { name: 'a sealed boolean for the id', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', true]), ...input('after') },
  { name: 'a sealed string for the id', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', '1 or 1=1']), ...input('after') },
  { name: 'a sealed id of 0', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', 0]), ...input('after') },
  { name: 'a sealed negative id', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', -1]), ...input('after') },
  { name: 'a sealed id of 2^53', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', 2 ** 53]), ...input('after') },
  { name: 'a sealed fractional id', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', 2.5]), ...input('after') },
  { name: 'a sealed object instead of an array', send: sealedAfter(() => ({ scope: scopeOf(cursors.contacts), value: 'a', id: 1 })), ...input('after') },
  { name: 'a sealed array of two', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a']), ...input('after') },
  { name: 'a sealed array of four', send: sealedAfter(() => [scopeOf(cursors.contacts), 'a', 1, 1]), ...input('after') },
  { name: 'sealed bytes that are not JSON', send: contactsAfter(() => forger.sealBytes(Buffer.from('not json'))), ...input('after') },
  { name: 'sealed bytes that are not UTF-8', send: contactsAfter(() => forger.sealBytes(Buffer.from([0xc3, 0x28, 0xff]))), ...input('after') },
  { name: 'a sealed unknown scope', send: sealedAfter(() => ['no-such-scope', 'a', 1]), ...input('after') },
  // Instants.
  { name: 'a sealed instant as a string', send: sealedCreated('2025-01-01'), ...input('after') },
  { name: 'a sealed fractional instant', send: sealedCreated(1.5), ...input('after') },
  { name: 'a sealed instant before year 1', send: sealedCreated(Date.parse('0001-01-01T00:00:00.000Z') - 1), ...input('after') },
  { name: 'a sealed instant after year 9999', send: sealedCreated(Date.parse('9999-12-31T23:59:59.999Z') + 1), ...input('after') },
  { name: 'a sealed instant at JavaScript’s earliest date', send: sealedCreated(-8.64e15), ...input('after') },
  { name: 'a sealed null instant', send: sealedCreated(null), ...input('after') },
  // Tampered bytes and spellings of a real cursor.
  { name: 'a cursor with its first byte flipped', send: tampered((cursor) => flipByte(cursor, 0)), ...input('after') },
  { name: 'a cursor with its last tag byte flipped', send: tampered((cursor) => flipByte(cursor, 15)), ...input('after') },
  { name: 'a cursor with its first text byte flipped', send: tampered((cursor) => flipByte(cursor, 16)), ...input('after') },
  { name: 'a cursor with its last byte flipped', send: tampered((cursor) => flipByte(cursor, sealedBytes() - 1)), ...input('after') },
  { name: 'a cursor one character short', send: tampered((cursor) => cursor.slice(0, -1)), ...input('after') },
  { name: 'a cursor one byte short', send: tampered((cursor) => Buffer.from(cursor, 'base64url').subarray(0, -1).toString('base64url')), ...input('after') },
  { name: 'a cursor with a byte appended', send: tampered((cursor) => Buffer.concat([Buffer.from(cursor, 'base64url'), Buffer.from([0])]).toString('base64url')), ...input('after') },
  { name: 'a cursor with its tag moved to the end', send: tampered((cursor) => { const bytes = Buffer.from(cursor, 'base64url'); return Buffer.concat([bytes.subarray(16), bytes.subarray(0, 16)]).toString('base64url'); }), ...input('after') },
  { name: 'a cursor in upper case', send: tampered((cursor) => cursor.toUpperCase()), ...input('after') },
  { name: 'a cursor in standard base64', send: tampered((cursor) => Buffer.from(cursor, 'base64url').toString('base64')), ...input('after') },
  { name: 'a cursor with a space inside', send: tampered((cursor) => `${cursor.slice(0, 10)} ${cursor.slice(10)}`), ...input('after') },
  { name: 'a cursor with a newline after it', send: tampered((cursor) => `${cursor}\n`), ...input('after') },
  { name: 'a cursor written twice', send: tampered((cursor) => cursor + cursor), ...input('after') },
  { name: 'a cursor with stray bits in its last character', send: tampered((cursor) => `${cursor.slice(0, -1)}${String.fromCharCode(cursor.charCodeAt(cursor.length - 1) ^ 1)}`), ...input('after') },
  // Carried elsewhere.
  { name: 'another workspace’s cursor as before', send: () => contactsBefore(() => cursors.rivalContacts)(), ...input('before') },
  { name: 'another workspace’s companies cursor', send: () => post('query ($c: String) { companies(first: 2, after: $c) { totalCount } }', { c: cursors.rivalCompanies }, acme.reader), ...input('after') },
  {
    name: 'another workspace’s notes cursor for a contact’s notes',
    send: () => post('query ($id: ID!, $c: String) { contact(id: $id) { notes(first: 2, after: $c) { totalCount } } }', { id: ids.contact, c: cursors.rivalNotes }, acme.reader),
    ...input('after'),
  },
  {
    name: 'one contact’s notes cursor for another contact’s notes',
    send: () => post('query ($id: ID!, $c: String) { contact(id: $id) { notes(first: 2, after: $c) { totalCount } } }', { id: ids.anchor, c: cursors.notes }, acme.reader),
    ...input('after'),
  },
  { name: 'our cursor sent with a rival’s token', send: () => post('query ($c: String) { contacts(first: 2, after: $c) { totalCount } }', { c: cursors.contacts }, rival.reader), ...input('after') },
  { name: 'a name cursor with CREATED_AT ordering', send: createdAfter(() => cursors.contacts), ...input('after') },
  { name: 'a CREATED_AT cursor for the name ordering', send: contactsAfter(() => cursors.createdAt), ...input('after') },
]);

// Injection-looking strings in every string argument and filter. SQL, JSON, templates, paths:
// where a value is free text it is stored and read back as sent, or searched for literally; where
// it must be an id, a cursor, an email, a phone, a domain or a date, it is refused, naming the field.
const payloads: Array<{ kind: string; value: string; control: boolean }> = [
  { kind: 'SQL', value: "x'); DELETE FROM contacts WHERE ('1'='1", control: false },
  { kind: 'a SQL UNION', value: "1' UNION SELECT token_hash FROM api_tokens --", control: false },
  { kind: 'JSON', value: '{"$ne": null, "__proto__": {"role": "EDITOR"}}', control: false },
  { kind: 'a template', value: '${process.env.DATABASE_URL}{{7*7}}<%= 7*7 %>#{7*7}', control: false },
  { kind: 'path traversal', value: '../../../../etc/passwd%00.png', control: false },
  { kind: 'a NUL byte', value: "Ann\u0000' OR 1=1 --", control: true },
  { kind: 'CR LF and markup', value: 'x\r\nX-Injected: 1\r\n\r\n<script>alert(1)</script>', control: true },
];

interface StringArgument {
  name: string;
  run: (value: string) => Promise<Reply>;
  /** Free text (stored or searched): accepted unless it holds control characters. */
  outcome: (payload: (typeof payloads)[number]) => Pick<CorpusCase, 'status' | 'code' | 'field' | 'answered'>;
}

const searchedLiterally = (value: string) => (result: any) => {
  const connection = result.contacts ?? result.companies;
  const needle = value.toLowerCase();
  expect(connection.totalCount).toBe(connection.edges.length);
  for (const { node } of connection.edges) {
    const haystack = [node.firstName, node.lastName, node.email, node.name, node.domain, node.company?.name].join('\n').toLowerCase();
    expect(haystack).toContain(needle);
  }
};
const storedAs = (path: (result: any) => unknown, value: string) => (result: any) => expect(path(result)).toBe(value);
const freeText =
  (field: string, answered: (value: string) => (result: any) => void, { multiline = false } = {}) =>
  (payload: (typeof payloads)[number]) =>
    payload.control && !(multiline && !payload.value.includes('\u0000')) ? input(field) : { answered: answered(payload.value) };
const alwaysRefused = (status: number, code: string, field?: string) => () => refused(status, code, field);

const stringArguments: StringArgument[] = [
  {
    name: 'contacts filter.search',
    run: (s) => post('query ($s: String) { contacts(first: 100, filter: { search: $s }) { totalCount edges { node { firstName lastName email company { name } } } } }', { s }, acme.reader),
    outcome: freeText('filter.search', searchedLiterally),
  },
  {
    name: 'companies filter.search',
    run: (s) => post('query ($s: String) { companies(first: 100, filter: { search: $s }) { totalCount edges { node { name domain } } } }', { s }, acme.reader),
    outcome: freeText('filter.search', searchedLiterally),
  },
  { name: 'contact(id)', run: (id) => post('query ($id: ID!) { contact(id: $id) { id } }', { id }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'id') },
  { name: 'node(id)', run: (id) => post('query ($id: ID!) { node(id: $id) { id } }', { id }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'id') },
  { name: 'company(id)', run: (id) => post('query ($id: ID!) { company(id: $id) { id } }', { id }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'id') },
  { name: 'contacts(after)', run: (c) => post('query ($c: String) { contacts(after: $c) { totalCount } }', { c }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'after') },
  { name: 'contacts(before)', run: (c) => post('query ($c: String) { contacts(last: 1, before: $c) { totalCount } }', { c }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'before') },
  { name: 'companies(after)', run: (c) => post('query ($c: String) { companies(after: $c) { totalCount } }', { c }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'after') },
  {
    name: 'Contact.notes(after)',
    run: (c) => post('query ($id: ID!, $c: String) { contact(id: $id) { notes(after: $c) { totalCount } } }', { id: ids.contact, c }, acme.reader),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'after'),
  },
  {
    name: 'Company.contacts(after)',
    run: (c) => post('query ($id: ID!, $c: String) { company(id: $id) { contacts(after: $c) { totalCount } } }', { id: ids.company, c }, acme.reader),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'after'),
  },
  { name: 'filter.companyId', run: (id) => post('query ($id: ID) { contacts(filter: { companyId: $id }) { totalCount } }', { id }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'filter.companyId') },
  { name: 'filter.tagIds', run: (id) => post('query ($ids: [ID!]) { contacts(filter: { tagIds: $ids }) { totalCount } }', { ids: [ids.tag, id] }, acme.reader), outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'filter.tagIds') },
  { name: 'filter.updatedAfter', run: (d) => post('query ($d: DateTime) { contacts(filter: { updatedAfter: $d }) { totalCount } }', { d }, acme.reader), outcome: alwaysRefused(400, 'BAD_USER_INPUT') },
  {
    name: 'operationName',
    run: (operationName) => post('query Real { viewer { role } }', undefined, acme.reader, { operationName }),
    outcome: alwaysRefused(400, 'OPERATION_RESOLUTION_FAILURE'),
  },
  ...(['firstName', 'lastName', 'title'] as const).map(
    (field): StringArgument => ({
      name: `createContact input.${field}`,
      run: (value) =>
        post('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { firstName lastName title } } }', { input: { firstName: 'Inj', lastName: 'Ection', [field]: value } }, acme.editor),
      outcome: freeText(`input.${field}`, (value) => storedAs((result) => result.createContact.contact[field], value)),
    }),
  ),
  {
    name: 'createContact input.email',
    run: (email) => post('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }', { input: { firstName: 'A', lastName: 'B', email } }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.email'),
  },
  {
    name: 'createContact input.phone',
    run: (phone) => post('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }', { input: { firstName: 'A', lastName: 'B', phone } }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.phone'),
  },
  {
    name: 'createContact input.companyId',
    run: (companyId) => post('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }', { input: { firstName: 'A', lastName: 'B', companyId } }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.companyId'),
  },
  {
    name: 'updateContact input.lastName',
    run: async (lastName) => {
      const answer = await post(
        'mutation ($id: ID!, $v: Int!, $last: String) { updateContact(input: { id: $id, expectedVersion: $v, lastName: $last }) { contact { lastName version } } }',
        { id: ids.target, v: targetVersion, last: lastName },
        acme.editor,
      );
      const version = answer.body?.data?.updateContact?.contact?.version;
      if (typeof version === 'number') targetVersion = version;
      return answer;
    },
    outcome: freeText('input.lastName', (value) => storedAs((result) => result.updateContact.contact.lastName, value)),
  },
  {
    name: 'updateContact input.id',
    run: (id) => post('mutation ($id: ID!) { updateContact(input: { id: $id, expectedVersion: 1, title: "x" }) { contact { id } } }', { id }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.id'),
  },
  {
    name: 'addNote input.body',
    run: (body) => post('mutation ($id: ID!, $body: String!) { addNote(input: { contactId: $id, body: $body }) { note { body } } }', { id: ids.contact, body }, acme.editor),
    outcome: freeText('input.body', (value) => storedAs((result) => result.addNote.note.body, value), { multiline: true }),
  },
  {
    name: 'createCompany input.name',
    run: (name) => post('mutation ($name: String!) { createCompany(input: { name: $name }) { company { name } } }', { name }, acme.editor),
    outcome: freeText('input.name', (value) => storedAs((result) => result.createCompany.company.name, value)),
  },
  {
    name: 'createCompany input.domain',
    run: (domain) => post('mutation ($domain: String) { createCompany(input: { name: "D", domain: $domain }) { company { id } } }', { domain }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.domain'),
  },
  {
    name: 'createTag input.name',
    run: (name) => post('mutation ($name: String!) { createTag(input: { name: $name }) { tag { name } } }', { name }, acme.editor),
    // Tag names are at most 50 characters: the longer payloads are refused for their length.
    outcome: (payload) => (payload.value.length > 50 ? input('input.name') : freeText('input.name', (value) => storedAs((result) => result.createTag.tag.name, value))(payload)),
  },
  {
    name: 'tagContact input.tagId',
    run: (tagId) => post('mutation ($c: ID!, $t: ID!) { tagContact(input: { contactId: $c, tagId: $t }) { contact { id } } }', { c: ids.contact, t: tagId }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.tagId'),
  },
  {
    name: 'recordContactView input.contactId',
    run: (contactId) => post('mutation ($c: ID!) { recordContactView(input: { contactId: $c }) { contactId } }', { c: contactId }, acme.reader),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.contactId'),
  },
  {
    name: 'deleteContact input.id',
    run: (id) => post('mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }', { id }, acme.editor),
    outcome: alwaysRefused(200, 'BAD_USER_INPUT', 'input.id'),
  },
];
for (const argument of stringArguments) {
  add(
    'injection-looking strings',
    payloads.map((payload) => ({ name: `${payload.kind} in ${argument.name}`, send: () => argument.run(payload.value), sent: [payload.value], ...argument.outcome(payload) })),
  );
}

// Unicode edge cases in names, tags, notes and searches.
const createNamed = (firstName: string) => () =>
  post('mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { firstName } } }', { input: { firstName, lastName: 'Unicode' } }, acme.editor);
const storedFirstName = (value: string) => ({ answered: storedAs((result) => result.createContact.contact.firstName, value), sent: [value] });
const searchUnicode = (s: string) => () =>
  post('query ($s: String) { contacts(first: 100, filter: { search: $s }) { totalCount edges { node { firstName lastName email company { name } } } } }', { s }, acme.reader);
add('unicode', [
  { name: 'a right-to-left override in a name', send: createNamed('\u202eevil\u202c'), ...storedFirstName('\u202eevil\u202c') },
  { name: 'right-to-left and left-to-right marks in a name', send: createNamed('Ab\u200f\u200ecd'), ...storedFirstName('Ab\u200f\u200ecd') },
  { name: 'a name of 1 letter and 60 combining marks', send: createNamed(`e${'\u0301'.repeat(60)}`), ...storedFirstName(`e${'\u0301'.repeat(60)}`) },
  { name: 'a name of 1 letter and 200 combining marks', send: createNamed(`e${'\u0301'.repeat(200)}`), ...input('input.firstName') },
  { name: 'a decomposed (NFD) name', send: createNamed('Zoe\u0308'), ...storedFirstName('Zoe\u0308') },
  { name: 'a family emoji (ZWJ sequence) in a name', send: createNamed('Fam \u{1f469}\u200d\u{1f469}\u200d\u{1f467}'), ...storedFirstName('Fam \u{1f469}\u200d\u{1f469}\u200d\u{1f467}') },
  { name: 'a noncharacter (U+FFFF) in a name', send: createNamed('Non\uffffchar'), ...storedFirstName('Non\uffffchar') },
  { name: 'a line separator (U+2028) inside a name', send: createNamed('Line\u2028Sep'), ...storedFirstName('Line\u2028Sep') },
  { name: 'full-width letters in a name', send: createNamed('\uff33\uff25\uff2c\uff25\uff23\uff34'), ...storedFirstName('\uff33\uff25\uff2c\uff25\uff23\uff34') },
  { name: 'a name of no-break spaces only', send: createNamed('\u00a0\u00a0'), ...input('input.firstName') },
  { name: 'a name of ideographic spaces only', send: createNamed('\u3000\u3000'), ...input('input.firstName') },
  { name: 'an escape character in a name', send: createNamed('Esc\u001b[31m'), ...input('input.firstName') },
  { name: 'a DEL character in a name', send: createNamed('Del\u007f'), ...input('input.firstName') },
  { name: '51 emoji in a name (102 UTF-16 units)', send: createNamed('\u{1f600}'.repeat(51)), ...input('input.firstName') },
  {
    name: 'emoji in a tag name',
    send: () => post('mutation ($n: String!) { createTag(input: { name: $n }) { tag { name } } }', { n: '\u{1f3f7}\ufe0f\u{1f525}' }, acme.editor),
    answered: storedAs((result) => result.createTag.tag.name, '\u{1f3f7}\ufe0f\u{1f525}'),
  },
  { name: 'a lone high surrogate in a tag name', send: () => post('mutation ($n: String!) { createTag(input: { name: $n }) { tag { id } } }', { n: 'tag\ud83d' }, acme.editor), ...input('input.name') },
  { name: 'a lone low surrogate in a company name', send: () => post('mutation ($n: String!) { createCompany(input: { name: $n }) { company { id } } }', { n: '\ude00Co' }, acme.editor), ...input('input.name') },
  {
    name: 'a lone surrogate in a note',
    send: () => post('mutation ($id: ID!, $b: String!) { addNote(input: { contactId: $id, body: $b }) { note { id } } }', { id: ids.contact, b: 'note \ud800 body' }, acme.editor),
    ...input('input.body'),
  },
  { name: 'a reversed surrogate pair in a title', send: () => post('mutation ($t: String) { createContact(input: { firstName: "A", lastName: "B", title: $t }) { contact { id } } }', { t: '\ude00\ud83d' }, acme.editor), ...input('input.title') },
  { name: 'a lone surrogate in an id', send: contactById(() => 'Q29u\ud800'), ...input('id') },
  { name: 'a lone surrogate in a cursor', send: contactsAfter(() => `${cursors.contacts}\udfff`), ...input('after') },
  { name: 'a search of an emoji', send: searchUnicode('\u{1f469}\u200d\u{1f469}'), answered: searchedLiterally('\u{1f469}\u200d\u{1f469}'), sent: ['\u{1f469}\u200d\u{1f469}'] },
  { name: 'a search of combining marks only', send: searchUnicode('\u0301\u0301'), answered: searchedLiterally('\u0301\u0301') },
  { name: 'a search with a byte-order mark', send: searchUnicode('ab\ufeffcd'), answered: searchedLiterally('ab\ufeffcd') },
  { name: 'a search of 51 emoji (102 UTF-16 units)', send: searchUnicode('\u{1f600}'.repeat(51)), ...input('filter.search') },
  {
    name: 'a homoglyph email (Cyrillic а)',
    send: () => post('mutation { createContact(input: { firstName: "Homo", lastName: "Glyph", email: "\u0430dmin@example.com" }) { contact { email } } }', undefined, acme.editor),
    answered: storedAs((result) => result.createContact.contact.email, '\u0430dmin@example.com'),
  },
]);

// Page sizes: negative, zero, over 100, past 32 bits, fractions, strings, on every paginated field.
const contactsPage = (args: string) => read(`{ contacts(${args}) { totalCount } }`);
const pageVariable = (field: string, value: unknown) => read(`query ($n: Int) { contacts(${field}: $n) { totalCount } }`, { n: value });
add('page sizes', [
  { name: 'first: 0', send: read('{ contacts(first: 0) { edges { cursor } pageInfo { hasNextPage } } }'), answered: (result) => expect(result.contacts).toEqual({ edges: [], pageInfo: { hasNextPage: true } }) },
  { name: 'last: 0', send: read('{ contacts(last: 0) { edges { cursor } } }'), answered: (result) => expect(result.contacts.edges).toEqual([]) },
  { name: 'last: 101', send: contactsPage('last: 101'), ...input('last') },
  { name: 'first: 2^31 - 1', send: contactsPage('first: 2147483647'), ...input('first') },
  { name: 'last: 2^31 - 1', send: contactsPage('last: 2147483647'), ...input('last') },
  { name: 'first: -2^31', send: contactsPage('first: -2147483648'), ...input('first') },
  { name: 'first: 2^31 (literal)', send: contactsPage('first: 2147483648'), ...INVALID },
  { name: 'first: -2^31 - 1 (literal)', send: contactsPage('first: -2147483649'), ...INVALID },
  { name: 'first: 1.5 (literal)', send: contactsPage('first: 1.5'), ...INVALID },
  { name: 'first: 1e2 (literal)', send: contactsPage('first: 1e2'), ...INVALID },
  { name: 'first: "10" (literal)', send: contactsPage('first: "10"'), ...INVALID },
  { name: 'first: true (literal)', send: contactsPage('first: true'), ...INVALID },
  { name: 'first: [10] (literal)', send: contactsPage('first: [10]'), ...INVALID },
  { name: 'first: an enum value', send: contactsPage('first: ALL'), ...INVALID },
  { name: 'first: 101 (variable)', send: pageVariable('first', 101), ...input('first') },
  { name: 'first: 2^31 (variable)', send: pageVariable('first', 2 ** 31), ...VARIABLE },
  { name: 'last: 2^31 (variable)', send: pageVariable('last', 2 ** 31), ...VARIABLE },
  { name: 'last: -1 (variable)', send: pageVariable('last', -1), ...input('last') },
  { name: 'last: 0.5 (variable)', send: pageVariable('last', 0.5), ...VARIABLE },
  { name: 'first: "10" (variable)', send: pageVariable('first', '10'), ...VARIABLE },
  { name: 'first: true (variable)', send: pageVariable('first', true), ...VARIABLE },
  { name: 'first: [10] (variable)', send: pageVariable('first', [10]), ...VARIABLE },
  { name: 'first: a Float variable', send: read('query ($n: Float) { contacts(first: $n) { totalCount } }', { n: 10 }), ...INVALID },
  { name: 'first: a String variable', send: read('query ($n: String) { contacts(first: $n) { totalCount } }', { n: '10' }), ...INVALID },
  { name: 'companies first: -1', send: read('{ companies(first: -1) { totalCount } }'), ...input('first') },
  { name: 'companies first: 101 (variable)', send: read('query ($n: Int) { companies(first: $n) { totalCount } }', { n: 101 }), ...input('first') },
  { name: 'companies first: 2^31 (literal)', send: read('{ companies(first: 2147483648) { totalCount } }'), ...INVALID },
  { name: 'notes first: -1', send: () => post('query ($id: ID!) { contact(id: $id) { notes(first: -1) { totalCount } } }', { id: ids.contact }, acme.reader), ...input('first') },
  { name: 'notes first: 2^31 (variable)', send: () => post('query ($id: ID!, $n: Int) { contact(id: $id) { notes(first: $n) { totalCount } } }', { id: ids.contact, n: 2 ** 31 }, acme.reader), ...VARIABLE },
  { name: 'Company.contacts first: 101', send: () => post('query ($id: ID!) { company(id: $id) { contacts(first: 101) { totalCount } } }', { id: ids.company }, acme.reader), ...input('first') },
  { name: 'Company.contacts first: -1', send: () => post('query ($id: ID!) { company(id: $id) { contacts(first: -1) { totalCount } } }', { id: ids.company }, acme.reader), ...input('first') },
  { name: 'first and before together', send: contactsPage('first: 1, before: "x"'), ...input('first') },
]);

// Mutations over GET: refused (405) before anything runs, whichever way the mutation is chosen.
const mutationDocument = (body: string) => `query=${encodeURIComponent(body)}`;
add('mutations over GET', [
  { name: 'createContact', send: () => get(mutationDocument('mutation { createContact(input: { firstName: "G", lastName: "Et" }) { contact { id } } }'), acme.editor), ...refused(405, 'BAD_REQUEST') },
  { name: 'deleteContact', send: () => get(mutationDocument(`mutation { deleteContact(input: { id: "${ids.target}" }) { deletedId } }`), acme.editor), ...refused(405, 'BAD_REQUEST') },
  { name: 'addNote', send: () => get(mutationDocument(`mutation { addNote(input: { contactId: "${ids.contact}", body: "get" }) { note { id } } }`), acme.editor), ...refused(405, 'BAD_REQUEST') },
  { name: 'recordContactView by a reader', send: () => get(mutationDocument(`mutation { recordContactView(input: { contactId: "${ids.contact}" }) { contactId } }`), acme.reader), ...refused(405, 'BAD_REQUEST') },
  {
    name: 'the mutation of a two-operation document, chosen by operationName',
    send: () => get(`${mutationDocument('query Q { viewer { role } } mutation M { createTag(input: { name: "get-m" }) { tag { id } } }')}&operationName=M`, acme.editor),
    ...refused(405, 'BAD_REQUEST'),
  },
  { name: 'a mutation behind a comment', send: () => get(mutationDocument('# just a query\n  mutation { createTag(input: { name: "get-c" }) { tag { id } } }'), acme.editor), ...refused(405, 'BAD_REQUEST') },
  {
    name: 'a mutation with the x-apollo-operation-name header',
    send: () => get(mutationDocument('mutation M { createTag(input: { name: "get-h" }) { tag { id } } }'), acme.editor, { 'x-apollo-operation-name': 'M' }),
    ...refused(405, 'BAD_REQUEST'),
  },
  { name: 'a mutation with a bad token', send: () => get(mutationDocument('mutation { createTag(input: { name: "get-t" }) { tag { id } } }'), 'not-a-token'), ...UNAUTHENTICATED },
  { name: 'a mutation over HEAD', send: () => send(`/graphql?${mutationDocument('mutation { createTag(input: { name: "head" }) { tag { id } } }')}`, { method: 'HEAD', headers: { ...bearer(acme.editor), 'apollo-require-preflight': 'true' } }), status: 405, bare: true },
]);

// Persisted queries: unknown or malformed hashes.
const byHash = (persistedQuery: unknown, query?: string) => () => post(query, undefined, acme.reader, { extensions: { persistedQuery } });
const getByHash = (persistedQuery: unknown) => () => get(`extensions=${encodeURIComponent(JSON.stringify({ persistedQuery }))}`, acme.reader);
add('persisted queries', [
  { name: 'an unknown hash over GET', send: getByHash({ version: 1, sha256Hash: sha256('never registered') }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'an upper-case hex hash', send: byHash({ version: 1, sha256Hash: sha256('{ viewer { role } }').toUpperCase() }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'a 63-character hash', send: byHash({ version: 1, sha256Hash: 'a'.repeat(63) }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'a hash that is not hex', send: byHash({ version: 1, sha256Hash: 'g'.repeat(64) }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'an empty hash', send: byHash({ version: 1, sha256Hash: '' }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'a 10,000-character hash', send: byHash({ version: 1, sha256Hash: 'f'.repeat(10_000) }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'a path as the hash', send: byHash({ version: 1, sha256Hash: '../../../etc/passwd' }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND'), sent: ['../../../etc/passwd'] },
  { name: 'a number as the hash', send: byHash({ version: 1, sha256Hash: 12345 }), ...refused(200, 'PERSISTED_QUERY_NOT_FOUND') },
  { name: 'a string for persistedQuery', send: byHash('yes'), ...BAD_BODY },
  { name: 'version as a string', send: byHash({ version: '1', sha256Hash: sha256('x') }), ...BAD_BODY },
  { name: 'version 0', send: byHash({ version: 0, sha256Hash: sha256('x') }), ...BAD_BODY },
  { name: 'no version', send: byHash({ sha256Hash: sha256('x') }), ...BAD_BODY },
  { name: 'persistedQuery null and no query', send: byHash(null), ...BAD_BODY },
  { name: 'extensions as an array', send: () => post(undefined, undefined, acme.reader, { extensions: [{ persistedQuery: { version: 1 } }] }), ...BAD_BODY },
  {
    name: 'a hash of an unparsable document, asked for after registering it failed',
    send: async () => {
      const garbage = '{ viewer { role ';
      const registering = await byHash({ version: 1, sha256Hash: sha256(garbage) }, garbage)();
      expect(registering.body?.errors?.[0]?.extensions?.code, registering.text).toBe('GRAPHQL_PARSE_FAILED');
      return byHash({ version: 1, sha256Hash: sha256(garbage) })();
    },
    ...refused(200, 'PERSISTED_QUERY_NOT_FOUND'),
  },
  {
    name: 'a mutation’s correct hash over GET',
    send: () => {
      const mutation = 'mutation { createTag(input: { name: "apq-get" }) { tag { id } } }';
      return get(`query=${encodeURIComponent(mutation)}&extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(mutation) } }))}`, acme.editor);
    },
    ...refused(405, 'BAD_REQUEST'),
  },
]);

// Persisted-query claims: a hash is checked against the text it came with, whatever it claims.
const claimed = (query: string, hash: string, extra: Record<string, unknown> = {}) => () =>
  post(query, undefined, acme.editor, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, ...extra });
const tagMutation = 'mutation { createTag(input: { name: "claimed" }) { tag { id } } }';
add('persisted-query claims', [
  { name: 'a query document with a mutation’s hash', send: claimed('{ viewer { role } }', sha256(tagMutation)), ...BAD_BODY },
  { name: 'a mutation with a query’s hash', send: claimed(tagMutation, sha256('{ viewer { role } }')), ...BAD_BODY },
  { name: 'a one-operation document with a two-operation document’s hash', send: claimed('query A { viewer { role } }', sha256('query A { viewer { role } } query B { tags { name } }')), ...BAD_BODY },
  { name: 'a document with the hash of itself plus a space', send: claimed('{ viewer { role } }', sha256('{ viewer { role } } ')), ...BAD_BODY },
  { name: 'a document with its hash in upper case', send: claimed('{ viewer { role } }', sha256('{ viewer { role } }').toUpperCase()), ...BAD_BODY },
  { name: 'a document with its hash and a sha256: prefix', send: claimed('{ viewer { role } }', `sha256:${sha256('{ viewer { role } }')}`), ...BAD_BODY },
  { name: 'an empty query with the empty string’s hash', send: claimed('', sha256('')), ...BAD_BODY },
  { name: 'a document with a claimed hash and an operationName it lacks', send: claimed('query A { viewer { role } }', sha256('query A { viewer { role } }'), { operationName: 'B' }), ...refused(400, 'OPERATION_RESOLUTION_FAILURE') },
  {
    name: 'a document with another document’s hash over GET',
    send: () => get(`query=${encodeURIComponent('{ viewer { role } }')}&extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256('{ tags { name } }') } }))}`, acme.reader),
    ...BAD_BODY,
  },
  {
    name: 'an anonymous registration asked for by hash afterwards',
    send: async () => {
      const anonymous = `{ __typename } # anonymous ${'x'.repeat(1_000)}`;
      const registering = await post(anonymous, undefined, undefined, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(anonymous) } } });
      expect(registering.status, registering.text).toBe(200);
      return byHash({ version: 1, sha256Hash: sha256(anonymous) })();
    },
    ...refused(200, 'PERSISTED_QUERY_NOT_FOUND'),
  },
]);

// Operation names: GraphQL names of sane length, refused before anything reads them further.
const named = (operationName: unknown) => () => post('query A { viewer { role } }', undefined, acme.reader, { operationName });
const RESOLUTION = refused(400, 'OPERATION_RESOLUTION_FAILURE');
add('operation names', [
  { name: 'a 900,000-character operationName', send: named('A'.repeat(900_000)), ...RESOLUTION },
  { name: 'a 129-character operationName', send: named(`A${'a'.repeat(128)}`), ...RESOLUTION },
  { name: 'a 128-character operationName the document lacks', send: named(`A${'a'.repeat(127)}`), ...RESOLUTION },
  { name: 'an operationName starting with a digit', send: named('1A'), ...RESOLUTION },
  { name: 'an operationName with a hyphen', send: named('A-B'), ...RESOLUTION },
  { name: 'an operationName with a space', send: named('A B'), ...RESOLUTION },
  { name: 'an operationName in another script', send: named('Ä'), ...RESOLUTION },
  { name: 'an empty operationName', send: named(''), ...RESOLUTION },
  { name: 'an operationName over GET of 10,000 characters', send: () => get(`query=${encodeURIComponent('query A { viewer { role } }')}&operationName=${'A'.repeat(10_000)}`, acme.reader), ...RESOLUTION },
  { name: 'the right operationName', send: named('A'), answered: (data) => expect(data).toEqual({ viewer: { role: 'READER' } }) },
]);

// Header guards, checked before the cache is asked (a hit must be refused like a miss).
const viewerSearch = `query=${encodeURIComponent('{ viewer { role } }')}`;
add('request guards', [
  { name: 'a GET without a CSRF preflight header', send: () => get(viewerSearch, acme.reader, {}), ...BAD_BODY },
  { name: 'a GET with an empty preflight header', send: () => get(viewerSearch, acme.reader, { 'apollo-require-preflight': '' }), ...BAD_BODY },
  { name: 'a GET with a text/plain content type and a preflight header', send: () => get(viewerSearch, acme.reader, { 'apollo-require-preflight': 'true', 'content-type': 'text/plain' }), ...refused(415, 'BAD_REQUEST') },
  { name: 'a GET with a multipart content type', send: () => get(viewerSearch, acme.reader, { 'content-type': 'multipart/form-data; boundary=x' }), ...BAD_BODY },
  { name: 'a GET accepting only images', send: () => get(viewerSearch, acme.reader, { 'apollo-require-preflight': 'true', accept: 'image/png' }), ...refused(406, 'BAD_REQUEST') },
  { name: 'a POST refusing JSON with q=0', send: () => postRaw(viewerBody, { ...jsonHeaders(), accept: 'application/json;q=0, application/graphql-response+json;q=0' }), ...refused(406, 'BAD_REQUEST') },
  { name: 'an Accept header of 5,000 characters', send: () => postRaw(viewerBody, { ...jsonHeaders(), accept: `${'x/y, '.repeat(1_000)}application/json` }), answered: (data) => expect(data).toEqual({ viewer: { role: 'EDITOR' } }) },
  { name: 'the extensions parameter twice', send: () => get(`${viewerSearch}&extensions=%7B%7D&extensions=%7B%7D`, acme.reader), ...BAD_BODY },
  { name: 'the same query parameter twice', send: () => get(`${viewerSearch}&${viewerSearch}`, acme.reader), ...BAD_BODY },
]);

// Authorization headers.
const viewerWith = (authorization: string) => () => postRaw(viewerBody, { 'content-type': 'application/json', authorization });
const badToken = (name: string, authorization: () => string) => ({ name, send: () => viewerWith(authorization())(), ...UNAUTHENTICATED, secrets: () => [authorization().replace(/^\S+\s+/, '')].filter((s) => s.length >= 8) });
add('authorization', [
  { name: '"Bearer" with no token', send: viewerWith('Bearer'), ...UNAUTHENTICATED },
  { name: '"Bearer" and spaces', send: viewerWith('Bearer    '), ...UNAUTHENTICATED },
  badToken('a token followed by another word', () => `Bearer ${acme.reader} extra`),
  badToken('a token one character short', () => `Bearer ${acme.reader.slice(0, -1)}`),
  badToken('a token one character long', () => `Bearer ${acme.reader}x`),
  badToken('a token in upper case', () => `Bearer ${acme.reader.toUpperCase()}`),
  badToken('a 201-character token', () => `Bearer ${'k'.repeat(201)}`),
  badToken('the token under another scheme', () => `Token ${acme.reader}`),
  badToken('the token as Basic credentials', () => `Basic ${Buffer.from(`${acme.reader}:`).toString('base64')}`),
  badToken('two bearer tokens joined with a comma', () => `Bearer ${acme.reader}, Bearer ${acme.editor}`),
  badToken('an unsigned JWT', () => 'Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiZWRpdG9yIiwid29ya3NwYWNlIjoxfQ.'),
  { name: 'Bearer null', send: viewerWith('Bearer null'), ...UNAUTHENTICATED },
  { name: 'Bearer undefined', send: viewerWith('Bearer undefined'), ...UNAUTHENTICATED },
  badToken('SQL without spaces as the token', () => "Bearer '/**/OR/**/1=1--"),
  badToken('a percent-encoded NUL in the token', () => 'Bearer abc%00def'),
  {
    name: 'a garbage Authorization header before a valid one',
    send: () =>
      rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', 'authorization: Bearer garbage-first', `authorization: Bearer ${acme.reader}`, `content-length: ${viewerBody.length}`], viewerBody)),
    ...UNAUTHENTICATED,
  },
  { name: 'a bad token with a mutation', send: () => post('mutation { createTag(input: { name: "bad-token" }) { tag { id } } }', undefined, 'nope'), ...UNAUTHENTICATED },
  { name: 'a bad token on GET', send: () => get(`query=${encodeURIComponent('{ viewer { role } }')}`, 'nope'), ...UNAUTHENTICATED },
  { name: 'a bad token with a persisted hash', send: () => post(undefined, undefined, 'nope', { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('x') } } }), ...UNAUTHENTICATED },
  { name: 'the token in Proxy-Authorization only', send: () => postRaw(viewerBody, { 'content-type': 'application/json', 'proxy-authorization': `Bearer ${acme.reader}` }), ...UNAUTHENTICATED },
  { name: 'the token in a cookie only', send: () => postRaw(viewerBody, { 'content-type': 'application/json', cookie: `token=${acme.reader}` }), ...UNAUTHENTICATED },
  { name: 'the token in the query string only', send: () => send(`/graphql?access_token=${acme.reader}&query=${encodeURIComponent('{ viewer { role } }')}`, { headers: { 'apollo-require-preflight': 'true' } }), ...UNAUTHENTICATED },
  { name: 'a rival’s reader token for a mutation', send: () => post('mutation { createTag(input: { name: "rival-reader" }) { tag { id } } }', undefined, rival.reader), ...refused(403, 'FORBIDDEN') },
  { name: 'a reader token to delete', send: () => post('mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }', { id: ids.target }, acme.reader), ...refused(403, 'FORBIDDEN') },
]);

// Credential spellings and lifetimes: the one reading of the Authorization header
// (src/auth/authorization-header.ts) accepts "Bearer" in any case with any number of spaces and
// nothing else, bounds the header at 1,024 characters, checks the token's form before any lookup,
// and refuses revoked and expired tokens; every 401 carries its Bearer challenge.
const spelled = (authorization: () => string) => async () => {
  const response = await server.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: authorization() },
    body: viewerBody,
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  if (response.status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  return reply(response.status, response.headers.get('content-type'), await response.text());
};
const servedAsReader = { answered: (answer: any) => expect(answer).toEqual({ viewer: { role: 'READER' } }) };
const refusedSpelling = (name: string, authorization: () => string) => ({ name, send: spelled(authorization), ...UNAUTHENTICATED });
/** A token of this workspace in a state no request may use: made on first use, then kept. */
const lifetimes: Record<string, Promise<string>> = {};
const tokenIn = (state: 'revoked' | 'expired') =>
  (lifetimes[state] ??= (async () => {
    if (state === 'expired') return issueToken(server.db, 'corpus', 'reader', { expiresAt: new Date(Date.now() - 60_000) });
    const token = await issueToken(server.db, 'corpus', 'reader');
    const report = await revokeToken(server.database, token, createLogger('silent'), 5_000);
    expect(report).toMatchObject({ outcome: 'revoked', unconfirmed: 0 });
    return token;
  })());
const unusable = (name: string, state: 'revoked' | 'expired', decorate: (token: string) => string = (token) => `Bearer ${token}`) => {
  let sent = '';
  return {
    name,
    send: async () => {
      sent = decorate(await tokenIn(state));
      return spelled(() => sent)();
    },
    ...UNAUTHENTICATED,
    secrets: () => [sent.replace(/^\S+\s+/, '')],
  };
};
add('credential spellings and lifetimes', [
  { name: 'the scheme in lower case', send: spelled(() => `bearer ${acme.reader}`), ...servedAsReader },
  { name: 'the scheme in upper case', send: spelled(() => `BEARER ${acme.reader}`), ...servedAsReader },
  { name: 'the scheme in mixed case with five spaces', send: spelled(() => `bEaReR     ${acme.reader}`), ...servedAsReader },
  { name: 'spaces up to just under the bound', send: spelled(() => `Bearer ${' '.repeat(1_024 - 7 - acme.reader.length)}${acme.reader}`), ...servedAsReader },
  refusedSpelling('spaces one past the bound', () => `Bearer ${' '.repeat(1_025 - 7 - acme.reader.length)}${acme.reader}`),
  refusedSpelling('"Bearer" and 12,000 spaces before the token', () => `Bearer${' '.repeat(12_000)}${acme.reader}`),
  refusedSpelling('"Bearer" and 12,000 spaces, no token', () => `Bearer${' '.repeat(12_000)}`),
  refusedSpelling('a 15 KB header of one repeated letter', () => `Bearer ${'k'.repeat(15_000)}`),
  refusedSpelling('a tab between scheme and token', () => `Bearer\t${acme.reader}`),
  refusedSpelling('spaces and a tab between scheme and token', () => `Bearer  \t  ${acme.reader}`),
  refusedSpelling('a no-break space between scheme and token', () => `Bearer\u00a0${acme.reader}`),
  refusedSpelling('no space between scheme and token', () => `Bearer${acme.reader}`),
  refusedSpelling('a scheme with a trailing letter', () => `Bearers ${acme.reader}`),
  refusedSpelling('a scheme abbreviated', () => `Bear ${acme.reader}`),
  refusedSpelling('the scheme twice', () => `Bearer Bearer ${acme.reader}`),
  refusedSpelling('the token prefix in upper case', () => `Bearer CF_${acme.reader.slice(3)}`),
  refusedSpelling('the token without its prefix', () => `Bearer ${acme.reader.slice(3)}`),
  refusedSpelling('the token one character short', () => `Bearer ${acme.reader.slice(0, -1)}`),
  refusedSpelling('the token with base64 padding', () => `Bearer ${acme.reader}=`),
  refusedSpelling('the token in standard base64 letters', () => `Bearer cf_${'+/'.repeat(21)}+`),
  refusedSpelling('the token quoted', () => `Bearer "${acme.reader}"`),
  refusedSpelling('the token as an auth-param', () => `Bearer token=${acme.reader}`),
  refusedSpelling('the token followed by a tab and text', () => `Bearer ${acme.reader}\tx`),
  refusedSpelling('the token with a percent-encoded space', () => `Bearer%20${acme.reader}`),
  refusedSpelling('a made-up token of the right form', () => `Bearer cf_${'A'.repeat(43)}`),
  unusable('a revoked token', 'revoked'),
  unusable('a revoked token in another spelling', 'revoked', (token) => `BEARER   ${token}`),
  unusable('an expired token', 'expired'),
  unusable('an expired token in another spelling', 'expired', (token) => `bearer ${token}`),
]);

// Duplicate and conflicting parameters.
add('conflicting parameters', [
  {
    name: 'two query parameters, the first a mutation',
    send: () => get(`${mutationDocument('mutation { createTag(input: { name: "dup" }) { tag { id } } }')}&query=${encodeURIComponent('{ viewer { role } }')}`, acme.editor),
    ...BAD_BODY,
  },
  {
    name: 'two variables parameters, the first not JSON',
    send: () => get(`query=${encodeURIComponent('query ($n: Int) { contacts(first: $n) { totalCount } }')}&variables=%7B&variables=%7B%22n%22%3A1%7D`, acme.reader),
    ...BAD_BODY,
  },
  {
    name: 'two operationName parameters, the first naming nothing',
    send: () => get(`query=${encodeURIComponent('query A { viewer { role } }')}&operationName=Z&operationName=A`, acme.reader),
    ...BAD_BODY,
  },
  { name: 'a duplicate "query" key whose last value is not a string', send: () => postRaw('{"query":"{ viewer { role } }","query":42}', jsonHeaders()), ...BAD_BODY },
  {
    name: 'a duplicate "operationName" key naming nothing last',
    send: () => postRaw('{"query":"query A { viewer { role } }","operationName":"A","operationName":"B"}', jsonHeaders()),
    ...refused(400, 'OPERATION_RESOLUTION_FAILURE'),
  },
  { name: 'a duplicate "variables" key whose last value is an array', send: () => postRaw('{"query":"{ viewer { role } }","variables":{},"variables":[]}', jsonHeaders()), ...BAD_BODY },
  {
    name: 'a query in the URL and an empty JSON body',
    send: () => send(`/graphql?query=${encodeURIComponent('{ viewer { role } }')}`, { method: 'POST', headers: jsonHeaders(), body: '{}' }),
    ...BAD_BODY,
  },
  {
    name: 'two Content-Type headers, text/plain first',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: text/plain', 'content-type: application/json', `authorization: Bearer ${acme.reader}`, `content-length: ${viewerBody.length}`], viewerBody)),
    ...BAD_BODY,
  },
  {
    name: 'two different Content-Length headers',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', `content-length: ${viewerBody.length}`, 'content-length: 5'], viewerBody)),
    ...BAD_BODY,
  },
  {
    name: 'Content-Length together with chunked Transfer-Encoding',
    send: () =>
      rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', 'content-length: 5', 'transfer-encoding: chunked'], `${viewerBody.length.toString(16)}\r\n${viewerBody}\r\n0\r\n\r\n`)),
    ...BAD_BODY,
  },
  {
    name: 'a chunk size that is not hexadecimal',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', 'transfer-encoding: chunked'], `zz\r\n${viewerBody}\r\n0\r\n\r\n`)),
    ...BAD_BODY,
  },
  {
    name: 'a Content-Length shorter than the body',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', `authorization: Bearer ${acme.reader}`, 'content-length: 10'], viewerBody)),
    ...BAD_BODY,
  },
  {
    name: 'a Content-Length longer than the body, then the client stops sending',
    send: () => rawExchange(rawRequest('POST /graphql HTTP/1.1', ['content-type: application/json', `authorization: Bearer ${acme.reader}`, 'content-length: 500'], viewerBody), { halfClose: true }),
    ...BAD_BODY,
  },
]);

// HTTP methods, paths and request lines.
const raw = (requestLine: string, headers: string[] = [], body = '') => () => rawExchange(rawRequest(requestLine, [...headers, ...(body ? [`content-length: ${Buffer.byteLength(body)}`] : [])], body));
add('HTTP methods and request lines', [
  { name: 'DELETE /graphql', send: () => send('/graphql', { method: 'DELETE', headers: jsonHeaders(), body: viewerBody }), ...refused(405, 'BAD_REQUEST') },
  { name: 'PATCH /graphql', send: () => send('/graphql', { method: 'PATCH', headers: jsonHeaders(), body: viewerBody }), ...refused(405, 'BAD_REQUEST') },
  { name: 'OPTIONS /graphql', send: () => send('/graphql', { method: 'OPTIONS', headers: jsonHeaders() }), ...refused(405, 'BAD_REQUEST') },
  { name: 'HEAD /graphql with a query', send: () => send(`/graphql?query=${encodeURIComponent('{ viewer { role } }')}`, { method: 'HEAD', headers: { ...bearer(acme.reader), 'apollo-require-preflight': 'true' } }), status: 405, bare: true },
  // Refused by Apollo's CSRF check first: a TRACE carries no content type or preflight header.
  { name: 'TRACE /graphql', send: raw('TRACE /graphql HTTP/1.1'), ...BAD_BODY },
  { name: 'PROPFIND /graphql', send: raw('PROPFIND /graphql HTTP/1.1', ['content-type: application/json'], viewerBody), ...refused(405, 'BAD_REQUEST') },
  { name: 'CONNECT to the API', send: raw('CONNECT 127.0.0.1:443 HTTP/1.1'), ...refused(405, 'METHOD_NOT_ALLOWED') },
  { name: 'an unknown method', send: raw('BREW /graphql HTTP/1.1'), ...BAD_BODY },
  { name: 'a lower-case method', send: raw('post /graphql HTTP/1.1', ['content-type: application/json'], viewerBody), ...BAD_BODY },
  { name: 'an HTTP/2 preface', send: () => rawExchange('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), ...BAD_BODY },
  { name: 'an HTTP/0.9 request line', send: () => rawExchange('GET /graphql\r\n\r\n'), ...BAD_BODY },
  { name: 'an unknown HTTP version', send: () => rawExchange('GET /graphql HTTP/7.5\r\nhost: x\r\nconnection: close\r\n\r\n'), ...BAD_BODY },
  { name: 'a request line with extra parts', send: () => rawExchange('GET /graphql HTTP/1.1 extra\r\nhost: x\r\nconnection: close\r\n\r\n'), ...BAD_BODY },
  { name: 'a header line without a colon', send: raw('GET /graphql HTTP/1.1', ['no colon here']), ...BAD_BODY },
  { name: 'a header folded over two lines', send: raw('POST /graphql HTTP/1.1', ['content-type: application/json', 'x-folded: one', ' two'], viewerBody), ...BAD_BODY },
  { name: 'a negative Content-Length', send: raw('POST /graphql HTTP/1.1', ['content-type: application/json', 'content-length: -1']), ...BAD_BODY },
  { name: 'a Content-Length of 20 digits', send: raw('POST /graphql HTTP/1.1', ['content-type: application/json', 'content-length: 99999999999999999999']), ...BAD_BODY },
  { name: 'a gzip Transfer-Encoding', send: raw('POST /graphql HTTP/1.1', ['content-type: application/json', 'transfer-encoding: gzip']), ...BAD_BODY },
  { name: 'an Expect header other than 100-continue', send: raw('POST /graphql HTTP/1.1', ['content-type: application/json', 'expect: 200-ok'], viewerBody), status: 417, bare: true },
  { name: 'an absolute URL for another host', send: raw(`GET http://evil.example/graphql?query=${encodeURIComponent('{ viewer { role } }')} HTTP/1.1`, ['apollo-require-preflight: true']), ...refused(404, 'NOT_FOUND') },
  { name: 'OPTIONS *', send: raw('OPTIONS * HTTP/1.1'), ...refused(405, 'METHOD_NOT_ALLOWED') },
  { name: 'POST /graphql/ (a trailing slash)', send: () => send('/graphql/', { method: 'POST', headers: jsonHeaders(), body: viewerBody }), ...refused(405, 'METHOD_NOT_ALLOWED') },
  { name: 'GET /GraphQL', send: () => send('/GraphQL?query=%7B%20viewer%20%7B%20role%20%7D%20%7D'), ...refused(404, 'NOT_FOUND') },
  { name: 'GET /graphql;jsessionid=1', send: raw('GET /graphql;jsessionid=1?query=x HTTP/1.1'), ...refused(404, 'NOT_FOUND') },
  { name: 'GET //graphql', send: raw('GET //graphql?query=x HTTP/1.1'), ...refused(404, 'NOT_FOUND') },
  { name: 'GET /graphql%00', send: raw('GET /graphql%00 HTTP/1.1'), ...refused(404, 'NOT_FOUND') },
  { name: 'GET /graphql/../metrics', send: raw('GET /graphql/../metrics HTTP/1.1'), ...refused(404, 'NOT_FOUND') },
  { name: 'GET /%67raphql (the path percent-encoded)', send: raw('GET /%67raphql?query=x HTTP/1.1'), ...refused(404, 'NOT_FOUND') },
  { name: 'POST /healthz', send: () => send('/healthz', { method: 'POST', headers: jsonHeaders(), body: viewerBody }), ...refused(405, 'METHOD_NOT_ALLOWED') },
  { name: 'a WebSocket upgrade', send: raw('GET /graphql HTTP/1.1', ['upgrade: websocket', 'connection: upgrade', 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version: 13']), ...BAD_BODY },
]);

// =============================================================================================
// Browser-facing requests: CORS preflights and cross-site calls, conditional GETs, and web-vitals
// batches with forged origins, hosts and addresses. Sent to a server of their own, which allows
// one other origin (CORS_ORIGINS) and takes web vitals from any origin at a tight, frozen rate,
// and to the corpus server (same origin only). A refusal to an origin not listed carries no CORS
// header at all; after each case both servers must still answer.

const LISTED_ORIGIN = 'https://app.example.com';
const FOREIGN_ORIGIN = 'https://evil.example';
let browserFacing: TestServer;

beforeAll(async () => {
  browserFacing = await startTestServer(
    { CORS_ORIGINS: LISTED_ORIGIN, RUM_ALLOWED_ORIGINS: '*', RUM_RATE_PER_SECOND: '1', RUM_RATE_BURST: '3' },
    // A frozen clock: the web-vitals buckets never refill during the corpus.
    { database: server.database, now: () => 1_700_000_000_000 },
  );
});

afterAll(() => browserFacing?.close());

/** Sends to the browser-facing server; checks what no origin outside the list may get, and that it still serves. */
async function sendBrowserFacing(path: string, init: RequestInit, { listed }: { listed: boolean }): Promise<Reply> {
  const response = await browserFacing.request(path, { ...init, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  if (!listed) for (const [name] of response.headers) expect(name.startsWith('access-control-'), `${name} sent to an origin not listed`).toBe(false);
  const answer = reply(response.status, response.headers.get('content-type'), await response.text());
  const check = await browserFacing.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(acme.reader) },
    body: JSON.stringify({ query: '{ viewer { role } }' }),
  });
  expect(await check.json()).toEqual({ data: { viewer: { role: 'READER' } } });
  return answer;
}

const preflightFrom = (origin: string, method = 'POST', requestHeaders = 'authorization, content-type', listed = false) => () =>
  sendBrowserFacing('/graphql', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders } }, { listed });
const FORBIDDEN = refused(403, 'FORBIDDEN');
const CSRF = refused(400, 'BAD_REQUEST');
/** A published query's persisted GET from the listed origin, with the headers given. */
const conditionalGet = (headers: Record<string, string>) => () =>
  sendBrowserFacing(persistedQueryUrl('', 'Viewer', {}), { headers: { origin: LISTED_ORIGIN, 'apollo-require-preflight': 'true', ...bearer(acme.reader), ...headers } }, { listed: true });
// The viewer, not a list: stored names (earlier cases store injection-looking ones) would trip the leak check.
const isReader = (data: any) => expect(data.viewer.role).toBe('READER');

add('cross-origin calls and revalidation', [
  { name: 'a preflight from an origin not listed', send: preflightFrom(FOREIGN_ORIGIN), ...FORBIDDEN },
  { name: 'a preflight from Origin: null (a sandboxed frame, a file)', send: preflightFrom('null'), ...FORBIDDEN },
  { name: 'a preflight from the listed origin in upper case', send: preflightFrom(LISTED_ORIGIN.toUpperCase()), ...FORBIDDEN },
  { name: 'a preflight from the listed origin with a trailing slash', send: preflightFrom(`${LISTED_ORIGIN}/`), ...FORBIDDEN },
  { name: 'a preflight from the listed origin with its default port spelled out', send: preflightFrom(`${LISTED_ORIGIN}:443`), ...FORBIDDEN },
  { name: 'a preflight from the listed origin over http', send: preflightFrom(LISTED_ORIGIN.replace('https:', 'http:')), ...FORBIDDEN },
  { name: 'a preflight from a host that starts with the listed one', send: preflightFrom(`${LISTED_ORIGIN}.evil.example`), ...FORBIDDEN },
  { name: 'a preflight naming the listed origin and another in one header', send: preflightFrom(`${LISTED_ORIGIN}, ${FOREIGN_ORIGIN}`), ...FORBIDDEN },
  { name: 'a preflight with an 8 KB Origin', send: preflightFrom(`https://${'a'.repeat(8_000)}.example`), ...FORBIDDEN },
  { name: 'a preflight with an Origin past the header limit', send: preflightFrom(`https://${'a'.repeat(20_000)}.example`), status: 431, code: 'BAD_REQUEST' },
  { name: 'a preflight of the listed origin asking for PUT', send: preflightFrom(LISTED_ORIGIN, 'PUT', 'x-http-method-override', true), status: 204, bare: true },
  {
    name: 'a preflight of the listed origin asking for 2,000 request headers',
    send: preflightFrom(LISTED_ORIGIN, 'POST', Array.from({ length: 2_000 }, (_, n) => `x-h${n}`).join(','), true),
    status: 204,
    bare: true,
  },
  // Not a preflight: it goes on to Apollo, whose CSRF check refuses it first.
  { name: 'an OPTIONS of the listed origin that asks for no method', send: () => sendBrowserFacing('/graphql', { method: 'OPTIONS', headers: { origin: LISTED_ORIGIN } }, { listed: true }), ...CSRF },
  { name: 'a simple GET from an origin not listed', send: () => sendBrowserFacing(`/graphql?${viewerSearch}`, { headers: { origin: FOREIGN_ORIGIN } }, { listed: false }), ...CSRF },
  { name: 'a simple GET from the listed origin', send: () => sendBrowserFacing(`/graphql?${viewerSearch}`, { headers: { origin: LISTED_ORIGIN } }, { listed: true }), ...CSRF },
  {
    name: 'a cross-site GET with an empty apollo-require-preflight',
    send: () => sendBrowserFacing(`/graphql?${viewerSearch}`, { headers: { origin: FOREIGN_ORIGIN, 'apollo-require-preflight': '' } }, { listed: false }),
    ...CSRF,
  },
  {
    name: 'a cross-site GET declaring text/plain',
    send: () => sendBrowserFacing(`/graphql?${viewerSearch}`, { headers: { origin: FOREIGN_ORIGIN, 'content-type': 'text/plain' } }, { listed: false }),
    ...CSRF,
  },
  {
    name: 'a cross-site form POST (urlencoded) with a token',
    send: () =>
      sendBrowserFacing('/graphql', { method: 'POST', headers: { origin: FOREIGN_ORIGIN, 'content-type': 'application/x-www-form-urlencoded', ...bearer(acme.editor) }, body: viewerSearch }, { listed: false }),
    ...CSRF,
  },
  {
    name: 'a cross-site multipart POST',
    send: () => {
      const form = new FormData();
      form.set('query', 'mutation { createTag(input: { name: "csrf" }) { tag { id } } }');
      return sendBrowserFacing('/graphql', { method: 'POST', headers: { origin: FOREIGN_ORIGIN, ...bearer(acme.editor) }, body: form }, { listed: false });
    },
    ...CSRF,
  },
  { name: 'a conditional GET with If-None-Match: *', send: conditionalGet({ 'if-none-match': '*' }), status: 304, bare: true },
  { name: 'a conditional GET with 300 made-up ETags', send: conditionalGet({ 'if-none-match': Array.from({ length: 300 }, (_, n) => `"etag-${n}"`).join(', ') }), answered: isReader },
  { name: 'a conditional GET with an If-None-Match of commas alone', send: conditionalGet({ 'if-none-match': ',,, ,' }), answered: isReader },
  { name: 'a conditional GET with an unquoted, weak and empty ETag', send: conditionalGet({ 'if-none-match': 'W/, "", unquoted' }), answered: isReader },
  { name: 'a conditional GET with If-Modified-Since in the future', send: conditionalGet({ 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }), answered: isReader },
  { name: 'a GET asking for no cache (Cache-Control, Pragma)', send: conditionalGet({ 'cache-control': 'no-cache, max-age=0', pragma: 'no-cache' }), answered: isReader },
]);

/** A web-vitals batch as raw bytes on the corpus server: Host, Origin and the rest exactly as given. */
const rawBatch = (headers: string[], method = 'POST') => () => {
  const body = JSON.stringify([{ name: 'LCP', value: 1200 }]);
  const head = [`${method} /rum HTTP/1.1`, 'connection: close', 'content-type: text/plain', `content-length: ${Buffer.byteLength(body)}`, ...headers].join('\r\n');
  return rawExchange(`${head}\r\n\r\n${body}`);
};
const ownOrigin = () => new URL(server.url).origin;

/** Batches from one address, each naming a new Origin (and a new X-Forwarded-For, which no proxy vouches for): the last answer. */
async function floodOfOrigins(prefix: string): Promise<Reply> {
  let last!: Reply;
  for (let n = 0; n < 8; n++) {
    last = await sendBrowserFacing(
      '/rum',
      { method: 'POST', headers: { 'content-type': 'text/plain', origin: `https://${prefix}-${n}.example`, 'x-forwarded-for': `203.0.113.${n}` }, body: JSON.stringify([{ name: 'CLS', value: 0.01 }]) },
      { listed: true },
    );
  }
  return last;
}

add('web-vitals origins and rates', [
  { name: 'a batch from another origin with Host forged to match it', send: rawBatch(['host: evil.example', `origin: ${FOREIGN_ORIGIN}`]), ...FORBIDDEN },
  { name: 'a batch from another origin with Sec-Fetch-Site forged to same-origin', send: rawBatch(['host: 127.0.0.1', `origin: ${FOREIGN_ORIGIN}`, 'sec-fetch-site: same-origin']), ...FORBIDDEN },
  { name: 'a preflight from another origin with Host forged to match it', send: rawBatch(['host: evil.example', `origin: ${FOREIGN_ORIGIN}`, 'access-control-request-method: POST'], 'OPTIONS'), ...FORBIDDEN },
  { name: 'a batch from Origin: null', send: rawBatch(['host: 127.0.0.1', 'origin: null']), ...FORBIDDEN },
  { name: "a batch from the server's own origin in upper case", send: () => rawBatch(['host: 127.0.0.1', `origin: ${ownOrigin().toUpperCase()}`])(), ...FORBIDDEN },
  { name: "a batch from the server's own origin with a path", send: () => rawBatch(['host: 127.0.0.1', `origin: ${ownOrigin()}/status`])(), ...FORBIDDEN },
  { name: 'a batch with an 8 KB Origin', send: rawBatch(['host: 127.0.0.1', `origin: https://${'o'.repeat(8_000)}.example`]), ...FORBIDDEN },
  { name: 'batches from one address, each with a new Origin', send: () => floodOfOrigins('rotating'), ...refused(429, 'RATE_LIMITED') },
  { name: 'batches from one address, each with a new 250-character Origin', send: () => floodOfOrigins('x'.repeat(230)), ...refused(429, 'RATE_LIMITED') },
]);

// ---------------------------------------------------------------------------------------------

describe('the bad-input corpus', () => {
  it('is large, named uniquely and covers every category', () => {
    const names = corpus.map((item) => `${item.category}: ${item.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const counts = new Map<string, number>();
    for (const item of corpus) counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
    for (const count of counts.values()) expect(count).toBeGreaterThanOrEqual(5);
  });

  const categories = [...new Set(corpus.map((item) => item.category))];
  for (const category of categories) {
    describe(category, () => {
      for (const item of corpus.filter((candidate) => candidate.category === category)) {
        it(item.name, async () => {
          expectAnswerHeldTo(await item.send(), item);
          await expectStillServing();
        });
      }
    });
  }
});

// =============================================================================================
// Bodies in transit: compressed bodies (every coding, stacked, unknown, malformed, corrupt, bombs),
// bodies and headers that stall or trickle, and clients that go away mid-body. The encodings go
// to the corpus's server, with its default bounds; stalls to a second server over the same
// database whose deadlines are half a second. An abandoned body gets no answer: what is held to
// account there is what the server counted (an abort, no 5xx, no unexpected error).
// tests/request-encoding.test.ts, tests/body-bounds.test.ts and tests/client-aborts.test.ts hold
// the hand-written cases.

describe('the bad-input corpus: bodies in transit', () => {
  // The codes these answers carry, besides those the corpus knows.
  for (const code of ['REQUEST_TIMEOUT', 'UNSUPPORTED_MEDIA_TYPE']) knownCodes.add(code);

  let hurried: TestServer;
  beforeAll(async () => {
    hurried = await startTestServer({ BODY_READ_TIMEOUT_MS: '500', HEADERS_TIMEOUT_MS: '500', WARM_WORKSPACES: '0' }, { database: server.database });
  });
  afterAll(() => hurried?.close());

  interface TransitCase {
    name: string;
    send: () => Promise<Reply>;
    status?: number;
    code?: string;
    answered?: (data: any) => void;
  }

  const viewer = Buffer.from(viewerBody);
  const readerHeaders = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...bearer(acme.reader), ...extra });
  const encoded = (encoding: string, body: Buffer) => () => postRaw(body, readerHeaders({ 'content-encoding': encoding }));
  const isReader = (data: any) => expect(data).toEqual({ viewer: { role: 'READER' } });
  const gzipped = zlib.gzipSync(viewer);
  const zeros = Buffer.alloc(100_000_000);
  const bombs = {
    gzip: zlib.gzipSync(zeros),
    deflate: zlib.deflateSync(zeros),
    br: zlib.brotliCompressSync(zeros, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }),
  };
  // Noise does not compress: over MAX_BODY_BYTES (1 MB) as sent, before any decoding.
  const noise = Buffer.from(Array.from({ length: 1_200_000 }, (_, index) => (index * 2_654_435_761) >>> 24));
  /** A raw POST whose head and bytes are sent as they are, on a connection closed after the answer. */
  const rawPost = (path: string, headers: () => string[], body: Buffer | string) => () =>
    rawExchange(rawRequest(`POST ${path} HTTP/1.1`, [...headers(), `content-length: ${Buffer.byteLength(body)}`], body));

  const cases: TransitCase[] = [
    // Codings read as the plain body.
    ...['gzip', 'GZIP', 'x-gzip', 'deflate', 'br', 'identity', 'gzip, identity', ''].map((encoding) => ({
      name: `a body in Content-Encoding "${encoding}"`,
      send: encoded(
        encoding,
        /gzip/i.test(encoding) ? gzipped : encoding === 'deflate' ? zlib.deflateSync(viewer) : encoding === 'br' ? zlib.brotliCompressSync(viewer) : viewer,
      ),
      answered: isReader,
    })),
    {
      name: 'a gzip body sent chunked',
      send: () =>
        rawExchange(
          rawRequest(
            'POST /graphql HTTP/1.1',
            ['content-type: application/json', `authorization: Bearer ${acme.reader}`, 'content-encoding: gzip', 'transfer-encoding: chunked'],
            Buffer.concat([Buffer.from(`${gzipped.length.toString(16)}\r\n`), gzipped, Buffer.from('\r\n0\r\n\r\n')]),
          ),
        ),
      answered: isReader,
    },
    // Codings not read here.
    ...['compress', 'x-compress', 'zstd', 'aes128gcm', '*', 'exi', 'pack200-gzip'].map((encoding) => ({
      name: `an unknown coding: ${encoding}`,
      send: encoded(encoding, gzipped),
      ...refused(415, 'UNSUPPORTED_MEDIA_TYPE'),
    })),
    ...['gzip, gzip', 'gzip, br', 'br,deflate', 'identity, gzip, deflate'].map((encoding) => ({
      name: `stacked codings: ${encoding}`,
      send: encoded(encoding, zlib.gzipSync(gzipped)),
      ...refused(415, 'UNSUPPORTED_MEDIA_TYPE'),
    })),
    {
      name: 'two Content-Encoding headers',
      send: rawPost('/graphql', () => ['content-type: application/json', `authorization: Bearer ${acme.reader}`, 'content-encoding: gzip', 'content-encoding: gzip'], zlib.gzipSync(gzipped)),
      ...refused(415, 'UNSUPPORTED_MEDIA_TYPE'),
    },
    { name: 'an unknown coding on a beacon to /rum', send: () => send('/rum', { method: 'POST', headers: { 'content-type': 'text/plain', 'content-encoding': 'zstd' }, body: '[]' }), ...refused(415, 'UNSUPPORTED_MEDIA_TYPE') },
    ...['gzip;q=1', 'g zip', 'gzip,', ',', '"gzip"', 'gzip/1.0', 'gz\u00efp'].map((encoding) => ({
      name: `a malformed Content-Encoding: ${JSON.stringify(encoding)}`,
      send: rawPost('/graphql', () => ['content-type: application/json', `authorization: Bearer ${acme.reader}`, `content-encoding: ${encoding}`], gzipped),
      ...BAD_BODY,
    })),
    // Data that does not decode, or decodes to what is no request.
    { name: 'plain JSON labelled gzip', send: encoded('gzip', viewer), ...BAD_BODY },
    { name: 'plain JSON labelled br', send: encoded('br', viewer), ...BAD_BODY },
    { name: 'gzip cut short', send: encoded('gzip', gzipped.subarray(0, gzipped.length - 12)), ...BAD_BODY },
    { name: 'gzip with only its header', send: encoded('gzip', gzipped.subarray(0, 10)), ...BAD_BODY },
    { name: 'gzip with a wrong checksum', send: encoded('gzip', Buffer.concat([gzipped.subarray(0, -8), Buffer.alloc(4), gzipped.subarray(-4)])), ...BAD_BODY },
    { name: 'gzip with a wrong length', send: encoded('gzip', Buffer.concat([gzipped.subarray(0, -4), Buffer.from([1, 2, 3, 4])])), ...BAD_BODY },
    { name: 'raw deflate without the zlib wrapper', send: encoded('deflate', zlib.deflateRawSync(viewer)), ...BAD_BODY },
    { name: 'gzip labelled deflate', send: encoded('deflate', gzipped), ...BAD_BODY },
    { name: 'gzip labelled br', send: encoded('br', gzipped), ...BAD_BODY },
    { name: 'an empty body labelled gzip', send: encoded('gzip', Buffer.alloc(0)), ...BAD_BODY },
    { name: 'gzip of invalid UTF-8', send: encoded('gzip', zlib.gzipSync(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))), ...BAD_BODY },
    { name: 'gzip of a batch', send: encoded('gzip', zlib.gzipSync(Buffer.from(`[${viewerBody}]`))), ...BAD_BODY },
    { name: 'gzip of gzip labelled once', send: encoded('gzip', zlib.gzipSync(gzipped)), ...BAD_BODY },
    // Bombs: stopped once the decoded bytes pass MAX_BODY_BYTES.
    ...Object.entries(bombs).map(([encoding, bomb]) => ({ name: `a ${encoding} bomb (100 MB decoded)`, send: encoded(encoding, bomb), ...TOO_LARGE })),
    { name: 'a gzip bomb of JSON whitespace', send: encoded('gzip', zlib.gzipSync(Buffer.concat([viewer.subarray(0, -1), Buffer.alloc(5_000_000, ' '), Buffer.from('}')]))), ...TOO_LARGE },
    { name: 'a gzip bomb sent chunked', send: () =>
        rawExchange(
          rawRequest(
            'POST /graphql HTTP/1.1',
            ['content-type: application/json', 'content-encoding: gzip', 'transfer-encoding: chunked'],
            Buffer.concat([Buffer.from(`${bombs.gzip.length.toString(16)}\r\n`), bombs.gzip, Buffer.from('\r\n0\r\n\r\n')]),
          ),
        ),
      ...TOO_LARGE },
    { name: 'a br bomb to /rum', send: () => send('/rum', { method: 'POST', headers: { 'content-type': 'text/plain', 'content-encoding': 'br' }, body: bombs.br }), ...TOO_LARGE },
    { name: 'a compressed body over the cap as sent', send: encoded('gzip', zlib.gzipSync(noise, { level: 0 })), ...TOO_LARGE },
    // Stalls and trickles, cut at the second server's deadlines.
    ...(
      [
        ['a body that never starts', () => requestHead('POST', '/graphql', readerHeaders(), 100)],
        ['a body that stops halfway', () => requestHead('POST', '/graphql', readerHeaders(), 100) + viewerBody.slice(0, 20)],
        ['a body one byte short', () => requestHead('POST', '/graphql', readerHeaders(), viewerBody.length + 1) + viewerBody],
        ['a chunked body that stops mid-chunk', () => `${requestHead('POST', '/graphql', readerHeaders({ 'transfer-encoding': 'chunked' }))}64\r\n${viewerBody.slice(0, 20)}`],
        [
          'a chunked body without its last chunk',
          () => `${requestHead('POST', '/graphql', readerHeaders({ 'transfer-encoding': 'chunked' }))}${viewerBody.length.toString(16)}\r\n${viewerBody}\r\n`,
        ],
        ['a body after Expect: 100-continue that never comes', () => requestHead('POST', '/graphql', readerHeaders({ expect: '100-continue' }), viewerBody.length)],
        ['a beacon to /rum that stops halfway', () => requestHead('POST', '/rum', { 'content-type': 'text/plain' }, 100) + '[{"name":'],
      ] as const
    ).map(([name, bytes]) => ({ name, send: () => openSlowClient(hurried.url, bytes()).then((client) => client.closed), ...refused(408, 'REQUEST_TIMEOUT') })),
    {
      name: 'a gzip body that stops halfway',
      send: () =>
        openSlowClient(hurried.url, Buffer.concat([Buffer.from(requestHead('POST', '/graphql', readerHeaders({ 'content-encoding': 'gzip' }), gzipped.length)), gzipped.subarray(0, 15)])).then(
          (client) => client.closed,
        ),
      ...refused(408, 'REQUEST_TIMEOUT'),
    },
    {
      name: 'a body that trickles a byte at a time',
      send: async () => {
        const body = viewerBody + ' '.repeat(2_000);
        const client = await openSlowClient(hurried.url, requestHead('POST', '/graphql', readerHeaders(), body.length));
        let sent = 0;
        const drip = setInterval(() => sent < body.length - 1 && client.write(body[sent++]!), 20);
        try {
          return await client.closed;
        } finally {
          clearInterval(drip);
        }
      },
      ...refused(408, 'REQUEST_TIMEOUT'),
    },
    ...(
      [
        ['headers that stop mid-line', 'POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-ty'],
        ['a request line without headers', 'GET /graphql HTTP/1.1\r\n'],
        ['headers without their closing blank line', 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n'],
      ] as const
    ).map(([name, bytes]) => ({ name, send: () => openSlowClient(hurried.url, bytes).then((client) => client.closed), ...refused(408, 'REQUEST_TIMEOUT') })),
  ];

  for (const item of cases) {
    it(item.name, async () => {
      const answer = await item.send();
      expectAnswerHeldTo(answer, item);
      await expectStillServing();
      expect(await counter(server, 'cardfile_http_body_bytes_in_flight')).toBe(0);
    });
  }

  // Clients that go away mid-body: nothing to answer; counted as aborts, never as server errors.
  const abandoned: Array<[string, string, (length: number) => string | Buffer, Record<string, string>]> = [
    ['after its headers', '/graphql', () => '', {}],
    ['halfway through a sized body', '/graphql', (length) => 'x'.repeat(length / 2), {}],
    ['halfway through a chunked body', '/graphql', (length) => `${length.toString(16)}\r\n${'x'.repeat(length / 2)}`, { 'transfer-encoding': 'chunked' }],
    ['halfway through a gzip body', '/graphql', () => zlib.gzipSync(Buffer.alloc(50_000, ' ')).subarray(0, 40), { 'content-encoding': 'gzip' }],
    ['halfway through a beacon to /rum', '/rum', (length) => 'x'.repeat(length / 2), { 'content-type': 'text/plain' }],
  ];
  for (const [name, path, part, extra] of abandoned) {
    it(`a client that goes away ${name}`, async () => {
      const length = 8_000;
      const aborts = await counter(server, 'cardfile_http_client_aborts_total');
      const head = requestHead('POST', path, readerHeaders(extra), extra['transfer-encoding'] ? undefined : length);
      const client = await openSlowClient(server.url, Buffer.concat([Buffer.from(head), Buffer.from(part(length))]));
      await waitFor('the server to read the body', () => counter(server, 'cardfile_http_body_bytes_in_flight'), (bytes) => bytes > 0);
      client.destroy();
      await waitFor('the abort to be counted', () => counter(server, 'cardfile_http_client_aborts_total'), (count) => count === aborts + 1);
      expect(await counter(server, 'cardfile_http_body_bytes_in_flight')).toBe(0);
      expect(await counter(server, 'cardfile_unexpected_errors_total')).toBe(0);
      const page = await (await server.request('/metrics')).text();
      expect(page.split('\n').filter((line) => /_duration_seconds_count\{.*status="5\d\d"/.test(line))).toEqual([]);
      await expectStillServing();
    });
  }

  it('leaves the server with short deadlines answering too', async () => {
    const answer = await hurried.graphql('{ viewer { role } }', {}, acme.reader);
    expect(answer.body).toEqual({ data: { viewer: { role: 'READER' } } });
  });
});
