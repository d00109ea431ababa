/**
 * Redis for tests: the local server (127.0.0.1:6379, as on every machine of this project
 * and in CI; `REDIS_TEST_URL` points elsewhere). Each test file works under its own random
 * key prefix and deletes what it created, so parallel files and other engineers' runs on
 * the same Redis never see each other's keys.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

const DEFAULT_TEST_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** Unique to this test run, ends with ':'; every key a test creates starts with it. */
  prefix: string;
  /** A new connected client; closed by `cleanup()`. */
  client(): Promise<Redis>;
  /** Deletes every key under `prefix` and closes the clients handed out. */
  cleanup(): Promise<void>;
}

export function testRedisUrl(): string {
  return process.env.REDIS_TEST_URL ?? DEFAULT_TEST_URL;
}

async function connect(url: string): Promise<Redis> {
  // No retries: a missing Redis should fail the test at once with a message, not hang it.
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`These tests need Redis at ${url} (.ci/run starts it, or set REDIS_TEST_URL): ${error instanceof Error ? error.message : String(error)}`);
  }
  return client;
}

export async function createTestRedis(label = 'omnidesk-test'): Promise<TestRedis> {
  const url = testRedisUrl();
  const prefix = `${label}:${randomBytes(6).toString('hex')}:`;
  const admin = await connect(url);
  const handedOut: Redis[] = [];
  return {
    url,
    prefix,
    async client() {
      const client = await connect(url);
      handedOut.push(client);
      return client;
    },
    async cleanup() {
      for (const client of handedOut) client.disconnect();
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      admin.disconnect();
    },
  };
}
