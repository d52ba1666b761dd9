// Fixed-window request counters in Redis, shared by every instance: one script call counts a
// request against all its keys (token and address) in one round trip. A key is created with the
// window as its expiry and never extended, so it disappears when its window ends.
import type { RedisConnection } from '../cache/redis-connection.js';
import type { Counted } from './window-counter.js';

// Per key: INCR, the expiry on the first request of a window, then what is left of the window.
// A key found without an expiry (one written while a PEXPIRE was lost) gets one, rather than
// counting forever.
const COUNT_SCRIPT = `
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if count == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  result[2 * i - 1] = count
  result[2 * i] = ttl
end
return result
`;

export class RedisWindow {
  constructor(
    private readonly redis: RedisConnection,
    private readonly windowMs: number,
  ) {}

  /** Counts one request against each key; throws RedisUnavailable when Redis cannot answer. */
  async hit(keys: string[]): Promise<Counted[]> {
    const reply = (await this.redis.script(COUNT_SCRIPT, keys, [String(this.windowMs)])) as number[];
    return keys.map((_, i) => ({ count: Number(reply[2 * i]), remainingMs: Number(reply[2 * i + 1]) }));
  }
}
