/**
 * One contract for both shared states: in memory (one node) and on a real Redis (names under
 * a random prefix, deleted afterwards). Two Redis states over two clients stand for two
 * nodes: what one writes, the other reads, and conditional writes are decided once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '../testing/redis.js';
import { createMemorySharedState, createRedisSharedState, type SharedState } from './sharedState.js';

let redis: TestRedis;
let clock = 1_000;

beforeAll(async () => {
  redis = await createTestRedis('omnidesk-test-state');
});

afterAll(async () => {
  await redis?.cleanup();
});

interface Pair {
  /** Two views of one state (two nodes on Redis; the same object in memory). */
  a: SharedState;
  b: SharedState;
  /** Lets `ms` pass for expiry. */
  pass(ms: number): void | Promise<void>;
}

let run = 0;
const shapes: Record<string, () => Pair | Promise<Pair>> = {
  memory: () => {
    const state = createMemorySharedState(() => clock);
    return { a: state, b: state, pass: (ms) => void (clock += ms) };
  },
  redis: async () => {
    const keyPrefix = `${redis.prefix}${String(++run)}:`;
    const [one, two] = await Promise.all([redis.client(), redis.client()]);
    return {
      a: createRedisSharedState({ client: one, keyPrefix }),
      b: createRedisSharedState({ client: two, keyPrefix }),
      // Redis expires on its own clock: PEXPIREAT in the past ends the key now, with no waiting.
      pass: async () => {
        for (const key of await one.keys(`${keyPrefix}state:*`)) if ((await one.pttl(key)) > 0) await one.pexpireat(key, 1);
      },
    };
  },
};

describe.each(Object.keys(shapes))('shared state in %s', (shape) => {
  let s: Pair;
  beforeAll(async () => {
    s = await shapes[shape]!();
  });

  it('reads on one node what another wrote, until it expires', async () => {
    await s.a.set('wechat:token:wx1', '令牌-1', 60_000);
    await s.a.set('forever', 'x');
    expect(await s.b.get('wechat:token:wx1')).toBe('令牌-1');
    await s.pass(60_000);
    expect(await s.b.get('wechat:token:wx1')).toBeNull();
    expect(await s.b.get('forever')).toBe('x');
  });

  it('lets exactly one of two nodes take a lock, and only its holder release it', async () => {
    const taken = await Promise.all([s.a.setIfAbsent('lock', 'node-a', 30_000), s.b.setIfAbsent('lock', 'node-b', 30_000)]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    const holder = taken[0] ? 'node-a' : 'node-b';
    const other = taken[0] ? 'node-b' : 'node-a';
    expect(await s.b.compareAndDelete('lock', other)).toBe(false);
    expect(await s.a.get('lock')).toBe(holder);
    expect(await s.a.compareAndDelete('lock', holder)).toBe(true);
    expect(await s.b.setIfAbsent('lock', 'node-b', 30_000)).toBe(true);
    await s.pass(30_000);
    expect(await s.a.setIfAbsent('lock', 'node-a', 30_000)).toBe(true);
  });

  it('compare-and-set writes only over the value read (or over nothing)', async () => {
    expect(await s.a.compareAndSet('cas', null, 'v1')).toBe(true);
    expect(await s.b.compareAndSet('cas', null, 'v1-again')).toBe(false);
    expect(await s.b.compareAndSet('cas', 'v0', 'v2')).toBe(false);
    expect(await s.b.compareAndSet('cas', 'v1', 'v2', 5_000)).toBe(true);
    expect(await s.a.get('cas')).toBe('v2');
    await s.pass(5_000);
    expect(await s.a.compareAndSet('cas', null, 'v3')).toBe(true);
  });

  it('keeps the newest fields of a bounded map, in write order, with compare-and-set per field', async () => {
    expect(await s.a.mapCompareAndSet('marks', 'GD20231001001', null, '{"m":1}', 3)).toBe(true);
    expect(await s.b.mapCompareAndSet('marks', 'GD20231001001', null, '{"m":2}', 3)).toBe(false);
    expect(await s.b.mapCompareAndSet('marks', 'GD20231001001', '{"m":1}', '{"m":2}', 3)).toBe(true);
    expect(await s.a.mapGet('marks', 'GD20231001001')).toBe('{"m":2}');
    for (const id of ['GD20231001002', 'GD20231001003', 'GD20231001004']) expect(await s.a.mapCompareAndSet('marks', id, null, id, 3)).toBe(true);
    // Rewriting …002 makes it the newest; …001 (oldest) went when …004 came.
    expect(await s.b.mapCompareAndSet('marks', 'GD20231001002', 'GD20231001002', 'again', 3)).toBe(true);
    expect(await s.a.mapEntries('marks')).toEqual([
      ['GD20231001003', 'GD20231001003'],
      ['GD20231001004', 'GD20231001004'],
      ['GD20231001002', 'again'],
    ]);
    expect(await s.b.mapGet('marks', 'GD20231001001')).toBeNull();
    expect(await s.b.mapEntries('nothing')).toEqual([]);
  });
});
