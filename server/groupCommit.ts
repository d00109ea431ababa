/**
 * Group commit: writes that arrive in the same event-loop turn share one transaction, so one
 * fsync (`synchronous=FULL`) makes all of them durable. Each still answers only after that
 * commit, and each runs in its own savepoint, so one that fails rolls back alone.
 */

/** Runs `apply` for each input inside `withTransaction`, batching the inputs of one turn. */
export function createGroupCommit<I, O>(withTransaction: <T>(fn: () => Promise<T>) => Promise<T>, apply: (input: I) => Promise<O>): (input: I) => Promise<O> {
  type Outcome = { ok: true; value: O } | { ok: false; error: unknown };
  let queue: Array<{ input: I; settle: (outcome: Outcome) => void }> = [];

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = await withTransaction(async () => {
        const settled: Outcome[] = [];
        // One after another: savepoints of one transaction do not interleave.
        for (const { input } of batch) {
          try {
            settled.push({ ok: true, value: await withTransaction(() => apply(input)) });
          } catch (error) {
            settled.push({ ok: false, error });
          }
        }
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
