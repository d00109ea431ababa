/**
 * Group commit: writes that arrive in the same event-loop turn share one transaction, so one
 * fsync (`synchronous=FULL`) makes all of them durable. Each still answers only after that
 * commit. `apply` must be atomic on its own (it opens its own transaction, which inside the
 * batch's is a savepoint), so one that fails rolls back alone; alone in its turn it is the
 * whole transaction, with no savepoint (two round trips fewer on PostgreSQL).
 */

/** Runs `apply` for each input, inside one `withTransaction` per turn's batch of inputs. */
export function createGroupCommit<I, O>(withTransaction: <T>(fn: () => Promise<T>) => Promise<T>, apply: (input: I) => Promise<O>): (input: I) => Promise<O> {
  type Outcome = { ok: true; value: O } | { ok: false; error: unknown };
  let queue: Array<{ input: I; settle: (outcome: Outcome) => void }> = [];

  async function attempt(input: I): Promise<Outcome> {
    try {
      return { ok: true, value: await apply(input) };
    } catch (error) {
      return { ok: false, error };
    }
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
      if (queue.length === 0) setImmediate(() => void flush());
      queue.push({ input, settle });
    });
    // Rethrown as it is, not wrapped: the caller sees exactly what `apply` (or the commit) threw.
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
}
