// Shared write-sequence reads: hits arriving together share one Redis read, but never a read that
// was sent before they arrived (it could predate a write acknowledged in between). The reads here
// are held open by the test so that every interleaving is chosen, not hoped for.
import { describe, expect, it } from 'vitest';
import { SequenceReads } from '../src/cache/sequence-reads.js';

interface HeldRead {
  workspaceId: number;
  answer(sequence: string): void;
  fail(error: Error): void;
}

function heldReads() {
  const sent: HeldRead[] = [];
  const reads = new SequenceReads(
    (workspaceId) =>
      new Promise<string>((resolve, reject) => {
        sent.push({ workspaceId, answer: resolve, fail: reject });
      }),
  );
  return { reads, sent };
}

describe('shared sequence reads', () => {
  it('callers arriving while a read is in flight share the next read, sent after they arrived', async () => {
    const { reads, sent } = heldReads();
    const first = reads.current(1);
    expect(sent).toHaveLength(1);
    // These arrive while the first read is in flight: none may take its answer.
    const second = reads.current(1);
    const third = reads.current(1);
    expect(sent).toHaveLength(1);
    sent[0]!.answer('7');
    expect(await first).toBe('7');
    // The next read goes out only now, for both of them together.
    await Promise.resolve();
    expect(sent).toHaveLength(2);
    sent[1]!.answer('8');
    expect(await second).toBe('8');
    expect(await third).toBe('8');
  });

  it('keeps workspaces apart', async () => {
    const { reads, sent } = heldReads();
    const one = reads.current(1);
    const two = reads.current(2);
    expect(sent.map((read) => read.workspaceId)).toEqual([1, 2]);
    sent[1]!.answer('20');
    sent[0]!.answer('10');
    expect([await one, await two]).toEqual(['10', '20']);
  });

  it('a failed read fails only its own callers, and the next caller reads again', async () => {
    const { reads, sent } = heldReads();
    const failing = reads.current(1);
    const waiting = reads.current(1);
    sent[0]!.fail(new Error('redis is gone'));
    await expect(failing).rejects.toThrow('redis is gone');
    await Promise.resolve();
    sent[1]!.answer('3');
    expect(await waiting).toBe('3');
    const later = reads.current(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(3);
    sent[2]!.answer('4');
    expect(await later).toBe('4');
  });
});
