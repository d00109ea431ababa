/**
 * Starts and stops the cache's checkpoint worker (checkpointWorker.ts): WAL checkpoints on a
 * second connection, off the thread that answers the agent's calls. The writer keeps SQLite's
 * own auto-checkpoint (1,000 pages) as the backstop: if the worker fails or falls behind, the
 * WAL is still bounded, and the failure is logged, never thrown at the writer.
 */
import { Worker } from 'node:worker_threads';
import { SLOT, SLOT_COUNT, STATE, type CheckpointWorkerData } from './checkpointShared.js';

export interface CheckpointerOptions {
  /** Uncopied WAL frames at which the worker checkpoints (default 100: about 16 notes; the writer's backstop is at 1,000). */
  pendingFrames?: number;
  activePollMs?: number;
  idlePollMs?: number;
  /** Where a failed worker is reported (default console.warn). */
  onFailure?: (message: string) => void;
}

export interface Checkpointer {
  /**
   * A count that changes when the worker starts or ends a checkpoint (odd while one runs): equal
   * and even before and after a call means the worker copied nothing into the file during it.
   */
  activity(): number;
  /** Checkpoints the worker has run. */
  runs(): number;
  /** Whether the worker still runs (false once closed, or after it failed). */
  running(): boolean;
  /** Stops the worker and waits (synchronously, at most `CLOSE_WAIT_MS`) for its connection to close. */
  close(): void;
  /** Ends the worker's thread at once, as a crash would (tests: the writer must go on without it). */
  kill(): Promise<void>;
}

/** How long closing waits for a checkpoint in progress: far longer than one takes; a hung worker is then left to its termination. */
const CLOSE_WAIT_MS = 5_000;

const DEFAULTS = { pendingFrames: 100, activePollMs: 10, idlePollMs: 50 };

/** The running checkpointers by cache file, for the benchmark, which reaches the cache only through the core. */
const running = new Map<string, Checkpointer>();

/** The running checkpointer of a cache file open in this process, if any. */
export function checkpointerOf(file: string): Checkpointer | null {
  return running.get(file) ?? null;
}

/**
 * The worker beside this file: `checkpointWorker.js` once compiled (dist/electron, also inside
 * the packaged app.asar, which Electron's worker threads read); run from source (tsx, vitest),
 * a small module registers tsx in the new thread and imports `checkpointWorker.ts` (Node 20
 * does not apply an `--import` loader to a worker's own entry file).
 */
function newWorker(workerData: CheckpointWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./checkpointWorker.js', import.meta.url), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./checkpointWorker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData, execArgv: [] });
}

export function startCheckpointer(file: string, key: Buffer | null, options: CheckpointerOptions = {}): Checkpointer {
  const control = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT));
  const report = options.onFailure ?? ((message: string) => console.warn(message));
  const data: CheckpointWorkerData = {
    file,
    key: key ? new Uint8Array(key) : null,
    control: control.buffer,
    pendingFrames: options.pendingFrames ?? DEFAULTS.pendingFrames,
    activePollMs: options.activePollMs ?? DEFAULTS.activePollMs,
    idlePollMs: options.idlePollMs ?? DEFAULTS.idlePollMs,
  };
  let closing = false;
  const worker = newWorker(data);
  // The cache's close stops it; it must never keep the process alive on its own.
  worker.unref();
  worker.on('error', (error) => report(`cache checkpoint worker failed (the writer's own checkpoints go on): ${error.message}`));
  worker.on('exit', (code) => {
    if (!closing) report(`cache checkpoint worker exited (code ${String(code)}); the writer's own checkpoints go on`);
  });
  const checkpointer: Checkpointer = {
    activity: () => Atomics.load(control, SLOT.activity),
    runs: () => Atomics.load(control, SLOT.runs),
    running: () => Atomics.load(control, SLOT.state) === STATE.taken,
    close() {
      if (closing) return;
      closing = true;
      if (running.get(file) === checkpointer) running.delete(file);
      // Not started yet: it will never open the file.
      if (Atomics.compareExchange(control, SLOT.state, STATE.starting, STATE.closed) !== STATE.starting) {
        Atomics.store(control, SLOT.stop, 1);
        Atomics.notify(control, SLOT.stop);
        Atomics.wait(control, SLOT.state, STATE.taken, CLOSE_WAIT_MS);
      }
      Atomics.store(control, SLOT.state, STATE.closed);
      void worker.terminate();
    },
    async kill() {
      await worker.terminate();
      Atomics.store(control, SLOT.state, STATE.closed);
    },
  };
  running.set(file, checkpointer);
  return checkpointer;
}
