/**
 * The server's timers (routing's next wake-up, the end of each socket's token), behind an interface so tests
 * drive time by hand: `createManualScheduler` fires due timers only when the test moves
 * its clock, so no test sleeps and none depends on wall-clock speed.
 */

/** Sets timers against the server's clock. */
export interface RoutingScheduler {
  /** Calls `fn` once the clock reaches `at`; returns a cancel function. */
  setTimer(at: number, fn: () => void): () => void;
}

/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function createRealScheduler(now: () => number): RoutingScheduler {
  return {
    setTimer(at, fn) {
      let handle: NodeJS.Timeout;
      // A timer further away than setTimeout allows (a token living > 24.8 days) re-arms on the way.
      const arm = () => {
        const delay = Math.max(0, at - now());
        handle = setTimeout(delay > MAX_TIMEOUT_MS ? arm : fn, Math.min(delay, MAX_TIMEOUT_MS));
        handle.unref();
      };
      arm();
      return () => clearTimeout(handle);
    },
  };
}

/** A scheduler for tests: time moves only through `advance`, firing what falls due on the way. */
export interface ManualScheduler extends RoutingScheduler {
  /** Moves the clock forward by `ms`, running each due timer at its own time, in order. */
  advance(ms: number): void;
  pending(): number;
}

export function createManualScheduler(clock: { now(): number; set(epochMs: number): void }): ManualScheduler {
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 0;
  return {
    setTimer(at, fn) {
      const id = ++nextId;
      timers.push({ at, fn, id });
      return () => {
        timers = timers.filter((t) => t.id !== id);
      };
    },
    advance(ms) {
      const target = clock.now() + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const due = timers[0];
        if (!due || due.at > target) break;
        timers.shift();
        if (due.at > clock.now()) clock.set(due.at);
        due.fn();
      }
      clock.set(target);
    },
    pending: () => timers.length,
  };
}
