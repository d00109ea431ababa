/**
 * "Recompute when something changed, at most once per interval, and now and then anyway":
 * the loop behind the queue summary, the leads' board and the alarms. Commits mark the job
 * dirty; one run at a time, and a caller arriving while it runs shares it; what committed
 * while a run read the database gets one more run (the run may have missed it); a recheck
 * timer marks it dirty for what changes with time alone (SLA risk, overdue, alarms).
 */
export interface PacedJobOptions<T> {
  /** The work: read, compute. */
  run: () => Promise<T>;
  /** Called with each result before the callers get it; `true` asks for another run soon (a full batch). */
  after?: (result: T) => boolean | void;
  /** A scheduled run failed (the callers of `runNow` get the error themselves). */
  onError: (error: unknown) => void;
  /** Smallest gap between the starts of two runs. */
  intervalMs: number;
  /** Marks the job dirty this often even when nothing committed. */
  recheckMs: number;
  /** While false, marking dirty schedules nothing (nobody needs the result); the job stays dirty. */
  wanted?: () => boolean;
}

export interface PacedJob<T> {
  /** Something changed: a run within the interval. */
  markDirty(): void;
  /** A run now, or the one already running. */
  runNow(): Promise<T>;
  /** A run that starts after this call: the one in flight may have read before what the caller just changed, so it is waited out first. */
  runFresh(): Promise<T>;
  /** Marked dirty since the last run started. */
  isDirty(): boolean;
  isRunning(): boolean;
  /** How many runs started (tests and benches count them: once per interval, not per caller). */
  runs(): number;
  /** No more runs; resolves once the run in flight (if any) has ended, so what it reads may close after. */
  stop(): Promise<void>;
}

export function createPacedJob<T>(options: PacedJobOptions<T>): PacedJob<T> {
  let running: Promise<T> | null = null;
  let dirty = true;
  let dirtyWhileRunning = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastRunAt = 0;
  let stopped = false;
  let runs = 0;

  function runNow(): Promise<T> {
    if (running) return running;
    lastRunAt = Date.now();
    dirty = false;
    runs += 1;
    // Cleared before the run's callers resume, so one that asks again (runFresh) starts a new run.
    const run = options
      .run()
      .then((result) => {
        if (options.after?.(result) === true) dirtyWhileRunning = true;
        return result;
      })
      .finally(() => {
        running = null;
        if (dirtyWhileRunning) {
          dirtyWhileRunning = false;
          markDirty();
        }
      });
    running = run;
    return run;
  }

  async function runFresh(): Promise<T> {
    if (running) await running.catch(() => undefined);
    return runNow();
  }

  function markDirty(): void {
    dirty = true;
    if (stopped || timer || options.wanted?.() === false) return;
    if (running) {
      dirtyWhileRunning = true;
      return;
    }
    timer = setTimeout(
      () => {
        timer = null;
        runNow().catch(options.onError);
      },
      Math.max(0, lastRunAt + options.intervalMs - Date.now()),
    );
    timer.unref();
  }

  const recheck = setInterval(markDirty, options.recheckMs);
  recheck.unref();

  return {
    markDirty,
    runNow,
    runFresh,
    isDirty: () => dirty,
    isRunning: () => running !== null,
    runs: () => runs,
    async stop() {
      stopped = true;
      clearInterval(recheck);
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}
