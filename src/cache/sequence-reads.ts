// Reads a workspace's write sequence from Redis for many concurrent requests with few round trips.
//
// Every L1 hit under Redis is confirmed against the workspace's write sequence (see
// response-cache.ts). One GET per hit would put a Redis round trip on every hit; instead, requests
// that arrive while a read for their workspace is in flight wait for the next read, which all of
// them share. A request never shares a read sent before it arrived: such a read could predate a
// write acknowledged in between, and the point of the check is to see every acknowledged write.
// So the cost is at most one extra round trip of waiting, and one GET per round trip per
// workspace however many hits there are.
type Read = (workspaceId: number) => Promise<string>;

interface Waiting {
  promise: Promise<string>;
  resolve: (sequence: string) => void;
  reject: (error: unknown) => void;
}

interface WorkspaceReads {
  inFlight: boolean;
  /** Requests that arrived while a read was in flight: the next read is theirs. */
  next: Waiting | undefined;
}

function waiting(): Waiting {
  let resolve!: (sequence: string) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<string>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  // A read may fail with no one left waiting; each waiter handles the failure it awaits.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class SequenceReads {
  private readonly workspaces = new Map<number, WorkspaceReads>();

  constructor(private readonly read: Read) {}

  /** The workspace's sequence, as read by a GET sent after this call. */
  current(workspaceId: number): Promise<string> {
    let reads = this.workspaces.get(workspaceId);
    if (!reads) this.workspaces.set(workspaceId, (reads = { inFlight: false, next: undefined }));
    reads.next ??= waiting();
    const { promise } = reads.next;
    if (!reads.inFlight) this.send(workspaceId, reads);
    return promise;
  }

  private send(workspaceId: number, reads: WorkspaceReads): void {
    const batch = reads.next!;
    reads.next = undefined;
    reads.inFlight = true;
    this.read(workspaceId)
      .then(batch.resolve, batch.reject)
      .finally(() => {
        reads.inFlight = false;
        if (reads.next) this.send(workspaceId, reads);
        else this.workspaces.delete(workspaceId);
      });
  }
}
