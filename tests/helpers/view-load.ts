// Drives recordContactView load against a server the way many clients would, and keeps the tally a
// test needs to check that every acknowledged view was counted exactly once: which views were
// acknowledged, and which were sent but never answered (a crashed server may or may not have
// recorded those).
import http from 'node:http';
import { postGraphQL } from './post-graphql.js';

export const RECORD_VIEW = 'mutation ($id: ID!) { recordContactView(input: { contactId: $id }) { contactId } }';

/** No request may hang a test: one that takes longer than this counts as unanswered. */

export type OnFailure = 'requeue' | 'uncertain';

export class ViewLoad {
  /** Contact ids still to be sent, one entry per view. */
  private readonly queue: string[];
  readonly acked = new Map<string, number>();
  readonly uncertain = new Map<string, number>();
  ackedTotal = 0;
  /** What the last failed request saw, for the message of an assertion that follows. */
  lastFailure = '';
  private sent = 0;
  private paused = false;

  constructor(
    plan: string[],
    private readonly tokens: string[],
  ) {
    this.queue = [...plan];
  }

  get remaining(): number {
    return this.queue.length;
  }

  /**
   * Ends the current run as a load balancer drains an instance it was told is stopping: no new
   * views are sent, the ones in flight are still answered.
   */
  pause(): void {
    this.paused = true;
  }

  /**
   * Sends queued views to `url` from `concurrency` workers until the queue is empty, the run is
   * paused, or the server stops answering (every worker stops at its first failure). A failed view is put back at the
   * front of the queue with `requeue` (a server that shut down gracefully answered everything it
   * took in), or tallied as uncertain with `uncertain` (a server that was killed may have recorded
   * it without answering).
   */
  async run(url: string, options: { concurrency: number; onFailure: OnFailure; onAck?: (ackedTotal: number) => void }): Promise<void> {
    let failed = false;
    this.paused = false;
    // Connections of this run only, closed when it ends: a server shutting down waits for open
    // keep-alive connections, and ours should not be what it waits for.
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
    const worker = async () => {
      while (!failed && !this.paused && this.queue.length > 0) {
        const contactId = this.queue.shift()!;
        const token = this.tokens[this.sent++ % this.tokens.length]!;
        if (await this.send(agent, url, contactId, token)) {
          this.acked.set(contactId, (this.acked.get(contactId) ?? 0) + 1);
          this.ackedTotal += 1;
          options.onAck?.(this.ackedTotal);
          continue;
        }
        failed = true;
        if (options.onFailure === 'requeue') this.queue.unshift(contactId);
        else this.uncertain.set(contactId, (this.uncertain.get(contactId) ?? 0) + 1);
      }
    };
    try {
      await Promise.all(Array.from({ length: options.concurrency }, worker));
    } finally {
      agent.destroy();
    }
  }

  /** True only for an answer that acknowledges this very view. */
  private async send(agent: http.Agent, url: string, contactId: string, token: string): Promise<boolean> {
    try {
      const { status, text } = await postGraphQL(agent, `${url}/graphql`, token, JSON.stringify({ query: RECORD_VIEW, variables: { id: contactId } }));
      const body = JSON.parse(text) as { data?: { recordContactView?: { contactId: string } }; errors?: unknown };
      if (status === 200 && !body.errors && body.data?.recordContactView?.contactId === contactId) return true;
      this.lastFailure = `status ${status}: ${text.slice(0, 300)}`;
    } catch (error) {
      this.lastFailure = (error as Error).message;
    }
    return false;
  }
}

