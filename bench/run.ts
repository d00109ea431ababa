/**
 * `npm run bench`: the performance figures of the issue, each printed as `name=value` on
 * stdout beside a raw floor measured in the same run (this machine is shared and noisy, so
 * only the ratio to the floor is comparable between runs). Progress goes to stderr.
 * `BENCH_QUICK=1` scales every count down about ten times; `BENCH_ONLY=rtt,ingest,bootstrap,routing,offline,open_ticket,reports,inbox,inbox_scroll,search,postgres,cluster,board,charts`
 * runs a subset; `BENCH_PROFILE=1` profiles the bootstrap even when it meets its target.
 * The default run includes `cluster` (3 nodes on PostgreSQL + Redis) when Redis and PostgreSQL
 * answer; without them it says so and goes on. Asked for by name (`BENCH_ONLY=cluster`), a
 * missing Redis is a bench that could not run.
 * Exits 0 when the bench ran (a missed target is reported, not failed), 1 when it could not run.
 * See docs/technical/benchmarks.md.
 */
import { isQuickRun, progress, reportMetric } from './benchSupport.js';
import { measureBootstrap, startBootstrapServer, type BootstrapServerSetup } from './bootstrapThroughput.js';
import { runInboxBench } from './inbox.js';
import { measureInboxScroll } from './inboxScroll.js';
import { measureIngestLatency } from './ingestLatency.js';
import { runClusterBench } from './cluster.js';
import { clusterPrerequisiteMissing, startIngestServer, type IngestServerSetup } from './ingestSetups.js';
import { runOfflineBench } from './offline.js';
import { runOpenTicketBench } from './openTicket.js';
import { runPostgresBench } from './postgres.js';
import { runReportsBench } from './reports.js';
import { runBoardBench } from './board.js';
import { runChartsBench } from './charts.js';
import { runRoutingBench } from './routing.js';
import { runSearchBench } from './search.js';
import { measureSocketRoundTrip } from './socketRoundTrip.js';

const PHASES = [
  'rtt',
  'ingest',
  'bootstrap',
  'routing',
  'offline',
  'open_ticket',
  'reports',
  'inbox',
  'inbox_scroll',
  'search',
  'postgres',
  'cluster',
  'board',
  'charts',
] as const;
type Phase = (typeof PHASES)[number];

function selectedPhases(): Phase[] {
  const only = process.env.BENCH_ONLY;
  if (!only) return [...PHASES];
  const wanted = only.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown phases: ${unknown.join(', ')} (known: ${PHASES.join(', ')})`);
  return PHASES.filter((phase) => wanted.includes(phase));
}

/** Whether the `cluster` phase runs: always when named in BENCH_ONLY (and fails without Redis), else only when Redis and PostgreSQL answer. */
async function clusterRuns(phases: readonly Phase[]): Promise<boolean> {
  if (!phases.includes('cluster')) return false;
  const missing = await clusterPrerequisiteMissing();
  if (missing === null) return true;
  if (process.env.BENCH_ONLY) throw new Error(`the cluster phase needs Redis and PostgreSQL: ${missing}`);
  progress(`cluster: phase skipped, no cluster_* figures in this run: ${missing}`);
  return false;
}

export async function runBenchmarks(): Promise<void> {
  const phases = selectedPhases();
  const runCluster = await clusterRuns(phases);
  const start = performance.now();
  progress(`benchmarks ${phases.join(', ')}${isQuickRun() ? ' (quick run, counts ÷10)' : ''}`);
  // Both servers seed (scrypt, 100k ingests) at the same time, before anything is measured;
  // each phase waits for its own server's ready line and stops it when done.
  let ingestServer: IngestServerSetup | null = null;
  let bootstrapServer: BootstrapServerSetup | null = null;
  let postgresIngestServer: IngestServerSetup | null = null;
  let clusterIngestServer: IngestServerSetup | null = null;
  try {
    try {
      if (phases.includes('ingest')) ingestServer = startIngestServer();
      if (phases.includes('bootstrap')) bootstrapServer = startBootstrapServer();
      if (phases.includes('postgres')) postgresIngestServer = startIngestServer('postgres');
      if (runCluster) clusterIngestServer = startIngestServer('cluster');
      if (bootstrapServer) await bootstrapServer.child.peek(15 * 60_000);
      if (ingestServer) await ingestServer.ready();
      if (postgresIngestServer) await postgresIngestServer.ready();
      if (clusterIngestServer) await clusterIngestServer.ready();
      if (phases.includes('rtt')) await measureSocketRoundTrip();
      if (ingestServer) await measureIngestLatency(ingestServer, { boardWindows: true });
      if (bootstrapServer) await measureBootstrap(bootstrapServer);
    } finally {
      await ingestServer?.stop();
      await bootstrapServer?.child.stop();
    }
    try {
      // Its ingest server has seeded with the others; it measures once they have stopped.
      if (postgresIngestServer) await runPostgresBench(postgresIngestServer);
    } finally {
      await postgresIngestServer?.stop();
    }
    try {
      // The same: three nodes seeded with the others, measured alone.
      if (clusterIngestServer) await runClusterBench(clusterIngestServer);
    } finally {
      await clusterIngestServer?.stop();
    }
  } finally {
    // After a failure above, the setups that seeded early are still up: stop them (idempotent) so
    // their databases are dropped and the cluster's Redis keys deleted.
    await postgresIngestServer?.stop();
    await clusterIngestServer?.stop();
  }
  if (phases.includes('routing')) await runRoutingBench();
  if (phases.includes('offline')) for (const [name, value] of await runOfflineBench()) reportMetric(name, value);
  if (phases.includes('open_ticket')) for (const [name, value] of await runOpenTicketBench()) reportMetric(name, value);
  if (phases.includes('reports')) for (const [name, value] of await runReportsBench()) reportMetric(name, value);
  if (phases.includes('inbox')) runInboxBench();
  if (phases.includes('inbox_scroll')) await measureInboxScroll();
  if (phases.includes('search')) runSearchBench();
  if (phases.includes('board')) for (const [name, value] of await runBoardBench()) reportMetric(name, value);
  if (phases.includes('charts')) for (const [name, value] of await runChartsBench()) reportMetric(name, value);
  reportMetric('bench_wall_s', (performance.now() - start) / 1000);
}

try {
  await runBenchmarks();
  process.exit(0);
} catch (error) {
  process.stderr.write(`bench could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
