// Records one contact view durably before the mutation answers: in the Redis stream when Redis is
// configured and answering, otherwise in PostgreSQL. Either way an acknowledged view is on a
// buffer the flusher will count it from, and never only in this process's memory.
import { randomUUID } from 'node:crypto';
import { RedisUnavailable } from '../redis/connection.js';
import type { Database } from '../db/client.js';
import { bufferView, type RecordedView } from '../db/repositories/views.js';
import type { ViewStream } from './view-stream.js';

export type ViewBufferKind = 'redis' | 'postgres';

export class ViewRecorder {
  constructor(
    private readonly db: Database,
    private readonly stream: ViewStream | undefined,
    private readonly onRecorded: (buffer: ViewBufferKind) => void = () => {},
  ) {}

  async record(workspaceId: number, contactId: number): Promise<void> {
    const view: RecordedView = { viewId: randomUUID(), workspaceId, contactId, viewedAt: new Date() };
    if (this.stream) {
      try {
        await this.stream.append(view);
        this.onRecorded('redis');
        return;
      } catch (error) {
        if (!(error instanceof RedisUnavailable)) throw error;
        // Redis is down, or too slow to trust (the XADD may even have landed after we gave up: the
        // view then sits in both buffers under one id, and is counted once).
      }
    }
    await bufferView(this.db, view);
    this.onRecorded('postgres');
  }
}
