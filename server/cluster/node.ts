/**
 * What a node of several shares with the others besides the database (issue 10): one Redis
 * connection for rate-limit counters and channel state, and the commit stream that tells it
 * what every node committed. The socket.io adapter and the routing lease have connections
 * of their own (socketAdapter.ts, routingLeader.ts).
 */
import { Redis } from 'ioredis';
import type { ServerStore } from '../store.js';
import { startCommitStream, type CommitStream } from './commitStream.js';
import { createRedisSharedState, type SharedState } from './sharedState.js';

export interface ClusterMembership {
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  redis: Redis;
  sharedState: SharedState;
  commits: CommitStream;
  /** Whether Redis answers a PING within a second (health checks). */
  redisAnswers(): Promise<boolean>;
  close(): Promise<void>;
}

export async function joinCluster(
  options: { redisUrl: string; keyPrefix?: string },
  databaseUrl: string | undefined,
  store: ServerStore,
  log: (line: string) => void,
): Promise<ClusterMembership> {
  if (!databaseUrl) throw new Error('A cluster node needs DATABASE_URL: the nodes share their state through PostgreSQL.');
  const keyPrefix = options.keyPrefix ?? 'omnidesk:';
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    log(`redis: ${error.message}`);
  });
  const commits = await startCommitStream({ store, databaseUrl, log });
  let closing: Promise<void> | null = null;
  return {
    databaseUrl,
    redisUrl: options.redisUrl,
    keyPrefix,
    redis,
    sharedState: createRedisSharedState({ client: redis, keyPrefix }),
    commits,
    redisAnswers: () =>
      new Promise<boolean>((resolve) => {
        // ioredis queues commands while it reconnects: a health check must not wait for that.
        const timer = setTimeout(() => resolve(false), 1_000);
        redis.ping().then(
          () => (clearTimeout(timer), resolve(true)),
          () => (clearTimeout(timer), resolve(false)),
        );
      }),
    close() {
      // Idempotent: the commit stream stops (and its last read ends) before Redis goes; the caller closes the pool after.
      closing ??= (async () => {
        await commits.stop();
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}
