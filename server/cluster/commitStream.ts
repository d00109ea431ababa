/**
 * What every node commits, heard by every node (issue 10). On one node the store's own
 * after-commit notification is the whole story; with several nodes on one PostgreSQL
 * database a node must also hear the other nodes' commits. The change feed (changeFeed.ts)
 * says how far the change log has grown; this stream reads the entries after the last one it
 * handed out, with their audiences, and hands them to its listeners in seq order: the live
 * fan-out, the routing leader, the queue summary and the board, exactly as the store's own
 * notification would have.
 *
 * A node's own commits arrive this way too (its NOTIFY reaches itself), so every listener
 * sees one ordered stream, whichever node wrote.
 */
import type { CommittedChange, CommittedChangesListener, ServerStore } from '../store.js';
import type { UserChangeSource } from '../userCache.js';
import { startChangeFeed, type ChangeFeed } from './changeFeed.js';

/** Who hears committed changes: the store itself (one node) or a commit stream (several). */
export interface CommitSource {
  onDidCommitChanges(listener: CommittedChangesListener): () => void;
}

/** Also every node's user changes (server/userCache.ts), through the same LISTEN connection. */
export interface CommitStream extends CommitSource, UserChangeSource {
  /** The newest seq handed to the listeners. */
  deliveredUpTo(): number;
  stop(): Promise<void>;
}

export interface CommitStreamOptions {
  store: Pick<ServerStore, 'changeLogBounds' | 'committedChangesAfter'>;
  databaseUrl: string;
  log: (line: string) => void;
  /** The safety-net poll of the change log's end (a NOTIFY lost while the feed reconnected); default 1 s. */
  pollMs?: number;
  /** Entries read per query; default 500. */
  batchSize?: number;
}

export async function startCommitStream(options: CommitStreamOptions): Promise<CommitStream> {
  const { store, log } = options;
  const batchSize = options.batchSize ?? 500;
  const listeners = new Set<CommittedChangesListener>();
  const userListeners = new Set<(userId: string | null) => void>();
  // Listeners hear what is committed from now on; what came before, clients pull.
  let delivered = (await store.changeLogBounds()).maxSeq;
  let target = delivered;
  let pumping: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  let stopping: Promise<void> | null = null;

  function notify(batch: CommittedChange[]): void {
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch (error) {
        log(`change listener failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }

  // One reader at a time, so batches leave in seq order; stop() waits for the one reading.
  function pump(): Promise<void> {
    if (pumping) return pumping;
    if (stopped) return Promise.resolve();
    const run = readAhead().finally(() => {
      pumping = null;
      if (retryDelay !== null && !stopped && delivered < target) {
        retryTimer = setTimeout(() => {
          retryTimer = null;
          void pump();
        }, retryDelay);
        retryTimer.unref();
      }
    });
    pumping = run;
    return run;
  }

  let retryDelay: number | null = null;
  async function readAhead(): Promise<void> {
    retryDelay = null;
    try {
      while (!stopped && delivered < target) {
        const batch = await store.committedChangesAfter(delivered, batchSize);
        if (stopped) return;
        if (batch.length === 0) {
          // Pruned before this node read it: the clients concerned refetch (their pull says so).
          delivered = target;
          break;
        }
        delivered = batch[batch.length - 1]!.change.seq;
        notify(batch);
      }
    } catch (error) {
      if (stopped) return;
      retryDelay = 500;
      log(`commit stream: reading the change log failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!stopped && delivered < target && retryDelay === null) retryDelay = 0;
  }

  const feed: ChangeFeed = startChangeFeed({
    databaseUrl: options.databaseUrl,
    fromSeq: delivered,
    pollMs: options.pollMs ?? 1_000,
    log,
    readMaxSeq: async () => (await store.changeLogBounds()).maxSeq,
    onUserChanged(userId) {
      for (const listener of userListeners) listener(userId);
    },
    onSeq(maxSeq) {
      target = Math.max(target, maxSeq);
      void pump();
    },
  });

  return {
    onDidCommitChanges(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onDidChangeUser(listener) {
      userListeners.add(listener);
      return () => userListeners.delete(listener);
    },
    deliveredUpTo: () => delivered,
    stop() {
      // Idempotent; the caller closes the store's pool after this, so nothing may still be reading it.
      stopping ??= (async () => {
        stopped = true;
        listeners.clear();
        userListeners.clear();
        if (retryTimer) clearTimeout(retryTimer);
        retryTimer = null;
        await feed.stop();
        await pumping;
      })();
      return stopping;
    },
  };
}
