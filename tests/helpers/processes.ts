// Runs cardfile's own entry points as separate processes, the way users run them.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The environment of a child: the parent's, minus the database and cache settings, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, REDIS_URL: _redis, DATABASE_REPLICA_URLS: _replicas, ...rest } = process.env;
  // Rate limits off unless a test sets them: load tests drive one token from one address.
  return { ...rest, NODE_ENV: 'development', LOG_LEVEL: 'warn', RATE_LIMIT_PER_TOKEN: '0', RATE_LIMIT_PER_IP: '0', ...env };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point (src/...) to completion. */
export function runScript(script: string, args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningServer {
  child: ChildProcess;
  /** Everything printed on stdout up to the moment the server announced itself. */
  banner: string;
  url: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` and resolves once it prints the URL it serves. */
export function startServerProcess(env: Record<string, string | undefined>): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before serving: ${stderr}`)));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /serving (http:\/\/\S+)\/graphql/.exec(stdout);
      // Wait for the whole banner: the curl line is its last line.
      if (match && (stdout.includes('curl') || stdout.includes('(PostgreSQL)\n'))) {
        resolve({
          child,
          banner: stdout,
          url: match[1]!,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
  });
}
