/**
 * Rate limits shared by server nodes on a real Redis (random key prefix): two nodes'
 * limiter sets count together, so alternating nodes does not double a budget; in memory
 * (one node) each set counts alone, as before; with Redis unreachable a node falls back to
 * counting in its own memory.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from './testing/redis.js';
import { DEFAULT_RATE_LIMITS, createRateLimiters, type RateLimitConfig } from './rateLimits.js';

const CONFIG: RateLimitConfig = { ...DEFAULT_RATE_LIMITS, signInFailuresPerUser: { points: 4, durationSec: 60 } };

let redis: TestRedis;

beforeAll(async () => {
  redis = await createTestRedis('omnidesk-test-rl');
});

afterAll(async () => {
  await redis?.cleanup();
});

describe('rate limits on Redis', () => {
  it('counts the spending of every node together', async () => {
    // Two nodes: each its own client and its own limiter set, one Redis.
    const nodeA = createRateLimiters(CONFIG, { kind: 'redis', client: await redis.client(), keyPrefix: redis.prefix });
    const nodeB = createRateLimiters(CONFIG, { kind: 'redis', client: await redis.client(), keyPrefix: redis.prefix });
    const user = '张伟';
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push(await (i % 2 === 0 ? nodeA : nodeB).signInFailuresPerUser.consume(user));
    expect(verdicts.map((verdict) => verdict.ok)).toEqual([true, true, true, true, false, false]);
    expect(verdicts[4]).toMatchObject({ ok: false, firstRefusal: true });
    expect(verdicts[5]).toMatchObject({ ok: false, firstRefusal: false });
    const refused = verdicts[4]!;
    expect(refused.ok === false && refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000).toBe(true);

    // Either node sees the spent budget, and a reset on one clears it for both.
    expect((await nodeA.signInFailuresPerUser.peek(user)).ok).toBe(false);
    await nodeB.signInFailuresPerUser.reset(user);
    expect((await nodeA.signInFailuresPerUser.peek(user)).ok).toBe(true);
    expect((await nodeA.signInFailuresPerUser.consume(user)).ok).toBe(true);

    // The counters are in Redis under the given prefix, one key per limit and key.
    const keys = await (await redis.client()).keys(`${redis.prefix}*`);
    expect(keys).toEqual([`${redis.prefix}signInFailuresPerUser:${user}`]);
  });

  it('keeps limits apart by name', async () => {
    const node = createRateLimiters(CONFIG, { kind: 'redis', client: await redis.client(), keyPrefix: redis.prefix });
    for (let i = 0; i < 4; i++) await node.signInFailuresPerUser.consume('lisi');
    expect((await node.signInFailuresPerUser.consume('lisi')).ok).toBe(false);
    expect((await node.signInAttemptsPerAddress.consume('lisi')).ok).toBe(true);
  });

  it('counts in this node’s memory while Redis is unreachable', async () => {
    // A client that never connected: not ready, so the insurance limiter answers at once.
    const offline = new Redis(redis.url, { lazyConnect: true });
    try {
      const node = createRateLimiters(CONFIG, { kind: 'redis', client: offline, keyPrefix: redis.prefix });
      const verdicts = [];
      for (let i = 0; i < 5; i++) verdicts.push((await node.signInFailuresPerUser.consume('wangwu')).ok);
      expect(verdicts).toEqual([true, true, true, true, false]);
    } finally {
      offline.disconnect();
    }
  });
});

describe('rate limits in memory', () => {
  it('count per process, as on a single node', async () => {
    const nodeA = createRateLimiters(CONFIG);
    const nodeB = createRateLimiters(CONFIG);
    const verdicts = [];
    for (let i = 0; i < 8; i++) verdicts.push((await (i % 2 === 0 ? nodeA : nodeB).signInFailuresPerUser.consume('zhaoliu')).ok);
    expect(verdicts).toEqual([true, true, true, true, true, true, true, true]);
    expect((await nodeA.signInFailuresPerUser.consume('zhaoliu')).ok).toBe(false);
  });
});
