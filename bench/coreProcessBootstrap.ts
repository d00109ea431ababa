/**
 * Why the desktop app runs the core in a process of its own (issue 10): the same bootstrap
 * (a fresh core signs in as the lead and fills its cache from the seeded server), once with
 * the core in this process, as the Electron main process used to hold it, and once in a
 * forked process behind `superviseCoreProcess`, as it runs now. Both times this process's
 * event loop is watched (`monitorEventLoopDelay`): its longest stall is how long a window
 * would have been frozen. Reported: `bootstrap_host_loop_max_block_ms_in_process` /
 * `…_core_process`, their p99, and `bootstrap_total_ms_core_process` (what the port costs).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import type { ConnectionState } from '../shared/rpc.js';
import type { WorkstationCore } from '../main/core/api.js';
import { keyFileProtector } from '../main/core/cacheKeys.js';
import { superviseCoreProcess } from '../main/core/coreSupervisor.js';
import { createWorkstationCore } from '../main/core/index.js';
import { forkCoreHost } from '../main/core/testing/forkCoreHost.js';
import { makeBenchDir, progress, removeDir, reportMetric, waitUntil } from './benchSupport.js';
import type { SeededBootstrapServer } from './bootstrapServer.js';

const BOOTSTRAP_TIMEOUT_MS = 15 * 60_000;

interface HostLoopRun {
  totalMs: number;
  maxBlockMs: number;
  p99BlockMs: number;
}

/** Signs the lead in on `core` and waits for `online`, watching this process's event loop meanwhile. */
async function bootstrapWatchingLoop(core: WorkstationCore, seeded: SeededBootstrapServer): Promise<HostLoopRun> {
  let onlineAt = 0;
  core.onEvent((event, payload) => {
    if (event === 'connection' && (payload as ConnectionState).status === 'online' && onlineAt === 0) onlineAt = performance.now();
  });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = performance.now();
  const signIn = await core.invoke('session.signIn', seeded.lead);
  if (!signIn.ok) throw new Error(`the lead could not sign in: ${signIn.error.message}`);
  await waitUntil(() => onlineAt > 0, BOOTSTRAP_TIMEOUT_MS, 'the bootstrap to finish', 2);
  loop.disable();
  const inbox = await core.invoke('inbox.list', { channel: null, status: null, query: '' });
  if (!inbox.ok) throw new Error(`inbox.list failed: ${inbox.error.message}`);
  const counts = (inbox.result as { statusCounts: Record<string, number> }).statusCounts;
  const cached = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (cached !== seeded.tickets) throw new Error(`the cache holds ${String(cached)} tickets, the server ${String(seeded.tickets)}`);
  // The histogram counts the delay beyond its own 10 ms timer.
  return { totalMs: onlineAt - start, maxBlockMs: loop.max / 1e6, p99BlockMs: loop.percentile(99) / 1e6 };
}

export async function measureHostLoopDuringBootstrap(seeded: SeededBootstrapServer): Promise<void> {
  const dir = makeBenchDir('core-process');
  try {
    progress(`bootstrap, host responsiveness: the core in this process (${String(seeded.tickets)} tickets)`);
    const inProcess = await createWorkstationCore({ dataDir: path.join(dir, 'in-process'), serverUrl: seeded.url });
    let local: HostLoopRun;
    try {
      local = await bootstrapWatchingLoop(inProcess, seeded);
    } finally {
      await inProcess.close();
    }
    reportMetric('bootstrap_host_loop_max_block_ms_in_process', local.maxBlockMs);
    reportMetric('bootstrap_host_loop_p99_block_ms_in_process', local.p99BlockMs);

    progress('bootstrap, host responsiveness: the core in its own process (forked, over the port)');
    const remote = superviseCoreProcess({
      start: () => forkCoreHost(path.join(dir, 'core-process'), seeded.url),
      keyProtector: keyFileProtector(path.join(dir, 'main-keys')),
      log: (line) => progress(line),
    });
    let separate: HostLoopRun;
    try {
      await remote.ready;
      separate = await bootstrapWatchingLoop(remote, seeded);
    } finally {
      await remote.close();
    }
    reportMetric('bootstrap_host_loop_max_block_ms_core_process', separate.maxBlockMs);
    reportMetric('bootstrap_host_loop_p99_block_ms_core_process', separate.p99BlockMs);
    reportMetric('bootstrap_total_ms_in_process_watched', local.totalMs);
    reportMetric('bootstrap_total_ms_core_process', separate.totalMs);
  } finally {
    removeDir(dir);
  }
}
