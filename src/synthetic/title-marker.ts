// The harmless edit: a marker appended to a contact's title, then the title put back. The marker
// carries a random tag so each edit really changes the title, and one left behind by a run that
// was stopped half-way is recognised and cleaned up by the next.
import { randomBytes } from 'node:crypto';

const TITLE_MAX = 200;
const LEFTOVER = /\s*\[synthetic [0-9a-f]{6}\]$/;

export function newMarker(): string {
  return `[synthetic ${randomBytes(3).toString('hex')}]`;
}

/** The title to restore: the current one without any marker an earlier run left. */
export function originalTitle(current: string | null): string | null {
  const stripped = current?.replace(LEFTOVER, '') ?? null;
  return stripped === null || stripped.trim() === '' ? null : stripped;
}

export function markedTitle(original: string | null, marker: string): string {
  if (!original) return marker;
  const marked = `${original} ${marker}`;
  // A title near the length limit is replaced whole for the moment; the restore puts it back.
  return marked.length <= TITLE_MAX ? marked : marker;
}
