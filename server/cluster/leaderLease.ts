/**
 * One routing leader at a time among the server nodes (issue 10): a PostgreSQL session
 * advisory lock held on a dedicated connection, plus a fencing epoch.
 *
 * Whoever holds the lock is the leader; PostgreSQL releases it when the holder's session
 * ends (process death, connection loss, `pg_terminate_backend`), and a follower retrying
 * every `retryMs` takes it. Under the lock the new leader bumps `cluster_leader.epoch`.
 * A node can lose the lock before it notices (a stalled process, a network partition), so
 * writes that only the leader may make check the fence in their own transaction with
 * `assertEpoch(tx, epoch)`: it reads the row FOR SHARE, which also makes the next
 * election's UPDATE wait until that write has committed, so a fenced write either commits
 * before the new epoch exists or is refused.
 *
 * Loss of the dedicated connection (error or end), or a failed heartbeat on it, deposes
 * the leader at once; the node then retries as a follower.
 */
import pg from 'pg';
import { LEADER_ENSURE_TABLE_LOCK, LEADER_LOCK_NAMESPACE, LEADER_LOCK_ROUTING } from '../db/lockKeys.js';
import type { SqlExecutor } from '../db/sql.js';

export { LEADER_LOCK_NAMESPACE, LEADER_LOCK_ROUTING };

export type LeaderDeposedReason =
  /** The dedicated connection failed or ended: the lock is gone (or will be, with the session). */
  | 'connection_lost'
  /** The heartbeat on the dedicated connection failed or timed out: treat the lock as gone. */
  | 'heartbeat_failed'
  /** `stop()` was called. */
  | 'stopped';

export interface LeaderLeaseOptions {
  /** postgres://… of the shared database. */
  databaseUrl: string;
  /** This node's name, written beside the epoch (who leads, for operators). */
  nodeId: string;
  /** How often a follower tries the lock, and how often the leader checks its connection. */
  retryMs: number;
  /** Called once per election with the new epoch, strictly greater than every earlier one. */
  onElected(epoch: number): void;
  /** Called when this node stops being the leader; routing must stop at once. */
  onDeposed(reason: LeaderDeposedReason): void;
  /** How long a heartbeat may take before the leader deposes itself; default 2 × retryMs, at least 1 s. */
  heartbeatTimeoutMs?: number;
  log?: (line: string) => void;
  /** Clock for `elected_at`; default Date.now. */
  now?: () => number;
}

export interface LeaderLease {
  /** Releases the lock (if held) and stops retrying; resolves once the connection is closed. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** The epoch of this node's current term, or null when it is not the leader. */
  epoch(): number | null;
}

/** The fence said no: the writer's epoch is not the current one, another node leads now. */
export class StaleLeaderEpochError extends Error {
  readonly code = 'stale_leader_epoch';
  constructor(
    readonly heldEpoch: number,
    readonly currentEpoch: number | null,
  ) {
    super(`stale_leader_epoch: held ${String(heldEpoch)}, current ${String(currentEpoch ?? 'none')}`);
    this.name = 'StaleLeaderEpochError';
  }
}

const CREATE_LEADER_TABLE = `CREATE TABLE IF NOT EXISTS cluster_leader (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL,
  node_id TEXT,
  elected_at BIGINT
)`;

/**
 * Creates the one-row `cluster_leader` table if missing. Idempotent and safe when several
 * nodes start at once (concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on the
 * catalog's unique index). No PostgreSQL migration folder exists yet; when one does, this
 * becomes its migration.
 */
export async function ensureLeaderTable(client: Pick<pg.ClientBase, 'query'>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LEADER_LOCK_NAMESPACE, LEADER_ENSURE_TABLE_LOCK]);
    await client.query(CREATE_LEADER_TABLE);
    await client.query('INSERT INTO cluster_leader (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The fence, inside the writer's transaction: refuses (throws StaleLeaderEpochError) unless
 * `epoch` is still the current one, and holds the row FOR SHARE until the transaction ends
 * so no election can complete in between.
 */
export async function assertEpoch(tx: SqlExecutor, epoch: number): Promise<void> {
  const row = await tx.get<{ epoch: number | string }>('SELECT epoch FROM cluster_leader WHERE id = 1 FOR SHARE');
  const current = row === undefined ? null : Number(row.epoch);
  if (current !== epoch) throw new StaleLeaderEpochError(epoch, current);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function startLeaderLease(options: LeaderLeaseOptions): LeaderLease {
  const log = options.log ?? ((line: string) => console.error(line));
  const now = options.now ?? Date.now;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? Math.max(1_000, 2 * options.retryMs);
  let client: pg.Client | null = null;
  let leaderEpoch: number | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      // One attempt at a time: a slow connect must not overlap the next tick.
      running = running.then(tick, tick);
    }, options.retryMs);
  }

  function depose(reason: LeaderDeposedReason): void {
    if (leaderEpoch === null) return;
    leaderEpoch = null;
    try {
      options.onDeposed(reason);
    } catch (error) {
      log(`leader lease: onDeposed failed: ${messageOf(error)}`);
    }
  }

  /** Drops the dedicated connection (the session, and with it the lock, ends). */
  function dropConnection(reason: LeaderDeposedReason): void {
    const dead = client;
    client = null;
    depose(reason);
    // Its 'error' listener stays: a late error of a dropped client must not crash the process.
    if (dead) dead.end().catch(() => undefined);
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: `omnidesk-leader:${options.nodeId}`.slice(0, 63),
      keepAlive: true,
      // An unreachable database must not hold up the retries (or stop()) for the OS's TCP timeout.
      connectionTimeoutMillis: heartbeatTimeoutMs,
    });
    fresh.on('error', (error) => {
      if (client !== fresh) return;
      log(`leader lease: connection failed: ${error.message}`);
      dropConnection('connection_lost');
      schedule();
    });
    fresh.on('end', () => {
      if (client !== fresh) return;
      dropConnection('connection_lost');
      schedule();
    });
    await fresh.connect();
    await ensureLeaderTable(fresh);
    return fresh;
  }

  async function heartbeat(current: pg.Client): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        current.query('SELECT 1'),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${String(heartbeatTimeoutMs)} ms`)), heartbeatTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    try {
      if (!client) {
        const fresh = await connect();
        if (stopped) {
          await fresh.end();
          return;
        }
        client = fresh;
      }
      const current = client;
      if (leaderEpoch !== null) {
        await heartbeat(current);
      } else {
        const { rows } = await current.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
          LEADER_LOCK_NAMESPACE,
          LEADER_LOCK_ROUTING,
        ]);
        if (rows[0]?.locked && client === current && !stopped) {
          const elected = await current.query<{ epoch: string }>(
            'UPDATE cluster_leader SET epoch = epoch + 1, node_id = $1, elected_at = $2 WHERE id = 1 RETURNING epoch',
            [options.nodeId, now()],
          );
          if (client !== current || stopped) return;
          leaderEpoch = Number(elected.rows[0]?.epoch);
          try {
            options.onElected(leaderEpoch);
          } catch (error) {
            log(`leader lease: onElected failed: ${messageOf(error)}`);
          }
        }
      }
    } catch (error) {
      log(`leader lease: ${leaderEpoch !== null ? 'heartbeat' : 'attempt'} failed: ${messageOf(error)}`);
      dropConnection(leaderEpoch !== null ? 'heartbeat_failed' : 'connection_lost');
    } finally {
      schedule();
    }
  }

  running = running.then(tick);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running.catch(() => undefined);
      const last = client;
      client = null;
      depose('stopped');
      // Ending the session releases the advisory lock; the next leader bumps the epoch.
      if (last) await last.end().catch(() => undefined);
    },
    isLeader: () => leaderEpoch !== null,
    epoch: () => leaderEpoch,
  };
}
