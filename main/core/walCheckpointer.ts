import type { Cache } from './cache/cache.js';

/**
 * WAL frames left uncopied before the core copies them between calls: a quarter of SQLite's
 * own threshold (`wal_autocheckpoint`, 1,000 pages), so a burst of writes in one turn of the
 * event loop rarely reaches that one, which runs inside the commit that crosses it.
 */
export const WAL_CHECKPOINT_FRAMES = 256;

/** Copies the cache's WAL into its database after the call that wrote, not inside it. */
export interface WalCheckpointer {
  /** A write committed: look at the WAL on the next turn of the event loop. */
  afterWrite(): void;
  stop(): void;
}

/**
 * SQLite's auto-checkpoint runs inside whichever commit crosses 1,000 WAL pages: one note in
 * ~150 paid a 2–16 ms copy and two more fsyncs. The look queued here runs once the call has
 * answered; in the app every call is its own message (IPC, or the browser host's socket), so the
 * copy falls between the agent's calls. A failed copy is left to the auto-checkpoint.
 */
export function createWalCheckpointer(currentCache: () => Cache | null, frames: number = WAL_CHECKPOINT_FRAMES): WalCheckpointer {
  let queued: NodeJS.Immediate | null = null;
  return {
    afterWrite() {
      if (queued) return;
      queued = setImmediate(() => {
        queued = null;
        const cache = currentCache();
        try {
          if (cache && cache.walFramesUncopied() >= frames) cache.checkpoint();
        } catch {
          // Closed meanwhile, or busy: the next commit past SQLite's threshold copies it.
        }
      });
    },
    stop() {
      if (queued) clearImmediate(queued);
      queued = null;
    },
  };
}
