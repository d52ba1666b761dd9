// The rotation rules of read replicas, on positions and a clock the test sets: lag is how long
// ago the primary first passed what a replica has replayed; a replica serves a workspace only if
// it has replayed that workspace's last write; an unreachable replica, one that is not a standby,
// or one that failed a statement leaves the rotation until a check finds it fit again. (The same
// rules against a real streaming replica: tests/replicas.test.ts.)
import { describe, expect, it } from 'vitest';
import { ReplicaMonitor } from '../src/db/replicas/replica-monitor.js';
import { parseWalPosition, walPositionFromKey, walPositionKey } from '../src/db/replicas/wal-position.js';
import { createLogger } from '../src/observability/logger.js';

function setup(maxLagMs = 1_000) {
  const clock = { now: 0 };
  const positions = { primary: 100n, replicas: [100n, 100n] as Array<bigint | undefined | Error> };
  const monitor = new ReplicaMonitor({
    intervalMs: 100,
    maxLagMs,
    logger: createLogger('silent'),
    now: () => clock.now,
    primaryPosition: async () => positions.primary,
    replicas: positions.replicas.map((_, index) => ({
      name: `replica-${index}`,
      replayPosition: async () => {
        const value = positions.replicas[index];
        if (value instanceof Error) throw value;
        return value;
      },
    })),
  });
  return { clock, positions, monitor };
}

describe('replica rotation', () => {
  it('keeps nothing in rotation before the first check', () => {
    expect(setup().monitor.pick(0n)).toBeUndefined();
  });

  it('measures lag from when the primary first passed the replay position', async () => {
    const { clock, positions, monitor } = setup(1_000);
    await monitor.check();
    expect(monitor.state(0)).toMatchObject({ status: 'in-rotation', lagMs: 0 });

    // The primary moves on at t=100 and t=600; replica 0 stops replaying at 100.
    clock.now = 100;
    positions.primary = 200n;
    positions.replicas[1] = 200n;
    await monitor.check();
    clock.now = 600;
    positions.primary = 300n;
    positions.replicas[1] = 300n;
    await monitor.check();
    expect(monitor.state(0)).toMatchObject({ status: 'in-rotation', lagMs: 500 });
    expect(monitor.state(1)).toMatchObject({ status: 'in-rotation', lagMs: 0 });

    clock.now = 1_200;
    await monitor.check();
    expect(monitor.state(0)).toMatchObject({ status: 'lagging', lagMs: 1_100 });
    expect(monitor.pick(0n)).toBe(1);

    // Replayed up to the position of t=100: now behind the one of t=600 only, 600 ms ago; then up to date.
    positions.replicas[0] = 200n;
    await monitor.check();
    expect(monitor.state(0)).toMatchObject({ status: 'in-rotation', lagMs: 600 });
    positions.replicas[0] = 300n;
    await monitor.check();
    expect(monitor.state(0)).toMatchObject({ status: 'in-rotation', lagMs: 0 });
  });

  it('picks only replicas that have replayed the position asked for, in turn', async () => {
    const { positions, monitor } = setup();
    positions.primary = 500n;
    positions.replicas = [400n, 500n];
    await monitor.check();
    expect([monitor.pick(0n), monitor.pick(0n), monitor.pick(0n)]).toEqual([0, 1, 0]);
    expect([monitor.pick(450n), monitor.pick(450n)]).toEqual([1, 1]);
    expect(monitor.pick(501n)).toBeUndefined();
  });

  it('takes out a replica that cannot be reached, is not a standby or failed a statement, until a check finds it fit', async () => {
    const { positions, monitor } = setup();
    positions.replicas = [new Error('connect ECONNREFUSED'), undefined];
    await monitor.check();
    expect(monitor.state(0).status).toBe('unreachable');
    expect(monitor.state(1).status).toBe('not-a-standby');
    expect(monitor.pick(0n)).toBeUndefined();

    positions.replicas = [100n, 100n];
    await monitor.check();
    expect(monitor.pick(0n)).toBe(0);
    monitor.failed(0);
    expect(monitor.state(0).status).toBe('failed');
    expect([monitor.pick(0n), monitor.pick(0n)]).toEqual([1, 1]);
    await monitor.check();
    expect(monitor.state(0).status).toBe('in-rotation');
  });

  it('reads positions as PostgreSQL prints them and orders their keys as numbers', () => {
    expect(parseWalPosition('0/0')).toBe(0n);
    expect(parseWalPosition('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(parseWalPosition(null)).toBeUndefined();
    expect(parseWalPosition('16-B374D848')).toBeUndefined();
    const low = walPositionKey(parseWalPosition('9/FFFFFFFF')!);
    const high = walPositionKey(parseWalPosition('A/0')!);
    expect(low < high).toBe(true);
    expect(walPositionFromKey(high)).toBe(0xan << 32n);
    expect(walPositionFromKey('garbage')).toBeUndefined();
  });
});
