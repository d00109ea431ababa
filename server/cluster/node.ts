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
  return {
    databaseUrl,
    redisUrl: options.redisUrl,
    keyPrefix,
    redis,
    sharedState: createRedisSharedState({ client: redis, keyPrefix }),
    commits,
    async close() {
      await commits.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
