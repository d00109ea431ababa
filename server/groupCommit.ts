/**
 * Group commit: writes that arrive in the same event-loop turn share one transaction, so one
 * fsync (`synchronous=FULL`) makes all of them durable. Each still answers only after that
 * commit. `apply` must be atomic on its own (it opens its own transaction, which inside the
 * batch's is a savepoint), so one that fails rolls back alone; alone in its turn it is the
 * whole transaction, with no savepoint (two round trips fewer on PostgreSQL).
 *
 * With `commitDelayMs`, like PostgreSQL's `commit_delay`, a batch about to commit may wait that
 * long for more inputs from later turns, so that requests a few milliseconds apart (inbound
 * contacts over HTTP at 200/s arrive ~5 ms apart, each in its own turn) share one commit. It
 * waits only when the recent arrivals say another is likely inside the window (their smoothed
 * gap is at most the delay): a lone input on an idle server commits at once, and no input waits
 * longer than the delay for its commit to start.
 */

export interface GroupCommitOptions {
  /** Longest a batch waits for more inputs before it commits; 0 (the default) never waits. */
  commitDelayMs?: number;
  /** A monotonic clock in ms for the gaps between arrivals; default `performance.now`. */
  now?: () => number;
  /** Runs `fn` after `ms`; default `setTimeout`. Tests pass one they fire themselves. */
  setTimer?: (fn: () => void, ms: number) => void;
}

/** Weight of the newest gap in the smoothed gap: one long pause is enough to stop the waiting. */
const GAP_SMOOTHING = 0.25;

/** Runs `apply` for each input, inside one `withTransaction` per batch of inputs (one turn's, or one delay's). */
export function createGroupCommit<I, O>(
  withTransaction: <T>(fn: () => Promise<T>) => Promise<T>,
  apply: (input: I) => Promise<O>,
  options: GroupCommitOptions = {},
): (input: I) => Promise<O> {
  type Outcome = { ok: true; value: O } | { ok: false; error: unknown };
  const commitDelayMs = options.commitDelayMs ?? 0;
  const now = options.now ?? (() => performance.now());
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms));
  let queue: Array<{ input: I; settle: (outcome: Outcome) => void }> = [];
  let lastArrival: number | null = null;
  // Smoothed gap between arrivals; unknown (never waits) until two have been seen.
  let smoothedGap = Number.POSITIVE_INFINITY;

  function noteArrival(): void {
    const at = now();
    if (lastArrival !== null) {
      const gap = Math.max(0, at - lastArrival);
      smoothedGap = Number.isFinite(smoothedGap) ? smoothedGap + GAP_SMOOTHING * (gap - smoothedGap) : gap;
    }
    lastArrival = at;
  }

  async function attempt(input: I): Promise<Outcome> {
    try {
      return { ok: true, value: await apply(input) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** End of the first input's turn: commit now, or wait for the ones the arrival rate promises. */
  function turnEnded(): void {
    if (commitDelayMs > 0 && smoothedGap <= commitDelayMs) setTimer(() => void flush(), commitDelayMs);
    else void flush();
  }

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    if (batch.length === 1) {
      batch[0]!.settle(await attempt(batch[0]!.input));
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = await withTransaction(async () => {
        const settled: Outcome[] = [];
        // One after another: savepoints of one transaction do not interleave.
        for (const { input } of batch) settled.push(await attempt(input));
        return settled;
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    batch.forEach(({ settle }, i) => settle(outcomes[i]!));
  }

  return async (input) => {
    const outcome = await new Promise<Outcome>((settle) => {
      noteArrival();
      // The first input of a batch schedules its commit; later ones (this turn's, or during the wait) join it.
      if (queue.length === 0) setImmediate(turnEnded);
      queue.push({ input, settle });
    });
    // Rethrown as it is, not wrapped: the caller sees exactly what `apply` (or the commit) threw.
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
}
