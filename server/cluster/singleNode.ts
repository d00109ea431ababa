/**
 * One node on PostgreSQL (`DATABASE_URL` without `REDIS_URL`): the node holds the routing
 * leader lease for its whole life. A second node started on the same database is refused at
 * start, naming the node that holds it, and a node that loses the lease stops (fail-stop)
 * rather than route beside another: until the nodes share events through Redis, two nodes
 * on one database would each run the routing engine (docs/technical/deployment.md).
 */
import pg from 'pg';
import { startLeaderLease, type LeaderDeposedReason, type LeaderLease } from './leaderLease.js';

export interface SingleNodeOptions {
  databaseUrl: string;
  nodeId: string;
  /** Called when the lease is lost after start; the caller must stop the node. */
  onLost(reason: LeaderDeposedReason): void;
  log?: (line: string) => void;
  /** How often the lease is tried and checked; default 1 s. */
  retryMs?: number;
}

export class SingleNodeRefusal extends Error {
  constructor(readonly holder: string | null) {
    super(
      `Another OmniDesk node${holder ? ` (${holder})` : ''} is running on this PostgreSQL database. ` +
        'One node per database until several nodes are supported (REDIS_URL, docs/technical/deployment.md); stop the other node first.',
    );
    this.name = 'SingleNodeRefusal';
  }
}

/** Resolves with the held lease once this node is the only one; rejects with SingleNodeRefusal if another holds it. */
export async function claimSingleNode(options: SingleNodeOptions): Promise<LeaderLease> {
  const retryMs = options.retryMs ?? 1_000;
  let started = false;
  let elected!: () => void;
  const election = new Promise<void>((resolve) => (elected = resolve));
  const lease = startLeaderLease({
    databaseUrl: options.databaseUrl,
    nodeId: options.nodeId,
    retryMs,
    ...(options.log ? { log: options.log } : {}),
    onElected: () => elected(),
    onDeposed: (reason) => {
      if (started && reason !== 'stopped') options.onLost(reason);
    },
  });
  // The first attempt comes after one interval; three give a node that is just stopping time to let go.
  const won = await Promise.race([election.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 4 * retryMs))]);
  if (won) {
    started = true;
    return lease;
  }
  await lease.stop();
  throw new SingleNodeRefusal(await currentHolder(options.databaseUrl));
}

async function currentHolder(databaseUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ node_id: string | null }>('SELECT node_id FROM cluster_leader WHERE id = 1');
    return rows[0]?.node_id ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
