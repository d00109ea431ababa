/**
 * Coalesces `changed` events so a bootstrap or a burst of live changes does not flood the
 * renderer: at most one event per window. A change after a quiet window goes out at once
 * (on the next turn, with whatever else that turn changed): waiting out a window for an
 * isolated change only delayed the agent's view of it.
 */
export const CHANGED_DEBOUNCE_MS = 50;

/** Collects changed ticket ids and flushes them at most once per window. */
export interface ChangeNotifier {
  /** Records changed tickets; an empty list means "reload everything". */
  add(ticketIds: readonly string[]): void;
  /** Sends what is collected now (used before closing). */
  flush(): void;
  dispose(): void;
}

export function createChangeNotifier(
  emit: (ticketIds: string[]) => void,
  windowMs: number = CHANGED_DEBOUNCE_MS,
  now: () => number = () => performance.now(),
): ChangeNotifier {
  let pending: Set<string> | 'all' | null = null;
  let timer: NodeJS.Timeout | null = null;
  let soon: NodeJS.Immediate | null = null;
  let lastEmittedAt = -Infinity;

  function cancel(): void {
    if (timer) clearTimeout(timer);
    if (soon) clearImmediate(soon);
    timer = null;
    soon = null;
  }

  function flush(): void {
    cancel();
    const batch = pending;
    pending = null;
    if (batch === null) return;
    lastEmittedAt = now();
    emit(batch === 'all' ? [] : [...batch]);
  }

  return {
    add(ticketIds) {
      if (ticketIds.length === 0) pending = 'all';
      else if (pending !== 'all') {
        pending ??= new Set();
        for (const id of ticketIds) pending.add(id);
      }
      if (timer || soon) return;
      const wait = lastEmittedAt + windowMs - now();
      if (wait > 0) timer = setTimeout(flush, wait);
      else soon = setImmediate(flush);
    },
    flush,
    dispose() {
      cancel();
      pending = null;
    },
  };
}
