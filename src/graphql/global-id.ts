// Opaque global ids: base64url("Type:rowId"). Clients treat them as strings; the server reads the
// type back so an id of one kind is refused where another kind is expected.
import { badUserInput } from '../errors.js';

export type NodeType = 'Contact' | 'Company' | 'Tag' | 'Note' | 'Workspace';
const nodeTypes = new Set<string>(['Contact', 'Company', 'Tag', 'Note', 'Workspace']);
const MAX_ID_LENGTH = 64;

export function toGlobalId(type: NodeType, id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

/** Reads any global id; undefined when it is not one of ours. */
export function parseGlobalId(globalId: string): { type: NodeType; id: number } | undefined {
  if (globalId.length > MAX_ID_LENGTH || !/^[A-Za-z0-9_-]+$/.test(globalId)) return undefined;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const type = decoded.slice(0, separator);
  const rowId = decoded.slice(separator + 1);
  if (separator < 0 || !nodeTypes.has(type) || !/^[1-9][0-9]{0,15}$/.test(rowId)) return undefined;
  const id = Number(rowId);
  if (!Number.isSafeInteger(id)) return undefined;
  return { type: type as NodeType, id };
}

/** The row id behind a global id of the expected type; BAD_USER_INPUT naming `field` otherwise. */
export function fromGlobalId(globalId: string, type: NodeType, field: string): number {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) throw badUserInput(field, `"${field}" is not a valid ${type} id.`);
  return parsed.id;
}
