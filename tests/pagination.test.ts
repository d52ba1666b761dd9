// Cursor pagination as a client sees it, over HTTP: every contact is visited exactly once and in
// order, in both directions and for every ordering, even when hundreds of rows share a name or an
// instant; writes during a walk neither repeat nor drop the rows that were already there; cursors
// are only honoured where they were issued; filters and nested connections page like the top list.
//
// Every expectation is computed here from the rows this file wrote, never from a list the API
// under test produced. Names are ASCII letters and all last names have the same length, so the
// expected order is the same under the C collation and under a linguistic one (en_US and friends
// ignore the space between last and first name, which is harmless when it sits at the same place).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWorkspaceByName } from '../src/db/repositories/workspaces.js';
import { companies, contacts, contactTags, notes, tags } from '../src/db/schema.js';
import { toGlobalId } from '../src/graphql/global-id.js';
import { cursorForger, flipByte } from './helpers/cursors.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';
import { seededRandom } from './helpers/seeded-random.js';

type Field = 'NAME' | 'CREATED_AT' | 'UPDATED_AT';
type Direction = 'ASC' | 'DESC';
interface Order {
  field: Field;
  direction: Direction;
}

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

interface Connection {
  totalCount: number;
  pageInfo: PageInfo;
  edges: Array<{ cursor: string; node: { id: string } }>;
}

interface Walk {
  /** Every id visited, in list order (for a backward walk: the pages put back in list order). */
  ids: string[];
  /** The pages in the order they were fetched. */
  pages: Connection[];
}

interface ContactModel {
  id: number;
  gid: string;
  firstName: string;
  lastName: string;
  email: string | null;
  companyId: number | null;
  createdAt: number;
  updatedAt: number;
  tagIds: Set<number>;
}

interface ContactFilterModel {
  search?: string;
  companyId?: number;
  tagIds?: number[];
  updatedAfter?: number;
}

const DAY = 86_400_000;
const BASE = Date.parse('2025-03-01T00:00:00.000Z');
// Pairs of instants one millisecond apart: a cursor that lost its milliseconds would mix them up.
const CREATED_SLOTS = Array.from({ length: 24 }, (_, s) => BASE + Math.floor(s / 2) * DAY + (s % 2));
const UPDATED_SLOTS = Array.from({ length: 20 }, (_, s) => BASE + 400 * DAY + Math.floor(s / 2) * 3_600_000 + (s % 2));
const NOTE_BASE = BASE + 600 * DAY;

// Five-letter last names only (see the top of the file).
const LAST_NAMES = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Frost', 'Grant', 'Hayes', 'Irwin', 'Jones'];
const FIRST_NAMES = ['Anna', 'Bo', 'Cleo', 'Dmitri', 'Eve'];
const COPIES_PER_NAME = 22;
const DELETED = 20;
const LIVE = LAST_NAMES.length * FIRST_NAMES.length * COPIES_PER_NAME; // the case variants make up for the deleted
const COMPANY_WORDS = [
  'Acumen', 'Beacon', 'Cobalt', 'Dynamo', 'Embark', 'Falcon', 'Garnet', 'Harbor', 'Indigo', 'Jasper', 'Kettle',
  'Lumina', 'Meadow', 'Nimbus', 'Onward', 'Pillar', 'Quartz', 'Ripple', 'Summit', 'Timber', 'Upland', 'Vertex',
  'Willow', 'Zephyr',
];
const COMPANY_KINDS = ['Labs', 'Freight', 'Foods'];

const CONTACT_PAGE = `query ContactPage($first: Int, $after: String, $last: Int, $before: String, $filter: ContactFilter, $orderBy: ContactOrder) {
  contacts(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}`;
const CONNECTION_FIELDS = 'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }';
const CREATE_CONTACT = `mutation ($input: CreateContactInput!) {
  createContact(input: $input) { contact { id firstName lastName createdAt updatedAt } }
}`;
const DELETE_CONTACT = 'mutation ($id: ID!) { deleteContact(input: { id: $id }) { deletedId } }';

let server: TestServer;


const nameKey = (c: { firstName: string; lastName: string }) => `${c.lastName} ${c.firstName}`.toLowerCase();
const sortKeyOf: Record<Field, (c: ContactModel) => string | number> = {
  NAME: nameKey,
  CREATED_AT: (c) => c.createdAt,
  UPDATED_AT: (c) => c.updatedAt,
};

/** The documented order: by the sort key, ties by id; DESC is the exact reverse. */
function expectedOrder(list: readonly ContactModel[], order: Order): string[] {
  const key = sortKeyOf[order.field];
  const ascending = [...list].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
  });
  if (order.direction === 'DESC') ascending.reverse();
  return ascending.map((c) => c.gid);
}

function matchesFilter(c: ContactModel, filter: ContactFilterModel, companyNames: Map<number, string>): boolean {
  if (filter.search !== undefined) {
    const fragment = filter.search.trim().toLowerCase();
    const fields = [c.firstName, c.lastName, c.email ?? '', c.companyId === null ? '' : companyNames.get(c.companyId)!];
    if (!fields.some((field) => field.toLowerCase().includes(fragment))) return false;
  }
  if (filter.companyId !== undefined && c.companyId !== filter.companyId) return false;
  if (filter.tagIds !== undefined && !filter.tagIds.every((tagId) => c.tagIds.has(tagId))) return false;
  if (filter.updatedAfter !== undefined && !(c.updatedAt > filter.updatedAfter)) return false;
  return true;
}

/** The filter as the API takes it. */
function filterInput(filter: ContactFilterModel): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (filter.search !== undefined) input.search = filter.search;
  if (filter.companyId !== undefined) input.companyId = toGlobalId('Company', filter.companyId);
  if (filter.tagIds !== undefined) input.tagIds = filter.tagIds.map((id) => toGlobalId('Tag', id));
  if (filter.updatedAfter !== undefined) input.updatedAfter = new Date(filter.updatedAfter).toISOString();
  return input;
}

async function data(query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const response = await server.graphql(query, variables, token);
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data;
}

/** The one error a refused request answers with. */
async function refusal(query: string, variables: Record<string, unknown>, token: string) {
  const response = await server.graphql(query, variables, token);
  expect(response.body.errors, `expected a refusal, got ${response.text.slice(0, 300)}`).toHaveLength(1);
  return response.body.errors![0]!;
}

async function contactsPage(variables: Record<string, unknown>, token: string): Promise<Connection> {
  return (await data(CONTACT_PAGE, variables, token)).contacts;
}

interface WalkOptions {
  token: string;
  size: number;
  backward?: boolean;
  orderBy?: Order;
  filter?: Record<string, unknown>;
  /** Runs after each page arrives, before the next one is asked for. */
  afterPage?: (page: Connection, index: number) => Promise<void>;
  /** Runs at the same time as each page request. */
  alongside?: (index: number) => Promise<unknown>;
}

/** Pages through contacts the way an infinite scroll does: each request starts at the last cursor. */
async function walk(options: WalkOptions): Promise<Walk> {
  const pages: Connection[] = [];
  let cursor: string | null = null;
  for (let index = 0; ; index++) {
    // A cursor that never reaches the end would otherwise loop for as long as the test may run.
    if (index > 300) throw new Error('the walk does not end');
    const position: Record<string, unknown> = options.backward ? { last: options.size, before: cursor } : { first: options.size, after: cursor };
    const [page]: [Connection, unknown] = await Promise.all([
      contactsPage({ ...position, orderBy: options.orderBy, filter: options.filter }, options.token),
      options.alongside?.(index),
    ]);
    pages.push(page);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    await options.afterPage?.(page, index);
    if (!(options.backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage)) break;
    cursor = options.backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
  }
  const inListOrder = options.backward ? [...pages].reverse() : pages;
  return { ids: inListOrder.flatMap((page) => page.edges.map((edge) => edge.node.id)), pages };
}

/** The walk saw exactly `expected`, in full pages but the last, with pageInfo right at both ends. */
function expectWalk(result: Walk, expected: string[], size: number, backward = false) {
  expect(result.ids).toEqual(expected);
  const count = result.pages.length;
  expect(count).toBe(Math.max(1, Math.ceil(expected.length / size)));
  result.pages.forEach((page, index) => {
    const final = index === count - 1;
    expect(page.totalCount).toBe(expected.length);
    if (!final) expect(page.edges).toHaveLength(size);
    // The far side of a page is known exactly; the near side is "a cursor was given".
    expect(page.pageInfo).toMatchObject(
      backward
        ? { hasPreviousPage: !final, hasNextPage: index > 0 }
        : { hasNextPage: !final, hasPreviousPage: index > 0 },
    );
  });
}

/**
 * Walks a nested connection of many parents at once: every request asks for the next page of
 * each parent not yet done, so parents on different pages of their own share one request.
 */
async function walkNested(
  parents: string[],
  root: 'contact' | 'company',
  field: 'notes' | 'contacts',
  size: number,
  token: string,
): Promise<Map<string, Walk>> {
  const walks = new Map<string, Walk>(parents.map((id) => [id, { ids: [], pages: [] }]));
  const cursors = new Map<string, string | null>(parents.map((id) => [id, null]));
  for (let round = 0; cursors.size > 0; round++) {
    if (round > 300) throw new Error('the nested walk does not end');
    const active = [...cursors.keys()];
    const declarations = active.map((_, i) => `$id${i}: ID!, $after${i}: String`).join(', ');
    const selections = active
      .map((_, i) => `p${i}: ${root}(id: $id${i}) { id ${field}(first: ${size}, after: $after${i}) { ${CONNECTION_FIELDS} } }`)
      .join('\n');
    const variables: Record<string, unknown> = {};
    active.forEach((id, i) => {
      variables[`id${i}`] = id;
      variables[`after${i}`] = cursors.get(id);
    });
    const result = await data(`query (${declarations}) {\n${selections}\n}`, variables, token);
    active.forEach((id, i) => {
      const parent = result[`p${i}`];
      expect(parent.id).toBe(id);
      const page: Connection = parent[field];
      const walked = walks.get(id)!;
      walked.pages.push(page);
      walked.ids.push(...page.edges.map((edge) => edge.node.id));
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      if (page.pageInfo.hasNextPage) cursors.set(id, page.pageInfo.endCursor);
      else cursors.delete(id);
    });
  }
  return walks;
}

async function workspaceIdOf(name: string): Promise<number> {
  return (await findWorkspaceByName(server.db, name))!.id;
}

/** Inserts contacts straight into the table (far faster than one mutation each). */
async function insertContacts(rows: Array<typeof contacts.$inferInsert>): Promise<ContactModel[]> {
  const models: ContactModel[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const inserted = await server.db
      .insert(contacts)
      .values(rows.slice(start, start + 500))
      .returning({
        id: contacts.id,
        firstName: contacts.firstName,
        lastName: contacts.lastName,
        email: contacts.email,
        companyId: contacts.companyId,
        createdAt: contacts.createdAt,
        updatedAt: contacts.updatedAt,
      });
    // Built from what the database returned, so nothing depends on the order RETURNING uses.
    for (const row of inserted) {
      models.push({
        ...row,
        gid: toGlobalId('Contact', row.id),
        createdAt: row.createdAt.getTime(),
        updatedAt: row.updatedAt.getTime(),
        tagIds: new Set(),
      });
    }
  }
  return models;
}

// The main data set: 50 names in 22 identical copies each, plus 20 copies whose case differs
// (same sort key, so only the id orders them); 20 are soft-deleted, which leaves 1,100 live.
// Creation instants come in 24 values, update instants in 20 more; ids are assigned in a shuffled
// order, so no ordering can pass by accident of insertion order.
const paging = {
  workspace: undefined as unknown as Workspace,
  live: [] as ContactModel[],
  deleted: [] as ContactModel[],
  companyNames: new Map<number, string>(),
  /** Company ids in the API's order (by name). */
  companyIds: [] as number[],
  /** Quartz Labs: every Cleo Baker works there, so its contacts include a long run of ties. */
  quartzId: 0,
  /** A company without any contact. */
  emptyCompanyId: 0,
  tagIds: {} as Record<'alpha' | 'beta' | 'gamma' | 'delta', number>,
  notes: new Map<number, Array<{ id: number; createdAt: number }>>(),
};

const reader = () => paging.workspace.reader;

async function seedPaging() {
  const random = seededRandom(20260601);
  paging.workspace = await createWorkspace(server.db, 'paging');
  const workspaceId = await workspaceIdOf('paging');

  const companyNames = random.shuffle(
    COMPANY_WORDS.map((word, i) => (word === 'Quartz' ? 'Quartz Labs' : `${word} ${COMPANY_KINDS[i % COMPANY_KINDS.length]}`)),
  );
  const companyRows = await server.db
    .insert(companies)
    .values(companyNames.map((name) => ({ workspaceId, name })))
    .returning({ id: companies.id, name: companies.name });
  for (const row of companyRows) paging.companyNames.set(row.id, row.name);
  paging.companyIds = [...companyRows]
    .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : a.id - b.id))
    .map((row) => row.id);
  paging.quartzId = companyRows.find((row) => row.name === 'Quartz Labs')!.id;
  paging.emptyCompanyId = companyRows.find((row) => row.name.startsWith('Zephyr'))!.id;
  const staffed = companyRows.filter((row) => row.id !== paging.emptyCompanyId).map((row) => row.id);

  const tagRows = await server.db
    .insert(tags)
    .values(['alpha', 'beta', 'gamma', 'delta'].map((name) => ({ workspaceId, name })))
    .returning({ id: tags.id, name: tags.name });
  for (const row of tagRows) paging.tagIds[row.name as keyof typeof paging.tagIds] = row.id;

  const people: Array<{ firstName: string; lastName: string }> = [];
  for (let copy = 0; copy < COPIES_PER_NAME; copy++) {
    for (const lastName of LAST_NAMES) for (const firstName of FIRST_NAMES) people.push({ firstName, lastName });
  }
  for (let i = 0; i < DELETED; i++) {
    const lastName = random.pick(LAST_NAMES);
    const firstName = random.pick(FIRST_NAMES);
    people.push(i % 2 === 0 ? { firstName, lastName: lastName.toUpperCase() } : { firstName: firstName.toLowerCase(), lastName });
  }
  const rows = random.shuffle(people).map((person, i) => {
    const createdAt = random.pick(CREATED_SLOTS);
    const updatedAt = random.next() < 0.4 ? createdAt : random.pick(UPDATED_SLOTS);
    const first = person.firstName.toLowerCase();
    const last = person.lastName.toLowerCase();
    // Some addresses carry a literal "_", which LIKE would otherwise read as a wildcard.
    const email = i % 10 === 3 ? null : i % 4 === 0 ? `${first}_${last}.${i}@post.test` : `${first}.${last}.${i}@mail.test`;
    const companyId =
      person.lastName === 'Baker' && person.firstName === 'Cleo'
        ? paging.quartzId
        : random.next() < 0.85
          ? random.pick(staffed)
          : null;
    return { workspaceId, ...person, email, companyId, createdAt: new Date(createdAt), updatedAt: new Date(updatedAt) };
  });
  const all = await insertContacts(rows);

  const links: Array<{ contactId: number; tagId: number }> = [];
  for (const contact of all) {
    for (const tagId of Object.values(paging.tagIds)) {
      if (random.next() < 0.4) {
        contact.tagIds.add(tagId);
        links.push({ contactId: contact.id, tagId });
      }
    }
  }
  await server.db.insert(contactTags).values(links);

  // One deletion in each of 20 different names (through the API, as clients delete), so every
  // name keeps at least 21 identical live copies.
  const byName = new Map<string, ContactModel[]>();
  for (const contact of all) {
    if (!FIRST_NAMES.includes(contact.firstName) || !LAST_NAMES.includes(contact.lastName)) continue;
    byName.set(nameKey(contact), [...(byName.get(nameKey(contact)) ?? []), contact]);
  }
  paging.deleted = [...byName.values()].slice(0, DELETED).map((group) => group[0]!);
  for (const contact of paging.deleted) {
    await data(DELETE_CONTACT, { id: contact.gid }, paging.workspace.editor);
  }
  const deletedIds = new Set(paging.deleted.map((c) => c.id));
  paging.live = all.filter((c) => !deletedIds.has(c.id));

  // Notes for 40 contacts, one of them with 130; three notes share each instant, and instants
  // repeat across contacts. Inserted shuffled, so ids do not follow time.
  const noteRows: Array<typeof notes.$inferInsert> = [];
  const withNotes = random.shuffle([...paging.live]).slice(0, 40);
  withNotes.forEach((contact, n) => {
    const count = n === 0 ? 130 : 1 + Math.floor(random.next() * 14);
    for (let k = 0; k < count; k++) {
      noteRows.push({ workspaceId, contactId: contact.id, body: `note ${k}`, createdAt: new Date(NOTE_BASE + Math.floor(k / 3) * 60_000) });
    }
  });
  const insertedNotes = await server.db
    .insert(notes)
    .values(random.shuffle(noteRows))
    .returning({ id: notes.id, contactId: notes.contactId, createdAt: notes.createdAt });
  for (const note of insertedNotes) {
    paging.notes.set(note.contactId, [...(paging.notes.get(note.contactId) ?? []), { id: note.id, createdAt: note.createdAt.getTime() }]);
  }
}

/** Newest first; ties by id, highest first (the exact reverse of oldest first). */
function expectedNotes(contactId: number): string[] {
  return [...(paging.notes.get(contactId) ?? [])]
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
    .map((note) => toGlobalId('Note', note.id));
}

function expectedCompanyContacts(companyId: number): string[] {
  return expectedOrder(
    paging.live.filter((c) => c.companyId === companyId),
    { field: 'NAME', direction: 'ASC' },
  );
}

beforeAll(async () => {
  // Walks page many parents' connections in one request, one alias each: more than a client would.
  server = await startTestServer({ MAX_QUERY_ALIASES: '10000' });
  await seedPaging();
});
afterAll(() => server?.close());

describe('the data set', () => {
  it('has the ties the walks below rely on', () => {
    expect(paging.live).toHaveLength(LIVE);
    const count = (key: (c: ContactModel) => string | number) => {
      const groups = new Map<string | number, number>();
      for (const c of paging.live) groups.set(key(c), (groups.get(key(c)) ?? 0) + 1);
      return [...groups.values()];
    };
    const exactNames = count((c) => `${c.firstName}|${c.lastName}`).filter((n) => n >= 21);
    expect(exactNames).toHaveLength(50);
    expect(Math.min(...count((c) => c.createdAt))).toBeGreaterThanOrEqual(20);
    expect(Math.min(...count((c) => c.updatedAt))).toBeGreaterThanOrEqual(10);
  });
});

describe('walking all contacts', () => {
  const orders: Order[] = (['NAME', 'CREATED_AT', 'UPDATED_AT'] as const).flatMap((field) =>
    (['ASC', 'DESC'] as const).map((direction) => ({ field, direction })),
  );

  it.each(orders)('$field $direction visits every contact once, forward and backward', async (orderBy) => {
    const expected = expectedOrder(paging.live, orderBy);
    // Odd page sizes, so page boundaries fall inside runs of equal sort values.
    expectWalk(await walk({ token: reader(), size: 47, orderBy }), expected, 47);
    expectWalk(await walk({ token: reader(), size: 71, orderBy, backward: true }), expected, 71, true);
  });

  it('ends without an empty page when the total is a multiple of the page size', async () => {
    const expected = expectedOrder(paging.live, { field: 'NAME', direction: 'ASC' });
    expect(expected.length % 100).toBe(0);
    expectWalk(await walk({ token: reader(), size: 100 }), expected, 100);
    expectWalk(await walk({ token: reader(), size: 100, backward: true }), expected, 100, true);
  });

  it('turns around at any cursor: before a page start gives the page before it', async () => {
    const orderBy: Order = { field: 'UPDATED_AT', direction: 'DESC' };
    const expected = expectedOrder(paging.live, orderBy);
    const first = await contactsPage({ first: 33, orderBy }, reader());
    const second = await contactsPage({ first: 33, after: first.pageInfo.endCursor, orderBy }, reader());
    const third = await contactsPage({ first: 33, after: second.pageInfo.endCursor, orderBy }, reader());
    expect(third.edges.map((e) => e.node.id)).toEqual(expected.slice(66, 99));

    const back = await contactsPage({ last: 33, before: third.pageInfo.startCursor, orderBy }, reader());
    expect(back.edges.map((e) => e.node.id)).toEqual(expected.slice(33, 66));
    expect(back.edges.map((e) => e.cursor)).toEqual(second.edges.map((e) => e.cursor));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });

    // Any edge's cursor is a place to start from, not only the ends of a page.
    const fromMiddle = await contactsPage({ first: 10, after: second.edges[5]!.cursor, orderBy }, reader());
    expect(fromMiddle.edges.map((e) => e.node.id)).toEqual(expected.slice(39, 49));
    const beforeMiddle = await contactsPage({ last: 10, before: second.edges[5]!.cursor, orderBy }, reader());
    expect(beforeMiddle.edges.map((e) => e.node.id)).toEqual(expected.slice(28, 38));
  });

  it('answers past either end with an empty page', async () => {
    const orderBy: Order = { field: 'CREATED_AT', direction: 'ASC' };
    const lastPage = await contactsPage({ last: 5, orderBy }, reader());
    const afterEnd = await contactsPage({ first: 5, after: lastPage.pageInfo.endCursor, orderBy }, reader());
    expect(afterEnd).toEqual({
      totalCount: LIVE,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
    });
    const firstPage = await contactsPage({ first: 5, orderBy }, reader());
    const beforeStart = await contactsPage({ last: 5, before: firstPage.pageInfo.startCursor, orderBy }, reader());
    expect(beforeStart.edges).toEqual([]);
    expect(beforeStart.pageInfo).toMatchObject({ hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  it('returns the nodes the ids name', async () => {
    const byId = new Map(paging.live.map((c) => [c.gid, c]));
    const result = await data(
      '{ contacts(first: 100, orderBy: { field: CREATED_AT, direction: DESC }) { edges { node { id firstName lastName email createdAt updatedAt company { id } } } } }',
      {},
      reader(),
    );
    expect(result.contacts.edges).toHaveLength(100);
    for (const { node } of result.contacts.edges) {
      const model = byId.get(node.id)!;
      expect(node).toEqual({
        id: model.gid,
        firstName: model.firstName,
        lastName: model.lastName,
        email: model.email,
        createdAt: new Date(model.createdAt).toISOString(),
        updatedAt: new Date(model.updatedAt).toISOString(),
        company: model.companyId === null ? null : { id: toGlobalId('Company', model.companyId) },
      });
    }
  });
});

describe('soft-deleted contacts', () => {
  it('are in no list, no count and no lookup', async () => {
    expect(paging.deleted).toHaveLength(DELETED);
    const deletedIds = paging.deleted.map((c) => c.gid);
    const everything = await walk({ token: reader(), size: 100, orderBy: { field: 'UPDATED_AT', direction: 'DESC' } });
    expect(everything.ids).toHaveLength(LIVE);
    expect(everything.ids.filter((id) => deletedIds.includes(id))).toEqual([]);
    expect(everything.pages[0]!.totalCount).toBe(LIVE);

    for (const contact of paging.deleted.slice(0, 5)) {
      const result = await data('query ($id: ID!) { contact(id: $id) { id } node(id: $id) { id } }', { id: contact.gid }, reader());
      expect(result).toEqual({ contact: null, node: null });
    }
    // Their company no longer counts them either.
    const staffed = paging.deleted.find((c) => c.companyId !== null)!;
    const company = await data(
      'query ($id: ID!) { company(id: $id) { contacts(first: 100) { totalCount edges { node { id } } } } }',
      { id: toGlobalId('Company', staffed.companyId!) },
      reader(),
    );
    const expected = expectedCompanyContacts(staffed.companyId!);
    expect(company.company.contacts.totalCount).toBe(expected.length);
    expect(company.company.contacts.edges.map((e: any) => e.node.id)).toEqual(expected);
  });
});

describe('cursors are only honoured where they were issued', () => {
  const page = (variables: Record<string, unknown>) => contactsPage(variables, reader());
  const refuse = async (variables: Record<string, unknown>, argument = 'after') => {
    const error = await refusal(CONTACT_PAGE, variables, reader());
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: argument });
  };

  it('refuses a cursor from another ordering or direction', async () => {
    const byName = (await page({ first: 3 })).pageInfo.endCursor!;
    const byCreated = (await page({ first: 3, orderBy: { field: 'CREATED_AT', direction: 'ASC' } })).pageInfo.endCursor!;
    await refuse({ first: 3, after: byName, orderBy: { field: 'NAME', direction: 'DESC' } });
    await refuse({ first: 3, after: byName, orderBy: { field: 'CREATED_AT', direction: 'ASC' } });
    await refuse({ last: 3, before: byName, orderBy: { field: 'UPDATED_AT', direction: 'DESC' } }, 'before');
    // Both instants: the value would even parse, which makes the scope check the only guard.
    await refuse({ first: 3, after: byCreated, orderBy: { field: 'UPDATED_AT', direction: 'ASC' } });
    await refuse({ first: 3, after: byCreated, orderBy: { field: 'CREATED_AT', direction: 'DESC' } });
    await refuse({ first: 3, after: byCreated });
  });

  it('refuses a cursor from another filter', async () => {
    const { alpha, beta } = paging.tagIds;
    const cursorFor = async (filter: ContactFilterModel) =>
      (await page({ first: 3, filter: filterInput(filter) })).pageInfo.endCursor!;
    const unfiltered = (await page({ first: 3 })).pageInfo.endCursor!;
    const adams = await cursorFor({ search: 'adams' });
    const tagged = await cursorFor({ tagIds: [alpha] });
    const recent = await cursorFor({ updatedAfter: UPDATED_SLOTS[3]! });
    const quartz = await cursorFor({ companyId: paging.quartzId });

    await refuse({ first: 3, after: unfiltered, filter: filterInput({ search: 'adams' }) });
    await refuse({ first: 3, after: adams });
    await refuse({ first: 3, after: adams, filter: filterInput({ search: 'baker' }) });
    await refuse({ first: 3, after: tagged, filter: filterInput({ tagIds: [alpha, beta] }) });
    await refuse({ first: 3, after: recent, filter: filterInput({ updatedAfter: UPDATED_SLOTS[4]! }) });
    await refuse({ first: 3, after: quartz, filter: filterInput({ companyId: paging.companyIds[0]! }) });
    await refuse({ last: 3, before: quartz }, 'before');
  });

  it('accepts it wherever the ordering and filter are the same, however they are spelled', async () => {
    const { alpha, beta } = paging.tagIds;
    const first = await page({ first: 3 });
    const expected = expectedOrder(paging.live, { field: 'NAME', direction: 'ASC' }).slice(3, 6);
    for (const orderBy of [undefined, { field: 'NAME' }, { field: 'NAME', direction: 'ASC' }]) {
      const next = await page({ first: 3, after: first.pageInfo.endCursor, orderBy });
      expect(next.edges.map((e) => e.node.id)).toEqual(expected);
    }
    const nameOrderOf = (filter: ContactFilterModel) =>
      expectedOrder(paging.live.filter((c) => matchesFilter(c, filter, paging.companyNames)), { field: 'NAME', direction: 'ASC' });
    const shouted = await page({ first: 3, filter: { search: ' ADAMS ' } });
    const quiet = await page({ first: 3, after: shouted.pageInfo.endCursor, filter: { search: 'adams' } });
    expect(quiet.edges.map((e) => e.node.id)).toEqual(nameOrderOf({ search: 'adams' }).slice(3, 6));
    const twoTags = await page({ first: 3, filter: filterInput({ tagIds: [beta, alpha] }) });
    const sameTags = await page({ first: 3, after: twoTags.pageInfo.endCursor, filter: filterInput({ tagIds: [alpha, beta, alpha] }) });
    expect(sameTags.edges.map((e) => e.node.id)).toEqual(nameOrderOf({ tagIds: [alpha, beta] }).slice(3, 6));
  });

  it('refuses cursors of other connections', async () => {
    const noted = [...paging.notes.keys()][0]!;
    const notesCursor = (
      await data('query ($id: ID!) { contact(id: $id) { notes(first: 1) { pageInfo { endCursor } } } }', { id: toGlobalId('Contact', noted) }, reader())
    ).contact.notes.pageInfo.endCursor;
    const companyQuery = 'query ($id: ID!, $after: String) { company(id: $id) { contacts(first: 1, after: $after) { pageInfo { endCursor } } } }';
    const companyCursor = (await data(companyQuery, { id: toGlobalId('Company', paging.quartzId) }, reader())).company.contacts.pageInfo.endCursor;
    const companiesCursor = (await data('{ companies(first: 1) { pageInfo { endCursor } } }', {}, reader())).companies.pageInfo.endCursor;
    const contactsCursor = (await page({ first: 1 })).pageInfo.endCursor;

    await refuse({ first: 3, after: notesCursor, orderBy: { field: 'CREATED_AT', direction: 'DESC' } });
    await refuse({ first: 3, after: companyCursor });
    await refuse({ first: 3, after: companiesCursor });
    for (const after of [contactsCursor, companiesCursor]) {
      const error = await refusal(companyQuery, { id: toGlobalId('Company', paging.quartzId), after }, reader());
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    const error = await refusal(
      'query ($id: ID!, $after: String) { contact(id: $id) { notes(first: 1, after: $after) { totalCount } } }',
      { id: toGlobalId('Contact', noted), after: contactsCursor },
      reader(),
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuses a cursor of another workspace, even for the same list', async () => {
    const rival = await createWorkspace(server.db, 'paging-rival', 5);
    const theirs = (await contactsPage({ first: 2 }, rival.reader)).pageInfo.endCursor!;
    await refuse({ first: 3, after: theirs });
    await refuse({ last: 3, before: theirs }, 'before');
    const ours = (await page({ first: 2 })).pageInfo.endCursor!;
    const error = await refusal(CONTACT_PAGE, { first: 3, after: ours }, rival.reader);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuses garbage and tampered cursors, and checks what a sealed one holds', async () => {
    const forger = await cursorForger(server.db);
    const byName = (await page({ first: 3 })).pageInfo.endCursor!;
    const createdOrder = { field: 'CREATED_AT', direction: 'ASC' };
    const byCreated = (await page({ first: 3, orderBy: createdOrder })).pageInfo.endCursor!;
    const [nameScope, nameValue, nameId] = forger.open(byName);
    const [createdScope, createdValue, createdId] = forger.open(byCreated);
    // The genuine article opens, so the variants below fail for what was changed in them.
    expect(typeof nameValue).toBe('string');
    expect(Number.isInteger(createdValue)).toBe(true);
    // Sealed forgeries of a sound position are taken: the checks below are of the contents.
    expect((await page({ first: 3, after: forger.seal([nameScope, nameValue, nameId]) })).edges).toHaveLength(3);

    const sealedBytes = Buffer.from(byName, 'base64url').length;
    const garbage = [
      'garbage!',
      '',
      'abc',
      'x'.repeat(3000),
      Buffer.from('not json at all').toString('base64url'),
      // The position in the clear, as cursors were before they were sealed.
      Buffer.from(JSON.stringify([nameScope, nameValue, nameId])).toString('base64url'),
      // Tampered: any changed byte (the tag, the first and the last of the text), cut or extended.
      flipByte(byName, 0),
      flipByte(byName, 16),
      flipByte(byName, sealedBytes - 1),
      byName.slice(0, -1),
      byName.slice(0, 22),
      `${byName}AA`,
      `${byName.slice(0, -1)}${byName.at(-1) === 'A' ? 'B' : 'A'}`,
      // Sealed, but not a position.
      forger.sealBytes(Buffer.from('not json at all')),
      forger.sealBytes(Buffer.from([0xff, 0xfe, 0x00])),
      forger.seal({ scope: nameScope, value: nameValue, id: nameId }),
      forger.seal(null),
      forger.seal([nameScope, nameValue]),
      forger.seal([nameScope, nameValue, nameId, 1]),
      forger.seal([nameScope, nameValue, 0]),
      forger.seal([nameScope, nameValue, -4]),
      forger.seal([nameScope, nameValue, 1.5]),
      forger.seal([nameScope, nameValue, 2 ** 53]),
      forger.seal([nameScope, nameValue, String(nameId)]),
      forger.seal([nameScope, 42, nameId]),
      forger.seal([nameScope, null, nameId]),
      forger.seal([nameScope, ['a'], nameId]),
      forger.seal([nameScope, 'adams\u0000anna', nameId]),
      forger.seal([nameScope, '\u0000', nameId]),
      forger.seal([nameScope, 'a'.repeat(301), nameId]),
      forger.seal([nameScope, 'adams \ud800', nameId]),
    ];
    for (const cursor of garbage) {
      await refuse({ first: 3, after: cursor });
      await refuse({ last: 3, before: cursor }, 'before');
    }
    for (const cursor of [
      forger.seal([createdScope, 'yesterday', createdId]),
      forger.seal([createdScope, 1e17, createdId]),
      forger.seal([createdScope, (createdValue as number) + 0.5, createdId]),
      forger.seal([createdScope, Date.parse('0001-01-01T00:00:00.000Z') - 1, createdId]),
      forger.seal([createdScope, Date.parse('9999-12-31T23:59:59.999Z') + 1, createdId]),
      forger.seal([createdScope, -8.64e15, createdId]),
    ]) {
      await refuse({ first: 3, after: cursor, orderBy: createdOrder });
    }
    // The edges of the range are positions like any other.
    for (const instant of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const edge = await page({ first: 1, after: forger.seal([createdScope, Date.parse(instant), createdId]), orderBy: createdOrder });
      expect(edge.edges.length).toBeLessThanOrEqual(1);
    }
  });

  it('show no name, and are the same for the same position on every execution and instance', async () => {
    const walked = await walk({ token: reader(), size: 100 });
    const lastNames = LAST_NAMES.map((name) => name.toLowerCase());
    for (const cursor of walked.pages.flatMap((p) => p.edges.map((edge) => edge.cursor))) {
      // Decoded, as anyone reading a URL or a log could: no name (a sealed cursor's text is random
      // letters, and may spell a short name by chance, so the text itself is not searched).
      const bytes = Buffer.from(cursor, 'base64url').toString('latin1').toLowerCase();
      for (const name of lastNames) expect(bytes).not.toContain(name);
    }
    // Another instance over the same data, caching nothing, then one started after it stopped:
    // the same bytes, so cached and uncached answers (and their ETags) agree.
    const query = { query: CONTACT_PAGE, variables: { first: 30, orderBy: { field: 'NAME', direction: 'DESC' } } };
    const answer = async (target: TestServer) => (await target.graphql(query.query, query.variables, reader())).text;
    const first = await answer(server);
    expect(await answer(server)).toBe(first);
    for (let instance = 0; instance < 2; instance++) {
      const other = await startTestServer({ RESPONSE_CACHE: 'false', WARM_WORKSPACES: '0' }, { database: server.database });
      try {
        expect(await answer(other)).toBe(first);
      } finally {
        await other.close();
      }
    }
  });
});

describe('page sizes', () => {
  const nameOrder = () => expectedOrder(paging.live, { field: 'NAME', direction: 'ASC' });

  it('default to 20 in either direction', async () => {
    const first = await contactsPage({}, reader());
    expect(first.edges.map((e) => e.node.id)).toEqual(nameOrder().slice(0, 20));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const after = await contactsPage({ after: first.pageInfo.endCursor }, reader());
    expect(after.edges.map((e) => e.node.id)).toEqual(nameOrder().slice(20, 40));
    const before = await contactsPage({ before: after.pageInfo.endCursor }, reader());
    expect(before.edges.map((e) => e.node.id)).toEqual(nameOrder().slice(19, 39));
    // Explicit nulls are "not given".
    const nulls = await contactsPage({ last: null, before: null, first: null, after: null }, reader());
    expect(nulls.edges.map((e) => e.node.id)).toEqual(nameOrder().slice(0, 20));
  });

  it('allow at most 100', async () => {
    expect((await contactsPage({ first: 100 }, reader())).edges).toHaveLength(100);
    expect((await contactsPage({ last: 100 }, reader())).edges.map((e) => e.node.id)).toEqual(nameOrder().slice(-100));
    for (const [variables, field] of [
      [{ first: 101 }, 'first'],
      [{ last: 101 }, 'last'],
      [{ first: 1000, after: null }, 'first'],
      [{ first: -1 }, 'first'],
      [{ last: -1 }, 'last'],
    ] as const) {
      const error = await refusal(CONTACT_PAGE, variables, reader());
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('refuse mixing the two directions', async () => {
    const cursor = (await contactsPage({ first: 2 }, reader())).pageInfo.endCursor;
    for (const variables of [
      { first: 2, last: 2 },
      { first: 2, after: cursor, before: cursor },
      { first: 2, before: cursor },
      { last: 2, after: cursor },
    ]) {
      expect((await refusal(CONTACT_PAGE, variables, reader())).extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('of 0 give no edges but still tell whether rows follow', async () => {
    const none = await contactsPage({ first: 0 }, reader());
    expect(none).toEqual({
      totalCount: LIVE,
      edges: [],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    const end = await contactsPage({ last: 1 }, reader());
    const noneAfterEnd = await contactsPage({ first: 0, after: end.pageInfo.endCursor }, reader());
    expect(noneAfterEnd.edges).toEqual([]);
    expect(noneAfterEnd.pageInfo.hasNextPage).toBe(false);
    expect((await contactsPage({ last: 0 }, reader())).edges).toEqual([]);
  });

  it('follow the same rules in nested connections', async () => {
    const busiest = [...paging.notes.entries()].sort((a, b) => b[1].length - a[1].length)[0]![0];
    const nested = await data(
      `query ($contact: ID!, $company: ID!) {
        contact(id: $contact) { notes { totalCount edges { node { id } } } }
        company(id: $company) { contacts { totalCount edges { node { id } } } }
      }`,
      { contact: toGlobalId('Contact', busiest), company: toGlobalId('Company', paging.quartzId) },
      reader(),
    );
    expect(nested.contact.notes.edges.map((e: any) => e.node.id)).toEqual(expectedNotes(busiest).slice(0, 20));
    expect(nested.company.contacts.edges.map((e: any) => e.node.id)).toEqual(expectedCompanyContacts(paging.quartzId).slice(0, 20));
    for (const query of [
      'query ($id: ID!) { contact(id: $id) { notes(first: 101) { totalCount } } }',
      'query ($id: ID!) { company(id: $id) { contacts(first: 101) { totalCount } } }',
    ]) {
      const id = query.includes('contact(') ? toGlobalId('Contact', busiest) : toGlobalId('Company', paging.quartzId);
      expect((await refusal(query, { id }, reader())).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    const empty = await data(
      'query ($id: ID!) { contact(id: $id) { notes(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } } }',
      { id: toGlobalId('Contact', busiest) },
      reader(),
    );
    expect(empty.contact.notes).toEqual({ totalCount: 130, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });
});

describe('filters', () => {
  // Each case's expectation is worked out from the inserted rows; every case pages forward by name
  // and backward in one of the other orderings.
  const cases: Array<{ name: string; filter: () => ContactFilterModel; orderBy: Order; minimum: number }> = [
    { name: 'search by last name, in capitals', filter: () => ({ search: 'DAVIS' }), orderBy: { field: 'CREATED_AT', direction: 'DESC' }, minimum: 100 },
    { name: 'search by a first-name fragment', filter: () => ({ search: 'Mitr' }), orderBy: { field: 'UPDATED_AT', direction: 'ASC' }, minimum: 200 },
    { name: 'search by company name', filter: () => ({ search: 'quartz' }), orderBy: { field: 'NAME', direction: 'DESC' }, minimum: 22 },
    { name: 'search by email domain', filter: () => ({ search: 'post.TEST' }), orderBy: { field: 'CREATED_AT', direction: 'ASC' }, minimum: 200 },
    { name: 'search with a literal underscore', filter: () => ({ search: 'i_' }), orderBy: { field: 'UPDATED_AT', direction: 'DESC' }, minimum: 30 },
    { name: 'search with a literal percent sign', filter: () => ({ search: '5%' }), orderBy: { field: 'NAME', direction: 'DESC' }, minimum: 0 },
    { name: 'company', filter: () => ({ companyId: paging.quartzId }), orderBy: { field: 'UPDATED_AT', direction: 'DESC' }, minimum: 22 },
    { name: 'company without contacts', filter: () => ({ companyId: paging.emptyCompanyId }), orderBy: { field: 'NAME', direction: 'ASC' }, minimum: 0 },
    { name: 'two tags', filter: () => ({ tagIds: [paging.tagIds.alpha, paging.tagIds.beta] }), orderBy: { field: 'CREATED_AT', direction: 'ASC' }, minimum: 100 },
    { name: 'a tag listed twice', filter: () => ({ tagIds: [paging.tagIds.gamma, paging.tagIds.gamma] }), orderBy: { field: 'NAME', direction: 'DESC' }, minimum: 300 },
    { name: 'all four tags', filter: () => ({ tagIds: Object.values(paging.tagIds) }), orderBy: { field: 'UPDATED_AT', direction: 'ASC' }, minimum: 10 },
    // An instant many contacts were updated at exactly, one millisecond before the next one: "after"
    // is strict, and exact to the millisecond.
    { name: 'updated after', filter: () => ({ updatedAfter: UPDATED_SLOTS[12]! }), orderBy: { field: 'UPDATED_AT', direction: 'DESC' }, minimum: 150 },
    {
      name: 'everything at once',
      filter: () => ({ search: 'an', tagIds: [paging.tagIds.delta], updatedAfter: UPDATED_SLOTS[0]! - 1, companyId: paging.companyIds[3]! }),
      orderBy: { field: 'CREATED_AT', direction: 'DESC' },
      minimum: 3,
    },
  ];

  it.each(cases)('$name', async ({ filter, orderBy, minimum }) => {
    const model = filter();
    const matching = paging.live.filter((c) => matchesFilter(c, model, paging.companyNames));
    expect(matching.length).toBeGreaterThanOrEqual(minimum);
    const input = filterInput(model);
    expectWalk(await walk({ token: reader(), size: 30, filter: input }), expectedOrder(matching, { field: 'NAME', direction: 'ASC' }), 30);
    expectWalk(await walk({ token: reader(), size: 25, filter: input, orderBy, backward: true }), expectedOrder(matching, orderBy), 25, true);
  });

  it('narrow the list, or the cases above would pass with no filter at all', () => {
    expect(paging.live.filter((c) => c.updatedAt === UPDATED_SLOTS[12]!).length).toBeGreaterThan(5);
    expect(paging.live.filter((c) => c.updatedAt === UPDATED_SLOTS[12]! + 1).length).toBeGreaterThan(5);
    for (const { filter } of cases) {
      const matching = paging.live.filter((c) => matchesFilter(c, filter(), paging.companyNames));
      expect(matching.length).toBeLessThan(LIVE);
    }
    // Read as a wildcard, "i_" would also match "dmitri clark" across the space, or "irwin".
    const loose = paging.live.filter((c) => /i./.test(`${c.firstName} ${c.lastName} ${c.email ?? ''}`.toLowerCase()));
    const literal = paging.live.filter((c) => matchesFilter(c, { search: 'i_' }, paging.companyNames));
    expect(loose.length).toBeGreaterThan(literal.length * 2);
  });
});

describe('Contact.notes', () => {
  const NOTES_PAGE = `query ($first: Int!, $after: String) {
    contacts(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {
      pageInfo { hasNextPage endCursor }
      edges { node { id notes(first: 4) { ${CONNECTION_FIELDS} } } }
    }
  }`;

  it('gives every contact on a page its own newest notes and count', async () => {
    const byGid = new Map(paging.live.map((c) => [c.gid, c]));
    let after: string | null = null;
    let seen = 0;
    let withNotes = 0;
    do {
      const result: any = await data(NOTES_PAGE, { first: 100, after }, reader());
      for (const { node } of result.contacts.edges) {
        const contact = byGid.get(node.id)!;
        const expected = expectedNotes(contact.id);
        if (expected.length > 0) withNotes++;
        expect(node.notes.edges.map((e: any) => e.node.id)).toEqual(expected.slice(0, 4));
        expect(node.notes.totalCount).toBe(expected.length);
        expect(node.notes.pageInfo).toMatchObject({ hasNextPage: expected.length > 4, hasPreviousPage: false });
        seen++;
      }
      after = result.contacts.pageInfo.hasNextPage ? result.contacts.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toBe(LIVE);
    expect(withNotes).toBe(40);
  });

  it('pages each contact\'s notes to the end, many contacts in one request', async () => {
    const noted = [...paging.notes.keys()];
    expect(noted).toHaveLength(40);
    const walks = await walkNested(noted.map((id) => toGlobalId('Contact', id)), 'contact', 'notes', 3, reader());
    for (const id of noted) expectWalk(walks.get(toGlobalId('Contact', id))!, expectedNotes(id), 3);
  });
});

describe('Company.contacts and companies', () => {
  it('lists companies by name, a page at a time', async () => {
    const expected = paging.companyIds.map((id) => toGlobalId('Company', id));
    const pages: Connection[] = [];
    let after: string | null = null;
    do {
      const result: any = await data(
        `query ($after: String) { companies(first: 5, after: $after) { ${CONNECTION_FIELDS} } }`,
        { after },
        reader(),
      );
      pages.push(result.companies);
      after = result.companies.pageInfo.hasNextPage ? result.companies.pageInfo.endCursor : null;
    } while (after && pages.length < 20);
    expectWalk({ ids: pages.flatMap((p) => p.edges.map((e) => e.node.id)), pages }, expected, 5);
  });

  it('gives every company on a page its own first contacts and count', async () => {
    const result = await data(
      `{ companies(first: 100) { totalCount edges { node { id contacts(first: 4) { ${CONNECTION_FIELDS} } } } } }`,
      {},
      reader(),
    );
    expect(result.companies.totalCount).toBe(COMPANY_WORDS.length);
    expect(result.companies.edges.map((e: any) => e.node.id)).toEqual(paging.companyIds.map((id) => toGlobalId('Company', id)));
    for (const [i, { node }] of result.companies.edges.entries()) {
      const expected = expectedCompanyContacts(paging.companyIds[i]!);
      expect(node.contacts.edges.map((e: any) => e.node.id)).toEqual(expected.slice(0, 4));
      expect(node.contacts.totalCount).toBe(expected.length);
      expect(node.contacts.pageInfo).toMatchObject({ hasNextPage: expected.length > 4, hasPreviousPage: false });
    }
  });

  it('pages each company\'s contacts to the end, all companies in one request', async () => {
    // Quartz Labs employs every Cleo Baker, so its pages of 4 cut through a run of 21 ties.
    const cleos = paging.live.filter((c) => c.companyId === paging.quartzId && c.firstName === 'Cleo' && c.lastName === 'Baker');
    expect(cleos.length).toBeGreaterThanOrEqual(21);
    const walks = await walkNested(paging.companyIds.map((id) => toGlobalId('Company', id)), 'company', 'contacts', 4, reader());
    for (const id of paging.companyIds) expectWalk(walks.get(toGlobalId('Company', id))!, expectedCompanyContacts(id), 4);
  });

  it('pages contacts the same way under a contacts list and under companies', async () => {
    // Company.contacts of the contacts on a page: many parents, each with the same company often.
    const result = await data(
      '{ contacts(first: 60, filter: { search: "cleo" }) { edges { node { id company { id contacts(first: 3) { totalCount edges { node { id } } } } } } } }',
      {},
      reader(),
    );
    expect(result.contacts.edges).toHaveLength(60);
    for (const { node } of result.contacts.edges) {
      if (!node.company) continue;
      const companyId = [...paging.companyNames.keys()].find((id) => toGlobalId('Company', id) === node.company.id)!;
      const expected = expectedCompanyContacts(companyId);
      expect(node.company.contacts.totalCount).toBe(expected.length);
      expect(node.company.contacts.edges.map((e: any) => e.node.id)).toEqual(expected.slice(0, 3));
    }
  });
});

describe('writes during a walk', () => {
  // Each case has a workspace of its own: 200 contacts, 10 copies of each of 20 names, instants
  // shared by 20 contacts each; writes go through the API while the walk is under way.
  const CHURN_LAST = ['Mason', 'Nolan', 'Owens', 'Perry', 'Quinn'];
  const CHURN_FIRST = ['Ada', 'Ben', 'Cy', 'Di'];

  async function churnWorkspace(name: string) {
    const workspace = await createWorkspace(server.db, name);
    const workspaceId = await workspaceIdOf(name);
    const random = seededRandom(name.length * 7919);
    const rows = random.shuffle(
      Array.from({ length: 200 }, (_, i) => ({
        workspaceId,
        lastName: CHURN_LAST[i % CHURN_LAST.length]!,
        firstName: CHURN_FIRST[Math.floor(i / CHURN_LAST.length) % CHURN_FIRST.length]!,
        createdAt: new Date(BASE + (i % 10) * DAY),
        updatedAt: new Date(BASE + (i % 10) * DAY),
      })),
    );
    const originals = await insertContacts(rows);
    const names = new Map(originals.map((c) => [c.gid, nameKey(c)]));
    const created: Array<{ gid: string; kind: string; round: number }> = [];
    /** `round`: the index of the page being fetched (alongside) or just fetched (afterPage). */
    const create = async (lastName: string, firstName: string, kind: 'ahead' | 'behind' | 'new', round: number) => {
      const result = await data(CREATE_CONTACT, { input: { firstName, lastName } }, workspace.editor);
      const contact = result.createContact.contact;
      names.set(contact.id, nameKey(contact));
      created.push({ gid: contact.id, kind, round });
      return contact;
    };
    /**
     * Contacts of one kind created before the walk's final page was asked for: a contact created
     * alongside or after the final request may legitimately have missed the walk.
     */
    const createdOf = (kind: string, beforeRound = Infinity) =>
      created.filter((c) => c.kind === kind && c.round < beforeRound).map((c) => c.gid).sort();
    return { workspace, originals, names, create, createdOf, created };
  }

  const nameAscending = (names: Map<string, string>, ids: string[]) => {
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [names.get(ids[i - 1]!)!, names.get(ids[i]!)!];
      const idOf = (gid: string) => Number(Buffer.from(gid, 'base64url').toString().split(':')[1]);
      expect(a < b || (a === b && idOf(ids[i - 1]!) < idOf(ids[i]!)), `${ids[i - 1]} before ${ids[i]}`).toBe(true);
    }
  };

  it('forward by name: contacts that existed are seen once each; new ones only ahead of the cursor', async () => {
    const churn = await churnWorkspace('churn-forward');
    const originalIds = new Set(churn.originals.map((c) => c.gid));
    const result = await walk({
      token: churn.workspace.reader,
      size: 25,
      // Sorts after everything: reached whether it lands before or after this page is read.
      alongside: (round) => churn.create('Zappa', 'Ivy', 'ahead', round),
      afterPage: async (page, round) => {
        const last = page.edges.at(-1)!.node.id;
        const [lastName, firstName] = churn.names.get(last)!.split(' ');
        await churn.create('Aaron', 'Max', 'behind', round);
        // Same name as the contact at the cursor: the higher id puts it just past the cursor.
        await churn.create(lastName!, firstName!, 'ahead', round);
        await churn.create('Zappa', 'Lou', 'ahead', round);
      },
    });
    const finalRound = result.pages.length - 1;
    expect(result.pages.length).toBeGreaterThan(8);
    expect(new Set(result.ids).size).toBe(result.ids.length);
    expect(result.ids.filter((id) => originalIds.has(id))).toEqual(expectedOrder(churn.originals, { field: 'NAME', direction: 'ASC' }));
    const seenNew = result.ids.filter((id) => !originalIds.has(id));
    expect(seenNew.filter((id) => churn.createdOf('behind').includes(id))).toEqual([]);
    expect(seenNew).toEqual(expect.arrayContaining(churn.createdOf('ahead', finalRound)));
    nameAscending(churn.names, result.ids);
    const total = await contactsPage({ first: 0 }, churn.workspace.reader);
    expect(total.totalCount).toBe(200 + churn.created.length);
  });

  it('backward by name: the same, mirrored', async () => {
    const churn = await churnWorkspace('churn-backward');
    const originalIds = new Set(churn.originals.map((c) => c.gid));
    const result = await walk({
      token: churn.workspace.reader,
      size: 25,
      backward: true,
      alongside: (round) => churn.create('Aaron', 'Ivy', 'ahead', round),
      afterPage: async (page, round) => {
        const first = page.edges[0]!.node.id;
        const [lastName, firstName] = churn.names.get(first)!.split(' ');
        await churn.create('Zappa', 'Max', 'behind', round);
        // Same name as the contact at the cursor: the higher id puts it behind a backward walk.
        await churn.create(lastName!, firstName!, 'behind', round);
        await churn.create('Aaron', 'Lou', 'ahead', round);
      },
    });
    const finalRound = result.pages.length - 1;
    expect(result.pages.length).toBeGreaterThan(8);
    expect(new Set(result.ids).size).toBe(result.ids.length);
    expect(result.ids.filter((id) => originalIds.has(id))).toEqual(expectedOrder(churn.originals, { field: 'NAME', direction: 'ASC' }));
    const seenNew = result.ids.filter((id) => !originalIds.has(id));
    expect(seenNew.filter((id) => churn.createdOf('behind').includes(id))).toEqual([]);
    expect(seenNew).toEqual(expect.arrayContaining(churn.createdOf('ahead', finalRound)));
    nameAscending(churn.names, result.ids);
  });

  it('newest first: contacts created during the walk sort before it and are not seen', async () => {
    const churn = await churnWorkspace('churn-newest');
    const orderBy: Order = { field: 'CREATED_AT', direction: 'DESC' };
    const result = await walk({
      token: churn.workspace.reader,
      size: 30,
      orderBy,
      // Not alongside the first request: with no cursor yet, a contact created then may be on page one.
      alongside: (round) => (round > 0 ? churn.create('Nolan', 'Ada', 'new', round) : Promise.resolve()),
      afterPage: async (_page, round) => {
        await churn.create('Aaron', 'Max', 'new', round);
        await churn.create('Zappa', 'Lou', 'new', round);
      },
    });
    expect(result.ids).toEqual(expectedOrder(churn.originals, orderBy));
    // Oldest first sees them all, at the end.
    const oldest = await walk({ token: churn.workspace.reader, size: 100, orderBy: { field: 'CREATED_AT', direction: 'ASC' } });
    expect(oldest.ids.slice(0, 200)).toEqual(expectedOrder(churn.originals, { field: 'CREATED_AT', direction: 'ASC' }));
    expect(churn.created.length).toBeGreaterThan(10);
    expect(oldest.ids.slice(200).sort()).toEqual(churn.createdOf('new'));
  });

  it('deletions: the deleted are skipped, the cursor of a deleted contact still works, counts follow', async () => {
    const churn = await churnWorkspace('churn-delete');
    const expected = expectedOrder(churn.originals, { field: 'NAME', direction: 'ASC' });
    const deletedAhead = [expected[61]!, expected[62]!, expected[100]!, expected[199]!];
    const remove = (id: string) => data(DELETE_CONTACT, { id }, churn.workspace.editor);
    const result = await walk({
      token: churn.workspace.reader,
      size: 20,
      afterPage: async (page, index) => {
        if (index !== 2) return;
        // The contact the next request starts after, one already seen, and some still ahead.
        await remove(page.edges.at(-1)!.node.id);
        await remove(expected[3]!);
        for (const id of deletedAhead) await remove(id);
      },
    });
    expect(result.ids).toEqual(expected.filter((id) => !deletedAhead.includes(id)));
    expect(result.pages.slice(0, 3).map((p) => p.totalCount)).toEqual([200, 200, 200]);
    expect(result.pages.slice(3).every((p) => p.totalCount === 194)).toBe(true);
    const again = await walk({ token: churn.workspace.reader, size: 50, orderBy: { field: 'UPDATED_AT', direction: 'DESC' } });
    expect(again.ids).toHaveLength(194);
    expect(again.pages[0]!.totalCount).toBe(194);
  });
});
