// Relay cursor connections over keyset scans. A cursor holds a position in one list, [scope,
// sortValue, id], sealed (cursor-codec.ts): it reads as noise, so no name reaches the URLs and
// access logs of GET paging, and nothing altered or made up is ever taken for a position. The scope
// is a digest of the list it was issued for (workspace, parent, ordering, filter): carried to
// another list, a position would silently skip or repeat rows, so it is refused instead. Values are
// checked again after opening (types, lengths, no NUL, dates PostgreSQL can hold): whatever a
// cursor says reaches SQL only in a shape the column can take.
import { createHash } from 'node:crypto';
import { badUserInput } from '../errors.js';
import type { Keyset, Scan, SortValue } from '../db/keyset.js';
import type { WorkspaceScope } from './context.js';
import type { CursorCodec } from './cursor-codec.js';
import type { ConnectionModel } from './models.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/**
 * Longest text sort value a cursor may hold, in characters: the API's names make at most 201
 * (last name, space, first name, 100 each), company names 200. (A longer name written behind the
 * API's back gets a cursor that is refused: paging stops there rather than the bound going.)
 */
export const MAX_SORT_TEXT_LENGTH = 300;
/** Enough for a sealed cursor of the longest text value, every character escaped. */
export const MAX_CURSOR_LENGTH = 2_600;
/** Instants a cursor may hold: years 1 to 9999, which both JavaScript and PostgreSQL can hold. */
const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A checked page request: how many rows, which way, from where. */
export interface PageRequest {
  size: number;
  backward: boolean;
  from?: Keyset;
  /** The argument that carried the cursor, for pageInfo. */
  hasCursor: boolean;
}

export type SortValueKind = 'text' | 'instant';

/** The cursors of one list: issued and read back only there. */
export interface ListCursors {
  encode(keyset: Keyset): string;
  /** The position a cursor holds; BAD_USER_INPUT naming `argument` for anything else. */
  decode(cursor: string, kind: SortValueKind, argument: string): Keyset;
}

function validSortValue(value: unknown, kind: SortValueKind): value is SortValue {
  if (kind === 'instant') return Number.isSafeInteger(value) && (value as number) >= MIN_INSTANT && (value as number) <= MAX_INSTANT;
  return typeof value === 'string' && value.length <= MAX_SORT_TEXT_LENGTH && !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** The cursors of the list `scopeParts` describe (everything that shapes its rows and order). */
export function listCursors(codec: CursorCodec, ...scopeParts: unknown[]): ListCursors {
  const scope = createHash('sha256').update(JSON.stringify(scopeParts)).digest('base64url').slice(0, 12);
  return {
    encode: (keyset) => codec.seal(Buffer.from(JSON.stringify([scope, keyset.value, keyset.id]))),
    decode: (cursor, kind, argument) => {
      const invalid = () => badUserInput(argument, `"${argument}" is not a valid cursor for this list.`);
      if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
      const opened = codec.open(cursor);
      if (!opened) throw invalid();
      let parsed: unknown;
      try {
        parsed = JSON.parse(opened.toString('utf8'));
      } catch {
        throw invalid();
      }
      if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
      const [cursorScope, value, id] = parsed as [unknown, unknown, unknown];
      if (cursorScope !== scope) {
        throw badUserInput(argument, `"${argument}" was issued for another list, ordering or filter; start again without it.`);
      }
      if (!validSortValue(value, kind) || !Number.isSafeInteger(id) || (id as number) < 1) throw invalid();
      return { value, id: id as number };
    },
  };
}

/** The cursors of a list of the caller's workspace: a cursor of another workspace is refused. */
export async function cursorsFor(workspace: WorkspaceScope, ...scopeParts: unknown[]): Promise<ListCursors> {
  return listCursors(await workspace.cursors(), workspace.id, ...scopeParts);
}

function checkSize(value: number, argument: string): number {
  if (value < 0) throw badUserInput(argument, `"${argument}" must not be negative.`);
  if (value > MAX_PAGE_SIZE) throw badUserInput(argument, `"${argument}" must be at most ${MAX_PAGE_SIZE}.`);
  return value;
}

export function readPageArgs(args: PageArgs, cursors: ListCursors, kind: SortValueKind): PageRequest {
  const { first, after, last, before } = args;
  const hasFirst = first !== undefined && first !== null;
  const hasLast = last !== undefined && last !== null;
  const hasAfter = after !== undefined && after !== null;
  const hasBefore = before !== undefined && before !== null;
  if (hasFirst && hasLast) throw badUserInput('last', 'Pass "first" or "last", not both.');
  if (hasAfter && hasBefore) throw badUserInput('before', 'Pass "after" or "before", not both.');
  if (hasLast || hasBefore) {
    if (hasFirst) throw badUserInput('first', '"before" pages backward: use it with "last", not "first".');
    if (hasAfter) throw badUserInput('after', '"last" pages backward: use it with "before", not "after".');
    return {
      size: checkSize(hasLast ? last : DEFAULT_PAGE_SIZE, 'last'),
      backward: true,
      from: hasBefore ? cursors.decode(before, kind, 'before') : undefined,
      hasCursor: hasBefore,
    };
  }
  return {
    size: checkSize(hasFirst ? first : DEFAULT_PAGE_SIZE, 'first'),
    backward: false,
    from: hasAfter ? cursors.decode(after, kind, 'after') : undefined,
    hasCursor: hasAfter,
  };
}

/** The scan to run: one row more than asked for, to learn whether another page follows. */
export function scanFor(page: PageRequest, descendingOrder: boolean): Scan {
  return { limit: page.size + 1, descending: descendingOrder !== page.backward, from: page.from };
}

/** An edge whose cursor is sealed when first read. */
class LazyEdge<T> {
  private sealed: string | undefined;
  constructor(
    readonly node: T,
    private readonly cursorOf: (node: T) => string,
  ) {}

  get cursor(): string {
    this.sealed ??= this.cursorOf(this.node);
    return this.sealed;
  }
}

export function toConnection<T>(
  rows: T[],
  page: PageRequest,
  cursors: ListCursors,
  keysetOf: (row: T) => Keyset,
  totalCount: () => Promise<number>,
): ConnectionModel<T> {
  const hasMore = rows.length > page.size;
  const pageRows = hasMore ? rows.slice(0, page.size) : rows;
  if (page.backward) pageRows.reverse();
  // Sealed only when selected: a page that scrolls by endCursor asks for no edge's cursor, and
  // sealing is most of what a list costs beyond its rows.
  const cursorOf = (node: T) => cursors.encode(keysetOf(node));
  const edges = pageRows.map((node) => new LazyEdge(node, cursorOf));
  return {
    edges,
    pageInfo: {
      // Relay lets a server answer the opposite direction cheaply: a cursor means rows lie beyond it.
      hasNextPage: page.backward ? page.hasCursor : hasMore,
      hasPreviousPage: page.backward ? hasMore : page.hasCursor,
      // The first and last edges' own cursors: sealed once, whether asked for here, on the edge, or both.
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
    totalCount,
  };
}
