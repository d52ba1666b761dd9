// A PostgreSQL connection of its own that LISTENs on channels and knows whether it can hear them.
// A connection that looks open may not deliver (a half-open socket after a network fault is
// noticed by TCP keepalive only after minutes), so while up it proves itself every
// `checkIntervalMs`: a notice it sends to itself must come back within that time. PostgreSQL sends
// a session its pending notices before it answers a statement, so a proof that succeeds also means
// every notice committed before it was sent has been heard. Lost, it says so at once (`onDown`)
// and connects again, saying `onUp` only once its LISTENs are in force again.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Logger } from '../observability/logger.js';

export interface ListenOptions {
  channels: string[];
  /**
   * The application_name the connection takes once its LISTENs are in force: other sessions find
   * the listeners by it in pg_stat_activity, knowing that each one hears the channels.
   */
  applicationName?: string;
  /** How often an open connection proves that it hears, in ms; 0: never (a short-lived listener). */
  checkIntervalMs: number;
  onNotification: (channel: string, payload: string) => void;
  /** Each time the LISTENs are in force, with the listening connection's backend pid. */
  onUp: (backendPid: number) => void;
  /** Each time hearing is lost: notices sent from then until the next `onUp` may be missed. */
  onDown: () => void;
  logger: Logger;
}

export interface NotificationListener {
  /** Resolves once listening for the first time; rejects if the first attempt fails (attempts go on). */
  readonly started: Promise<void>;
  /** Sends a notice from the listening connection itself (so its sender is the listener's pid). */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** Waits between connection attempts: from 100 ms, doubling, never more than 2 s. */
const backoff = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000);

export function listenOnPostgres(url: string, connectTimeoutMs: number, options: ListenOptions): NotificationListener {
  // Heard by this listener alone: the channel of its self-checks.
  const checkChannel = `cardfile_check_${randomBytes(8).toString('hex')}`;
  let client: postgres.Sql | undefined;
  /** Which connection is current: callbacks of an older one are ignored. */
  let generation = 0;
  let up = false;
  /** Set once the current outage has been logged. */
  let quiet = false;
  let closed = false;
  let attempts = 0;
  let checksSent = 0;
  let checksHeard = 0;
  /** The next self-check while up, the next attempt to connect while down. */
  let timer: NodeJS.Timeout | undefined;
  const later = (run: () => void, ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  };

  let settleStart: ((error?: Error) => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    settleStart = (error) => {
      settleStart = undefined;
      if (error) reject(error);
      else resolve();
    };
  });
  // A server does not wait for it: it serves, distrusting its token cache, while this connects.
  started.catch(() => {});

  const lost = (connection: number, reason: string) => {
    if (connection !== generation || closed) return;
    generation += 1;
    void client?.end({ timeout: 0 }).catch(() => {});
    client = undefined;
    if (up) {
      up = false;
      options.onDown();
    }
    // Once per outage: an instance that cannot hear keeps trying, quietly.
    if (!quiet) options.logger.warn({ reason }, 'not hearing PostgreSQL notices; connecting again');
    quiet = true;
    settleStart?.(new Error(`could not listen on PostgreSQL: ${reason}`));
    later(connect, backoff(attempts++));
  };

  const check = async (connection: number) => {
    const sql = client;
    if (connection !== generation || !sql) return;
    const sent = ++checksSent;
    let deadline: NodeJS.Timeout | undefined;
    const heard = await Promise.race([
      sql`select pg_notify(${checkChannel}, ${String(sent)})`.then(
        () => checksHeard >= sent,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        deadline = setTimeout(() => resolve(false), options.checkIntervalMs);
      }),
    ]);
    clearTimeout(deadline);
    if (heard) {
      if (connection === generation) later(() => void check(connection), options.checkIntervalMs);
      return;
    }
    lost(connection, 'a notice to itself did not come back in time');
  };

  function connect() {
    if (closed) return;
    const connection = ++generation;
    const sql = postgres(url, {
      max: 1,
      prepare: false,
      fetch_types: false,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: connectTimeoutMs / 1000,
      onnotice: () => {},
      onnotify: (channel: string, payload: string) => {
        if (connection !== generation) return;
        if (channel === checkChannel) checksHeard = Math.max(checksHeard, Number(payload));
        else options.onNotification(channel, payload);
      },
      onclose: () => lost(connection, 'connection closed'),
      // postgres.js takes onnotify as an option without declaring it.
    } as postgres.Options<Record<string, never>>);
    client = sql;
    void (async () => {
      for (const channel of [...options.channels, checkChannel]) await sql.unsafe(`listen ${quoted(channel)}`);
      // Heard before it counts as up: a pooler that does not keep a session (PgBouncer in
      // transaction mode) accepts LISTEN but delivers nothing.
      const sent = ++checksSent;
      await sql`select pg_notify(${checkChannel}, ${String(sent)})`;
      if (checksHeard < sent) throw new Error('a notice to itself did not come back');
      // Named only now: whoever finds this connection by its name knows it hears the channels.
      if (options.applicationName) await sql`select set_config('application_name', ${options.applicationName}, false)`;
      const [row] = await sql`select pg_backend_pid() as pid`;
      return Number(row!.pid);
    })().then(
      (pid) => {
        if (connection !== generation || closed) return;
        up = true;
        if (quiet) options.logger.info('hearing PostgreSQL notices again');
        quiet = false;
        attempts = 0;
        options.onUp(pid);
        settleStart?.();
        if (options.checkIntervalMs > 0) later(() => void check(connection), options.checkIntervalMs);
      },
      (error: unknown) => lost(connection, (error as Error).message),
    );
  }

  connect();
  return {
    started,
    notify: async (channel, payload) => {
      const sql = client;
      if (!sql || !up) throw new Error('not listening');
      await sql`select pg_notify(${channel}, ${payload})`;
    },
    close: async () => {
      closed = true;
      clearTimeout(timer);
      generation += 1;
      up = false;
      settleStart?.(new Error('closed'));
      const last = client;
      client = undefined;
      await last?.end({ timeout: 1 }).catch(() => {});
    },
  };
}
