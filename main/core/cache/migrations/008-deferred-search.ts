/**
 * Bootstrapping 100,000 tickets spent most of its time in the search triggers (each row
 * indexed on its own). Now the triggers only run while `sync_state.search_live` is 1; a
 * bootstrap turns it off, and its last page rebuilds both indexes in bulk and turns it back
 * on in the same transaction. A bootstrap interrupted halfway resumes with search off, so
 * the indexes are always rebuilt before they are trusted again.
 */
import type { CacheMigration } from './migration.js';

const TICKET_TEXT = `
  t.id || ' ' || t.subject || ' ' || coalesce(c.name, '') || ' ' || coalesce(c.phone, '') || ' ' || coalesce(c.email, '')`;
const LIVE = '(SELECT search_live FROM sync_state WHERE id = 1) = 1';

/** Rebuilds both search indexes from the tables (here; the search walk of migration 023 is checked against it). */
export const REBUILD_SEARCH_SQL = `
  DELETE FROM ticket_fts;
  INSERT INTO ticket_fts (rowid, text)
    SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id;
  INSERT INTO message_fts (message_fts) VALUES ('rebuild');
`;

export const migration008DeferredSearch: CacheMigration = {
  version: 8,
  name: 'deferred-search',
  up(db) {
    db.exec(`
      ALTER TABLE sync_state ADD COLUMN search_live INTEGER NOT NULL DEFAULT 1 CHECK (search_live IN (0, 1));

      DROP TRIGGER tickets_fts_insert;
      DROP TRIGGER tickets_fts_update;
      DROP TRIGGER tickets_fts_delete;
      DROP TRIGGER customers_fts_insert;
      DROP TRIGGER customers_fts_update;
      DROP TRIGGER messages_fts_insert;
      DROP TRIGGER messages_fts_delete;
      DROP TRIGGER messages_fts_update;

      CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets WHEN ${LIVE} BEGIN
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid = new.rid;
      END;
      CREATE TRIGGER tickets_fts_update AFTER UPDATE OF id, subject, customer_id ON tickets WHEN ${LIVE} BEGIN
        DELETE FROM ticket_fts WHERE rowid = old.rid;
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid = new.rid;
      END;
      CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets WHEN ${LIVE} BEGIN
        DELETE FROM ticket_fts WHERE rowid = old.rid;
      END;
      CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers WHEN ${LIVE} BEGIN
        DELETE FROM ticket_fts WHERE rowid IN (SELECT rid FROM tickets WHERE customer_id = new.id);
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = new.id;
      END;
      CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, phone, email ON customers WHEN ${LIVE} BEGIN
        DELETE FROM ticket_fts WHERE rowid IN (SELECT rid FROM tickets WHERE customer_id = new.id);
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = new.id;
      END;
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN ${LIVE} BEGIN
        INSERT INTO message_fts (rowid, text) VALUES (new.rid, new.text);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN ${LIVE} BEGIN
        INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', old.rid, old.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages WHEN ${LIVE} BEGIN
        INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', old.rid, old.text);
        INSERT INTO message_fts (rowid, text) VALUES (new.rid, new.text);
      END;
    `);
  },
};
