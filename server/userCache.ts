/**
 * This node's copy of the users its sockets act for (server/sync.ts reads it before every
 * socket event), so an event costs no database round trip; an admin's change of a user
 * (skills, deactivation) drops the copy on every node:
 * - the change's transaction says so on commit (server/adminStore.ts `userChanged`): on this
 *   node through the store's after-commit hook, on every node of a cluster through PostgreSQL
 *   NOTIFY, sent in that transaction, so delivered on commit only (server/cluster/changeFeed.ts);
 * - NOTIFY is not durable: when the node's LISTEN connection is lost and again when it is back,
 *   every copy is dropped (`userId` null), since a change may have been announced to nobody;
 * - and each copy is read again after `ttlMs` whatever was heard: the bound on a stale copy if
 *   all of that failed (a connection that died without the node noticing).
 */
import type { User } from '../shared/domain.js';

/** Hears users changed: an id, or null for "any user" (notifications may have been missed). */
export interface UserChangeSource {
  onDidChangeUser(listener: (userId: string | null) => void): () => void;
}

export interface UserCache {
  /** The user as stored, from this node's copy when it has one young enough. */
  get(userId: string): Promise<User | null>;
  /** Drops the copy of one user, or of every user (null). */
  invalidate(userId: string | null): void;
  /** How many times the store was read (benchmarks, tests). */
  reads(): number;
}

/** How long a copy is used without any word of a change: the safety net only (see above). */
export const USER_CACHE_TTL_MS = 10_000;

export function createUserCache(options: { read: (userId: string) => Promise<User | null>; now: () => number; ttlMs?: number }): UserCache {
  const ttlMs = options.ttlMs ?? USER_CACHE_TTL_MS;
  const copies = new Map<string, { user: User | null; readAt: number }>();
  /** Counts the changes heard: a read that overlapped one may predate the change, so it is used once, not kept. */
  let changesHeard = 0;
  let reads = 0;
  /** Reads in flight, shared by the sockets of one user (all of a node's sockets ask at once after a reconnect of the feed). */
  const reading = new Map<string, { heard: number; read: Promise<User | null> }>();
  return {
    async get(userId) {
      const copy = copies.get(userId);
      if (copy && options.now() - copy.readAt < ttlMs) return copy.user;
      const pending = reading.get(userId);
      if (pending && pending.heard === changesHeard) return pending.read;
      const heardBefore = changesHeard;
      const readAt = options.now();
      reads += 1;
      const read = options.read(userId);
      reading.set(userId, { heard: heardBefore, read });
      try {
        const user = await read;
        if (changesHeard === heardBefore) copies.set(userId, { user, readAt });
        return user;
      } finally {
        if (reading.get(userId)?.read === read) reading.delete(userId);
      }
    },
    invalidate(userId) {
      changesHeard += 1;
      if (userId === null) copies.clear();
      else copies.delete(userId);
    },
    reads: () => reads,
  };
}
