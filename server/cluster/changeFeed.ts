/**
 * New change-log entries reach every server node (issue 10): the writer announces the seq
 * it committed with PostgreSQL NOTIFY inside its own transaction, so it is delivered on
 * commit only (never for a rolled-back write, never before the rows are visible); each
 * node LISTENs on a dedicated connection and hands the highest seq heard to its live
 * fan-out, which pulls the entries after its cursor from the database.
 *
 * NOTIFY is not durable: while a listener is disconnected its notifications are lost. So
 * the feed also asks the database for its highest seq (`readMaxSeq`) after every
 * (re)connection and every `pollMs` as a safety net; a node can lag by up to `pollMs` in the
 * worst case, never miss an entry.
 */
import pg from 'pg';
import type { SqlExecutor } from '../db/sql.js';

export const CHANGE_CHANNEL = 'omnidesk_changes';
/** A user's directory entry or active flag changed (server/userCache.ts): the payload is their id. */
export const USER_CHANNEL = 'omnidesk_users';

/**
 * Inside the writer's transaction, after its change-log rows are written: tells every
 * node, on commit, that entries up to `seq` exist.
 */
export async function announce(tx: SqlExecutor, seq: number): Promise<void> {
  await tx.run(`SELECT pg_notify('${CHANGE_CHANNEL}', ?)`, [String(seq)]);
}

/** Inside the writer's transaction: tells every node, on commit, that this user changed. */
export async function announceUserChanged(tx: SqlExecutor, userId: string): Promise<void> {
  await tx.run(`SELECT pg_notify('${USER_CHANNEL}', ?)`, [userId]);
}

export interface ChangeFeedOptions {
  databaseUrl: string;
  /** Called with the highest seq known so far, only when it grew; calls never overlap an event-loop turn's worth of notifications. */
  onSeq(maxSeq: number): void;
  /** How often to ask `readMaxSeq` even when notifications flow. */
  pollMs: number;
  /** The highest committed seq, read from the database (e.g. `SELECT max(seq) FROM change_log`). */
  readMaxSeq(): Promise<number>;
  /** The seq this node already has; nothing at or below it is reported. Default 0. */
  fromSeq?: number;
  /** Wait before reconnecting after the connection was lost; default 1 s. */
  reconnectMs?: number;
  /** How long one connection attempt may take; default 5 s. */
  connectTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * A user changed (USER_CHANNEL), or null: notifications may have been lost (the connection
   * was lost, or is back after a loss or at start), so any user may have changed.
   */
  onUserChanged?(userId: string | null): void;
}

export interface ChangeFeed {
  /** Stops listening and polling; resolves once the connection is closed. */
  stop(): Promise<void>;
  /** The highest seq reported so far (or `fromSeq`). */
  lastSeq(): number;
  /** Whether the LISTEN connection is up right now. */
  listening(): boolean;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function startChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const log = options.log ?? ((line: string) => console.error(line));
  const reconnectMs = options.reconnectMs ?? 1_000;
  let reported = options.fromSeq ?? 0;
  let heard = reported;
  let reportScheduled = false;
  let client: pg.Client | null = null;
  let isListening = false;
  let stopped = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let pollInFlight: Promise<void> | null = null;
  let pollAgain = false;
  let stopping: Promise<void> | null = null;
  let connecting: Promise<void> = Promise.resolve();

  function note(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq <= heard) return;
    heard = seq;
    // A burst of commits (one notification each) becomes one report per event-loop turn.
    if (reportScheduled) return;
    reportScheduled = true;
    setImmediate(() => {
      reportScheduled = false;
      if (stopped || heard <= reported) return;
      reported = heard;
      try {
        options.onSeq(reported);
      } catch (error) {
        log(`change feed: onSeq failed: ${messageOf(error)}`);
      }
    });
  }

  function poll(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (pollInFlight) {
      // The read in flight may have started before a reconnect; one more follows it.
      pollAgain = true;
      return pollInFlight;
    }
    const run = (async () => {
      do {
        pollAgain = false;
        try {
          note(Number(await options.readMaxSeq()));
        } catch (error) {
          // A read cut short by stop() is no failure worth a line.
          if (!stopped) log(`change feed: reading the highest seq failed: ${messageOf(error)}`);
        }
      } while (pollAgain && !stopped);
    })().finally(() => {
      pollInFlight = null;
    });
    pollInFlight = run;
    return run;
  }

  function userChanged(userId: string | null): void {
    try {
      options.onUserChanged?.(userId);
    } catch (error) {
      log(`change feed: onUserChanged failed: ${messageOf(error)}`);
    }
  }

  function lost(dead: pg.Client, why: string): void {
    if (client !== dead) return;
    client = null;
    isListening = false;
    userChanged(null);
    log(`change feed: connection lost (${why}); reconnecting in ${String(reconnectMs)} ms`);
    dead.end().catch(() => undefined);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connecting = connect();
    }, reconnectMs);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const fresh = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: 'omnidesk-change-feed',
      keepAlive: true,
      // An unreachable database must not hold up the reconnection loop (or stop()) for the OS's TCP timeout.
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    fresh.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload !== undefined) note(Number(message.payload));
      if (message.channel === USER_CHANNEL && message.payload !== undefined) userChanged(message.payload);
    });
    // Kept for the client's whole life: a late error of a dropped client must not crash the process.
    fresh.on('error', (error) => lost(fresh, error.message));
    fresh.on('end', () => lost(fresh, 'ended'));
    client = fresh;
    try {
      await fresh.connect();
      await fresh.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (options.onUserChanged) await fresh.query(`LISTEN ${USER_CHANNEL}`);
    } catch (error) {
      lost(fresh, messageOf(error));
      return;
    }
    if (client !== fresh) return;
    if (stopped) {
      await fresh.end().catch(() => undefined);
      return;
    }
    isListening = true;
    // A user changed while nobody listened was announced to no one either.
    userChanged(null);
    // Whatever was committed while nobody listened was announced to no one: ask the database.
    await poll();
  }

  const pollTimer = setInterval(() => void poll(), options.pollMs);
  connecting = connect();

  return {
    stop() {
      // Idempotent; resolves once nothing of the feed reads the database any more (its owner closes the pool next).
      stopping ??= (async () => {
        stopped = true;
        clearInterval(pollTimer);
        if (reconnectTimer) clearTimeout(reconnectTimer);
        reconnectTimer = null;
        await connecting.catch(() => undefined);
        const last = client;
        client = null;
        isListening = false;
        if (last) await last.end().catch(() => undefined);
        await pollInFlight;
      })();
      return stopping;
    },
    lastSeq: () => reported,
    listening: () => isListening,
  };
}
