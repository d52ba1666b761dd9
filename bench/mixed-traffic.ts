// The mixed scenario's traffic, run inside the load generator: 90% reads (list pages and contact
// cards, Zipf-distributed), 10% UpdateContact writes carrying the version the generator last saw.
// It also checks reads against acknowledged writes: a contact card requested after a write of that
// contact was acknowledged must show that write (its version or a later one).
import { apqGetPath, apqPostBody, postHeaders, readHeaders } from './operations.js';
import type { LoadRequest } from './load-plan.js';
import { zipfSampler } from './zipf.js';

interface OperationRef {
  name: string;
  hash: string;
}

export interface MixedPlan {
  readerToken: string;
  editorToken: string;
  operations: { page: OperationRef; card: OperationRef; update: OperationRef };
  /** ContactsPage variables, most popular first. */
  pageVariants: unknown[];
  /** Contacts (global id and current version), most popular first. */
  contacts: { id: string; version: number }[];
  writeShare: number;
  /** Share of reads that are list pages (the rest are contact cards). */
  pageShare: number;
  /** Start of every title written ("Bench title" by default), so written data says whose it is. */
  titlePrefix?: string;
}

export interface MixedResult {
  pageReads: number;
  cardReads: number;
  writes: number;
  conflicts: number;
  /** Reads that did not show a write acknowledged before they were sent. Must be 0. */
  staleReads: number;
  /** Cards checked against an acknowledged write (the rest had none to check against). */
  checkedReads: number;
  failedWrites: number;
  failedReads: number;
}

interface Acknowledged {
  version: number;
  title: string;
}

/** Per connection: what is in flight on it (one request at a time). */
export interface InFlight {
  kind?: 'page' | 'card' | 'write';
  contact?: number;
  title?: string;
  /** For a card: the write acknowledged for its contact when the request was sent. */
  mustShow?: Acknowledged;
}

interface GraphQLAnswer {
  data?: {
    contact?: { version: number; title: string | null } | null;
    updateContact?: { contact: { version: number; title: string | null } } | null;
  } | null;
  errors?: { extensions?: { code?: string; currentVersion?: number } }[];
}

function parse(body: string): GraphQLAnswer | undefined {
  try {
    return JSON.parse(body) as GraphQLAnswer;
  } catch {
    return undefined;
  }
}

export function createMixedTraffic(plan: MixedPlan) {
  const pickPage = zipfSampler(plan.pageVariants.length);
  const pickContact = zipfSampler(plan.contacts.length);
  const knownVersion = plan.contacts.map((contact) => contact.version);
  const acknowledged = new Map<number, Acknowledged>();
  const result: MixedResult = {
    pageReads: 0,
    cardReads: 0,
    writes: 0,
    conflicts: 0,
    staleReads: 0,
    checkedReads: 0,
    failedWrites: 0,
    failedReads: 0,
  };
  const reader = readHeaders(plan.readerToken);
  const editor = postHeaders(plan.editorToken);
  let titles = 0;

  function next(inFlight: InFlight): LoadRequest {
    const draw = Math.random();
    if (draw < plan.writeShare) {
      const contact = pickContact();
      const title = `${plan.titlePrefix ?? 'Bench title'} ${process.pid}-${++titles}`;
      Object.assign(inFlight, { kind: 'write', contact, title, mustShow: undefined });
      const input = { id: plan.contacts[contact]!.id, expectedVersion: knownVersion[contact], title };
      return { method: 'POST', path: '/graphql', headers: editor, body: apqPostBody(plan.operations.update, { input }) };
    }
    if (draw < plan.writeShare + (1 - plan.writeShare) * plan.pageShare) {
      Object.assign(inFlight, { kind: 'page', contact: undefined, title: undefined, mustShow: undefined });
      return { method: 'GET', path: apqGetPath(plan.operations.page, plan.pageVariants[pickPage()]), headers: reader };
    }
    const contact = pickContact();
    // Taken when the request is built, just before it is sent: only writes acknowledged by then count.
    Object.assign(inFlight, { kind: 'card', contact, title: undefined, mustShow: acknowledged.get(contact) });
    return { method: 'GET', path: apqGetPath(plan.operations.card, { id: plan.contacts[contact]!.id }), headers: reader };
  }

  /** Checks one answer; true when it was a CONFLICT (expected, not a failure, whatever its status). */
  function settle(inFlight: InFlight, status: number, body: string): boolean {
    const answer = parse(body);
    const contact = inFlight.contact!;
    if (inFlight.kind === 'write') {
      const written = answer?.data?.updateContact?.contact;
      const conflict = answer?.errors?.find((error) => error.extensions?.code === 'CONFLICT');
      if (status === 200 && written && !answer?.errors) {
        result.writes++;
        knownVersion[contact] = Math.max(knownVersion[contact]!, written.version);
        const previous = acknowledged.get(contact);
        if (!previous || written.version > previous.version) acknowledged.set(contact, { version: written.version, title: inFlight.title! });
      } else if (conflict) {
        // Two connections wrote the same contact with the same expected version: one loses.
        result.conflicts++;
        const current = conflict.extensions?.currentVersion;
        if (typeof current === 'number') knownVersion[contact] = Math.max(knownVersion[contact]!, current);
      } else {
        result.failedWrites++;
      }
      return !!conflict && !written;
    }
    if (inFlight.kind === 'page') {
      result.pageReads++;
      if (status !== 200 || !answer?.data || answer.errors) result.failedReads++;
      return false;
    }
    result.cardReads++;
    const card = answer?.data?.contact;
    if (status !== 200 || !card || answer?.errors) {
      result.failedReads++;
      return false;
    }
    knownVersion[contact] = Math.max(knownVersion[contact]!, card.version);
    const mustShow = inFlight.mustShow;
    if (!mustShow) return false;
    result.checkedReads++;
    if (card.version < mustShow.version || (card.version === mustShow.version && card.title !== mustShow.title)) result.staleReads++;
    return false;
  }

  /** Zeroes the figures (after a warm-up); what was learnt about versions and writes is kept. */
  function reset() {
    for (const key of Object.keys(result) as (keyof MixedResult)[]) result[key] = 0;
  }

  return { next, settle, reset, result };
}
