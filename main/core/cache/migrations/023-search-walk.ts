/**
 * The search indexes are built after a bootstrap, not inside its last page (issue 10: the
 * rebuild of 100,000 tickets held the last page's transaction, and the agent's `online`,
 * for seconds). A walk in ticket and message `rid` order indexes a chunk per transaction
 * while the agent already works (search falls back to `LIKE` until `search_live` is 1).
 *
 * Each index covers the rows up to its walk's position (`search_tickets_upto` for the ticket
 * and 2-character indexes, keyed by the ticket's rid; `search_messages_upto` for the message
 * index, keyed by the message's rid). The triggers keep exactly those rows current, so a row
 * the walk has passed follows every later change, and a row it has not reached is indexed
 * from its current content when the walk gets there. Both positions are the largest integer
 * once the walk is done (every row, as before); a bootstrap sets them to 0 and the triggers
 * cost one comparison per row while it stores pages.
 */
import { SEARCH_BIGRAMS_FUNCTION } from '../searchBigrams.js';
import type { CacheMigration } from './migration.js';

/** Every rid is at or below it (SQLite's largest integer): the walk is done and the triggers cover every row. */
export const SEARCH_WALK_DONE = '9223372036854775807';

const TICKET_TEXT = `
  t.id || ' ' || t.subject || ' ' || coalesce(c.name, '') || ' ' || coalesce(c.phone, '') || ' ' || coalesce(c.email, '')`;
const TICKET_PAIRS = `${SEARCH_BIGRAMS_FUNCTION}(
  t.id || ' ' || t.subject || ' ' || coalesce(c.name, '') || ' ' || coalesce(c.phone, '') || ' ' || coalesce(c.email, '')
  || ' ' || coalesce((SELECT group_concat(m.text, ' ') FROM messages m WHERE m.ticket_id = t.id), ''))`;
const TICKETS_UPTO = '(SELECT search_tickets_upto FROM sync_state WHERE id = 1)';
const MESSAGES_UPTO = '(SELECT search_messages_upto FROM sync_state WHERE id = 1)';

/** The ticket and 2-character rows of tickets `rid > ? AND rid <= ?` (one chunk of the walk). */
export const INDEX_TICKET_RANGE_SQL = [
  `INSERT INTO ticket_fts (rowid, text)
     SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid > ? AND t.rid <= ?`,
  `INSERT INTO ticket_bigrams (rowid, text)
     SELECT t.rid, ${TICKET_PAIRS} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid > ? AND t.rid <= ?`,
] as const;

/** The message rows `rid > ? AND rid <= ?` (one chunk of the walk). */
export const INDEX_MESSAGE_RANGE_SQL = 'INSERT INTO message_fts (rowid, text) SELECT rid, text FROM messages WHERE rid > ? AND rid <= ?';

/** Empties the three indexes and restarts both walks (with `search_live` off). */
export const CLEAR_SEARCH_SQL = `
  UPDATE sync_state SET search_live = 0, search_tickets_upto = 0, search_messages_upto = 0 WHERE id = 1;
  DELETE FROM ticket_fts;
  INSERT INTO message_fts (message_fts) VALUES ('delete-all');
  INSERT INTO ticket_bigrams (ticket_bigrams) VALUES ('delete-all');
`;

/** Rebuilds the row of the ticket whose id is `ticketId` (an SQL expression) if the walk has passed it. */
function refreshTicketPairs(ticketId: string): string {
  return `
    DELETE FROM ticket_bigrams WHERE rowid = (SELECT rid FROM tickets WHERE id = ${ticketId} AND rid <= ${TICKETS_UPTO});
    INSERT INTO ticket_bigrams (rowid, text)
      SELECT t.rid, ${TICKET_PAIRS} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = ${ticketId} AND t.rid <= ${TICKETS_UPTO};`;
}

/** Rebuilds the rows of `index` the walk has passed of every ticket of customer `customerId`. */
function refreshCustomer(customerId: string, index: 'ticket_fts' | 'ticket_bigrams', text: string): string {
  return `
    DELETE FROM ${index} WHERE rowid IN (SELECT rid FROM tickets WHERE customer_id = ${customerId} AND rid <= ${TICKETS_UPTO});
    INSERT INTO ${index} (rowid, text)
      SELECT t.rid, ${text} FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = ${customerId} AND t.rid <= ${TICKETS_UPTO};`;
}

const TRIGGERS = [
  'tickets_fts_insert',
  'tickets_fts_update',
  'tickets_fts_delete',
  'customers_fts_insert',
  'customers_fts_update',
  'messages_fts_insert',
  'messages_fts_delete',
  'messages_fts_update',
  'tickets_bigrams_insert',
  'tickets_bigrams_update',
  'tickets_bigrams_delete',
  'customers_bigrams_insert',
  'customers_bigrams_update',
  'messages_bigrams_insert',
  'messages_bigrams_delete',
  'messages_bigrams_update',
];

export const migration023SearchWalk: CacheMigration = {
  version: 23,
  name: 'search-walk',
  up(db) {
    // Search off means the indexes are not to be trusted (an interrupted bootstrap): the walk starts from nothing.
    db.exec(`
      ALTER TABLE sync_state ADD COLUMN search_tickets_upto INTEGER NOT NULL DEFAULT ${SEARCH_WALK_DONE};
      ALTER TABLE sync_state ADD COLUMN search_messages_upto INTEGER NOT NULL DEFAULT ${SEARCH_WALK_DONE};
      UPDATE sync_state SET search_tickets_upto = 0, search_messages_upto = 0 WHERE id = 1 AND search_live = 0;
      ${TRIGGERS.map((name) => `DROP TRIGGER ${name};`).join('\n')}

      CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets WHEN new.rid <= ${TICKETS_UPTO} BEGIN
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid = new.rid;
      END;
      CREATE TRIGGER tickets_fts_update AFTER UPDATE OF id, subject, customer_id ON tickets WHEN new.rid <= ${TICKETS_UPTO} BEGIN
        DELETE FROM ticket_fts WHERE rowid = old.rid;
        INSERT INTO ticket_fts (rowid, text)
          SELECT t.rid, ${TICKET_TEXT} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid = new.rid;
      END;
      CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets WHEN old.rid <= ${TICKETS_UPTO} BEGIN
        DELETE FROM ticket_fts WHERE rowid = old.rid;
      END;
      CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers WHEN ${TICKETS_UPTO} > 0 BEGIN
        ${refreshCustomer('new.id', 'ticket_fts', TICKET_TEXT)}
      END;
      CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, phone, email ON customers WHEN ${TICKETS_UPTO} > 0 BEGIN
        ${refreshCustomer('new.id', 'ticket_fts', TICKET_TEXT)}
      END;

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.rid <= ${MESSAGES_UPTO} BEGIN
        INSERT INTO message_fts (rowid, text) VALUES (new.rid, new.text);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.rid <= ${MESSAGES_UPTO} BEGIN
        INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', old.rid, old.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages WHEN old.rid <= ${MESSAGES_UPTO} BEGIN
        INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', old.rid, old.text);
        INSERT INTO message_fts (rowid, text) VALUES (new.rid, new.text);
      END;

      CREATE TRIGGER tickets_bigrams_insert AFTER INSERT ON tickets WHEN new.rid <= ${TICKETS_UPTO} BEGIN
        ${refreshTicketPairs('new.id')}
      END;
      CREATE TRIGGER tickets_bigrams_update AFTER UPDATE OF id, subject, customer_id ON tickets
        WHEN new.rid <= ${TICKETS_UPTO} AND (old.id IS NOT new.id OR old.subject IS NOT new.subject OR old.customer_id IS NOT new.customer_id) BEGIN
        DELETE FROM ticket_bigrams WHERE rowid = old.rid;
        ${refreshTicketPairs('new.id')}
      END;
      CREATE TRIGGER tickets_bigrams_delete AFTER DELETE ON tickets WHEN old.rid <= ${TICKETS_UPTO} BEGIN
        DELETE FROM ticket_bigrams WHERE rowid = old.rid;
      END;
      CREATE TRIGGER customers_bigrams_insert AFTER INSERT ON customers WHEN ${TICKETS_UPTO} > 0 BEGIN
        ${refreshCustomer('new.id', 'ticket_bigrams', TICKET_PAIRS)}
      END;
      CREATE TRIGGER customers_bigrams_update AFTER UPDATE OF name, phone, email ON customers
        WHEN ${TICKETS_UPTO} > 0 AND (old.name IS NOT new.name OR old.phone IS NOT new.phone OR old.email IS NOT new.email) BEGIN
        ${refreshCustomer('new.id', 'ticket_bigrams', TICKET_PAIRS)}
      END;
      CREATE TRIGGER messages_bigrams_insert AFTER INSERT ON messages WHEN ${TICKETS_UPTO} > 0 BEGIN
        ${refreshTicketPairs('new.ticket_id')}
      END;
      CREATE TRIGGER messages_bigrams_delete AFTER DELETE ON messages WHEN ${TICKETS_UPTO} > 0 BEGIN
        ${refreshTicketPairs('old.ticket_id')}
      END;
      CREATE TRIGGER messages_bigrams_update AFTER UPDATE OF text, ticket_id ON messages
        WHEN ${TICKETS_UPTO} > 0 AND (old.text IS NOT new.text OR old.ticket_id IS NOT new.ticket_id) BEGIN
        ${refreshTicketPairs('old.ticket_id')}
        ${refreshTicketPairs('new.ticket_id')}
      END;
    `);
  },
};
