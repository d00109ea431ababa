/**
 * The cache's checkpoint worker (a worker_threads thread started by checkpointer.ts): its own
 * connection to the cache file copies the WAL into the database with PASSIVE checkpoints, so the
 * writer's connection, whose commits fsync the WAL (synchronous = FULL), does not reach SQLite's
 * auto-checkpoint inside an agent's call (benchmarks.md, "Local writes: a checkpoint worker").
 * A PASSIVE checkpoint takes no lock a writer waits on: the writer keeps appending while it
 * copies. Once every frame is copied, the writer's next transaction starts the WAL from its
 * beginning again, so the file does not grow.
 *
 * The loop is synchronous (Atomics.wait between polls): the cache's thread can stop it and
 * wait for the connection to close without an event loop on either side.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, openSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { applyCacheKey } from './cipher.js';
import { SLOT, STATE, WAL_PROGRESS_BYTES, readWalProgress, type CheckpointWorkerData } from './checkpointShared.js';

/** Catch-up checkpoints in a row at most: a writer that never pauses is left to its backstop. */
const CATCH_UP_ROUNDS = 16;

function run(data: CheckpointWorkerData): void {
  const control = new Int32Array(data.control);
  // The cache may have closed before this thread got going: then it never opens the file.
  if (Atomics.compareExchange(control, SLOT.state, STATE.starting, STATE.taken) !== STATE.starting) return;
  let db: Database.Database | null = null;
  let shm: number | null = null;
  try {
    db = new Database(data.file, { fileMustExist: true });
    if (data.key) applyCacheKey(db, Buffer.from(data.key));
    // Reads the schema with the key: a wrong key fails here, not at the first checkpoint.
    db.pragma('schema_version', { simple: true });
    shm = openSync(`${data.file}-shm`, 'r');
    const header = Buffer.alloc(WAL_PROGRESS_BYTES);
    let walChangedAt = 0;
    let lastFrames = -1;
    const checkpoint = () => {
      Atomics.add(control, SLOT.activity, 1);
      try {
        Atomics.add(control, SLOT.runs, 1);
        const [result] = db!.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
        return result!;
      } finally {
        Atomics.add(control, SLOT.activity, 1);
      }
    };
    while (Atomics.load(control, SLOT.stop) === 0) {
      const now = Date.now();
      Atomics.wait(control, SLOT.stop, 0, now - walChangedAt < 1_000 ? data.activePollMs : data.idlePollMs);
      if (Atomics.load(control, SLOT.stop) !== 0) break;
      const progress = readWalProgress(shm, header);
      if (progress === null) continue;
      const quiet = progress.frames === lastFrames;
      if (!quiet) {
        lastFrames = progress.frames;
        walChangedAt = Date.now();
      }
      const pending = progress.frames - progress.copied;
      // Enough to copy; or the writer paused with a WAL worth restarting: copying its rest now lets the next commit start the WAL over.
      if (pending < data.pendingFrames && !(quiet && pending > 0 && progress.frames >= data.pendingFrames)) continue;
      // Until every frame is copied (then the writer's next commit starts the WAL over), or a writer that never pauses wins.
      for (let round = 0; round < CATCH_UP_ROUNDS && Atomics.load(control, SLOT.stop) === 0; round++) {
        const result = checkpoint();
        if (result.busy !== 0) break;
        if (result.checkpointed >= result.log) break;
      }
    }
  } finally {
    if (shm !== null) closeSync(shm);
    db?.close();
    Atomics.store(control, SLOT.state, STATE.closed);
    Atomics.notify(control, SLOT.state);
  }
}

run(workerData as CheckpointWorkerData);
