/**
 * Keeps the bytes of the attachments on the tickets this user holds in the cache, in the
 * background after each sync, so they open offline (issue 12; docs/technical/core.md,
 * Attachments offline). One download at a time, newest message first, with the agent's own
 * token (the server authorises each one as for any client). It only fills the room the budget
 * leaves: a file the agent opens makes room (least recently used first), the keeper never drops
 * one held file for another, so two files never push each other out in turn. Each run first
 * drops the bytes of tickets no longer held. A file larger than the budget (or than the
 * workstation hands over at all) is never fetched; one the server does not have for this user
 * is not asked for again in this session (the newest KEEPER_SKIPPED_MAX of them are remembered).
 */
import { createBoundedMap } from '../../../shared/boundedMap.js';
import { MAX_ATTACHMENT_DOWNLOAD_BYTES } from '../../../shared/rpc.js';
import type { Cache } from '../cache/cache.js';
import { RpcError } from '../errors.js';
import { ATTACHMENT_DOWNLOAD_TIMEOUT_MS, fetchAttachmentBytes } from './fetchAttachment.js';

/** How many candidates one pass reads from the cache; a pass that kept files looks again. */
const KEEPER_BATCH = 32;
/**
 * How many skipped attachments the keeper remembers (the newest): a mailbox of many files the
 * server refuses must not grow the set for the whole session. One pushed out is asked for again
 * once, then remembered again.
 */
export const KEEPER_SKIPPED_MAX = 5_000;

export interface AttachmentKeeper {
  /** Something changed (a sync, the connection came back): prune, then fetch what is missing. Never throws. */
  kick(): void;
  /** Resolves once no pass runs (for tests and shutdown). */
  idle(): Promise<void>;
  /** Stops: the download on its way is aborted, no pass starts again. */
  stop(): void;
}

export interface AttachmentKeeperOptions {
  serverUrl: string;
  /** The agent's bearer token. */
  token: string;
  cache: Cache;
  userId: string;
  budgetBytes: number;
  now: () => number;
  /** Whether the core is online now (synced and connected); checked before each download. */
  isOnline: () => boolean;
  /** Tickets whose kept files changed (kept or dropped), for the renderer to show them. */
  onChanged: (ticketIds: string[]) => void;
  /** How many skipped attachments to remember; default KEEPER_SKIPPED_MAX. */
  skippedLimit?: number;
}

export function startAttachmentKeeper(options: AttachmentKeeperOptions): AttachmentKeeper {
  const { cache, userId, budgetBytes } = options;
  const abort = new AbortController();
  /** Attachments not to ask for again in this session: the server has none for this user, or it is too large. */
  const skipped = createBoundedMap<string, true>(options.skippedLimit ?? KEEPER_SKIPPED_MAX);
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function pass(): Promise<boolean> {
    const dropped = cache.writer.pruneKeptAttachments(userId, budgetBytes);
    if (dropped.length > 0) options.onChanged(dropped);
    if (!options.isOnline()) return false;
    const candidates = cache.reader.attachmentsToKeep(userId, KEEPER_BATCH + skipped.size).filter((a) => skipped.get(a.id) === undefined);
    let room = budgetBytes - cache.reader.keptAttachmentUsage().bytes;
    let keptAny = false;
    for (const attachment of candidates.slice(0, KEEPER_BATCH)) {
      if (stopped || !options.isOnline()) return false;
      if (attachment.size > budgetBytes || attachment.size > MAX_ATTACHMENT_DOWNLOAD_BYTES) {
        skipped.set(attachment.id, true);
        continue;
      }
      // No room for this one: a smaller one further down may still fit.
      if (attachment.size > room) continue;
      let fetched: { contentType: string; data: Buffer };
      try {
        fetched = await fetchAttachmentBytes(
          options.serverUrl,
          options.token,
          attachment,
          AbortSignal.any([abort.signal, AbortSignal.timeout(ATTACHMENT_DOWNLOAD_TIMEOUT_MS)]),
        );
      } catch (error) {
        if (error instanceof RpcError && (error.code === 'not_found' || error.code === 'too_large')) {
          skipped.set(attachment.id, true);
          continue;
        }
        // Unreachable, signed out, a server error: the next sync or reconnect tries again.
        return false;
      }
      if (stopped) return false;
      const { outcome, ticketIds } = cache.writer.keepAttachmentBytes(
        userId,
        { attachmentId: attachment.id, contentType: fetched.contentType, data: fetched.data },
        { budgetBytes, now: options.now(), makeRoom: false },
      );
      if (ticketIds.length > 0) options.onChanged(ticketIds);
      if (outcome === 'kept') {
        keptAny = true;
        room = budgetBytes - cache.reader.keptAttachmentUsage().bytes;
      } else if (outcome === 'over_budget') {
        skipped.set(attachment.id, true);
      }
    }
    return keptAny && candidates.length > KEEPER_BATCH;
  }

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          if (await pass()) again = true;
        } catch {
          // A closed cache (sign-out while a download ran): nothing to keep any more.
          return;
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
  }

  return {
    kick: run,
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}
