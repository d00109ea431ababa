/**
 * Full-text search with FTS5's trigram tokenizer, which matches any substring of three or
 * more characters and so works for Chinese without a word segmenter. One index holds each
 * ticket's id, subject and customer name/phone/email (rowid = tickets.rid); the other
 * indexes message text as an external-content table over `messages` (rowid = messages.rid).
 * Triggers keep both current; existing rows are indexed here.
 */
import type { CacheMigration } from './migration.js';

const TICKET_TEXT = `
  t.id || ' ' || t.subject || ' ' || coalesce(c.name, '') || ' ' || coalesce(c.phone, '') || ' ' || coalesce(c.email, '')`;

export const migration003Search: CacheMigration = {
  version: 3,
  name: 'search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE ticket_fts USING fts5 (text, tokenize = 'trigram');
      CREATE VIRTUAL TABLE message_fts USING fts5 (text, content = 'messages', content_rowid = 'rid', tokenize = 'trigram');

      CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid = new.rid;
      END;
      CREATE TRIGGER tickets_fts_update AFTER UPDATE OF id, subject, customer_id ON tickets BEGIN
        DELETE FROM ticket_fts WHERE rowid = old.rid;
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid = new.rid;
      END;
      CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
        DELETE FROM ticket_fts WHERE rowid = old.rid;
      END;
      CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
        DELETE FROM ticket_fts WHERE rowid IN (SELECT rid FROM tickets WHERE customer_id = new.id);
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = new.id;
      END;
      CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, phone, email ON customers BEGIN
        DELETE FROM ticket_fts WHERE rowid IN (SELECT rid FROM tickets WHERE customer_id = new.id);
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = new.id;
      END;

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_fts (rowid, text) VALUES (new.rid, new.text);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', old.rid, old.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', old.rid, old.text);
        INSERT INTO message_fts (rowid, text) VALUES (new.rid, new.text);
      END;

      INSERT INTO ticket_fts (rowid, text)
        SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id;
      INSERT INTO message_fts (message_fts) VALUES ('rebuild');
    `);
  },
};
