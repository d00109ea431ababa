/**
 * Attachment bytes kept in the cache (migration 021) so the files of the tickets an agent holds
 * open offline (issue 12). "Held" is the ticket's assignee being this user and the ticket still
 * open: a lead's cache has every ticket, and an agent's has queued tickets they looked at, but
 * only the bytes of what the user works on are kept. The rows live in the encrypted cache file
 * itself (never in plain files), under a per-workstation byte budget: the background keeper
 * (attachments/attachmentKeeper.ts) only fills free room, an attachment the agent opens makes
 * room by dropping the least recently used, and a file larger than the whole budget is never
 * kept. Rows of tickets no longer held (released, transferred, closed, gone) are dropped.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { TICKET_STATUSES, attachmentSchema, isOpenStatus, type Attachment } from '../../../shared/domain.js';

/** An attachment on a held ticket whose bytes are not kept yet. */
export interface AttachmentToKeep extends Attachment {
  ticketId: string;
}

/** Kept bytes of one attachment and the type the server served them with. */
export interface KeptAttachmentBytes {
  ticketId: string;
  contentType: string;
  data: Buffer;
}

/**
 * What became of bytes offered to the cache: `kept`; `not_held` (not on an open ticket this
 * user holds, so never kept); `over_budget` (larger than the whole budget); `no_room` (the
 * budget is full of other held files and the caller did not ask to make room).
 */
export type KeepOutcome = 'kept' | 'not_held' | 'over_budget' | 'no_room';

/** The outcome, and the tickets whose kept files changed (the one kept, those dropped to make room or no longer held). */
export interface KeepResult {
  outcome: KeepOutcome;
  ticketIds: string[];
}

export interface AttachmentCacheReader {
  /** The kept bytes of an attachment; null when they are not kept. */
  keptAttachment(attachmentId: string): KeptAttachmentBytes | null;
  /** The ids of a ticket's attachments whose bytes are kept. */
  keptAttachmentIds(ticketId: string): string[];
  /** How many attachments are kept and their bytes in all. */
  keptAttachmentUsage(): { count: number; bytes: number };
  /**
   * Attachments of confirmed messages on the open tickets `userId` holds whose bytes are not
   * kept, newest message first (the likeliest to be opened), at most `limit`.
   */
  attachmentsToKeep(userId: string, limit: number): AttachmentToKeep[];
}

export interface AttachmentCacheWriter {
  /**
   * Keeps an attachment's bytes when it is on an open ticket `userId` holds and fits the budget;
   * `makeRoom` (the agent opened it) drops the least recently used kept files until it fits.
   * Drops the rows of tickets no longer held first, in the same transaction.
   */
  keepAttachmentBytes(
    userId: string,
    attachment: { attachmentId: string; contentType: string; data: Buffer },
    options: { budgetBytes: number; now: number; makeRoom: boolean },
  ): KeepResult;
  /** Records that a kept attachment was opened (it goes last when room is made). */
  touchKeptAttachment(attachmentId: string, now: number): void;
  /**
   * Drops the bytes of attachments no longer on an open ticket `userId` holds, then the least
   * recently used until the rest fits `budgetBytes` (a budget made smaller). Returns the tickets
   * whose kept files changed.
   */
  pruneKeptAttachments(userId: string, budgetBytes: number): string[];
}

const OPEN_STATUSES_SQL = TICKET_STATUSES.filter(isOpenStatus)
  .map((status) => `'${status}'`)
  .join(', ');

/** Attachment ids on messages of the open tickets a user holds, with their ticket. Parameter: user id. */
const HELD_ATTACHMENTS_SQL = `
  SELECT m.ticket_id AS ticket_id, json_extract(j.value, '$.id') AS attachment_id, j.value AS attachment, m.created_at AS created_at, m.pending AS pending
  FROM tickets t JOIN messages m ON m.ticket_id = t.id, json_each(m.attachments_json) j
  WHERE t.assignee_id = ? AND t.status IN (${OPEN_STATUSES_SQL}) AND m.attachments_json <> '[]'`;

export function createAttachmentCache(db: Database.Database): { reader: AttachmentCacheReader; writer: AttachmentCacheWriter } {
  const kept = db.prepare<[string], { ticket_id: string; content_type: string; data: Buffer }>(
    'SELECT ticket_id, content_type, data FROM attachment_bytes WHERE attachment_id = ?',
  );
  const keptIds = db.prepare<[string], string>('SELECT attachment_id FROM attachment_bytes WHERE ticket_id = ? ORDER BY attachment_id').pluck();
  const usage = db.prepare<[], { count: number; bytes: number }>('SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM attachment_bytes');
  const toKeep = db.prepare<[string, number], { ticket_id: string; attachment: string }>(
    `SELECT h.ticket_id, h.attachment FROM (${HELD_ATTACHMENTS_SQL}) h
     WHERE h.pending = 0 AND NOT EXISTS (SELECT 1 FROM attachment_bytes b WHERE b.attachment_id = h.attachment_id)
     ORDER BY h.created_at DESC, h.attachment_id LIMIT ?`,
  );
  const heldTicketOf = db.prepare<[string, string], string>(`SELECT h.ticket_id FROM (${HELD_ATTACHMENTS_SQL}) h WHERE h.attachment_id = ? LIMIT 1`).pluck();
  // Per kept row (few), not per held ticket: a lead's cache holds every ticket, and this runs after every synced change.
  const dropNotHeld = db.prepare<[string], { ticket_id: string }>(
    `DELETE FROM attachment_bytes WHERE NOT EXISTS (
       SELECT 1 FROM tickets t JOIN messages m ON m.ticket_id = t.id, json_each(m.attachments_json) j
       WHERE t.id = attachment_bytes.ticket_id AND t.assignee_id = ? AND t.status IN (${OPEN_STATUSES_SQL})
         AND m.attachments_json <> '[]' AND json_extract(j.value, '$.id') = attachment_bytes.attachment_id
     ) RETURNING ticket_id`,
  );
  const leastRecentlyUsed = db.prepare<[], { attachment_id: string; ticket_id: string; size: number }>(
    'SELECT attachment_id, ticket_id, size FROM attachment_bytes ORDER BY used_at, attachment_id',
  );
  const drop = db.prepare<[string]>('DELETE FROM attachment_bytes WHERE attachment_id = ?');
  const upsert = db.prepare<[string, string, string, number, Buffer, number, number]>(
    `INSERT INTO attachment_bytes (attachment_id, ticket_id, content_type, size, data, kept_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (attachment_id) DO UPDATE SET ticket_id = excluded.ticket_id, content_type = excluded.content_type, size = excluded.size,
       data = excluded.data, kept_at = excluded.kept_at, used_at = excluded.used_at`,
  );
  const touch = db.prepare<[number, string]>('UPDATE attachment_bytes SET used_at = max(used_at, ?) WHERE attachment_id = ?');

  /**
   * Drops least recently used rows (never `except`, whose old bytes do not count: they are
   * replaced) until `bytes` more fit; returns the tickets touched, or null when `bytes` alone
   * are over the budget.
   */
  function dropUntilFits(budgetBytes: number, bytes: number, except: string | null): string[] | null {
    if (bytes > budgetBytes) return null;
    const rows = leastRecentlyUsed.all().filter((row) => row.attachment_id !== except);
    let used = rows.reduce((sum, row) => sum + row.size, 0);
    const touched: string[] = [];
    for (const row of rows) {
      if (used + bytes <= budgetBytes) break;
      drop.run(row.attachment_id);
      touched.push(row.ticket_id);
      used -= row.size;
    }
    return touched;
  }

  const keep = db.transaction(
    (
      userId: string,
      attachment: { attachmentId: string; contentType: string; data: Buffer },
      options: { budgetBytes: number; now: number; makeRoom: boolean },
    ): KeepResult => {
      const touched = dropNotHeld.all(userId).map((row) => row.ticket_id);
      const result = (outcome: KeepOutcome): KeepResult => ({ outcome, ticketIds: [...new Set(touched)] });
      // The ticket comes from the cache, never from the caller: only what this user holds is kept.
      const ticketId = heldTicketOf.get(userId, attachment.attachmentId);
      if (ticketId === undefined) return result('not_held');
      const size = attachment.data.length;
      if (size > options.budgetBytes) return result('over_budget');
      if (usage.get()!.bytes + size > options.budgetBytes) {
        const dropped = options.makeRoom ? dropUntilFits(options.budgetBytes, size, attachment.attachmentId) : null;
        if (dropped === null) return result('no_room');
        touched.push(...dropped);
      }
      upsert.run(attachment.attachmentId, ticketId, attachment.contentType, size, attachment.data, options.now, options.now);
      touched.push(ticketId);
      return result('kept');
    },
  );

  const prune = db.transaction((userId: string, budgetBytes: number): string[] => {
    const touched = dropNotHeld.all(userId).map((row) => row.ticket_id);
    touched.push(...(dropUntilFits(budgetBytes, 0, null) ?? []));
    return [...new Set(touched)];
  });

  return {
    reader: {
      keptAttachment(attachmentId) {
        const row = kept.get(attachmentId);
        return row ? { ticketId: row.ticket_id, contentType: row.content_type, data: row.data } : null;
      },
      keptAttachmentIds: (ticketId) => keptIds.all(ticketId),
      keptAttachmentUsage: () => usage.get()!,
      attachmentsToKeep(userId, limit) {
        const out: AttachmentToKeep[] = [];
        for (const row of toKeep.all(userId, limit)) {
          // Written by the cache from a parsed message; read leniently all the same (a row a newer build wrote is skipped).
          const parsed = attachmentSchema.safeParse(JSON.parse(row.attachment));
          if (parsed.success) out.push({ ...parsed.data, ticketId: row.ticket_id });
        }
        return out;
      },
    },
    writer: {
      keepAttachmentBytes: (userId, attachment, options) => keep(userId, attachment, options),
      touchKeptAttachment(attachmentId, now) {
        touch.run(now, attachmentId);
      },
      pruneKeptAttachments: (userId, budgetBytes) => prune(userId, budgetBytes),
    },
  };
}
