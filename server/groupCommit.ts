/**
 * Group commit: writes that arrive in the same event-loop turn share one transaction, so one
 * fsync (`synchronous=FULL`) makes all of them durable. Each still answers only after that
 * commit, and each runs in its own savepoint, so one that fails rolls back alone.
 */

/** Runs `apply` for each input inside `transaction`, batching the inputs of one turn. */
export function createGroupCommit<I, O>(transaction: <T>(fn: () => T) => T, apply: (input: I) => O): (input: I) => Promise<O> {
  type Outcome = { ok: true; value: O } | { ok: false; error: unknown };
  let queue: Array<{ input: I; settle: (outcome: Outcome) => void }> = [];

  function flush(): void {
    const batch = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = transaction(() =>
        batch.map(({ input }): Outcome => {
          try {
            return { ok: true, value: transaction(() => apply(input)) };
          } catch (error) {
            return { ok: false, error };
          }
        }),
      );
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    batch.forEach(({ settle }, i) => settle(outcomes[i]!));
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ input, settle: (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)) });
    });
}
