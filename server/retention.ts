/**
 * History retention: what the server only needs for a while, dropped once that while is over,
 * so a server running for months holds a window of it, not every row ever written.
 *
 * - The change log (`changes`, `change_audience`): one entry per ticket change, read by
 *   clients catching up and by the cluster's commit stream. A workstation whose position is
 *   older than the retained log is told to bootstrap again (`mustRefetch`, its outbox kept:
 *   sync-protocol.md, Must-refetch), so the log need not reach further back than clients
 *   are expected to stay away. `pruneChangesBefore` existed, but nothing called it.
 * - The idempotency records (`applied_mutations`): one per mutation any workstation ever
 *   pushed, each with its result. Needed while a workstation may send that mutation again
 *   (its ack lost, then offline): kept much longer than the change log.
 * - Sign-in tokens past their expiry: one row per sign-in, deleted only on sign-out. Kept a
 *   grace period, so a workstation coming back with one still hears "expired" (not "not
 *   valid") for a while.
 *
 * Intentionally kept forever, as audit: `routing_audit`, `admin_audit`, `kb_audit`,
 * `pii_reveals`, `customer_merges`.
 *
 * Each kind goes in batches of `batch` rows, each its own short transaction, with a turn of
 * the event loop between them, so a first run on a long history never holds the writer for
 * long. Every node of a cluster may run it: each batch is idempotent.
 */
import type { ServerStore } from './store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface HistoryRetentionConfig {
  /** Change-log entries older than this go; default 30 days. */
  changeLogMs: number;
  /** Idempotency records older than this go; default 90 days. */
  appliedMutationsMs: number;
  /** User tokens expired longer ago than this go; default 7 days. */
  expiredTokensMs: number;
  /** Time between two runs; default 1 h. The first run comes `firstRunMs` after start (default 10 min: after a start-up, not during a test). */
  intervalMs: number;
  firstRunMs: number;
  /** Rows per transaction; default 2000. */
  batch: number;
}

export const DEFAULT_HISTORY_RETENTION: Readonly<HistoryRetentionConfig> = {
  changeLogMs: 30 * DAY_MS,
  appliedMutationsMs: 90 * DAY_MS,
  expiredTokensMs: 7 * DAY_MS,
  intervalMs: 60 * 60 * 1000,
  firstRunMs: 10 * 60 * 1000,
  batch: 2000,
};

/** How many rows one run removed, by kind. */
export interface RetentionOutcome {
  changes: number;
  appliedMutations: number;
  tokens: number;
}

export interface HistoryRetention {
  /** A run now, or the one already running. */
  runNow(): Promise<RetentionOutcome>;
  /** No more runs; resolves once the run in flight (if any) has ended. */
  stop(): Promise<void>;
}

export interface HistoryRetentionOptions {
  store: Pick<ServerStore, 'pruneChangesWrittenBefore' | 'removeAppliedMutationsBefore' | 'removeExpiredUserTokens'>;
  now: () => number;
  log: (line: string) => void;
  config?: Partial<HistoryRetentionConfig>;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function startHistoryRetention(options: HistoryRetentionOptions): HistoryRetention {
  const { store, now, log } = options;
  const config = { ...DEFAULT_HISTORY_RETENTION, ...options.config };
  let running: Promise<RetentionOutcome> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  /** Calls `step` until it removes nothing (or the retention stops); the total removed. */
  async function drain(step: () => Promise<number>): Promise<number> {
    let total = 0;
    while (!stopped) {
      const removed = await step();
      total += removed;
      if (removed === 0) break;
      await nextTurn();
    }
    return total;
  }

  async function run(): Promise<RetentionOutcome> {
    const at = now();
    const outcome: RetentionOutcome = {
      changes: await drain(() => store.pruneChangesWrittenBefore(at - config.changeLogMs, config.batch)),
      appliedMutations: await drain(() => store.removeAppliedMutationsBefore(at - config.appliedMutationsMs, config.batch)),
      tokens: await store.removeExpiredUserTokens(at - config.expiredTokensMs),
    };
    if (outcome.changes + outcome.appliedMutations + outcome.tokens > 0) {
      log(
        `retention: removed ${String(outcome.changes)} change-log entries, ${String(outcome.appliedMutations)} idempotency records, ${String(outcome.tokens)} expired tokens`,
      );
    }
    return outcome;
  }

  function runNow(): Promise<RetentionOutcome> {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      runNow()
        .catch((error: unknown) => log(`retention: run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
        .finally(() => schedule(config.intervalMs));
    }, delayMs);
    // Never what keeps the process alive.
    timer.unref();
  }
  schedule(config.firstRunMs);

  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}
