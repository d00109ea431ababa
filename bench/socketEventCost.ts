/**
 * What one sync socket event costs the server, on SQLite and on PostgreSQL: N sequential
 * events on one agent's socket against a real server in this process (client and server share
 * the process, so CPU is both; an A/B of two checkouts compares like with like). Two events:
 * an invalid `queue:list` (refused at validation: only the admission runs, i.e. the request
 * counter and the user as stored) and a valid one (reads the queue). Reports CPU µs per event
 * (process.cpuUsage), wall µs per event, and how many times the store read the user.
 *
 *   npx tsx bench/socketEventCost.ts [events]            this checkout's server
 *   OMNIDESK_ROOT=/path/to/other/worktree npx tsx …      another checkout's server, same harness
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Ack } from '../shared/sync.js';
import type * as Harness from '../server/testHarness.js';
import type * as Sockets from '../server/testing/sockets.js';
import type * as RateLimits from '../server/rateLimits.js';

const root = process.env.OMNIDESK_ROOT ?? path.resolve(import.meta.dirname, '..');
const events = Number(process.argv[2] ?? 2000);
const WARM_UP = 200;

const harness = (await import(pathToFileURL(path.join(root, 'server/testHarness.ts')).href)) as typeof Harness;
const sockets = (await import(pathToFileURL(path.join(root, 'server/testing/sockets.ts')).href)) as typeof Sockets;
const { DEFAULT_RATE_LIMITS } = (await import(pathToFileURL(path.join(root, 'server/rateLimits.ts')).href)) as typeof RateLimits;

async function measure(backend: Harness.TestBackend): Promise<void> {
  const t = await harness.startTestServer({
    backend,
    now: Date.now,
    tokenTtlMs: 60 * 60 * 1000,
    // The request budget would refuse most of N events: raised, so every event is admitted.
    rateLimits: { ...DEFAULT_RATE_LIMITS, requestsPerUser: { points: 1_000_000, durationSec: 60 } },
  });
  try {
    await harness.seedTestOrganisation(t.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
    let userReads = 0;
    const getUser = t.store.getUser.bind(t.store);
    t.store.getUser = (id) => ((userReads += 1), getUser(id));
    const socket = await sockets.openTestSocket(t.url, 'agent1');
    try {
      for (const [name, request] of [
        ['invalid', { channel: 'nope', limit: 10 }],
        ['queue_list', { channel: 'chat', limit: 10 }],
      ] as const) {
        const ask = () =>
          (socket.timeout(10_000) as unknown as { emitWithAck(e: string, r: unknown): Promise<Ack<unknown>> }).emitWithAck('queue:list', request);
        for (let i = 0; i < WARM_UP; i++) await ask();
        const readsBefore = userReads;
        const cpuBefore = process.cpuUsage();
        const start = performance.now();
        for (let i = 0; i < events; i++) {
          const answer = await ask();
          if (name !== 'invalid' && !answer.ok) throw new Error(`queue:list refused: ${answer.error.code}`);
        }
        const wallUs = ((performance.now() - start) * 1000) / events;
        const cpu = process.cpuUsage(cpuBefore);
        const cpuUs = (cpu.user + cpu.system) / events;
        console.log(
          `socket_event_cost backend=${backend} event=${name} events=${String(events)} cpu_us_per_event=${cpuUs.toFixed(1)} wall_us_per_event=${wallUs.toFixed(1)} user_reads=${String(userReads - readsBefore)} load1=${os.loadavg()[0]!.toFixed(2)}`,
        );
      }
    } finally {
      socket.disconnect();
    }
  } finally {
    await t.stop();
  }
}

console.log(`root=${root}`);
for (const backend of ['sqlite', 'postgres'] as const) await measure(backend);
process.exit(0);
