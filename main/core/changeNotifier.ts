/**
 * Coalesces `changed` events: ticket ids collected over a short window go out as one event,
 * so a bootstrap or a burst of live changes does not flood the renderer.
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

export function createChangeNotifier(emit: (ticketIds: string[]) => void, windowMs: number = CHANGED_DEBOUNCE_MS): ChangeNotifier {
  let pending: Set<string> | 'all' | null = null;
  let timer: NodeJS.Timeout | null = null;

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = null;
    if (batch === null) return;
    emit(batch === 'all' ? [] : [...batch]);
  }

  return {
    add(ticketIds) {
      if (ticketIds.length === 0) pending = 'all';
      else if (pending !== 'all') {
        pending ??= new Set();
        for (const id of ticketIds) pending.add(id);
      }
      timer ??= setTimeout(flush, windowMs);
    },
    flush,
    dispose() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
