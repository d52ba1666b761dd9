// What the journey holds a correct cardfile to. Each check returns the problems it found, each
// naming what was expected and what was seen; none means the check passed.
import type { Card, ContactsPage, ListContact, SearchResult } from './operations.js';

const quote = (value: unknown) => (value === null || value === undefined ? 'null' : JSON.stringify(value));

/** Where the walk has got to: every id seen so far with the page it was on. */
export interface Walk {
  pageSize: number;
  seen: Map<string, number>;
  order: string[];
}

export function newWalk(pageSize: number): Walk {
  return { pageSize, seen: new Map(), order: [] };
}

/**
 * One page of the infinite-scroll list, walked from the start: no contact twice (on this page or an
 * earlier one), pages no larger than asked, and pageInfo that agrees with the edges and the total.
 * Records the page's ids in the walk.
 */
export function checkPage(page: ContactsPage, pageNumber: number, walk: Walk): string[] {
  const problems: string[] = [];
  const { edges, pageInfo, totalCount } = page;
  if (edges.length > walk.pageSize) problems.push(`expected at most ${walk.pageSize} contacts on page ${pageNumber}, saw ${edges.length}`);
  for (const edge of edges) {
    const earlier = walk.seen.get(edge.node.id);
    if (earlier !== undefined) {
      const where = earlier === pageNumber ? `twice on page ${pageNumber}` : `on page ${earlier} and again on page ${pageNumber}`;
      problems.push(`expected no duplicates, saw contact ${edge.node.id} ${where}`);
    } else {
      walk.seen.set(edge.node.id, pageNumber);
    }
    walk.order.push(edge.node.id);
  }
  const seen = walk.order.length;
  // The page scrolls by endCursor (its edges carry no cursor): there is one whenever it has edges.
  if (edges.length > 0 && (typeof pageInfo.endCursor !== 'string' || pageInfo.endCursor === '')) {
    problems.push(`expected an endCursor on page ${pageNumber} of ${edges.length} contacts, saw ${quote(pageInfo.endCursor)}`);
  }
  if (pageInfo.hasNextPage) {
    if (!pageInfo.endCursor) problems.push(`expected an endCursor with hasNextPage true on page ${pageNumber}, saw ${quote(pageInfo.endCursor)}`);
    if (edges.length < walk.pageSize) {
      problems.push(`expected a full page of ${walk.pageSize} with hasNextPage true on page ${pageNumber}, saw ${edges.length}`);
    }
    if (seen >= totalCount) problems.push(`expected hasNextPage false once all ${totalCount} contacts (totalCount) were seen, saw true after ${seen}`);
  } else if (seen !== totalCount) {
    problems.push(`expected ${totalCount} contacts (totalCount) when hasNextPage turns false on page ${pageNumber}, saw ${seen}`);
  }
  return problems;
}

/** The pages, end to end, list the contacts in the order one larger page gives them. */
export function checkOrder(walked: string[], reference: string[]): string[] {
  const length = Math.min(walked.length, reference.length);
  for (let index = 0; index < length; index += 1) {
    if (walked[index] !== reference[index]) {
      return [`expected contact #${index + 1} of the scroll to be ${reference[index]} as in one page of ${reference.length}, saw ${walked[index]}`];
    }
  }
  if (reference.length < length) return [`expected one page of ${length} contacts, saw ${reference.length}`];
  return [];
}

/** A fragment of a name on the page for the search box: 2 to 4 characters of a last name. */
export function searchFragment(contacts: ListContact[]): { fragment: string; from: ListContact } | undefined {
  for (const contact of contacts) {
    for (const name of [contact.lastName, contact.firstName]) {
      const fragment = name.trim().slice(0, 4).trim();
      if (fragment.length >= 2) return { fragment, from: contact };
    }
  }
  return undefined;
}

/** What the server's search matches: first and last name, email and company name, lower-cased. */
function searchText(contact: SearchResult['edges'][number]['node']): string {
  return [contact.firstName, contact.lastName, contact.email ?? '', contact.company?.name ?? ''].join(' ').toLowerCase();
}

export function checkSearch(result: SearchResult, fragment: string, from: ListContact): string[] {
  const problems: string[] = [];
  const needle = fragment.toLowerCase();
  if (result.edges.length === 0) problems.push(`expected at least contact ${from.id} (the fragment's source) to match ${quote(fragment)}, saw no results`);
  if (result.edges.length > result.totalCount) {
    problems.push(`expected at most totalCount (${result.totalCount}) results, saw ${result.edges.length}`);
  }
  for (const { node } of result.edges) {
    if (!searchText(node).includes(needle)) {
      problems.push(`expected every result to contain ${quote(fragment)}, saw ${node.id} (${quote(`${node.firstName} ${node.lastName}`)}, ${quote(node.email)}, ${quote(node.company?.name)})`);
    }
  }
  // When every match came back, the contact the fragment was taken from must be among them.
  if (result.edges.length > 0 && result.edges.length === result.totalCount && !result.edges.some((edge) => edge.node.id === from.id)) {
    problems.push(`expected contact ${from.id} (the fragment's source) among all ${result.totalCount} results, saw it missing`);
  }
  return problems;
}

/** The card shows what the list showed for the same contact. */
export function checkCard(card: Card | null, listed: ListContact): string[] {
  if (!card) return [`expected the card of contact ${listed.id}, saw null`];
  const problems: string[] = [];
  const compare = (field: string, expected: unknown, seen: unknown) => {
    if (JSON.stringify(expected) !== JSON.stringify(seen)) problems.push(`expected ${field} ${quote(expected)} as in the list, saw ${quote(seen)}`);
  };
  compare('id', listed.id, card.id);
  compare('firstName', listed.firstName, card.firstName);
  compare('lastName', listed.lastName, card.lastName);
  compare('email', listed.email, card.email);
  compare('title', listed.title, card.title);
  compare('company', listed.company && { id: listed.company.id, name: listed.company.name }, card.company && { id: card.company.id, name: card.company.name });
  const tagIds = (tags: Array<{ id: string }>) => tags.map((tag) => tag.id).sort();
  compare('tags', tagIds(listed.tags), tagIds(card.tags));
  return problems;
}

/**
 * A contact as an edit left it: the expected title, at version `version` or later (someone else
 * may have edited another field meanwhile; an older version is what a stale answer shows).
 */
export function checkContactState(
  what: string,
  contact: { id: string; title: string | null; version: number } | null,
  expected: { id: string; title: string | null; version: number },
): string[] {
  if (!contact) return [`expected ${what} of contact ${expected.id}, saw null`];
  const problems: string[] = [];
  if (contact.id !== expected.id) problems.push(`expected ${what} of contact ${expected.id}, saw contact ${contact.id}`);
  if (contact.version < expected.version) problems.push(`expected ${what} at version ${expected.version} or later, saw version ${contact.version}`);
  if (contact.title !== expected.title) problems.push(`expected ${what} with title ${quote(expected.title)}, saw ${quote(contact.title)}`);
  return problems;
}
