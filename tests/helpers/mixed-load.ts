// A steady mixed load on one server, the way many clients use it at once: list and card reads,
// createContact, updateContact and recordContactView. It keeps every answer (what was asked, when,
// and what went wrong if anything did) and the tally of what the server acknowledged, so that a
// test can check that a fault failed no request and lost no acknowledged write.
import http from 'node:http';
import type { DatabaseHandle } from '../../src/db/client.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { type ContactState, contactsIn } from './process-store.js';
import { tableBufferIn } from './view-buffers.js';
import { RECORD_VIEW } from './view-load.js';
import { getOnce, postGraphQL } from './post-graphql.js';

export { getOnce, postGraphQL };
import { seededRandom } from './seeded-random.js';

/** No request may hang a test: one still unanswered after this counts as failed. */

const LIST = 'query ($first: Int) { contacts(first: $first, orderBy: { field: NAME }) { totalCount edges { node { id firstName company { name } } } } }';
const CARD = 'query ($id: ID!) { contact(id: $id) { id firstName lastName email title version tags { name } } }';
const CREATE = 'mutation ($input: CreateContactInput!) { createContact(input: $input) { contact { id email } } }';
const UPDATE = 'mutation ($input: UpdateContactInput!) { updateContact(input: $input) { contact { id title version } } }';

export type Kind = 'list' | 'card' | 'create' | 'update' | 'view';

export interface Answer {
  kind: Kind;
  /** The test's label for the moment the request was sent, and for the moment its answer came. */
  sentIn: string;
  answeredIn: string;
  sentAt: number;
  ms: number;
  /** What was wrong with the answer; undefined for a success. */
  problem: string | undefined;
}

export interface OwnedContact {
  id: string;
  version: number;
}

export interface MixedLoadOptions {
  url: string;
  editor: string;
  reader: string;
  /** Contacts read and viewed by every client. */
  contacts: string[];
  /** One contact per client, which that client alone updates: the last acknowledged title of each is known. */
  owned: OwnedContact[];
  random: ReturnType<typeof seededRandom>;
  /** The load stops by itself after this long, whatever the test does. */
  maxMs: number;
}

/**
 * A load on `url` over a seeded workspace: its first `clients` contacts are owned one per client,
 * the rest are read and viewed by all; `seed` makes the sequence of requests repeatable.
 */
export function mixedLoadOver(
  url: string,
  workspace: { editor: string; reader: string; initial: ContactState[] },
  clients: number,
  seed: number,
  maxMs: number,
): MixedLoad {
  return new MixedLoad({
    url,
    editor: workspace.editor,
    reader: workspace.reader,
    owned: workspace.initial.slice(0, clients).map(({ id, version }) => ({ id, version })),
    contacts: workspace.initial.slice(clients).map(({ id }) => id),
    random: seededRandom(seed),
    maxMs,
  });
}

export class MixedLoad {
  readonly answers: Answer[] = [];
  /** Emails of the contacts whose createContact was acknowledged. */
  readonly created = new Set<string>();
  /** Contact id to the title its last acknowledged updateContact set. */
  readonly titles = new Map<string, string>();
  /** Contact id to the views recordContactView acknowledged. */
  readonly views = new Map<string, number>();
  /** Set by the test: labels the answers from now on. */
  phase = 'start';
  private viewsPaused = false;
  private viewsInFlight = 0;
  private stopping = false;
  private running: Promise<void> | undefined;
  private sequence = 0;
  private readonly agent: http.Agent;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: MixedLoadOptions) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.owned.length });
  }

  get failures(): Answer[] {
    return this.answers.filter((answer) => answer.problem !== undefined);
  }

  get acknowledgedViews(): number {
    let total = 0;
    for (const count of this.views.values()) total += count;
    return total;
  }

  /** Starts one client per owned contact. */
  start(): void {
    const deadline = Date.now() + this.options.maxMs;
    this.running = Promise.all(
      this.options.owned.map(async (owned) => {
        while (!this.stopping && Date.now() < deadline) await this.one(owned);
      }),
    ).then(() => this.notify());
  }

  /** Resolves once `done` holds after some answer, or rejects after `timeoutMs`. */
  until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what} (${this.answers.length} answers, ${this.failures.length} failed)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Stops sending views (the other requests go on) and resolves once none is in flight. */
  async pauseViews(): Promise<void> {
    this.viewsPaused = true;
    await this.until('the views in flight to be answered', () => this.viewsInFlight === 0);
  }

  resumeViews(): void {
    this.viewsPaused = false;
  }

  /** Stops sending; resolves once every request in flight is answered and the connections are closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.agent.destroy();
  }

  private notify() {
    for (const waiter of [...this.waiters]) waiter();
  }

  private async one(owned: OwnedContact): Promise<void> {
    const { random, contacts, editor, reader } = this.options;
    const roll = random.next();
    let kind: Kind = roll < 0.25 ? 'list' : roll < 0.45 ? 'card' : roll < 0.55 ? 'create' : roll < 0.65 ? 'update' : 'view';
    if (kind === 'view' && this.viewsPaused) kind = 'card';
    const n = (this.sequence += 1);
    const sentIn = this.phase;
    const sentAt = performance.now();
    let problem: string | undefined;
    if (kind === 'view') this.viewsInFlight += 1;
    try {
      if (kind === 'list') {
        problem = (await this.send(LIST, { first: 5 + random.int(20) }, random.chance(0.5) ? reader : editor)).problem;
      } else if (kind === 'card') {
        problem = (await this.send(CARD, { id: random.pick(contacts) }, reader)).problem;
      } else if (kind === 'create') {
        const email = `load-${n}@faults.example`;
        const reply = await this.send(CREATE, { input: { firstName: 'Load', lastName: `Client ${n}`, email } }, editor);
        problem = reply.problem ?? (reply.data?.createContact?.contact?.email === email ? undefined : `created ${JSON.stringify(reply.data)}`);
        if (!problem) this.created.add(email);
      } else if (kind === 'update') {
        const title = `title ${n}`;
        const reply = await this.send(UPDATE, { input: { id: owned.id, expectedVersion: owned.version, title } }, editor);
        const contact = reply.data?.updateContact?.contact;
        problem = reply.problem ?? (contact?.title === title ? undefined : `updated ${JSON.stringify(reply.data)}`);
        if (!problem) {
          owned.version = contact.version;
          this.titles.set(owned.id, title);
        }
      } else {
        const id = random.pick(contacts);
        const reply = await this.send(RECORD_VIEW, { id }, random.chance(0.5) ? reader : editor);
        problem = reply.problem ?? (reply.data?.recordContactView?.contactId === id ? undefined : `viewed ${JSON.stringify(reply.data)}`);
        if (!problem) this.views.set(id, (this.views.get(id) ?? 0) + 1);
      }
    } finally {
      if (kind === 'view') this.viewsInFlight -= 1;
    }
    this.answers.push({ kind, sentIn, answeredIn: this.phase, sentAt, ms: performance.now() - sentAt, problem });
    this.notify();
  }

  private async send(query: string, variables: Record<string, unknown>, token: string): Promise<{ data?: any; problem?: string }> {
    let reply: { status: number; text: string };
    try {
      reply = await postGraphQL(this.agent, `${this.options.url}/graphql`, token, JSON.stringify({ query, variables }));
    } catch (error) {
      return { problem: `no answer: ${(error as Error).message}` };
    }
    let body: { data?: any; errors?: unknown };
    try {
      body = JSON.parse(reply.text);
    } catch {
      return { problem: `status ${reply.status}, not JSON: ${reply.text.slice(0, 200)}` };
    }
    if (reply.status !== 200 || body.errors || !body.data) return { problem: `status ${reply.status}: ${reply.text.slice(0, 300)}` };
    return { data: body.data };
  }
}



/** What the store holds of what a MixedLoad wrote, read in one opening of the store. */
export async function storedWrites(handle: DatabaseHandle, workspace: string, load: MixedLoad) {
  const contacts = await contactsIn(handle, workspace);
  const emails = await handle.query<{ email: string }>(`select email from contacts where email like '%@faults.example'`);
  const titles = await handle.query<{ id: number; title: string }>('select id, title from contacts where id = any($1::bigint[])', [
    [...load.titles.keys()].map((id) => parseGlobalId(id)!.id),
  ]);
  return {
    /** View counts of the contacts viewed at least once. */
    views: new Map(contacts.filter((contact) => contact.viewCount > 0).map((contact) => [contact.id, contact.viewCount])),
    created: new Set(emails.map((row) => row.email)),
    titles: new Map(titles.map((row) => [toGlobalId('Contact', Number(row.id)), row.title])),
    buffered: await tableBufferIn(handle),
  };
}
