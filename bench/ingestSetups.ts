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
 * Planned: `cluster` (three nodes on PostgreSQL + Redis, prefixed `cluster_`), one more entry
 * in SETUPS that starts its processes and sums their marks, with no change to the measurement.
 */
import { createTestDatabase, type TestDatabase } from '../server/testing/postgres.js';
import { progress, scaled, startBenchChild, type BenchChild } from './benchSupport.js';
import type { IngestServerMark, SeededIngestServer } from './ingestServer.js';

/** What the measurement needs to know once every node is up. */
export interface IngestFleet {
  /** One base URL per server process (node). Contact k goes to node k mod n, agent socket i to node i mod n. */
  nodeUrls: string[];
  integrationToken: string;
  /** Tokens valid on every node. */
  lightAgents: Array<{ userId: string; token: string }>;
  measuredAgents: Array<{ username: string; password: string }>;
  /** Seeding users and starting the nodes. */
  setupMs: number;
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
  nodes: IngestServerMark[];
}

export interface IngestServerSetup {
  readonly name: string;
  /** Put before every figure of this setup: '' for `sqlite` (the names), `cluster_` / `postgres_` later. */
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
      const node = await child.next<IngestServerMark>(60_000);
      return {
        eventLoopUtilizationMax: node.eventLoopUtilization,
        cpuMs: node.cpuMs,
        systemCpuMs: node.systemCpuMs,
        contactsIngested: node.contactsIngested,
        postgresStatements: node.postgresStatements,
        nodes: [node],
      };
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

const SETUPS: Record<string, (lightAgents: number) => IngestServerSetup> = {
  sqlite: startSqliteSingleNode,
  postgres: startPostgresSingleNode,
};

/** Starts the setup named by `name` (default `BENCH_INGEST_SETUP`, else sqlite) early, so its scrypt-heavy seeding overlaps other phases. */
export function startIngestServer(name = process.env.BENCH_INGEST_SETUP ?? 'sqlite'): IngestServerSetup {
  const start = SETUPS[name];
  if (!start) throw new Error(`BENCH_INGEST_SETUP=${name} is not a known setup (known: ${Object.keys(SETUPS).join(', ')})`);
  const lightAgents = scaled(1000, 100);
  progress(`ingest: setup ${name}: seeding ${String(lightAgents)} light agents and ${String(MEASURED_AGENTS)} e-mail agents (scrypt per user)`);
  return start(lightAgents);
}
