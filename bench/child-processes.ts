// Every process the benchmark starts goes through here, so that none outlives it: on exit, on a
// signal or on a crash, whatever is still running is killed.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const running = new Set<ChildProcess>();

function killAll(signal: NodeJS.Signals) {
  for (const child of running) {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll('SIGKILL');
    process.exit(130);
  });
}

export interface PinnedProcess {
  child: ChildProcess;
  /** Settles with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** What the process wrote to stderr, for a failure message. */
  stderr: () => string;
}

/**
 * Runs a TypeScript entry under node on one core: `taskset -c <core> node <flags> --import tsx <file>`.
 * `nodeFlags` are V8/node options (the servers under test all get the same ones).
 */
export function spawnPinned(
  core: number,
  file: string,
  args: string[],
  env: Record<string, string>,
  stdout: 'pipe' | 'ignore' = 'ignore',
  nodeFlags: string[] = [],
): PinnedProcess {
  return spawnPinnedCommand(core, process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args], env, stdout);
}

/** Runs any command on one core (`taskset -c <core> <command> <args>`), killed with the benchmark. */
export function spawnPinnedCommand(
  core: number,
  command: string,
  args: string[],
  env: Record<string, string>,
  stdout: 'pipe' | 'ignore' = 'ignore',
): PinnedProcess {
  const child = spawn('taskset', ['-c', String(core), command, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  running.add(child);
  let errorText = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep the tail only: a chatty process must not grow the benchmark's memory.
    errorText = (errorText + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      running.delete(child);
      errorText += error.message;
      resolve('spawn-failed');
    });
  });
  return { child, exited, stderr: () => errorText };
}

/** Runs a command on one core to its end and returns its exit code and everything it wrote to stdout. */
export async function runPinnedCommand(
  core: number,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const handle = spawnPinnedCommand(core, command, args, env, 'pipe');
  let stdout = '';
  const drained = new Promise<void>((resolve) => {
    handle.child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    handle.child.stdout?.once('close', resolve);
  });
  const code = await handle.exited;
  if (code !== 'spawn-failed') await drained;
  return { code, stdout, stderr: handle.stderr() };
}

/** Whether a command can be run: `command -v` without a shell. */
export function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * The process that actually serves: taskset execs node in place, but a wrapper (a shell, a tsx
 * CLI) would put node one level down, so follow single children down to the first node. Not
 * below it: tsx's loader runs esbuild as node's own child, which serves nothing.
 */
export function servingPid(pid: number): number {
  let current = pid;
  for (let depth = 0; depth < 5 && commandOf(current) !== 'node'; depth++) {
    const next = childrenOf(current);
    if (next.length === 0) break;
    current = next[0]!;
  }
  return current;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** One memory field of /proc/<pid>/status in MB, or undefined when the process is gone. */
function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1];
    return kb === undefined ? undefined : Math.round((Number(kb) / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

/** Peak resident set size (VmHWM) in MB, or undefined when the process is gone. */
export function peakRssMb(pid: number): number | undefined {
  return statusMb(pid, 'VmHWM');
}

/** Resident set size right now (VmRSS) in MB, or undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  return statusMb(pid, 'VmRSS');
}

/** Stops a process with SIGTERM, and SIGKILL if it has not ended after a grace period. */
export async function stop(processHandle: PinnedProcess, graceMs = 15_000): Promise<void> {
  if (processHandle.child.exitCode !== null || processHandle.child.signalCode !== null) return;
  processHandle.child.kill('SIGTERM');
  const timer = setTimeout(() => processHandle.child.kill('SIGKILL'), graceMs);
  await processHandle.exited;
  clearTimeout(timer);
}
