import { describe, expect, it } from 'vitest';
import { ClusterConfigError, clusterConfigFromEnv, defaultNodeId, redactedUrl } from './config.js';

const fixedId = () => 'host-1';

function issuesOf(env: Record<string, string | undefined>) {
  try {
    clusterConfigFromEnv(env, fixedId);
  } catch (error) {
    expect(error).toBeInstanceOf(ClusterConfigError);
    return { issues: (error as ClusterConfigError).issues, message: (error as Error).message };
  }
  throw new Error('expected a ClusterConfigError');
}

describe('cluster configuration from the environment', () => {
  it('is one SQLite node, as before, without DATABASE_URL and REDIS_URL (blank counts as unset)', () => {
    expect(clusterConfigFromEnv({}, fixedId)).toEqual({ mode: 'single-sqlite', nodeId: 'host-1' });
    expect(clusterConfigFromEnv({ DATABASE_URL: '', REDIS_URL: '  ', NODE_ID: '' }, fixedId)).toEqual({ mode: 'single-sqlite', nodeId: 'host-1' });
  });

  it('is one PostgreSQL node with DATABASE_URL only, and a cluster node with both', () => {
    expect(clusterConfigFromEnv({ DATABASE_URL: 'postgres://omnidesk@db:5432/omnidesk' }, fixedId)).toEqual({
      mode: 'single-postgres',
      nodeId: 'host-1',
      databaseUrl: 'postgres://omnidesk@db:5432/omnidesk',
    });
    expect(clusterConfigFromEnv({ DATABASE_URL: 'postgresql://db/omnidesk', REDIS_URL: 'rediss://cache:6380', NODE_ID: 'node-2.eu' }, fixedId)).toEqual({
      mode: 'cluster',
      nodeId: 'node-2.eu',
      databaseUrl: 'postgresql://db/omnidesk',
      redisUrl: 'rediss://cache:6380',
    });
  });

  it('names every bad variable at once, without echoing a password', () => {
    const { issues, message } = issuesOf({ DATABASE_URL: 'mysql://root:hunter2@db/x', REDIS_URL: 'cache:6379', NODE_ID: '节点 1' });
    expect(issues).toEqual([
      { variable: 'DATABASE_URL', problem: 'not_postgres_url' },
      { variable: 'REDIS_URL', problem: 'not_redis_url' },
      { variable: 'NODE_ID', problem: 'bad_node_id' },
    ]);
    expect(message).toContain('DATABASE_URL: must be a postgres://');
    expect(message).not.toContain('hunter2');
  });

  it('refuses REDIS_URL without DATABASE_URL', () => {
    expect(issuesOf({ REDIS_URL: 'redis://127.0.0.1:6379' }).issues).toEqual([{ variable: 'REDIS_URL', problem: 'redis_without_database' }]);
  });

  it('defaults the node id to hostname-pid, made safe', () => {
    expect(defaultNodeId('app-3.internal', 4242)).toBe('app-3.internal-4242');
    expect(defaultNodeId('服务器', 7)).toBe('node-7');
    expect(defaultNodeId('x'.repeat(80), 12345)).toMatch(/^x{42}-12345$/);
    expect(clusterConfigFromEnv({}).nodeId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*-\d+$/);
  });

  it('redacts a URL password for logs', () => {
    expect(redactedUrl('postgres://omnidesk:s3cret@db:5432/omnidesk')).toBe('postgres://omnidesk:***@db:5432/omnidesk');
    expect(redactedUrl('not a url')).toBe('(not a URL)');
  });
});
