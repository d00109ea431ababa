/**
 * The server side of the ingest benchmark as a swappable "setup": how many server processes,
 * on which store, with which environment. The measurement (ingestLatency.ts) only ever sees
 * an `IngestServerSetup`: the URLs of its nodes (it posts contacts to them in turn and spreads
 * the agent sockets over them), the seeded organisation, and one `mark()` that sums what all
 * nodes spent since the previous mark. `BENCH_INGEST_SETUP` picks the setup (default `sqlite`).
 *
 * `sqlite`: one node on SQLite (ingestServer.ts), reporting the names unprefixed.
 * `postgres`: the same process on a PostgreSQL database of its own (created on the local
 * server and dropped at `stop()`), figures prefixed `postgres_`; the `postgres` phase runs it.
 * `cluster`: three nodes (ingestServer.ts processes running the real server as cluster nodes)
 * on one PostgreSQL database and one Redis key prefix, both made for the run and removed at
 * `stop()`; node 0 seeds the organisation, nodes 1 and 2 join it; figures prefixed `cluster_`;
 * the `cluster` phase runs it. Its `mark()` sums the three nodes (CPU, contacts, statements)
 * and keeps the busiest event loop; the measurement is the same.
 */
import { createTestDatabase, type TestDatabase } from '../server/testing/postgres.js';
import { createTestRedis, type TestRedis } from '../server/testing/redis.js';
import { progress, scaled, sleep, startBenchChild, type BenchChild } from './benchSupport.js';
import type { IngestServerMark, JoinedIngestNode, SeededIngestServer } from './ingestServer.js';

/** What the measurement needs to know once every node is up. */
export interface IngestFleet {
  /** One base URL per server process (node). Contact k goes to node k mod n, agent socket i to node i mod n. */
  nodeUrls: string[];
  integrationToken: string;
  /** Tokens valid on every node. */
  lightAgents: Array<{ userId: string; token: string }>;
  measuredAgents: Array<{ username: string; password: string }>;
  /** Leads for the board windows (ingestLatency.ts), tokens valid on every node. */
  leads: Array<{ userId: string; token: string }>;
  /** Seeding users and starting the nodes. */
  setupMs: number;
  /** Index in `nodeUrls` of the node that held the routing lease when every node was up (clusters only). */
  routingLeaderNode?: number;
}

/** What the nodes spent together between two marks. */
export interface IngestServerWindow {
  /** The busiest node's event-loop utilisation (0..1). */
  eventLoopUtilizationMax: number;
  /** CPU time of every node process, summed (ms). */
  cpuMs: number;
  /** The kernel's part of `cpuMs`. */
  systemCpuMs: number;
  /** Contacts the nodes stored, summed. */
  contactsIngested: number;
  /** Statements the nodes sent to PostgreSQL, summed (0 on SQLite). */
  postgresStatements: number;
  /** Leads' board computations, summed over the nodes. */
  boardComputations: number;
  nodes: IngestServerMark[];
}

export interface IngestServerSetup {
  readonly name: string;
  /** Put before every figure of this setup: '' for `sqlite` (the names), `postgres_`, `cluster_`. */
  readonly metricPrefix: string;
  /** Light agent sockets seeded (1,000; 100 in a quick run). */
  readonly lightAgents: number;
  /** Resolves once the organisation is seeded and every node listens (the same promise on every call). */
  ready(): Promise<IngestFleet>;
  /** Costs of every node since the previous mark. */
  mark(): Promise<IngestServerWindow>;
  /** Stops every node (idempotent). */
  stop(): Promise<void>;
}

export const MEASURED_AGENTS = 4;

/** What several nodes spent together: CPU, contacts and statements summed, the busiest event loop. */
function sumMarks(nodes: IngestServerMark[]): IngestServerWindow {
  const total = (pick: (node: IngestServerMark) => number) => nodes.reduce((sum, node) => sum + pick(node), 0);
  return {
    eventLoopUtilizationMax: Math.max(...nodes.map((node) => node.eventLoopUtilization)),
    cpuMs: total((node) => node.cpuMs),
    systemCpuMs: total((node) => node.systemCpuMs),
    contactsIngested: total((node) => node.contactsIngested),
    postgresStatements: total((node) => node.postgresStatements),
    boardComputations: total((node) => node.boardComputations),
    nodes,
  };
}

/** One ingestServer.ts process, started once `started` gives it; `cleanup` runs after it stopped. */
function singleNodeSetup(
  name: string,
  metricPrefix: string,
  lightAgents: number,
  started: Promise<BenchChild>,
  cleanup: () => Promise<void>,
): IngestServerSetup {
  let fleet: Promise<IngestFleet> | null = null;
  let stopped: Promise<void> | null = null;
  return {
    name,
    metricPrefix,
    lightAgents,
    ready() {
      fleet ??= started.then((child) => child.next<SeededIngestServer>(15 * 60_000)).then(({ url, ...seeded }) => ({ ...seeded, nodeUrls: [url] }));
      return fleet;
    },
    async mark() {
      const child = await started;
      child.send({ cmd: 'mark' });
      return sumMarks([await child.next<IngestServerMark>(60_000)]);
    },
    stop() {
      stopped ??= started
        .then((child) => child.stop())
        .catch(() => undefined)
        .then(cleanup);
      return stopped;
    },
  };
}

function startSqliteSingleNode(lightAgents: number): IngestServerSetup {
  const child = startBenchChild('ingestServer.ts', [String(lightAgents), String(MEASURED_AGENTS)]);
  return singleNodeSetup('sqlite', '', lightAgents, Promise.resolve(child), () => Promise.resolve());
}

/** One node on a PostgreSQL database made for this run (`omnidesk_bench_…`), dropped when the setup stops. */
export function startPostgresSingleNode(lightAgents: number): IngestServerSetup {
  const database: Promise<TestDatabase> = createTestDatabase('omnidesk_bench');
  const child = database.then((created) => startBenchChild('ingestServer.ts', [String(lightAgents), String(MEASURED_AGENTS), created.url]));
  // A failure is reported by ready(), when the phase gets there, not as an unhandled rejection now.
  database.catch(() => undefined);
  child.catch(() => undefined);
  return singleNodeSetup('postgres', 'postgres_', lightAgents, child, async () => {
    await database.then((created) => created.drop()).catch((error: unknown) => progress(`ingest: could not drop the bench database: ${String(error)}`));
  });
}

export const CLUSTER_NODES = 3;
/** How long the nodes may take to agree on a routing leader once all listen (the lease retry is a few seconds). */
const LEADER_TIMEOUT_MS = 60_000;

interface NodeHealth {
  ok?: boolean;
  node?: string;
  routingLeader?: boolean;
  redis?: string | null;
}

async function readHealth(url: string): Promise<NodeHealth | null> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    return (await response.json()) as NodeHealth;
  } catch {
    return null;
  }
}

/** The index of the one node whose `/healthz` says `routingLeader`, once exactly one does. */
async function waitForRoutingLeader(urls: readonly string[], cancelled: () => boolean): Promise<number> {
  const deadline = performance.now() + LEADER_TIMEOUT_MS;
  let seen: Array<NodeHealth | null> = [];
  while (performance.now() < deadline && !cancelled()) {
    seen = await Promise.all(urls.map(readHealth));
    const leaders = seen.flatMap((health, index) => (health?.routingLeader === true ? [index] : []));
    if (leaders.length === 1 && seen.every((health) => health?.ok === true)) return leaders[0]!;
    await sleep(200);
  }
  throw new Error(`no single routing leader among the cluster nodes after ${String(LEADER_TIMEOUT_MS)} ms: ${JSON.stringify(seen)}`);
}

/**
 * Three nodes on a PostgreSQL database and a Redis key prefix made for this run. Node 0 seeds
 * the organisation (the `postgres` setup's seeding) and starts as a cluster node; nodes 1 and 2
 * join once it is up, so migrations and users are written by one process. Ready when all three
 * listen and exactly one holds the routing lease. Stopping drops the database and deletes every
 * key under the prefix.
 */
export function startCluster(lightAgents: number): IngestServerSetup {
  const database: Promise<TestDatabase> = createTestDatabase('omnidesk_bench_cluster');
  const redis: Promise<TestRedis> = createTestRedis('omnidesk-bench-cluster');
  const children: BenchChild[] = [];
  let stopping = false;
  const nodeId = (index: number) => `bench-node-${String(index)}`;
  const startedAt = performance.now();
  // No node starts once stop() was called, so stop() never leaves one behind.
  const startNode = (args: string[]) => {
    if (stopping) throw new Error('the cluster setup was stopped while its nodes were starting');
    const child = startBenchChild('ingestServer.ts', args);
    children.push(child);
    return child;
  };
  const fleet: Promise<IngestFleet> = (async () => {
    const [created, shared] = await Promise.all([database, redis]);
    const seeder = startNode([String(lightAgents), String(MEASURED_AGENTS), created.url, shared.url, shared.prefix, nodeId(0)]);
    const { url, ...seeded } = await seeder.next<SeededIngestServer>(15 * 60_000);
    const nodeUrls = [url];
    for (let index = 1; index < CLUSTER_NODES; index++) {
      const joiner = startNode(['join', created.url, shared.url, shared.prefix, nodeId(index)]);
      nodeUrls.push((await joiner.next<JoinedIngestNode>(5 * 60_000)).url);
    }
    const routingLeaderNode = await waitForRoutingLeader(nodeUrls, () => stopping);
    progress(`ingest: cluster: ${String(nodeUrls.length)} nodes listen, ${nodeId(routingLeaderNode)} leads routing (Redis prefix ${shared.prefix})`);
    return { ...seeded, nodeUrls, routingLeaderNode, setupMs: performance.now() - startedAt };
  })();
  // A failure is reported by ready(), when the phase gets there, not as an unhandled rejection now.
  fleet.catch(() => undefined);
  database.catch(() => undefined);
  redis.catch(() => undefined);
  let stopped: Promise<void> | null = null;
  return {
    name: 'cluster',
    metricPrefix: 'cluster_',
    lightAgents,
    ready: () => fleet,
    async mark() {
      await fleet;
      for (const child of children) child.send({ cmd: 'mark' });
      return sumMarks(await Promise.all(children.map((child) => child.next<IngestServerMark>(60_000))));
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        const stopEvery = () => Promise.all(children.map((child) => child.stop().catch(() => undefined)));
        // Stopping the nodes first ends a start still under way (its next() rejects at once).
        await stopEvery();
        await fleet.catch(() => undefined);
        await stopEvery();
        await database.then((created) => created.drop()).catch((error: unknown) => progress(`ingest: could not drop the cluster's database: ${String(error)}`));
        await redis
          .then((shared) => shared.cleanup())
          .catch((error: unknown) => progress(`ingest: could not delete the cluster's Redis keys: ${String(error)}`));
      })();
      return stopped;
    },
  };
}

/** Why the `cluster` setup cannot run here (no Redis or no PostgreSQL answering), or null when it can. */
export async function clusterPrerequisiteMissing(): Promise<string | null> {
  try {
    const redis = await createTestRedis('omnidesk-bench-probe');
    await redis.cleanup();
    const database = await createTestDatabase('omnidesk_bench_probe');
    await database.drop();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const SETUPS: Record<string, (lightAgents: number) => IngestServerSetup> = {
  sqlite: startSqliteSingleNode,
  postgres: startPostgresSingleNode,
  cluster: startCluster,
};

/** Starts the setup named by `name` (default `BENCH_INGEST_SETUP`, else sqlite) early, so its scrypt-heavy seeding overlaps other phases. */
export function startIngestServer(name = process.env.BENCH_INGEST_SETUP ?? 'sqlite'): IngestServerSetup {
  const start = SETUPS[name];
  if (!start) throw new Error(`BENCH_INGEST_SETUP=${name} is not a known setup (known: ${Object.keys(SETUPS).join(', ')})`);
  const lightAgents = scaled(1000, 100);
  progress(`ingest: setup ${name}: seeding ${String(lightAgents)} light agents and ${String(MEASURED_AGENTS)} e-mail agents (scrypt per user)`);
  return start(lightAgents);
}
