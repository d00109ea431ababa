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
 * - Rating-link tokens (`csat_tokens`) of surveys long expired: one per invitation sent. Kept
 *   a grace period past the survey's expiry, so the rating page still says "expired" (after
 *   it, "not valid"); the surveys and their answers stay (reports).
 * - The provisional ids of hand-made tickets (`ticket_drafts`): they make a re-sent creation
 *   find its ticket, as the idempotency records do for other mutations, so they go with the
 *   idempotency window. The tickets stay.
 *
 * Intentionally kept forever, as audit: `routing_audit`, `admin_audit`, `kb_audit`,
 * `pii_reveals`, `customer_merges`; as the record of a ticket or a call: `alerts`,
 * `csat_surveys`, `message_sources`, `customer_claims`, `cti_call_events` (docs/technical/server.md).
 *
 * Each kind goes in batches of at most `batch` rows, each its own short transaction, with a
 * turn of the event loop between them, so a first run on a long history never holds the
 * writer for long. One node of a cluster runs it at a time (`store.runAlone`: a PostgreSQL
 * session advisory try-lock); a node whose turn comes while another runs it skips that run.
 * Windows come from the environment (`historyRetentionFromEnv`, server/main.ts).
 */
import type { ServerStore } from './store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface HistoryRetentionConfig {
  /** Change-log entries older than this go; default 30 days. */
  changeLogMs: number;
  /** Idempotency records and hand-made tickets' provisional ids older than this go; default 90 days. */
  appliedMutationsMs: number;
  /** User tokens expired longer ago than this go; default 7 days. */
  expiredTokensMs: number;
  /** Rating-link tokens of surveys expired longer ago than this go; default 30 days. */
  expiredCsatMs: number;
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
  expiredCsatMs: 30 * DAY_MS,
  intervalMs: 60 * 60 * 1000,
  firstRunMs: 10 * 60 * 1000,
  batch: 2000,
};

/** How many rows one run removed, by kind. */
export interface RetentionOutcome {
  changes: number;
  appliedMutations: number;
  tokens: number;
  csatTokens: number;
  ticketDrafts: number;
}

/** The environment variables of the windows, in whole days. */
export const RETENTION_ENV_DAYS = {
  RETENTION_CHANGE_LOG_DAYS: 'changeLogMs',
  RETENTION_IDEMPOTENCY_DAYS: 'appliedMutationsMs',
  RETENTION_EXPIRED_TOKENS_DAYS: 'expiredTokensMs',
  RETENTION_EXPIRED_CSAT_DAYS: 'expiredCsatMs',
} as const satisfies Record<string, keyof HistoryRetentionConfig>;

/** Ten years: a longer window is a typo more likely than a policy. */
const MAX_RETENTION_DAYS = 3650;

/** Every bad retention variable at once, each named with what it must be. */
export class RetentionConfigError extends Error {
  constructor(readonly variables: readonly string[]) {
    super(
      variables.map((variable) => `${variable}: must be a whole number of days from 1 to ${String(MAX_RETENTION_DAYS)}`).join('; ') +
        ' (docs/technical/deployment.md, History retention)',
    );
    this.name = 'RetentionConfigError';
  }
}

/** The windows set in the environment (unset or blank: the default); throws RetentionConfigError naming every bad one. */
export function historyRetentionFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<HistoryRetentionConfig> {
  const config: Partial<HistoryRetentionConfig> = {};
  const bad: string[] = [];
  for (const [variable, field] of Object.entries(RETENTION_ENV_DAYS)) {
    const text = env[variable]?.trim() ?? '';
    if (text === '') continue;
    const days = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) bad.push(variable);
    else config[field] = days * DAY_MS;
  }
  if (bad.length > 0) throw new RetentionConfigError(bad);
  return config;
}

export interface HistoryRetention {
  /** A run now, or the one already running; null when another node was running it (this one skipped). */
  runNow(): Promise<RetentionOutcome | null>;
  /** No more runs; resolves once the run in flight (if any) has ended. */
  stop(): Promise<void>;
}

export interface HistoryRetentionOptions {
  store: Pick<
    ServerStore,
    | 'pruneChangesWrittenBefore'
    | 'removeAppliedMutationsBefore'
    | 'removeExpiredUserTokens'
    | 'removeExpiredCsatTokens'
    | 'removeTicketDraftsBefore'
    | 'runAlone'
  >;
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
  let running: Promise<RetentionOutcome | null> | null = null;
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

  async function prune(): Promise<RetentionOutcome> {
    const at = now();
    const { batch } = config;
    const outcome: RetentionOutcome = {
      changes: await drain(() => store.pruneChangesWrittenBefore(at - config.changeLogMs, batch)),
      appliedMutations: await drain(() => store.removeAppliedMutationsBefore(at - config.appliedMutationsMs, batch)),
      tokens: await drain(() => store.removeExpiredUserTokens(at - config.expiredTokensMs, batch)),
      csatTokens: await drain(() => store.removeExpiredCsatTokens(at - config.expiredCsatMs, batch)),
      ticketDrafts: await drain(() => store.removeTicketDraftsBefore(at - config.appliedMutationsMs, batch)),
    };
    if (Object.values(outcome).some((n) => n > 0)) {
      log(
        `retention: removed ${String(outcome.changes)} change-log entries, ${String(outcome.appliedMutations)} idempotency records, ${String(outcome.tokens)} expired tokens, ${String(outcome.csatTokens)} expired rating links, ${String(outcome.ticketDrafts)} provisional ticket ids`,
      );
    }
    return outcome;
  }

  async function run(): Promise<RetentionOutcome | null> {
    const result = await store.runAlone('history-retention', prune);
    return result.ran ? result.value : null;
  }

  function runNow(): Promise<RetentionOutcome | null> {
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
