/**
 * Offline continuity figures, each beside a raw floor measured in the same run:
 * - `offline_replay_1000_mutations_ms`: 1,000 notes written through the core's RPC while
 *   the server is down; the server comes back; time from the socket reconnecting (the core
 *   turns `syncing`) until the outbox is empty. Floors: `raw_push_1000_pipelined_ms`
 *   (1,000 pipelined socket.io acks of mutation-sized payloads to a bare echo server) and
 *   `raw_push_1000_in_batches_of_200_ms` (the same 1,000 as five sequential 200-item acks, the
 *   shape the outbox uses).
 * - `local_write_ms_p99`: one `ticket.addNote` RPC into the FULL-durability, encrypted cache
 *   while offline (optimistic rows + outbox row, one fsynced transaction). Floor:
 *   `raw_sqlite_full_txn_ms_p99`, one insert + commit with WAL + synchronous=FULL into a
 *   file of its own whose WAL has wrapped once (as the cache's has), one such commit beside each note (alternately before and after it), so both
 *   p99s are taken over the same seconds of a machine whose load changes (`…_encrypted`: the
 *   same floor with the cache's cipher, measured on its own afterwards). Target (issue 12):
 *   `local_write_ratio_to_floor` = `local_write_ms_p99` / `raw_sqlite_full_txn_ms_p99` ≤ 1.5, "a
 *   note or status change costs one durable transaction and little else".
 * - `local_status_write_ms_p99`: the same for `ticket.setStatus` (in progress ⇄ awaiting the
 *   customer), offline again after the replay, with its own floor commits beside it
 *   (`raw_sqlite_full_txn_ms_p99_beside_status`), and `local_status_write_ratio_to_floor`.
 * - `local_write_wal_pages` / `local_status_write_wal_pages`: the pages one note / status change
 *   puts in the WAL (through the cache's writer, on a copy of the agent's cache), beside
 *   `raw_sqlite_full_txn_wal_pages`, the floor's: what each commit encrypts, writes and fsyncs,
 *   and how soon the next checkpoint comes (every 1,000 pages), whatever the machine's load.
 * - `local_write_cpu_ms_p50` / `local_status_write_cpu_ms_p50` beside `raw_sqlite_full_txn_cpu_ms_p50`:
 *   the process's CPU time (user + system, every thread) of one call / one floor commit, which
 *   the machine's load moves less than their wall time; `local_write_inline_checkpoints` /
 *   `local_status_write_inline_checkpoints`: how many of the measured calls changed the cache's
 *   database file, i.e. copied the WAL into it (a checkpoint) inside the call.
 * - What encryption costs: `local_write_cache_ms_p50/p99_plain` and `…_encrypted`, the same
 *   notes through the cache's writer into a plaintext and an encrypted copy of the agent's
 *   cache, alternating (bench/cacheEncryption.ts).
 * Run alone with `npx tsx bench/offline.ts`; `runOfflineBench()` is what bench/run.ts calls.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { io } from 'socket.io-client';
import { CACHE_KEY_BYTES, applyCacheKey, openCache } from '../main/core/cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from '../main/core/index.js';
import { call, connectionOf, waitUntil } from '../main/core/testing/coreCalls.js';
import type { WorkstationCore } from '../main/core/api.js';
import type { TicketStatus, User } from '../shared/domain.js';
import type { ConnectionState } from '../shared/rpc.js';
import { MAX_PUSH_BATCH, type Mutation } from '../shared/sync.js';
import { describeRefusal } from '../shared/ticketRules.js';
import { uuidv7 } from '../main/core/uuidv7.js';
import { makeBenchDir, percentile, progress, removeDir, reportMetric, scaled, startBenchChild } from './benchSupport.js';
import { decryptedCopy, measureCacheWrites, writeFigures } from './cacheEncryption.js';

interface ServerInfo {
  url: string;
  port: number;
  ticketIds: string[];
  password: string;
}

function sampleNote(i: number) {
  return {
    mutationId: `0190a1b2-0000-7000-8000-${String(i).padStart(12, '0')}`,
    kind: 'note',
    ticketId: 'GD20241108001',
    noteId: `0190a1b2-0000-7000-9000-${String(i).padStart(12, '0')}`,
    text: `离线备注 ${String(i)}：客户来电催促物流，已记录`,
    createdAt: Date.now(),
  };
}

async function measureRawPushFloor(count: number): Promise<Array<[string, number]>> {
  const echo = startBenchChild('echoServer.ts');
  try {
    const { url } = await echo.next<{ url: string }>();
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const payloads = Array.from({ length: count }, (_, i) => sampleNote(i));
    // Warm up the connection and JIT.
    await Promise.all(payloads.slice(0, 50).map((p) => socket.timeout(10_000).emitWithAck('echo', p)));
    let start = performance.now();
    await Promise.all(payloads.map((p) => socket.timeout(30_000).emitWithAck('echo', p)));
    const pipelined = performance.now() - start;
    start = performance.now();
    for (let i = 0; i < payloads.length; i += MAX_PUSH_BATCH) {
      await socket.timeout(30_000).emitWithAck('echo', { mutations: payloads.slice(i, i + MAX_PUSH_BATCH) });
    }
    const batched = performance.now() - start;
    socket.disconnect();
    return [
      [`raw_push_${String(count)}_pipelined_ms`, pipelined],
      [`raw_push_${String(count)}_in_batches_of_${String(MAX_PUSH_BATCH)}_ms`, batched],
    ];
  } finally {
    await echo.stop();
  }
}

/**
 * WAL pages one commit appends (each page it changed, encrypted and written before the
 * fsync), from the WAL file's growth: the median over `count` writes, taken while the WAL
 * grows (a fresh file, before its first checkpoint). Independent of the machine's load.
 */
function walPagesPerCommit(file: string, count: number, write: (i: number) => void): number {
  const wal = `${file}-wal`;
  const frameBytes = 24 + 4096;
  const pages: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = existsSync(wal) ? statSync(wal).size : 0;
    write(i);
    const grown = statSync(wal).size - before;
    if (grown > 0 && before > 0) pages.push(Math.round(grown / frameBytes));
  }
  return percentile(pages, 50);
}

/** WAL pages per note and per status change through the cache's writer, on a fresh copy of the agent's cache. */
function measureWalPages(dir: string, cacheFile: string, key: Buffer, agent: User, ticketIds: readonly string[]): Array<[string, number]> {
  const rawFloorWalPages = measureRawSqliteFloor(path.join(dir, 'raw-floor-pages.sqlite'), 0, null).walPages;
  const file = path.join(dir, 'copy-wal-pages.sqlite');
  copyFileSync(cacheFile, file);
  const cache = openCache(file, key);
  try {
    const record = (mutation: Mutation) => {
      const outcome = cache.writer.recordMutation(mutation, agent);
      if (!outcome.ok) throw new Error(`a bench ${mutation.kind} was refused: ${describeRefusal(outcome.refusal)}`);
    };
    const notePages = walPagesPerCommit(file, 20, (i) => {
      const at = Date.now();
      record({
        mutationId: uuidv7(at),
        kind: 'note',
        ticketId: ticketIds[i % ticketIds.length]!,
        noteId: uuidv7(at),
        text: `离线备注 ${String(i)}`,
        createdAt: at,
      });
    });
    const statusPages = walPagesPerCommit(file, 20, (i) => {
      const ticketId = ticketIds[i % ticketIds.length]!;
      const status: TicketStatus = cache.reader.ticket(ticketId)?.status === 'awaiting_customer' ? 'in_progress' : 'awaiting_customer';
      record({ mutationId: uuidv7(Date.now()), kind: 'setStatus', ticketId, status, createdAt: Date.now() });
    });
    return [
      ['local_write_wal_pages', notePages],
      ['local_status_write_wal_pages', statusPages],
      ['raw_sqlite_full_txn_wal_pages', rawFloorWalPages],
    ];
  } finally {
    cache.close();
  }
}

/**
 * The floor's commits, one at a time, on their own fresh file: each is timed on its own, so the
 * caller can put one beside each measured write (same seconds, same machine load).
 */
interface RawSqliteFloor {
  /** One commit; its milliseconds. */
  commit(): number;
  /** The process's CPU milliseconds of each commit so far (`process.cpuUsage`: user + system, every thread). */
  readonly cpuMs: number[];
  close(): void;
}

/**
 * What one measured local write cost besides its wall time: the process's CPU milliseconds
 * (user + system, all threads; the load moves it less than the wall time), and whether the
 * cache's database file changed during it (in WAL mode only a checkpoint writes that file, so
 * a change means the write copied the WAL into it and fsynced it inside its own call).
 */
interface WriteCosts {
  cpuMs: number[];
  checkpoints: number;
  /** Checkpoints that ran after a call answered, before the next (the core's own, main/core/walCheckpointer.ts). */
  checkpointsBetween: number;
}

function newWriteCosts(): WriteCosts {
  return { cpuMs: [], checkpoints: 0, checkpointsBetween: 0 };
}

/** SQLite's default `wal_autocheckpoint`, which neither the floor nor the cache changes. */
const SQLITE_AUTO_CHECKPOINT_PAGES = 1000;

/** Calls made before the measured ones, unmeasured: the floor's fresh file gets 20 commits first too (walPagesPerCommit). */
const WARM_UP_CALLS = 20;

/**
 * One call, timed, then one turn of the event loop before the next: in the app each call is
 * its own message (the renderer's IPC, or the browser host's socket), so what the core queues
 * for after its answer runs between two calls, not inside the next one.
 */
async function measureWrite(costs: WriteCosts, cacheFile: string, write: () => Promise<void>): Promise<number> {
  const written = statSync(cacheFile, { bigint: true }).mtimeNs;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await write();
  const spent = performance.now() - start;
  const used = process.cpuUsage(cpu);
  costs.cpuMs.push((used.user + used.system) / 1000);
  const answered = statSync(cacheFile, { bigint: true }).mtimeNs;
  if (answered !== written) costs.checkpoints += 1;
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (statSync(cacheFile, { bigint: true }).mtimeNs !== answered) costs.checkpointsBetween += 1;
  return spent;
}

function openRawSqliteFloor(file: string, key: Buffer | null): RawSqliteFloor & { walPages: number } {
  const db = new Database(file);
  try {
    if (key) applyCacheKey(db, key);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)');
  } catch (error) {
    db.close();
    throw error;
  }
  const insert = db.prepare('INSERT INTO outbox (mutation_id, body) VALUES (?, ?)');
  const write = db.transaction((i: number) => insert.run(`m-${String(i)}`, JSON.stringify(sampleNote(i))));
  // Counted on the fresh file's first commits (its WAL still growing).
  const walPages = walPagesPerCommit(file, 20, (i) => write(-1 - i));
  // Then past SQLite's first auto-checkpoint (1,000 pages), so the WAL starts over in the blocks
  // it has: the agent's cache writes into a WAL that long ago stopped growing, and a commit that
  // grows its file waits on a longer fsync (the file's size changes). Measured from a fresh file
  // (until 2026-12-06), the floor's p99 read 0.45-0.56 ms on a quiet machine, 0.31-0.35 ms steady.
  for (let i = 0; i < Math.ceil(SQLITE_AUTO_CHECKPOINT_PAGES / Math.max(1, walPages)) + 20; i++) write(-100 - i);
  let written = 0;
  const cpuMs: number[] = [];
  return {
    walPages,
    cpuMs,
    commit() {
      const cpu = process.cpuUsage();
      const start = performance.now();
      write(written++);
      const spent = performance.now() - start;
      const used = process.cpuUsage(cpu);
      cpuMs.push((used.user + used.system) / 1000);
      return spent;
    },
    close: () => db.close(),
  };
}

/**
 * Runs `count` measured writes with one floor commit beside each (floor first on every other
 * one): the ratio's two p99s come from the same seconds, so a load that changes from one second
 * to the next falls on both, not on whichever was measured while it lasted.
 */
async function besideFloor(floor: RawSqliteFloor, count: number, write: (i: number) => Promise<number>): Promise<{ writes: number[]; floor: number[] }> {
  const samples = { writes: [] as number[], floor: [] as number[] };
  for (let i = -WARM_UP_CALLS; i < 0; i++) await write(i);
  for (let i = 0; i < count; i++) {
    if (i % 2 === 1) samples.floor.push(floor.commit());
    samples.writes.push(await write(i));
    if (i % 2 === 0) samples.floor.push(floor.commit());
  }
  return samples;
}

function measureRawSqliteFloor(file: string, count: number, key: Buffer | null): { p99: number; walPages: number } {
  const floor = openRawSqliteFloor(file, key);
  try {
    return {
      p99: percentile(
        Array.from({ length: count }, () => floor.commit()),
        99,
      ),
      walPages: floor.walPages,
    };
  } finally {
    floor.close();
  }
}

/** `count` status changes through the core's RPC while offline, each ticket back and forth between in progress and awaiting the customer, a floor commit beside each; ms per call. */
async function measureStatusWrites(
  core: WorkstationCore,
  floor: RawSqliteFloor,
  ticketIds: readonly string[],
  count: number,
  cacheFile: string,
  costs: WriteCosts,
): Promise<{ writes: number[]; floor: number[] }> {
  progress(`offline: ${String(count)} status changes while the server is down`);
  const statuses = new Map<string, TicketStatus>();
  for (const ticketId of ticketIds) statuses.set(ticketId, (await call(core, 'ticket.get', { ticketId })).ticket.status);
  const samples = await besideFloor(floor, count, async (i) => {
    const ticketId = ticketIds[(i + WARM_UP_CALLS) % ticketIds.length]!;
    const status: TicketStatus = statuses.get(ticketId) === 'awaiting_customer' ? 'in_progress' : 'awaiting_customer';
    let ticket: { status: TicketStatus } | null = null;
    const spent = await measureWrite(i < 0 ? newWriteCosts() : costs, cacheFile, async () => {
      ticket = await call(core, 'ticket.setStatus', { ticketId, status });
    });
    if (ticket!.status !== status) throw new Error(`${ticketId} is ${ticket!.status} after a change to ${status}`);
    statuses.set(ticketId, status);
    return spent;
  });
  progress(`offline: local status write p50 ${percentile(samples.writes, 50).toFixed(3)} ms, floor p50 ${percentile(samples.floor, 50).toFixed(3)} ms`);
  return samples;
}

/** The agent's cache after the run, copied twice (as it is, and decrypted), then the same notes into both. */
function measureEncryptionCost(dir: string, cacheFile: string, key: Buffer, agent: User, ticketIds: readonly string[], count: number): Array<[string, number]> {
  progress(`offline: ${String(count)} notes into a plaintext and an encrypted copy of the cache, alternating`);
  const encryptedFile = path.join(dir, 'copy-encrypted.sqlite');
  const plainFile = path.join(dir, 'copy-plain.sqlite');
  copyFileSync(cacheFile, encryptedFile);
  decryptedCopy(cacheFile, key, plainFile);
  const caches = { plain: openCache(plainFile, null), encrypted: openCache(encryptedFile, key) };
  try {
    return writeFigures('local_write_cache', measureCacheWrites(caches, agent, ticketIds, count));
  } finally {
    caches.plain.close();
    caches.encrypted.close();
  }
}

export async function runOfflineBench(): Promise<Array<[string, number]>> {
  const mutations = scaled(1000, 100);
  const results: Array<[string, number]> = [];
  const dir = makeBenchDir('offline');
  const server = startBenchChild('offlineServer.ts');
  try {
    server.send({ cmd: 'start' });
    const info = await server.next<ServerInfo>();
    const coreDir = path.join(dir, 'agent1');
    const core = await createWorkstationCore({ dataDir: coreDir, serverUrl: info.url, reconnectDelayMs: 50, reconnectDelayMaxMs: 500 });
    const floor = openRawSqliteFloor(path.join(dir, 'raw-floor.sqlite'), null);
    let agent: User;
    try {
      agent = (await call(core, 'session.signIn', { username: 'agent1', password: info.password })).user!;
      await waitUntil(core, 'online', async () => (await connectionOf(core)).status === 'online', 60_000);

      server.send({ cmd: 'stop' });
      await server.next();
      await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline', 30_000);

      progress(`offline: writing ${String(mutations)} notes while the server is down, a floor commit beside each`);
      const cacheFile = userCacheFile(coreDir, agent.id);
      const noteCosts = newWriteCosts();
      const noteWrites = await besideFloor(floor, mutations, async (i) => {
        const ticketId = info.ticketIds[(i + WARM_UP_CALLS) % info.ticketIds.length]!;
        return measureWrite(i < 0 ? newWriteCosts() : noteCosts, cacheFile, async () => {
          // With a random action id, as the renderer sends every note (renderer/src/store/ticketSlice.ts).
          await call(core, 'ticket.addNote', { ticketId, text: `离线备注 ${String(i)}：客户来电催促物流，已记录`, actionId: randomUUID() });
        });
      });
      const noteFloorCpu = floor.cpuMs.splice(0);
      results.push(['local_write_ms_p99', percentile(noteWrites.writes, 99)]);
      progress(`offline: local write p50 ${percentile(noteWrites.writes, 50).toFixed(3)} ms, floor p50 ${percentile(noteWrites.floor, 50).toFixed(3)} ms`);
      results.push(['raw_sqlite_full_txn_ms_p99', percentile(noteWrites.floor, 99)]);
      results.push([
        'raw_sqlite_full_txn_ms_p99_encrypted',
        measureRawSqliteFloor(path.join(dir, 'raw-floor-encrypted.sqlite'), mutations, randomBytes(CACHE_KEY_BYTES)).p99,
      ]);

      let reconnectedAt: number | null = null;
      let drainedAt: number | null = null;
      const off = core.onEvent((event, payload) => {
        if (event !== 'connection') return;
        const state = payload as ConnectionState;
        if (reconnectedAt === null && state.status === 'syncing') reconnectedAt = performance.now();
        if (reconnectedAt !== null && drainedAt === null && state.pendingCount === 0) drainedAt = performance.now();
      });
      progress('offline: server back, replaying the outbox');
      server.send({ cmd: 'start' });
      await server.next();
      await waitUntil(core, 'the outbox drains', () => drainedAt !== null, 120_000);
      off();
      results.push([`offline_replay_${String(mutations)}_mutations_ms`, drainedAt! - reconnectedAt!]);
      server.send({ cmd: 'count' });
      const { notes } = await server.next<{ notes: number }>();
      if (notes !== mutations + WARM_UP_CALLS)
        throw new Error(`the server holds ${String(notes)} notes after the replay, expected ${String(mutations + WARM_UP_CALLS)}`);

      server.send({ cmd: 'stop' });
      await server.next();
      await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline', 30_000);
      const statusCosts = newWriteCosts();
      const statusWrites = await measureStatusWrites(core, floor, info.ticketIds, mutations, cacheFile, statusCosts);
      results.push(
        ['local_write_cpu_ms_p50', percentile(noteCosts.cpuMs, 50)],
        ['raw_sqlite_full_txn_cpu_ms_p50', percentile(noteFloorCpu, 50)],
        ['local_status_write_cpu_ms_p50', percentile(statusCosts.cpuMs, 50)],
        ['local_write_inline_checkpoints', noteCosts.checkpoints],
        ['local_status_write_inline_checkpoints', statusCosts.checkpoints],
        ['local_write_checkpoints_between_calls', noteCosts.checkpointsBetween],
        ['local_status_write_checkpoints_between_calls', statusCosts.checkpointsBetween],
      );
      results.push(
        ['local_write_ratio_to_floor', percentile(noteWrites.writes, 99) / percentile(noteWrites.floor, 99)],
        ['local_status_write_ms_p99', percentile(statusWrites.writes, 99)],
        ['raw_sqlite_full_txn_ms_p99_beside_status', percentile(statusWrites.floor, 99)],
        ['local_status_write_ratio_to_floor', percentile(statusWrites.writes, 99) / percentile(statusWrites.floor, 99)],
      );
    } finally {
      floor.close();
      await core.close();
    }
    results.push(...measureWalPages(dir, userCacheFile(coreDir, agent.id), (await unlockCacheKey(coreDir, agent.id, info.password))!, agent, info.ticketIds));
    results.push(
      ...measureEncryptionCost(
        dir,
        userCacheFile(coreDir, agent.id),
        (await unlockCacheKey(coreDir, agent.id, info.password))!,
        agent,
        info.ticketIds,
        mutations,
      ),
    );
    results.push(...(await measureRawPushFloor(mutations)));
  } finally {
    await server.stop();
    removeDir(dir);
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, value] of await runOfflineBench()) reportMetric(name, value);
  process.exit(0);
}
