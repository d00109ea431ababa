/**
 * The `cluster` phase: the ingest measurement (ingestLatency.ts, unchanged) against three
 * server nodes on one PostgreSQL database and one Redis (the `cluster` setup of
 * ingestSetups.ts), every figure prefixed `cluster_`, beside the same raw floor as the
 * `postgres` phase measured in this run: `cluster_raw_insert_rows_per_s`, as many single-row
 * INSERTs as the measured window's contacts, each its own commit, through one pool as large as
 * one node's. `cluster_routing_leader_node` says which node (0 seeded, 1 and 2 joined) held the
 * routing lease when the measurement began. No failover here: server/cluster/cluster.test.ts
 * kills nodes; this phase measures the steady state.
 */
import { createTestDatabase } from '../server/testing/postgres.js';
import { progress, reportMetric } from './benchSupport.js';
import { measureIngestLatency, measuredWindowContacts } from './ingestLatency.js';
import type { IngestServerSetup } from './ingestSetups.js';
import { measureRawInsert, SERVER_POOL_CONNECTIONS } from './postgres.js';

/** `setup` is the `cluster` setup, started (and seeding) since the bench began; it is stopped when this returns. */
export async function runClusterBench(setup: IngestServerSetup): Promise<void> {
  const fleet = await setup.ready();
  if (fleet.routingLeaderNode !== undefined) reportMetric(`${setup.metricPrefix}routing_leader_node`, fleet.routingLeaderNode);
  // Stops the nodes, drops their database and deletes their Redis keys when it is done.
  await measureIngestLatency(setup);

  const rows = measuredWindowContacts();
  const database = await createTestDatabase('omnidesk_bench_floor');
  try {
    progress(`cluster: raw floor, ${String(rows)} single-row INSERTs (one commit each) through a pool of ${String(SERVER_POOL_CONNECTIONS)}`);
    reportMetric(`${setup.metricPrefix}raw_insert_rows_per_s`, await measureRawInsert(database.url, rows));
  } finally {
    await database.drop();
  }
}
