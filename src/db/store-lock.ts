// One process at a time on an embedded store. PGlite keeps the database in its own memory and
// writes it back to the directory as it goes: two processes on one directory each work on their own
// copy, and whichever writes last wins, so the other's writes are lost without an error (a seed or
// a token made while `npm start` runs, say). A lock file beside the directory says who has it; a
// second process is refused before it opens anything, naming the holder and what to do.
//
// A lock whose holder is gone (killed, crashed, the machine restarted) is taken over. "Gone" is
// decided on this host only: the holder's pid no longer runs, is a zombie, or now belongs to a
// process started at another moment (a reused pid); or the machine has booted since. A lock from
// another host (a directory shared over the network, a container replaced by another) cannot be
// checked from here and is refused, with the file to delete once that process is known to be gone.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Holder {
  pid: number;
  hostname: string;
  /** The kernel's boot id when the lock was taken (Linux): a later boot means the holder is gone. */
  bootId?: string;
  /** The holder's start time in clock ticks since boot (Linux), to tell a reused pid from it. */
  startTicks?: string;
  /** What the holder is, as a person would start it (`npm start`, `npm run db:seed`). */
  command: string;
  since: string;
  /** This holding's own id: only it may release the lock. */
  token: string;
}

export class StoreInUse extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: Holder,
    storeDir: string,
  ) {
    const who = `process ${holder.pid} (${holder.command}, since ${holder.since})`;
    const stop =
      holder.hostname === os.hostname()
        ? `Stop it first (Ctrl-C where it runs, or kill ${holder.pid}), then run this again.`
        : `It runs on host ${holder.hostname}: stop it there, then run this again; if it is gone for good, delete ${lockFile}.`;
    super(
      `The embedded store in ${storeDir} is in use by ${who}. It takes one process at a time: ` +
        `a second one would lose its writes. ${stop} To run scripts beside a running server, use PostgreSQL (DATABASE_URL).`,
    );
    this.name = 'StoreInUse';
  }
}

export interface StoreLock {
  release(): void;
}

const SCRIPT_COMMANDS: Record<string, string> = {
  main: 'npm start',
  seed: 'npm run db:seed',
  token: 'npm run token',
  migrate: 'npm run db:migrate',
  report: 'npm run db:report',
};

/** What this process is, in the words a person used to start it. */
function describeThisProcess(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]).replace(/\.(ts|js|mjs)$/, '') : '';
  return SCRIPT_COMMANDS[script] ?? `node ${process.argv.slice(1).join(' ')}`.slice(0, 200);
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const bootId = () => readText('/proc/sys/kernel/random/boot_id');

/** State and start time of a process from /proc (Linux); undefined elsewhere or when it is gone. */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (in parentheses) may hold spaces: the fields after it are what is counted.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTicks: fields[19] ?? '' };
}

function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderIsGone(holder: Holder): boolean {
  if (holder.hostname !== os.hostname()) return false;
  const boot = bootId();
  if (boot && holder.bootId && boot !== holder.bootId) return true;
  if (!runs(holder.pid)) return true;
  const stat = procStat(holder.pid);
  if (!stat) return false;
  if (stat.state === 'Z' || stat.state === 'X') return true;
  return holder.startTicks !== undefined && stat.startTicks !== holder.startTicks;
}

function parseHolder(text: string | undefined): Holder | undefined {
  if (!text) return undefined;
  try {
    const holder = JSON.parse(text) as Holder;
    return Number.isSafeInteger(holder.pid) && typeof holder.token === 'string' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Waits a little, synchronously: a lock being written is complete within microseconds. */
function pause(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the lock of the store in `storeDir` for this process, or throws StoreInUse. The lock is
 * released by `release()`, and at the latest when the process exits.
 */
export function lockStore(storeDir: string): StoreLock {
  const lockFile = `${path.resolve(storeDir)}.lock`;
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const mine: Holder = {
    pid: process.pid,
    hostname: os.hostname(),
    bootId: bootId(),
    startTicks: procStat(process.pid)?.startTicks,
    command: describeThisProcess(),
    since: new Date().toISOString(),
    token: randomUUID(),
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      // O_EXCL: of two processes creating it at once, one gets it.
      fs.writeFileSync(lockFile, JSON.stringify(mine), { flag: 'wx', mode: 0o644 });
      return holding(lockFile, mine.token);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = readText(lockFile);
    const holder = parseHolder(text);
    if (!holder) {
      // Created and not written yet (or cut short by a crash): look again shortly.
      if (attempt < 20) {
        pause(25);
        continue;
      }
    } else if (!holderIsGone(holder)) {
      throw new StoreInUse(lockFile, holder, storeDir);
    }
    takeOver(lockFile, text);
  }
  throw new Error(`Could not take the lock ${lockFile}: other processes keep taking it.`);
}

/**
 * Removes a lock left by a process that is gone, if the file still holds what was read: it is
 * moved aside first (one mover wins), checked, and put back if another process took the lock
 * in between.
 */
function takeOver(lockFile: string, seen: string | undefined) {
  const aside = `${lockFile}.${process.pid}.${randomUUID()}`;
  try {
    fs.renameSync(lockFile, aside);
  } catch {
    return;
  }
  if (readText(aside) !== seen) {
    try {
      fs.linkSync(aside, lockFile);
    } catch {
      // Someone holds the lock already; the next attempt reads who.
    }
  }
  fs.rmSync(aside, { force: true });
}

function holding(lockFile: string, token: string): StoreLock {
  const release = () => {
    process.removeListener('exit', release);
    if (parseHolder(readText(lockFile))?.token !== token) return;
    fs.rmSync(lockFile, { force: true });
  };
  // process.exit() skips the callers' cleanup: the lock goes all the same.
  process.on('exit', release);
  return { release };
}
