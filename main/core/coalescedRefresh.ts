/**
 * "Fetch the server's list into the cache now", called from a connect, a change push and the
 * user's own save at once: one fetch at a time, and a call during a fetch fetches once more
 * after it (a change heard during a fetch may not be in its answer). Scripts and knowledge
 * articles refresh this way.
 */
export function createCoalescedRefresh(fetchOnce: () => Promise<void>, isStopped: () => boolean): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return function refresh() {
    if (isStopped()) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await fetchOnce();
        } while (again && !isStopped());
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
