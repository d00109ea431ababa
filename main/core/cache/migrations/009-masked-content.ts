/**
 * Agents now receive personal data masked (shared/masking.ts), and the cache must not hold
 * what its user may not see unmasked. Caches written before hold clear phone numbers, e-mail
 * addresses, ID and card numbers, so every cached customer, ticket, message and note is
 * dropped and the sync position reset: the next connect bootstraps again and the server
 * sends each ticket as this user may see it. What the user wrote and the server has not
 * acknowledged — the outbox, offline drafts — and the needs-attention list stay; pending
 * mutations are rebased onto the new snapshot as after any must-refetch.
 *
 * `sync_state.pii_view` records the view (masked / clear) the cached content was fetched in,
 * so a user whose role changes (a lead becomes an agent) is re-fetched too (CacheWriter.adoptPiiView).
 * The cache runs with `secure_delete` on (cache.ts), so the dropped rows are overwritten, not
 * just unlinked; after the commit the WAL, which still holds the old pages, is truncated.
 */
import type { CacheMigration } from './migration.js';

export const migration009MaskedContent: CacheMigration = {
  version: 9,
  name: 'masked-content',
  up(db) {
    db.exec(`
      ALTER TABLE sync_state ADD COLUMN pii_view TEXT CHECK (pii_view IS NULL OR pii_view IN ('masked', 'clear'));
      UPDATE sync_state SET search_live = 0 WHERE id = 1;
      DELETE FROM messages;
      DELETE FROM notes;
      DELETE FROM tickets;
      DELETE FROM customers;
      DELETE FROM ticket_fts;
      INSERT INTO message_fts (message_fts) VALUES ('delete-all');
      UPDATE sync_state SET last_seq = 0, bootstrapped = 0, bootstrap_after = NULL, bootstrap_seq = NULL, search_live = 1, pii_view = NULL WHERE id = 1;
    `);
  },
  afterCommit(db) {
    db.pragma('wal_checkpoint(TRUNCATE)');
  },
};
