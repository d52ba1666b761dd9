// The stamp an entity-cache row carries: the workspace write sequence it was read or written under,
// and which sequence that is. With Redis it is the shared one every instance bumps on a purge
// ("r<seq>"); without Redis, this instance's own ("l<seq>"). A row is used only while its stamp
// equals the current one, so the two kinds must never compare equal: hence the prefix. Built here
// only, so the entity cache, write-throughs and read routing always spell it the same way.

/** Where the sequence lives and its value; a shared sequence Redis has never bumped is 0. */
export type WriteSequence = { shared: string | null | undefined } | { local: number };

export function entityStamp(sequence: WriteSequence): string {
  return 'shared' in sequence ? `r${sequence.shared ?? '0'}` : `l${sequence.local}`;
}

/** The shared sequence a stamp was made from, as Redis's conditional stores expect it. */
export function sharedSequenceOf(stamp: string): string {
  return stamp.slice(1);
}
