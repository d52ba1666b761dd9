// Fixed-window request counters in Redis, shared by every instance: one script call counts a
// request against all its keys (token and address) in one round trip. A key is created with the
// window as its expiry and never extended, so it disappears when its window ends.
import type { RedisConnection } from '../redis/connection.js';
import type { Counted } from './window-counter.js';

// Per key: INCRBY, the expiry on the first requests of a window (or on a key found without one,
// written while a PEXPIRE was lost, rather than counting forever), then what is left of the window.
// ARGV[1] is the window; ARGV[i + 1] how many requests to add to KEYS[i] (1 for a request counted
// as it arrives, more for a batch counted afterwards).
const COUNT_SCRIPT = `
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, ARGV[i + 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
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

  /** Counts `amounts[i]` requests (one each by default) against each key; throws RedisUnavailable when Redis cannot answer. */
  async hit(keys: string[], amounts: number[] = keys.map(() => 1)): Promise<Counted[]> {
    const reply = (await this.redis.script(COUNT_SCRIPT, keys, [String(this.windowMs), ...amounts.map(String)])) as number[];
    return keys.map((_, i) => ({ count: Number(reply[2 * i]), remainingMs: Number(reply[2 * i + 1]) }));
  }
}
