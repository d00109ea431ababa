/**
 * The cached customer history (cache migration 015): what the panel shows offline, for the
 * customers of the tickets this workstation holds. Online, each page the server answers is
 * kept (the first page replaces what was kept, so a deleted or merged ticket does not linger);
 * offline, pages are read back newest first with the same cursor. A row that does not read
 * back as a history entry (a cache written by a newer or broken version) is skipped.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import {
  customerHistoryEntrySchema,
  type CustomerHistoryCursor,
  type CustomerHistoryEntry,
  type CustomerHistoryPage,
  type CustomerHistoryView,
} from '../../../shared/customers.js';

export interface HistoryCacheReader {
  /** One page of the customer's cached history, as of when it was fetched; null when none is cached. */
  customerHistory(customerId: string, before: CustomerHistoryCursor | null, limit: number): CustomerHistoryView | null;
}

export interface HistoryCacheWriter {
  /**
   * Keeps a page the server answered, when a cached ticket is the customer's (the tickets
   * this workstation holds); otherwise keeps nothing. Also forgets the history of customers
   * none of whose tickets are cached any more. Returns whether the page was kept.
   */
  keepCustomerHistory(customerId: string, request: { before: CustomerHistoryCursor | null }, page: CustomerHistoryPage, fetchedAt: number): boolean;
}

export function createHistoryCache(db: Database.Database): { reader: HistoryCacheReader; writer: HistoryCacheWriter } {
  const state = db.prepare<[string], { kept_id: string; total: number; fetched_at: number }>(
    'SELECT kept_id, total, fetched_at FROM customer_history_state WHERE customer_id = ?',
  );
  const newest = db.prepare<[string, number], { entry_json: string }>(
    'SELECT entry_json FROM customer_history WHERE customer_id = ? ORDER BY created_at DESC, ticket_id DESC LIMIT ?',
  );
  const older = db.prepare<[string, number, number, string, number], { entry_json: string }>(
    `SELECT entry_json FROM customer_history WHERE customer_id = ? AND (created_at < ? OR (created_at = ? AND ticket_id < ?))
     ORDER BY created_at DESC, ticket_id DESC LIMIT ?`,
  );
  // The customers of cached tickets: the one asked about, or the one the server answered for (a merge).
  const holdsCustomer = db.prepare<[string, string], number>('SELECT 1 FROM tickets WHERE customer_id IN (?, ?) LIMIT 1').pluck();
  const forget = db.prepare<[string]>('DELETE FROM customer_history WHERE customer_id = ?');
  const forgetState = db.prepare<[string]>('DELETE FROM customer_history_state WHERE customer_id = ?');
  const pruneRows = db.prepare(
    'DELETE FROM customer_history WHERE customer_id NOT IN (SELECT s.customer_id FROM customer_history_state s JOIN tickets t ON t.customer_id IN (s.customer_id, s.kept_id))',
  );
  const pruneState = db.prepare(
    'DELETE FROM customer_history_state WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id IN (customer_history_state.customer_id, customer_history_state.kept_id))',
  );
  const upsertState = db.prepare<[string, string, number, number]>(
    `INSERT INTO customer_history_state (customer_id, kept_id, total, fetched_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (customer_id) DO UPDATE SET kept_id = excluded.kept_id, total = excluded.total, fetched_at = excluded.fetched_at`,
  );
  const upsertEntry = db.prepare<[string, string, number, string]>(
    `INSERT INTO customer_history (customer_id, ticket_id, created_at, entry_json) VALUES (?, ?, ?, ?)
     ON CONFLICT (customer_id, ticket_id) DO UPDATE SET created_at = excluded.created_at, entry_json = excluded.entry_json`,
  );

  const keep = db.transaction((customerId: string, first: boolean, page: CustomerHistoryPage, fetchedAt: number): boolean => {
    pruneState.run();
    pruneRows.run();
    if (holdsCustomer.get(customerId, page.customerId) === undefined) {
      forget.run(customerId);
      forgetState.run(customerId);
      return false;
    }
    if (first) forget.run(customerId);
    upsertState.run(customerId, page.customerId, page.total, fetchedAt);
    for (const entry of page.entries) upsertEntry.run(customerId, entry.ticket.id, entry.ticket.createdAt, JSON.stringify(entry));
    return true;
  });

  return {
    reader: {
      customerHistory(customerId, before, limit) {
        const known = state.get(customerId);
        if (!known) return null;
        const rows = before ? older.all(customerId, before.createdAt, before.createdAt, before.id, limit + 1) : newest.all(customerId, limit + 1);
        const entries: CustomerHistoryEntry[] = [];
        for (const row of rows.slice(0, limit)) {
          const parsed = customerHistoryEntrySchema.safeParse(JSON.parse(row.entry_json));
          if (parsed.success) entries.push(parsed.data);
        }
        const last = entries.at(-1);
        return {
          customerId: known.kept_id,
          entries,
          next: rows.length > limit && last ? { createdAt: last.ticket.createdAt, id: last.ticket.id } : null,
          total: known.total,
          asOf: known.fetched_at,
          cached: true,
        };
      },
    },
    writer: {
      keepCustomerHistory(customerId, request, page, fetchedAt) {
        return keep(customerId, request.before === null, page, fetchedAt);
      },
    },
  };
}
