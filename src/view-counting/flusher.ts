// The write-behind of contact views: every instance runs one flusher, which moves buffered views
// (from the Redis stream and from the PostgreSQL buffer) into contacts.view_count in batches, then
// takes the after-write path every writer takes (src/cache/after-write.ts) for the contacts whose
// counts changed: their workspace's write position is recorded, then what shows them is purged.
//
// Nothing here can count a view twice: a batch is counted by one statement that also records the
// view ids it counted (src/db/repositories/views.ts), and stream entries are acknowledged only
// after that statement has committed. A crash in between leaves the entries pending; whoever reads
// them again (this consumer on its next flush, another after XAUTOCLAIM) finds them counted.
import type { AfterWrite } from '../cache/after-write.js';
import { dependency } from '../cache/keys.js';
import type { Database } from '../db/client.js';
import {
  type CountedContact,
  type CountResult,
  countBufferedViews,
  countStreamViews,
  pruneAppliedViews,
} from '../db/repositories/views.js';
import { messageWithoutValues } from '../observability/error-text.js';
import type { Logger } from '../observability/logger.js';
import type { StreamEntry, ViewStream } from './view-stream.js';

/** Longest a shutdown waits for the buffers to empty. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How long counted view ids are remembered: far longer than any entry stays pending. */
const APPLIED_RETENTION_MS = 3_600_000;
const PRUNE_EVERY_MS = 60_000;

export interface ViewFlusherOptions {
  db: Database;
  /** The Redis stream, when REDIS_URL is set. */
  stream: ViewStream | undefined;
  intervalMs: number;
  batchSize: number;
  /** Pending stream entries idle this long belong to a dead or stuck consumer and are claimed. */
  claimIdleMs: number;
  /**
   * The after-write path, once per workspace per batch. No rows are written through: the count
   * statement returns ids only, and a row read again after it could already be older than a
   * concurrent edit's; the purge retires the cached rows, and the next read loads them.
   */
  afterWrite: Pick<AfterWrite, 'committed'>;
  logger: Logger;
  events?: {
    flushed(count: number): void;
    failed(buffer: 'redis' | 'postgres'): void;
  };
}

export class ViewFlusher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  /** Set while this consumer holds stream entries it read but could not count or acknowledge. */
  private ownPending = false;
  private nextClaimAt = 0;
  private nextPruneAt = 0;

  constructor(private readonly options: ViewFlusherOptions) {}

  start(): void {
    this.schedule(this.options.intervalMs);
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const run = this.flushOnce();
      this.running = run;
      void run.then(({ more }) => {
        this.running = undefined;
        // A full batch means more is probably waiting: go again at once rather than fall behind.
        this.schedule(more ? 0 : this.options.intervalMs);
      });
    }, delayMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  /**
   * One flush of both buffers. Never throws: a failed batch stays buffered for the next flush.
   * `taken` counts the views taken from either buffer; `more` says a buffer gave a full batch.
   */
  async flushOnce(): Promise<{ taken: number; more: boolean }> {
    const { batchSize } = this.options;
    const fromStream = this.options.stream ? await this.flushStream(this.options.stream) : 0;
    const fromTable = await this.flushTable();
    if (Date.now() >= this.nextPruneAt) {
      this.nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      await pruneAppliedViews(this.options.db, APPLIED_RETENTION_MS).catch((error: unknown) =>
        this.options.logger.warn({ err: { message: messageWithoutValues(error) } }, 'pruning counted view ids failed'),
      );
    }
    return { taken: fromStream + fromTable, more: fromStream >= batchSize || fromTable >= batchSize };
  }

  private async flushStream(stream: ViewStream): Promise<number> {
    let entries: StreamEntry[];
    try {
      entries = await this.nextEntries(stream);
    } catch (error) {
      // Redis is down or slow: the entries wait there, and new views go to PostgreSQL meanwhile.
      this.options.logger.debug({ err: { message: messageWithoutValues(error) } }, 'view stream unavailable');
      return 0;
    }
    if (entries.length === 0) return 0;
    // From here until the XACK, these entries are pending for this consumer: if anything fails,
    // the next flush reads them back rather than new ones.
    this.ownPending = true;
    try {
      const views = entries.flatMap((entry) => (entry.view ? [entry.view] : []));
      if (views.length > 0) await this.counted(await countStreamViews(this.options.db, views));
      await stream.ack(entries.map((entry) => entry.entryId));
      this.ownPending = false;
    } catch (error) {
      this.options.events?.failed('redis');
      this.options.logger.warn({ err: { message: messageWithoutValues(error) }, entries: entries.length }, 'view flush failed; will retry');
      return 0;
    }
    return entries.length;
  }

  /** What to count next from the stream: our own leftovers, then others' idle ones, then new ones. */
  private async nextEntries(stream: ViewStream): Promise<StreamEntry[]> {
    const { batchSize, claimIdleMs } = this.options;
    if (this.ownPending) {
      const own = await stream.readOwnPending(batchSize);
      if (own.length > 0) return own;
      this.ownPending = false;
    }
    if (Date.now() >= this.nextClaimAt) {
      const claimed = await stream.claimIdle(claimIdleMs, batchSize);
      if (claimed.done) {
        // A whole pass over the pending list: rest until entries read now could be idle enough.
        this.nextClaimAt = Date.now() + claimIdleMs / 2;
        await stream
          .forgetIdleConsumers(claimIdleMs * 10)
          .catch((error: unknown) => this.options.logger.debug({ err: { message: messageWithoutValues(error) } }, 'forgetting idle consumers failed'));
      }
      if (claimed.entries.length > 0) return claimed.entries;
    }
    return stream.readNew(batchSize);
  }

  private async flushTable(): Promise<number> {
    try {
      const result = await countBufferedViews(this.options.db, this.options.batchSize);
      await this.counted(result);
      return result.taken;
    } catch (error) {
      this.options.events?.failed('postgres');
      this.options.logger.warn({ err: { message: messageWithoutValues(error) } }, 'view flush from PostgreSQL failed; will retry');
      return 0;
    }
  }

  /**
   * After a batch committed: the after-write path once per workspace, for every contact whose
   * count changed. The batch counts as flushed only then: once `flushed` is told, no read of those
   * contacts, on any instance or replica, answers with the count from before it.
   */
  private async counted(result: CountResult): Promise<void> {
    const byWorkspace = new Map<number, CountedContact[]>();
    for (const contact of result.counted) {
      const list = byWorkspace.get(contact.workspaceId) ?? [];
      list.push(contact);
      byWorkspace.set(contact.workspaceId, list);
    }
    await Promise.all(
      [...byWorkspace].map(([workspaceId, contacts]) =>
        this.options.afterWrite
          .committed(workspaceId, contacts.map((contact) => dependency.contact(contact.contactId)))
          .catch((error: unknown) => this.options.logger.warn({ err: { message: messageWithoutValues(error) } }, 'purging viewed contacts failed')),
      ),
    );
    if (result.taken > 0) this.options.events?.flushed(result.taken);
  }

  /**
   * Stops the timer, lets a running flush finish, then flushes until both buffers are empty (as
   * far as this instance can tell), for at most DRAIN_TIMEOUT_MS even if a statement hangs. Call it
   * after the HTTP server has stopped taking requests, so no view recorded here is left behind.
   * Whatever is still buffered after that is not lost: the next flusher to run counts it.
   */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    const drain = async () => {
      await this.running;
      while (Date.now() < deadline) {
        const { taken } = await this.flushOnce();
        if (taken === 0) return true;
      }
      return false;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), DRAIN_TIMEOUT_MS);
    });
    const drained = await Promise.race([drain(), timeout]);
    clearTimeout(timer);
    if (!drained) this.options.logger.warn('stopped counting buffered views at the shutdown deadline; the rest stays buffered');
  }
}
