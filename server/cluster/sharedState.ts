/**
 * State the channels share between server nodes (issue 10): web chat read marks, the WeChat
 * access token and its refresh lock. A small key-value with expiry and compare-and-set, in
 * this process's memory on a single node (exactly what the channels kept before) or in
 * Redis when several nodes must see the same values. Values are strings; callers encode.
 *
 * Two shapes of data:
 * - keys with an optional time to live, set unconditionally, only when absent (a lock), or
 *   only when they still hold what the caller read (compare-and-set / compare-and-delete),
 *   so two nodes deciding from the same read never both win;
 * - bounded maps: a named map keeping its newest `max` fields (oldest written first to go),
 *   listable in one call, with a compare-and-set per field.
 *
 * Redis: every name starts with `keyPrefix`; each conditional write is one Lua script, so it
 * is atomic against every other node. The client belongs to the caller (the app opens one per
 * node and closes it after the channels stop).
 */
import type { Redis } from 'ioredis';

export interface SharedState {
  /** 'memory': this process only; 'redis': every node given the same Redis and prefix. */
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** Stores `value`; with `ttlMs` it disappears after that long. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Stores only when `key` holds nothing (a lock: SET NX PX); true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Stores only when `key` holds `expected` (null: holds nothing); true when this call stored it. */
  compareAndSet(key: string, expected: string | null, value: string, ttlMs?: number): Promise<boolean>;
  /** Deletes only when `key` holds `expected`; true when this call deleted it. */
  compareAndDelete(key: string, expected: string): Promise<boolean>;
  mapGet(map: string, field: string): Promise<string | null>;
  /** Writes the field only when it holds `expected` (null: absent), then forgets the oldest fields beyond `max`. */
  mapCompareAndSet(map: string, field: string, expected: string | null, value: string, max: number): Promise<boolean>;
  /** Every field and value, oldest written first. */
  mapEntries(map: string): Promise<Array<[field: string, value: string]>>;
}

interface MemoryEntry {
  value: string;
  expiresAt: number;
}

/** This process only: what a single node has always done. `now` drives expiry (tests pass their clock). */
export function createMemorySharedState(now: () => number = Date.now): SharedState {
  const entries = new Map<string, MemoryEntry>();
  const maps = new Map<string, Map<string, string>>();

  function read(key: string): string | null {
    const entry = entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return null;
    }
    return entry.value;
  }

  function write(key: string, value: string, ttlMs: number | undefined): void {
    entries.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
  }

  return {
    kind: 'memory',
    /* eslint-disable @typescript-eslint/require-await -- nothing to await in memory, yet a throw must reject as on Redis, not escape synchronously */
    async get(key) {
      return read(key);
    },
    async set(key, value, ttlMs) {
      write(key, value, ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (read(key) !== null) return false;
      write(key, value, ttlMs);
      return true;
    },
    async compareAndSet(key, expected, value, ttlMs) {
      if (read(key) !== expected) return false;
      write(key, value, ttlMs);
      return true;
    },
    async compareAndDelete(key, expected) {
      if (read(key) !== expected) return false;
      entries.delete(key);
      return true;
    },
    async mapGet(map, field) {
      return maps.get(map)?.get(field) ?? null;
    },
    async mapCompareAndSet(map, field, expected, value, max) {
      let fields = maps.get(map);
      if ((fields?.get(field) ?? null) !== expected) return false;
      if (!fields) maps.set(map, (fields = new Map<string, string>()));
      // Re-inserted, so insertion order is write order and the first key is the oldest.
      fields.delete(field);
      fields.set(field, value);
      while (fields.size > max) fields.delete(fields.keys().next().value as string);
      return true;
    },
    async mapEntries(map) {
      return [...(maps.get(map) ?? [])];
    },
    /* eslint-enable @typescript-eslint/require-await */
  };
}

export interface RedisSharedStateOptions {
  /** This node's client; the caller closes it. */
  client: Redis;
  /** Starts every key, so deployments and test runs sharing one Redis stay apart. Default `omnidesk:`. */
  keyPrefix?: string;
}

/** KEYS[1]; ARGV: has-expected ('1'/'0'), expected, value, ttl ms ('' for none). */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[4] ~= '' then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;

const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * KEYS[1] the fields (hash), KEYS[2] their write order (sorted set), KEYS[3] the write counter;
 * ARGV: field, has-expected, expected, value, max. A counter, not a clock, orders the writes:
 * nodes' clocks differ, Redis's counter is one.
 */
const MAP_COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if current ~= ARGV[3] then return 0 end
elseif current then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  redis.call('ZREM', KEYS[2], unpack(oldest))
  redis.call('HDEL', KEYS[1], unpack(oldest))
end
return 1`;

/** Shared by every node given the same Redis and prefix. */
export function createRedisSharedState(options: RedisSharedStateOptions): SharedState {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'omnidesk:';
  const key = (name: string) => `${prefix}state:${name}`;
  // One hash tag per map, so its three keys sit in one slot should the Redis be a cluster.
  const mapKeys = (map: string) => [`${prefix}map:{${map}}:fields`, `${prefix}map:{${map}}:order`, `${prefix}map:{${map}}:writes`];

  return {
    kind: 'redis',
    async get(name) {
      return client.get(key(name));
    },
    async set(name, value, ttlMs) {
      if (ttlMs === undefined) await client.set(key(name), value);
      else await client.set(key(name), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async setIfAbsent(name, value, ttlMs) {
      return (await client.set(key(name), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
    async compareAndSet(name, expected, value, ttlMs) {
      const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)));
      return (await client.eval(COMPARE_AND_SET, 1, key(name), expected === null ? '0' : '1', expected ?? '', value, ttl)) === 1;
    },
    async compareAndDelete(name, expected) {
      return (await client.eval(COMPARE_AND_DELETE, 1, key(name), expected)) === 1;
    },
    async mapGet(map, field) {
      return client.hget(mapKeys(map)[0]!, field);
    },
    async mapCompareAndSet(map, field, expected, value, max) {
      const result = await client.eval(MAP_COMPARE_AND_SET, 3, ...mapKeys(map), field, expected === null ? '0' : '1', expected ?? '', value, String(max));
      return result === 1;
    },
    async mapEntries(map) {
      const [fieldsKey, orderKey] = mapKeys(map);
      // One transaction, so a write by another node cannot fall between the two reads.
      const replies = (await client.multi().zrange(orderKey!, 0, -1).hgetall(fieldsKey!).exec()) ?? [];
      const [[orderError, order], [fieldsError, fields]] = replies as [[Error | null, string[]], [Error | null, Record<string, string>]];
      const failure = orderError ?? fieldsError;
      if (failure) throw failure;
      return order.flatMap((field) => (fields[field] === undefined ? [] : [[field, fields[field]] as [string, string]]));
    },
  };
}
