// The response cache under stress: Redis dying and coming back in the middle of a steady load,
// one instance cut off from a Redis that keeps running (refusing connections, then answering
// nothing at all), thousands of randomized requests from look-alike workspaces across two instances
// and every way a response can be reached (POST, persisted-query GET, ETag revalidation), and a
// mutation on one instance followed at once by a read on the other, with both tiers of both
// instances warm. Every instance here uses a Redis of the file's own, so stopping it disturbs no
// other test file.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGlobalId, toGlobalId, type NodeType } from '../src/graphql/global-id.js';
import { expectOk } from './helpers/expect-answer.js';
import { counter } from './helpers/metrics.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import { relayTo } from './helpers/redis-relay.js';
import { createWorkspace, type PersistedGetOptions, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { seededRandom } from './helpers/seeded-random.js';
import { waitFor } from './helpers/wait-for.js';

// ---------------------------------------------------------------------------------------------
// HTTP as clients speak it

/** No request may take longer than this; a hung request fails its test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 10_000;
/** The longest a state polled for (Redis serving, a circuit opening, caches filling) may take to come. */
const SETTLES_WITHIN_MS = 20_000;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> } | undefined;
  cache: string | null;
  etag: string | null;
  ms: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function send(server: TestServer, path: string, init: RequestInit): Promise<Reply> {
  const started = performance.now();
  const response = await server.request(path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: Reply['body'];
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { status: response.status, headers: response.headers, text, body, cache: response.headers.get('x-cache'), etag: response.headers.get('etag'), ms };
}

function post(server: TestServer, query: string, variables: Record<string, unknown>, token: string, extensions?: unknown): Promise<Reply> {
  return send(server, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables, ...(extensions ? { extensions } : {}) }),
  });
}

/** A persisted-query GET (TestServer.persistedGet), timed and read as a Reply. */
async function persisted(server: TestServer, query: string, variables: Record<string, unknown>, token: string, options: PersistedGetOptions = {}): Promise<Reply & { resent: boolean }> {
  const started = performance.now();
  const answer = await server.persistedGet(query, variables, token, { timeoutMs: REQUEST_TIMEOUT_MS, ...options });
  const ms = performance.now() - started;
  const body = answer.text === '' ? undefined : answer.body;
  return { ...answer, body, cache: answer.headers.get('x-cache'), etag: answer.headers.get('etag'), ms };
}

/** What is wrong with a reply that should be a plain success; undefined when nothing is. */
function problemOf(reply: Reply): string | undefined {
  if (reply.status !== 200) return `status ${reply.status}: ${reply.text.slice(0, 300)}`;
  if (reply.body?.errors) return `errors: ${JSON.stringify(reply.body.errors).slice(0, 300)}`;
  if (!reply.body?.data) return `no data: ${reply.text.slice(0, 300)}`;
  return undefined;
}

const rowIdOf = (globalId: string) => parseGlobalId(globalId)!.id;

const CARD = `query Card($id: ID!) {
  contact(id: $id) {
    id firstName lastName email title version
    company { id name }
    tags { id name }
    notes(first: 3) { totalCount edges { node { id body } } }
  }
}`;

const UPDATE = `mutation Update($input: UpdateContactInput!) { updateContact(input: $input) { contact { id firstName title version } } }`;
const ADD_NOTE = `mutation AddNote($input: AddNoteInput!) { addNote(input: $input) { note { id body } } }`;
const TAG = `mutation Tag($input: TagContactInput!) { tagContact(input: $input) { contact { id version tags { id } } } }`;
const UNTAG = `mutation Untag($input: UntagContactInput!) { untagContact(input: $input) { contact { id version tags { id } } } }`;
const CREATE = `mutation Create($input: CreateContactInput!) { createContact(input: $input) { contact { id email } } }`;
const DELETE = `mutation Delete($input: DeleteContactInput!) { deleteContact(input: $input) { deletedId } }`;
const CREATE_TAG = `mutation CreateTag($input: CreateTagInput!) { createTag(input: $input) { tag { id name } } }`;

/**
 * Polls until a query filled on `first` is answered from Redis by `second`: the shared tier
 * stores and serves. Each round uses a query neither instance has seen, so only L2 can answer it.
 */
async function sharedTierServes(first: TestServer, second: TestServer, token: string, label: string): Promise<void> {
  const query = 'query Probe($search: String) { contacts(first: 1, filter: { search: $search }) { totalCount } }';
  let round = 0;
  const fillThenRead = async () => {
    round += 1;
    const variables = { search: `probe ${label} ${round}` };
    expectOk(await post(first, query, variables, token));
    const read = await post(second, query, variables, token);
    expectOk(read);
    return read.cache;
  };
  await waitFor(`an entry stored by one instance is served from Redis by the other (${label})`, fillThenRead, (cache) => cache === 'hit-l2', SETTLES_WITHIN_MS);
}

/** Polls until `server` has given up on Redis (its circuit is open). */
const circuitOpens = (server: TestServer) =>
  waitFor('the Redis circuit opens', () => counter(server, 'cardfile_redis_circuit_state'), (state) => state === 2, SETTLES_WITHIN_MS);

// ---------------------------------------------------------------------------------------------

describe('Redis failing during a steady load', () => {
  let redis: OwnRedis;
  let a: TestServer;
  let b: TestServer;
  let steady: Workspace;
  let contactIds: string[];

  beforeAll(async () => {
    redis = await startOwnRedis();
    // A short open circuit: the outage below spans many trials of a Redis that is still down.
    // The production command timeout: how long a request may wait for a Redis that is gone.
    const env = { REDIS_URL: redis.url, REDIS_CIRCUIT_OPEN_MS: '150', REDIS_COMMAND_TIMEOUT_MS: '100' };
    a = await startTestServer(env);
    b = await startTestServer(env, { database: a.database });
    steady = await createWorkspace(a.db, 'steady', 150);
    const page = expectOk(await post(a, '{ contacts(first: 100) { edges { node { id } } } }', {}, steady.reader));
    contactIds = page.contacts.edges.map((edge: { node: { id: string } }) => edge.node.id);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('answers every request, fast, while Redis is down, keeps every acknowledged write, and uses Redis again once it is back', async () => {
    const LIST = 'query List($first: Int) { contacts(first: $first, orderBy: { field: NAME }) { totalCount edges { node { id firstName company { name } } } } }';
    const SEARCH = 'query Search($search: String) { contacts(first: 10, filter: { search: $search }) { totalCount edges { node { id email } } } }';
    const TAGS = '{ tags { id name } }';
    const COMPANIES = '{ companies(first: 20) { totalCount edges { node { id name } } } }';
    const PERSISTED = 'query Recent { contacts(first: 10, orderBy: { field: UPDATED_AT, direction: DESC }) { edges { node { id lastName } } } }';
    const target = contactIds[0]!;
    const fixedCards = contactIds.slice(0, 5);

    // Both tiers work before anything happens; the persisted query is known to both instances.
    await sharedTierServes(a, b, steady.reader, 'before');
    const before = expectOk(await post(a, CARD, { id: target }, steady.reader)).contact;
    expect((await persisted(a, PERSISTED, {}, steady.reader, { send: 'hash-only' })).body?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expectOk(await persisted(a, PERSISTED, {}, steady.reader, { send: 'with-document' }));
    const renamed = `${before.firstName}-renamed`;

    type Phase = 'up' | 'down' | 'back';
    let phase: Phase = 'up';
    /** performance.now() when the mutation made during the outage was acknowledged. */
    let acknowledgedAt = Number.POSITIVE_INFINITY;
    interface Sample {
      name: string;
      instance: 'a' | 'b';
      phases: Set<Phase>;
      startedAt: number;
      ms: number;
      cache: string | null;
      problem: string | undefined;
      firstName?: string;
    }

    const TOTAL = 800;
    const CONCURRENCY = 10;
    const rng = seededRandom(0x5eed);
    const samples: Sample[] = [];
    let issued = 0;
    const waiters: Array<{ count: number; resolve: () => void }> = [];
    const progress = () => {
      for (const waiter of [...waiters]) {
        if (samples.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    };
    /** Resolves once `count` requests of the load have finished (or the load is over). */
    const finished = (count: number) =>
      new Promise<void>((resolve) => {
        waiters.push({ count: Math.min(count, TOTAL), resolve });
        progress();
      });

    const one = async (): Promise<void> => {
      const instance = rng.chance(0.5) ? 'a' : 'b';
      const server = instance === 'a' ? a : b;
      const token = rng.chance(0.5) ? steady.reader : steady.editor;
      const roll = rng.next();
      let name: string;
      let request: () => Promise<Reply>;
      // About half repeat a handful of requests (cache hits when a tier can answer), the rest
      // range over many contacts and searches (mostly misses).
      if (roll < 0.15) [name, request] = ['target card', () => post(server, CARD, { id: target }, token)];
      else if (roll < 0.3) [name, request] = ['card', () => post(server, CARD, { id: rng.pick(fixedCards) }, token)];
      else if (roll < 0.38) [name, request] = ['list', () => post(server, LIST, { first: 20 }, token)];
      else if (roll < 0.43) [name, request] = ['tags', () => post(server, TAGS, {}, token)];
      else if (roll < 0.48) [name, request] = ['companies', () => post(server, COMPANIES, {}, token)];
      // An instance that never ran the document itself knows it only through Redis: while Redis is
      // down, the client sends it once more, and that is the whole cost of the outage.
      else if (roll < 0.58) [name, request] = ['persisted', () => persisted(server, PERSISTED, {}, token)];
      else if (roll < 0.78) [name, request] = ['any card', () => post(server, CARD, { id: rng.pick(contactIds) }, token)];
      else if (roll < 0.88) [name, request] = ['any list', () => post(server, LIST, { first: 1 + rng.int(100) }, token)];
      else [name, request] = ['search', () => post(server, SEARCH, { search: rng.pick(['an', 'er', 'on', 'ma', 'li', 'son', 'el', 'ar']) + rng.int(1000) }, token)];

      const phases = new Set<Phase>([phase]);
      const startedAt = performance.now();
      let reply: Reply | undefined;
      let problem: string | undefined;
      try {
        reply = await request();
        problem = problemOf(reply);
      } catch (error) {
        problem = `request failed: ${(error as Error).message}`;
      }
      phases.add(phase);
      const sample: Sample = { name, instance, phases, startedAt, ms: performance.now() - startedAt, cache: reply?.cache ?? null, problem };
      if (name === 'target card' && !problem) sample.firstName = reply!.body!.data.contact.firstName;
      samples.push(sample);
      progress();
    };

    const load = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < TOTAL) {
          issued += 1;
          await one();
        }
      }),
    ).finally(() => {
      for (const waiter of waiters.splice(0)) waiter.resolve();
    });

    const errorsBefore = await counter(a, 'cardfile_cache_errors_total');
    await finished(TOTAL * 0.2);
    phase = 'down';
    await redis.stop();
    // The load goes on until both instances have given up on Redis for a while (circuit open).
    for (const server of [a, b]) {
      await circuitOpens(server);
    }

    // A write while Redis is down is acknowledged, and this instance answers it from then on.
    const update = await post(a, UPDATE, { input: { id: target, expectedVersion: before.version, firstName: renamed } }, steady.editor);
    expect(expectOk(update).updateContact.contact.firstName).toBe(renamed);
    acknowledgedAt = performance.now();
    expect(expectOk(await post(a, CARD, { id: target }, steady.reader)).contact.firstName).toBe(renamed);
    expect(expectOk(await post(b, CARD, { id: target }, steady.reader)).contact.firstName).toBe(renamed);

    await finished(TOTAL * 0.7);
    await redis.start();
    phase = 'back';
    await load;

    expect(samples).toHaveLength(TOTAL);
    expect(samples.filter((sample) => sample.problem).map((sample) => `${sample.name} on ${sample.instance}: ${sample.problem}`)).toEqual([]);
    // The outage really was in the middle of the load, and the cache felt it.
    const duringOutage = samples.filter((sample) => sample.phases.has('down'));
    expect(duringOutage.length).toBeGreaterThanOrEqual(TOTAL * 0.4);
    expect(await counter(a, 'cardfile_cache_errors_total')).toBeGreaterThan(errorsBefore);
    // Fail fast: no request waits for a Redis that is not there.
    const slowest = duringOutage.reduce((max, sample) => Math.max(max, sample.ms), 0);
    expect(slowest).toBeLessThan(1000);
    expect(samples.every((sample) => sample.ms < 2000)).toBe(true);
    expect(samples.filter((sample) => sample.phases.size === 1 && sample.phases.has('down') && sample.cache === 'hit-l2')).toEqual([]);
    // No read that began after the write was acknowledged answered the value it replaced.
    const afterWrite = samples.filter((sample) => sample.name === 'target card' && sample.startedAt > acknowledgedAt);
    expect(afterWrite.length).toBeGreaterThan(0);
    expect(afterWrite.filter((sample) => sample.firstName !== renamed)).toEqual([]);

    // Redis is back and empty: both instances store into it and read from it again, no restart.
    await sharedTierServes(a, b, steady.reader, 'a-to-b');
    await sharedTierServes(b, a, steady.reader, 'b-to-a');
    expect(await counter(a, 'cardfile_redis_circuit_state')).toBe(0);
    expect(await counter(b, 'cardfile_redis_circuit_state')).toBe(0);
    // The write made during the outage is still there, from either instance and in the database.
    for (const server of [a, b]) {
      for (let read = 0; read < 3; read++) expect(expectOk(await post(server, CARD, { id: target }, steady.reader)).contact.firstName).toBe(renamed);
    }
    const [row] = await a.database.query<{ first_name: string }>('select first_name from contacts where id = $1', [rowIdOf(target)]);
    expect(row?.first_name).toBe(renamed);
  });
});

// ---------------------------------------------------------------------------------------------

describe('one instance cut off from a Redis that keeps running', () => {
  let redis: OwnRedis;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  /** Reaches Redis through the relay. */
  let a: TestServer;
  /** Reaches Redis directly. */
  let b: TestServer;
  let cut: Workspace;
  let contactIds: string[];

  beforeAll(async () => {
    redis = await startOwnRedis();
    relay = await relayTo(redis.port);
    // The production command timeout: the cut below is felt as one timeout per request at most.
    a = await startTestServer({ REDIS_URL: relay.url, REDIS_COMMAND_TIMEOUT_MS: '100' });
    b = await startTestServer({ REDIS_URL: redis.url }, { database: a.database });
    cut = await createWorkspace(a.db, 'cut-off', 30);
    const page = expectOk(await post(a, '{ contacts(first: 30) { edges { node { id } } } }', {}, cut.reader));
    contactIds = page.contacts.edges.map((edge: { node: { id: string } }) => edge.node.id);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await relay?.close();
    await redis?.stop();
  });

  it('does not undo a write made while cut off when the connection comes back, on this instance or another', async () => {
    const id = contactIds[0]!;
    await sharedTierServes(a, b, cut.reader, 'connected');
    // Both instances hold the card in L1, and Redis holds it in L2.
    const readBoth = async () => [await post(a, CARD, { id }, cut.reader), await post(b, CARD, { id }, cut.reader)] as const;
    const [, onB] = await waitFor('the card to be an L1 hit on both instances', readBoth, ([onA, onB]) => onA.cache === 'hit-l1' && onB.cache === 'hit-l1', SETTLES_WITHIN_MS);
    const card = expectOk(onB).contact;

    relay.refuse();
    await circuitOpens(a);
    const firstName = `${card.firstName}-while-cut-off`;
    expectOk(await post(a, UPDATE, { input: { id, expectedVersion: card.version, firstName } }, cut.editor));
    expect(expectOk(await post(a, CARD, { id }, cut.reader)).contact.firstName).toBe(firstName);

    relay.heal();
    await sharedTierServes(a, b, cut.reader, 'reconnected');
    for (let read = 0; read < 3; read++) {
      expect(expectOk(await post(a, CARD, { id }, cut.reader)).contact.firstName, `read ${read} on the instance that wrote`).toBe(firstName);
      expect(expectOk(await post(b, CARD, { id }, cut.reader)).contact.firstName, `read ${read} on the other instance`).toBe(firstName);
    }
  });

  it('answers fast while Redis stops answering without closing the connection', async () => {
    const LIST = 'query Page($first: Int) { contacts(first: $first) { totalCount edges { node { id } } } }';
    // A document only the other instance has seen: this one can learn it only from Redis.
    const PERSISTED = 'query OnlyOnB { tags { id name } }';
    expectOk(await persisted(b, PERSISTED, {}, cut.reader, { send: 'with-document' }));
    await sharedTierServes(b, a, cut.reader, 'before the silence');

    relay.blackhole();
    const replies: Reply[] = [];
    for (let round = 0; round < 30; round++) {
      replies.push(await post(a, LIST, { first: 1 + round }, cut.reader));
      replies.push(await post(a, CARD, { id: contactIds[round % contactIds.length]! }, cut.reader));
      replies.push(await persisted(a, PERSISTED, {}, cut.reader));
    }
    relay.heal();

    expect(replies.map(problemOf).filter(Boolean)).toEqual([]);
    // Each request may wait out one command timeout (100 ms by default) before the circuit opens.
    expect(Math.max(...replies.map((reply) => reply.ms))).toBeLessThan(1000);
    await sharedTierServes(b, a, cut.reader, 'after the silence');
  });
});

// ---------------------------------------------------------------------------------------------

describe('tenant safety across tiers, instances and request forms', () => {
  let redis: OwnRedis;
  let a: TestServer;
  let b: TestServer;

  interface Tenant {
    index: number;
    workspace: Workspace;
    rowId: number;
    contacts: string[];
    companies: string[];
    tags: string[];
    notes: string[];
    /** Contacts this test created (and may delete). */
    created: string[];
    /** Mutations of one workspace run one at a time, so expected versions stay current. */
    lock: Promise<unknown>;
  }
  let tenants: Tenant[];

  // Look-alike names; each workspace also gets the same hand-made contacts and company below.
  const NAMES = ['harbor', 'harbour', 'harbors'];
  const TWINS = [
    { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@twins.example.com' },
    { firstName: 'Grace', lastName: 'Hopper', email: 'grace@twins.example.com' },
    { firstName: 'Alan', lastName: 'Turing', email: 'alan@twins.example.com' },
  ];

  async function idsOf(rowId: number) {
    const rows = async (table: string) =>
      (await a.database.query<{ id: unknown }>(`select id from ${table} where workspace_id = $1`, [rowId])).map((row) => Number(row.id));
    const global = (type: NodeType, ids: number[]) => ids.map((id) => toGlobalId(type, id));
    return {
      contacts: global('Contact', await rows('contacts')),
      companies: global('Company', await rows('companies')),
      tags: global('Tag', await rows('tags')),
      notes: global('Note', await rows('notes')),
      emails: (await a.database.query<{ email: string | null }>('select email from contacts where workspace_id = $1', [rowId]))
        .map((row) => row.email)
        .filter((email): email is string => email !== null),
    };
  }

  beforeAll(async () => {
    redis = await startOwnRedis();
    a = await startTestServer({ REDIS_URL: redis.url });
    b = await startTestServer({ REDIS_URL: redis.url }, { database: a.database });
    tenants = [];
    for (const [index, name] of NAMES.entries()) {
      const workspace = await createWorkspace(a.db, name, 60);
      for (const twin of TWINS) expectOk(await post(a, CREATE, { input: twin }, workspace.editor));
      expectOk(await post(a, 'mutation { createCompany(input: { name: "Twin Corp", domain: "twins.example.com" }) { company { id } } }', {}, workspace.editor));
      const [row] = await a.database.query<{ id: unknown }>('select id from workspaces where name = $1', [name]);
      const rowId = Number(row!.id);
      const ids = await idsOf(rowId);
      tenants.push({ index, workspace, rowId, ...ids, created: [], lock: Promise.resolve() });
    }
    await sharedTierServes(a, b, tenants[0]!.workspace.reader, 'tenants');
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('never answers one workspace with another workspace\'s data, whatever the tier, instance or request form', async () => {
    const seed = Number(process.env.CACHE_TEST_SEED ?? Date.now() % 1_000_000);
    const rng = seededRandom(seed);
    // Requests run concurrently, so a seed gives the same random sequence, not the same interleaving.
    const context = `seed ${seed} (CACHE_TEST_SEED=${seed} draws the same sequence)`;

    interface Built {
      /** Names the request regardless of token and instance: the same workspace, query and variables. */
      key: string;
      root: string;
      query: string;
      variables: Record<string, unknown>;
      /** When the answer must be null (an id of another workspace). */
      expectNull?: string;
    }

    const LIST = `query List($first: Int, $filter: ContactFilter, $orderBy: ContactOrder) {
      contacts(first: $first, filter: $filter, orderBy: $orderBy) {
        totalCount
        edges { node { id firstName lastName email company { id name domain } tags { id name } } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const COMPANIES = `query Companies($first: Int, $filter: CompanyFilter) {
      companies(first: $first, filter: $filter) { totalCount edges { node { id name domain contacts(first: 3) { totalCount edges { node { id email } } } } } }
    }`;
    const TAGS = '{ tags { id name } }';
    const NODE = `query Node($id: ID!) {
      node(id: $id) { id ... on Contact { firstName email } ... on Company { name } ... on Tag { name } ... on Note { body } }
    }`;
    const VIEWER = '{ viewer { role workspace { id name } } }';

    function build(tenant: Tenant): Built {
      const other = tenants[(tenant.index + 1 + rng.int(tenants.length - 1)) % tenants.length]!;
      const roll = rng.next();
      if (roll < 0.4) {
        const filter = rng.pick([
          undefined,
          { search: rng.pick(['an', 'er', 'son', 'ma', 'twins', 'ada', 'lee']) },
          { tagIds: [rng.pick(tenant.tags)] },
          { companyId: rng.pick(tenant.companies) },
          // Another workspace's tag or company as a filter finds nothing here.
          { tagIds: [rng.pick(other.tags)] },
          { companyId: rng.pick(other.companies) },
        ]);
        const variables = {
          first: rng.pick([3, 10, 25, 50]),
          ...(filter ? { filter } : {}),
          orderBy: { field: rng.pick(['NAME', 'CREATED_AT', 'UPDATED_AT']), direction: rng.pick(['ASC', 'DESC']) },
        };
        return { key: `list ${JSON.stringify(variables)}`, root: 'contacts', query: LIST, variables };
      }
      if (roll < 0.6) {
        const foreign = rng.chance(0.15);
        const id = rng.pick((foreign ? other : tenant).contacts.slice(0, 20));
        return { key: `card ${id}`, root: 'contact', query: CARD, variables: { id }, expectNull: foreign ? 'contact' : undefined };
      }
      if (roll < 0.72) {
        const variables = { first: rng.pick([5, 20]), ...(rng.chance(0.3) ? { filter: { search: rng.pick(['inc', 'llc', 'twin', 'and']) } } : {}) };
        return { key: `companies ${JSON.stringify(variables)}`, root: 'companies', query: COMPANIES, variables };
      }
      if (roll < 0.8) return { key: 'tags', root: 'tags', query: TAGS, variables: {} };
      if (roll < 0.95) {
        const foreign = rng.chance(0.2);
        const owner = foreign ? other : tenant;
        const id = rng.pick([...owner.contacts.slice(0, 10), ...owner.companies.slice(0, 3), ...owner.tags.slice(0, 3), ...owner.notes.slice(0, 5)]);
        return { key: `node ${id}`, root: 'node', query: NODE, variables: { id }, expectNull: foreign ? 'node' : undefined };
      }
      return { key: 'viewer', root: 'viewer', query: VIEWER, variables: {} };
    }

    interface Seen {
      tenant: number;
      text: string;
      what: string;
    }
    interface Tagged {
      tenant: number;
      key: string;
      root: string;
      etag: string;
      built: Built;
    }
    const seen: Seen[] = [];
    const problems: string[] = [];
    /** ETags of GET answers that name at least one id: no other workspace can produce the same bytes. */
    const tagged: Tagged[] = [];
    const registered = new Set<string>();
    const outcomes: Record<string, number> = {};
    let notModified = 0;
    let firstRegistrations = 0;
    let foreignRevalidations = 0;

    let answered = 0;
    const note = (what: string, reply: Reply, tenant: Tenant) => {
      answered += 1;
      outcomes[reply.cache ?? 'none'] = (outcomes[reply.cache ?? 'none'] ?? 0) + 1;
      if (reply.text) seen.push({ tenant: tenant.index, text: reply.text, what });
    };

    const check = (what: string, reply: Reply, built: Built | undefined) => {
      const problem = problemOf(reply);
      if (problem) return problems.push(`${what}: ${problem}`);
      if (built?.expectNull && reply.body!.data[built.expectNull] !== null) problems.push(`${what}: another workspace's id was not answered null`);
    };

    async function hashed(server: TestServer, tenant: Tenant, token: string, built: Built, what: string) {
      const hash = sha256(built.query);
      // Apollo writes a registration to Redis in the background, so the other instance may not
      // know a document for a moment even after its first registration: the client resends it.
      const reply = await persisted(server, built.query, built.variables, token);
      if (reply.resent && !registered.has(hash)) firstRegistrations += 1;
      registered.add(hash);
      note(what, reply, tenant);
      check(what, reply, built);
      if (reply.status === 200 && reply.etag && !built.expectNull && /"id":"/.test(reply.text)) {
        tagged.push({ tenant: tenant.index, key: built.key, root: built.root, etag: reply.etag, built });
      }
    }

    async function revalidate(server: TestServer, tenant: Tenant, token: string, what: string) {
      const mine = tagged.filter((entry) => entry.tenant === tenant.index);
      const theirs = tagged.filter((entry) => entry.tenant !== tenant.index);
      const kind = rng.pick(['same', 'same', 'foreign', 'other-query'] as const);
      let origin: Tagged | undefined;
      let built: Built | undefined;
      if (kind === 'same' && mine.length > 0) {
        origin = rng.pick(mine);
        built = origin.built;
      } else if (kind === 'foreign' && theirs.length > 0) {
        // The same request another workspace made, with that workspace's ETag.
        origin = rng.pick(theirs);
        built = origin.built;
        foreignRevalidations += 1;
      } else if (kind === 'other-query' && mine.length > 1) {
        origin = rng.pick(mine);
        const others = mine.filter((entry) => entry.root !== origin!.root);
        if (others.length === 0) return hashed(server, tenant, token, build(tenant), what);
        built = rng.pick(others).built;
      } else {
        return hashed(server, tenant, token, build(tenant), what);
      }
      // As an APQ client does: a hash this instance does not know yet (another instance's
      // registration reaches Redis in the background, best effort) is sent again with its document.
      const reply = await persisted(server, built.query, built.variables, token, { headers: { 'if-none-match': origin.etag } });
      note(what, reply, tenant);
      if (reply.status === 304) {
        notModified += 1;
        if (origin.tenant !== tenant.index || origin.key !== built.key) {
          problems.push(`${what}: 304 for an ETag of ${origin.tenant === tenant.index ? 'another query' : `workspace ${NAMES[origin.tenant]}`}`);
        }
        if (reply.etag !== origin.etag) problems.push(`${what}: 304 with ETag ${reply.etag}, asked with ${origin.etag}`);
        return;
      }
      check(what, reply, built);
      if (reply.etag === origin.etag && origin.tenant === tenant.index) problems.push(`${what}: 200 with the very ETag the client already has`);
    }

    async function mutate(server: TestServer, tenant: Tenant, what: string) {
      const run = async () => {
        const token = tenant.workspace.editor;
        const roll = rng.next();
        const contact = rng.pick(tenant.contacts.slice(0, 30));
        let reply: Reply;
        if (roll < 0.3) {
          const [row] = await a.database.query<{ version: number }>('select version from contacts where id = $1', [rowIdOf(contact)]);
          reply = await post(server, UPDATE, { input: { id: contact, expectedVersion: Number(row!.version), title: `Title ${rng.int(1000)}` } }, token);
        } else if (roll < 0.5) {
          reply = await post(server, ADD_NOTE, { input: { contactId: contact, body: `Called back (${rng.int(1000)})` } }, token);
        } else if (roll < 0.7) {
          reply = await post(server, rng.chance(0.5) ? TAG : UNTAG, { input: { contactId: contact, tagId: rng.pick(tenant.tags) } }, token);
        } else if (roll < 0.85 || tenant.created.length === 0) {
          const twin = rng.pick(TWINS);
          const email = `${twin.firstName.toLowerCase()}.${tenant.created.length}.${rng.int(1_000_000)}@twins.example.com`;
          reply = await post(server, CREATE, { input: { firstName: twin.firstName, lastName: twin.lastName, email } }, token);
          if (!problemOf(reply)) tenant.created.push(reply.body!.data.createContact.contact.id);
        } else {
          const id = tenant.created.splice(rng.int(tenant.created.length), 1)[0]!;
          reply = await post(server, DELETE, { input: { id } }, token);
        }
        note(what, reply, tenant);
        check(what, reply, undefined);
      };
      const turn = tenant.lock.then(run);
      tenant.lock = turn.catch(() => {});
      await turn;
    }

    const TOTAL = 2400;
    const CONCURRENCY = 8;
    let issued = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < TOTAL) {
          issued += 1;
          const tenant = rng.pick(tenants);
          const server = rng.chance(0.5) ? a : b;
          const token = rng.chance(0.5) ? tenant.workspace.reader : tenant.workspace.editor;
          const what = `request ${issued} (${NAMES[tenant.index]} on ${server === a ? 'a' : 'b'})`;
          const roll = rng.next();
          try {
            if (roll < 0.06) await mutate(server, tenant, what);
            else if (roll < 0.45) {
              const built = build(tenant);
              const reply = await post(server, built.query, built.variables, token);
              note(what, reply, tenant);
              check(what, reply, built);
            } else if (roll < 0.75) await hashed(server, tenant, token, build(tenant), what);
            else await revalidate(server, tenant, token, what);
          } catch (error) {
            problems.push(`${what}: ${(error as Error).message}`);
          }
        }
      }),
    );

    expect(problems.slice(0, 10), context).toEqual([]);

    // What each workspace may see, read from the database after the run (created rows included).
    const allowed = await Promise.all(tenants.map((tenant) => idsOf(tenant.rowId)));
    const ownIds = allowed.map(
      (ids, index) => new Set([...ids.contacts, ...ids.companies, ...ids.tags, ...ids.notes, toGlobalId('Workspace', tenants[index]!.rowId)]),
    );
    const ownEmails = allowed.map((ids) => new Set(ids.emails));
    const foreignIds = ownIds.map((_, index) => new Set(ownIds.filter((__, other) => other !== index).flatMap((set) => [...set])));
    // An email another workspace also has (the twins) proves nothing; the rest are that workspace's own.
    const foreignEmails = ownEmails.map((mine, index) => new Set(ownEmails.filter((__, other) => other !== index).flatMap((set) => [...set].filter((email) => !mine.has(email)))));

    const leaks: string[] = [];
    for (const { tenant, text, what } of seen) {
      for (const token of text.match(/[A-Za-z0-9_-]+/g) ?? []) {
        if (foreignIds[tenant]!.has(token)) leaks.push(`${what}: another workspace's id ${token}`);
      }
      const walk = (value: unknown, key: string | undefined): void => {
        if (typeof value === 'string') {
          if (foreignEmails[tenant]!.has(value)) leaks.push(`${what}: another workspace's email ${value}`);
          if ((key === 'id' || key === 'deletedId') && !ownIds[tenant]!.has(value)) leaks.push(`${what}: an id not of this workspace: ${value}`);
        } else if (Array.isArray(value)) value.forEach((item) => walk(item, key));
        else if (value && typeof value === 'object') for (const [name, item] of Object.entries(value)) walk(item, name);
      };
      walk(JSON.parse(text), undefined);
    }
    expect(leaks.slice(0, 10), context).toEqual([]);

    // The run went through every path it means to test.
    expect(answered).toBeGreaterThanOrEqual(TOTAL);
    expect(outcomes['hit-l1'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThan(20);
    expect(outcomes['hit-l2'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThan(10);
    expect(outcomes['miss'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThan(100);
    expect(notModified).toBeGreaterThan(20);
    expect(firstRegistrations).toBeGreaterThan(0);
    expect(foreignRevalidations).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a write on one instance, read at once on the other', () => {
  let redis: OwnRedis;
  let a: TestServer;
  let b: TestServer;
  let pair: Workspace;
  let contactIds: string[];
  const ROUNDS = 100;

  beforeAll(async () => {
    redis = await startOwnRedis();
    a = await startTestServer({ REDIS_URL: redis.url });
    b = await startTestServer({ REDIS_URL: redis.url }, { database: a.database });
    pair = await createWorkspace(a.db, 'pair', 40);
    const page = expectOk(await post(a, '{ contacts(first: 100) { edges { node { id } } } }', {}, pair.editor));
    contactIds = page.contacts.edges.map((edge: { node: { id: string } }) => edge.node.id);
    await sharedTierServes(a, b, pair.editor, 'pair');
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  let servedFromRedis = 0;

  /**
   * Reads a query on both instances until each answers it from its own memory (B's L1 filled from
   * Redis or by itself), so a stale read afterwards would have every tier to come from.
   */
  async function warm(query: string, variables: Record<string, unknown>): Promise<any> {
    const readBoth = async () => {
      const onA = await post(a, query, variables, pair.editor);
      const onB = await post(b, query, variables, pair.editor);
      expectOk(onA);
      if (onB.cache === 'hit-l2') servedFromRedis += 1;
      return { a: onA.cache, b: onB.cache, data: expectOk(onB) };
    };
    // Read again at once: each read is what fills the tiers for the next (100 rounds of this run).
    const both = await waitFor(`${query.slice(0, 40)} to be an L1 hit on both instances`, readBoth, ({ a, b }) => a === 'hit-l1' && b === 'hit-l1', SETTLES_WITHIN_MS, 0);
    return both.data;
  }

  /** Runs `mutation` on `writer`, then every read on `reader` at once. */
  async function writeThenRead(writer: TestServer, mutation: string, variables: Record<string, unknown>, reader: TestServer, reads: Array<[string, Record<string, unknown>]>) {
    const written = expectOk(await post(writer, mutation, variables, pair.editor));
    const replies = await Promise.all(reads.map(([query, readVariables]) => post(reader, query, readVariables, pair.editor)));
    return { written, read: replies.map((reply) => expectOk(reply)) };
  }

  const LIST = 'query List { contacts(first: 100, orderBy: { field: NAME }) { totalCount edges { node { id firstName } } } }';

  it('updateContact: the card and the list holding the contact show the new value', async () => {
    const id = contactIds[3]!;
    for (let round = 1; round <= ROUNDS; round++) {
      const card = (await warm(CARD, { id })).contact;
      await warm(LIST, {});
      const firstName = `Renamed${round}`;
      const { read } = await writeThenRead(a, UPDATE, { input: { id, expectedVersion: card.version, firstName } }, b, [
        [CARD, { id }],
        [LIST, {}],
      ]);
      expect(read[0].contact.firstName, `round ${round}`).toBe(firstName);
      expect(read[0].contact.version, `round ${round}`).toBe(card.version + 1);
      expect(read[1].contacts.edges.find((edge: any) => edge.node.id === id)?.node.firstName, `round ${round}`).toBe(firstName);
    }
    expect(servedFromRedis).toBeGreaterThan(0);
  });

  it('addNote: the card shows the new note and count', async () => {
    const id = contactIds[5]!;
    for (let round = 1; round <= ROUNDS; round++) {
      const before = (await warm(CARD, { id })).contact;
      const body = `Note ${round}`;
      const { written, read } = await writeThenRead(a, ADD_NOTE, { input: { contactId: id, body } }, b, [[CARD, { id }]]);
      const notes = read[0].contact.notes;
      expect(notes.totalCount, `round ${round}`).toBe(before.notes.totalCount + 1);
      expect(notes.edges.map((edge: any) => edge.node.id), `round ${round}`).toContain(written.addNote.note.id);
    }
  });

  it('tagContact and untagContact: the card\'s tags and the tag-filtered list follow', async () => {
    const id = contactIds[7]!;
    const tagId = expectOk(await post(a, CREATE_TAG, { input: { name: 'follow-up' } }, pair.editor)).createTag.tag.id as string;
    const TAGGED = 'query Tagged($tag: ID!) { contacts(first: 100, filter: { tagIds: [$tag] }) { totalCount edges { node { id } } } }';
    const reads: Array<[string, Record<string, unknown>]> = [
      [CARD, { id }],
      [TAGGED, { tag: tagId }],
    ];
    for (let round = 1; round <= ROUNDS; round++) {
      await warm(CARD, { id });
      const list = (await warm(TAGGED, { tag: tagId })).contacts;
      const tagged = await writeThenRead(a, TAG, { input: { contactId: id, tagId } }, b, reads);
      expect(tagged.read[0].contact.tags.map((tag: any) => tag.id), `round ${round}`).toContain(tagId);
      expect(tagged.read[1].contacts.edges.map((edge: any) => edge.node.id), `round ${round}`).toContain(id);
      expect(tagged.read[1].contacts.totalCount, `round ${round}`).toBe(list.totalCount + 1);

      // And back, written on the other instance.
      await warm(CARD, { id });
      await warm(TAGGED, { tag: tagId });
      const untagged = await writeThenRead(b, UNTAG, { input: { contactId: id, tagId } }, a, reads);
      expect(untagged.read[0].contact.tags.map((tag: any) => tag.id), `round ${round}`).not.toContain(tagId);
      expect(untagged.read[1].contacts.edges.map((edge: any) => edge.node.id), `round ${round}`).not.toContain(id);
      expect(untagged.read[1].contacts.totalCount, `round ${round}`).toBe(list.totalCount);
    }
  });

  it('createContact and deleteContact: the list and its totalCount follow', async () => {
    const RECENT = 'query Recent { contacts(first: 5, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount edges { node { id email } } } }';
    for (let round = 1; round <= ROUNDS; round++) {
      const before = (await warm(RECENT, {})).contacts;
      const email = `new.${round}@pair.example.com`;
      const created = await writeThenRead(a, CREATE, { input: { firstName: 'New', lastName: `Contact${round}`, email } }, b, [[RECENT, {}]]);
      const id = created.written.createContact.contact.id as string;
      expect(created.read[0].contacts.totalCount, `round ${round}`).toBe(before.totalCount + 1);
      expect(created.read[0].contacts.edges.map((edge: any) => edge.node.id), `round ${round}`).toContain(id);

      await warm(RECENT, {});
      await warm(CARD, { id });
      const deleted = await writeThenRead(a, DELETE, { input: { id } }, b, [
        [RECENT, {}],
        [CARD, { id }],
      ]);
      expect(deleted.read[0].contacts.totalCount, `round ${round}`).toBe(before.totalCount);
      expect(deleted.read[0].contacts.edges.map((edge: any) => edge.node.id), `round ${round}`).not.toContain(id);
      expect(deleted.read[1].contact, `round ${round}`).toBeNull();
    }
  });
});
