// The Redis connection of the shared tier, built to fail fast: while Redis is unreachable, commands
// are refused at once (no offline queue) and a circuit breaker stops trying for a moment, so a
// Redis outage costs cache hits, never a hung or failed request. Reconnection is automatic.
import { createHash } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import type { Logger } from '../observability/logger.js';

export interface RedisConnectionOptions {
  url: string;
  /** Longest wait for one command before it counts as a failure, in ms. */
  commandTimeoutMs: number;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit skips Redis before one trial command, in ms. */
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class RedisUnavailable extends Error {
  constructor(reason: string) {
    super(`redis unavailable: ${reason}`);
  }
}

export class RedisConnection {
  readonly client: RedisClientType;

  private subscriber: RedisClientType | undefined;
  private failures = 0;
  private everReady = false;
  private openedAt = 0;
  private state: CircuitState = 'closed';
  private readonly scriptShas = new Map<string, string>();

  constructor(
    private readonly options: RedisConnectionOptions,
    private readonly logger: Logger,
    private readonly onCircuitChange: (state: CircuitState) => void = () => {},
  ) {
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 1000,
        // Keep trying, never faster than every 100 ms nor slower than every 2 s.
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2000),
      },
    }) as RedisClientType;
    this.client.on('error', (error: Error) => this.logger.debug({ err: { message: error.message } }, 'redis error'));
    this.client.on('ready', () => {
      this.everReady = true;
    });

  }

  /** Connects in the background: cardfile starts and serves while Redis is still unreachable. */
  start(): void {
    this.client.connect().catch((error: Error) => this.logger.warn({ err: { message: error.message } }, 'redis connect failed'));
  }

  get circuit(): CircuitState {
    return this.state;
  }

  private setState(state: CircuitState) {
    if (state === this.state) return;
    this.state = state;
    this.onCircuitChange(state);
    this.logger.info(`redis circuit ${state}`);
  }

  /** Runs one Redis call within the timeout and the circuit breaker; throws RedisUnavailable. */
  async run<T>(call: (client: RedisClientType) => Promise<T>): Promise<T> {
    if (this.state === 'open') {
      if (Date.now() - this.openedAt < this.options.openMs) throw new RedisUnavailable('circuit open');
      this.setState('half-open');
    }
    if (!this.client.isReady) {
      // Before the first connection (a cold start) a refusal is not a failure of Redis: counted,
      // the start-up commands alone would open the circuit and keep Redis unused for a while.
      if (this.everReady) this.recordFailure();
      throw new RedisUnavailable('not connected');
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        call(this.client),
        new Promise<never>((_, reject) => {
          // Timers run before I/O in each turn of the event loop: when this process was too busy
          // to look, a reply already waiting on the socket would lose to the timer and Redis
          // would be blamed (three in a row open the circuit, and a purge refused then leaves
          // other instances serving what the write replaced). setImmediate lets that turn's I/O in first.
          timer = setTimeout(() => setImmediate(() => reject(new RedisUnavailable('timeout'))), this.options.commandTimeoutMs);
        }),
      ]);
      this.failures = 0;
      this.setState('closed');
      return result;
    } catch (error) {
      this.recordFailure();
      throw error instanceof RedisUnavailable ? error : new RedisUnavailable((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private recordFailure() {
    this.failures += 1;
    if (this.state === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = Date.now();
      this.setState('open');
    }
  }

  /** EVALSHA with a fallback to EVAL the first time a server has not seen the script. */
  async script(source: string, keys: string[], args: Array<string | Buffer>): Promise<unknown> {
    let sha = this.scriptShas.get(source);
    if (!sha) this.scriptShas.set(source, (sha = createHash('sha1').update(source).digest('hex')));
    return this.run(async (client) => {
      try {
        return await client.sendCommand(['EVALSHA', sha!, String(keys.length), ...keys, ...args]);
      } catch (error) {
        if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
        return client.sendCommand(['EVAL', source, String(keys.length), ...keys, ...args]);
      }
    });
  }

  /**
   * Subscribes on a second connection (a subscribed connection can do nothing else). `onUp` runs
   * each time the subscription is (re)established, `onDown` each time the connection drops:
   * messages sent in between are lost, and the caller must act as if it had missed some.
   */
  async subscribe(channel: string, onMessage: (message: string) => void, onUp: () => void, onDown: () => void): Promise<void> {
    const subscriber = (this.subscriber = this.client.duplicate() as RedisClientType);
    let up = false;
    const down = () => {
      if (!up) return;
      up = false;
      onDown();
    };
    subscriber.on('error', (error: Error) => {
      this.logger.debug({ err: { message: error.message } }, 'redis subscriber error');
      down();
    });
    subscriber.on('end', down);
    subscriber.on('reconnecting', down);
    // node-redis subscribes again by itself after a reconnect; 'ready' fires each time.
    subscriber.on('ready', () => {
      if (up) return;
      up = true;
      onUp();
    });
    try {
      await subscriber.connect();
      await subscriber.subscribe(channel, onMessage);
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'redis subscriber connect failed');
    }
  }

  async close(): Promise<void> {
    for (const client of [this.subscriber, this.client]) {
      if (client?.isOpen) await client.close().catch(() => client.destroy());
    }
  }
}
