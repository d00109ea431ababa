/**
 * The routing leader lease on a real PostgreSQL database: two nodes, one leader; the
 * leader's backend killed → the other node leads with a greater epoch; the deposed node's
 * fenced write refused.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import {
  LEADER_LOCK_NAMESPACE,
  LEADER_LOCK_ROUTING,
  StaleLeaderEpochError,
  assertEpoch,
  startLeaderLease,
  type LeaderDeposedReason,
  type LeaderLease,
} from './leaderLease.js';

// Generous: the machine is shared; what is asserted is the outcome, never the time.
const EVENTUALLY = { timeout: 20_000, interval: 20 };
const RETRY_MS = 50;

interface Node {
  id: string;
  lease: LeaderLease;
  elected: number[];
  deposed: LeaderDeposedReason[];
}

let database: TestDatabase;
let db: PostgresDatabase;
const logs: string[] = [];

function startNode(id: string): Node {
  const node: Node = { id, elected: [], deposed: [], lease: undefined as unknown as LeaderLease };
  node.lease = startLeaderLease({
    databaseUrl: database.url,
    nodeId: id,
    retryMs: RETRY_MS,
    onElected: (epoch) => node.elected.push(epoch),
    onDeposed: (reason) => node.deposed.push(reason),
    log: (line) => logs.push(`${id}: ${line}`),
  });
  return node;
}

/** The backend pid holding the routing lock, from PostgreSQL's own view. */
async function lockHolderPid(): Promise<number | undefined> {
  const row = await db.get<{ pid: number }>(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objid = ? AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    [LEADER_LOCK_NAMESPACE, LEADER_LOCK_ROUTING],
  );
  return row?.pid;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = openPostgresDatabase({ connectionString: database.url, maxConnections: 4 });
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

describe('leader lease', () => {
  it('elects exactly one leader, re-elects after the leader’s backend dies, and fences the deposed node', async () => {
    const a = startNode('node-a');
    const b = startNode('node-b');
    try {
      await vi.waitFor(() => expect(a.elected.length + b.elected.length).toBe(1), EVENTUALLY);
      // Several retry rounds later there is still exactly one.
      const holder = await lockHolderPid();
      expect(holder).toBeDefined();
      await db.run('SELECT pg_sleep(?)', [(RETRY_MS * 5) / 1000]);
      expect([a.lease.isLeader(), b.lease.isLeader()].filter(Boolean)).toHaveLength(1);
      expect(a.elected.length + b.elected.length).toBe(1);

      const [leader, follower] = a.lease.isLeader() ? [a, b] : [b, a];
      const firstEpoch = leader.lease.epoch()!;
      expect(firstEpoch).toBe(leader.elected[0]);
      expect(follower.lease.epoch()).toBeNull();
      const row = await db.get<{ epoch: number; node_id: string }>('SELECT epoch, node_id FROM cluster_leader WHERE id = 1');
      expect(row).toEqual({ epoch: firstEpoch, node_id: leader.id });

      // The leader's fenced write passes while it leads.
      await db.run('CREATE TABLE routed (id TEXT PRIMARY KEY, epoch BIGINT NOT NULL)');
      await db.withTransaction(async (tx) => {
        await assertEpoch(tx, firstEpoch);
        await tx.run('INSERT INTO routed (id, epoch) VALUES (?, ?)', ['before', firstEpoch]);
      });

      await db.run('SELECT pg_terminate_backend(?)', [holder!]);
      const killedAt = Date.now();
      // Whichever notices first: the connection's end, or the heartbeat on it failing.
      await vi.waitFor(() => expect(leader.deposed).toHaveLength(1), EVENTUALLY);
      expect(['connection_lost', 'heartbeat_failed']).toContain(leader.deposed[0]);
      await vi.waitFor(() => expect(follower.elected).toHaveLength(1), EVENTUALLY);
      console.log(`leader lease: re-elected ${String(Date.now() - killedAt)} ms after the leader's backend was terminated (retry ${String(RETRY_MS)} ms)`);
      const secondEpoch = follower.elected[0]!;
      expect(secondEpoch).toBeGreaterThan(firstEpoch);
      expect(follower.lease.epoch()).toBe(secondEpoch);

      // The deposed node reconnects as a follower and does not lead again while the other holds the lock.
      await vi.waitFor(async () => expect(await lockHolderPid()).not.toBe(holder), EVENTUALLY);
      await db.run('SELECT pg_sleep(?)', [(RETRY_MS * 5) / 1000]);
      expect(leader.lease.isLeader()).toBe(false);
      expect(leader.elected).toHaveLength(1);

      // A write fenced with the old epoch is refused and leaves nothing behind; the new leader's passes.
      const stale = db.withTransaction(async (tx) => {
        await tx.run('INSERT INTO routed (id, epoch) VALUES (?, ?)', ['stale', firstEpoch]);
        await assertEpoch(tx, firstEpoch);
      });
      await expect(stale).rejects.toBeInstanceOf(StaleLeaderEpochError);
      await expect(stale).rejects.toMatchObject({ code: 'stale_leader_epoch', heldEpoch: firstEpoch, currentEpoch: secondEpoch });
      await db.withTransaction(async (tx) => {
        await assertEpoch(tx, secondEpoch);
        await tx.run('INSERT INTO routed (id, epoch) VALUES (?, ?)', ['after', secondEpoch]);
      });
      expect(await db.all('SELECT id, epoch FROM routed ORDER BY id')).toEqual([
        { id: 'after', epoch: secondEpoch },
        { id: 'before', epoch: firstEpoch },
      ]);

      // Stopping the leader hands over too, with a still greater epoch.
      await follower.lease.stop();
      expect(follower.deposed).toEqual(['stopped']);
      await vi.waitFor(() => expect(leader.elected).toHaveLength(2), EVENTUALLY);
      expect(leader.elected[1]).toBeGreaterThan(secondEpoch);
    } finally {
      await a.lease.stop();
      await b.lease.stop();
    }
    expect(logs.filter((line) => line.includes('onElected') || line.includes('onDeposed'))).toEqual([]);
  });

  it('makes an election wait for a fenced write in flight, so the write commits under the epoch it checked', async () => {
    const node = startNode('node-c');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await vi.waitFor(() => expect(node.elected.length).toBeGreaterThan(0), EVENTUALLY);
      const epoch = node.lease.epoch()!;
      await client.query('BEGIN');
      await client.query('SELECT epoch FROM cluster_leader WHERE id = 1 FOR SHARE');
      // A competing election (what a new leader runs under the lock) cannot bump the epoch yet.
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query("SET lock_timeout = '200ms'");
        await expect(other.query('UPDATE cluster_leader SET epoch = epoch + 1 WHERE id = 1')).rejects.toMatchObject({ code: '55P03' });
      } finally {
        await other.end();
      }
      await client.query('COMMIT');
      expect(node.lease.epoch()).toBe(epoch);
    } finally {
      await client.end();
      await node.lease.stop();
    }
  });
});
