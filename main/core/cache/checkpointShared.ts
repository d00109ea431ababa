/**
 * What the cache's thread and its checkpoint worker share (checkpointer.ts, checkpointWorker.ts):
 * the slots of one SharedArrayBuffer, read and written with Atomics, so that closing the cache
 * can wait for the worker synchronously (a cache closes synchronously) and a caller can tell
 * a checkpoint of the worker from one the writer ran inside its own call.
 */
import { readSync } from 'node:fs';
import { endianness } from 'node:os';

/** Slot indexes in the shared Int32Array. */
export const SLOT = {
  /** 0: starting; 1: the worker took it (it opens, or has, its connection); 2: closed (or cancelled before the worker started). */
  state: 0,
  /** The cache's thread sets 1 to stop the worker. */
  stop: 1,
  /** Incremented before and after each of the worker's checkpoints: odd while one runs. */
  activity: 2,
  /** Checkpoints the worker has run. */
  runs: 3,
} as const;

export const STATE = { starting: 0, taken: 1, closed: 2 } as const;

export const SLOT_COUNT = 4;

/** What the worker is started with (`workerData`). */
export interface CheckpointWorkerData {
  file: string;
  /** The cache key's bytes (null: a plaintext cache, the benchmarks' only). Copied within this process, never written anywhere. */
  key: Uint8Array | null;
  control: SharedArrayBuffer;
  /** Frames in the WAL not yet copied into the database file at which the worker checkpoints. */
  pendingFrames: number;
  /** How often the worker reads the WAL's index while it changes, and while it does not. */
  activePollMs: number;
  idlePollMs: number;
}

/** The WAL index (`-shm`) header: two copies of 48 bytes, then the checkpoint info (sqlite.org/walformat.html). */
const HEADER_BYTES = 48;
const MX_FRAME_OFFSET = 16;
const IS_INIT_OFFSET = 12;
const N_BACKFILL_OFFSET = 2 * HEADER_BYTES;
/** What `readWalProgress` reads. */
export const WAL_PROGRESS_BYTES = N_BACKFILL_OFFSET + 4;
export interface WalProgress {
  /** Frames in the WAL (its last valid frame). */
  frames: number;
  /** Frames already copied into the database file. */
  copied: number;
}

/**
 * Reads the WAL's frame count and how many are copied from the shared-memory index SQLite keeps
 * beside the WAL (what SQLite itself reads, without a lock or a statement); null when the two
 * copies of the header differ (a writer is updating it) or the index is not set up.
 */
export function readWalProgress(fd: number, buffer: Buffer): WalProgress | null {
  if (readSync(fd, buffer, 0, buffer.length, 0) < buffer.length) return null;
  if (buffer[IS_INIT_OFFSET] !== 1) return null;
  if (!buffer.subarray(0, HEADER_BYTES).equals(buffer.subarray(HEADER_BYTES, 2 * HEADER_BYTES))) return null;
  const little = endianness() === 'LE';
  const u32 = (offset: number) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
  return { frames: u32(MX_FRAME_OFFSET), copied: u32(N_BACKFILL_OFFSET) };
}
