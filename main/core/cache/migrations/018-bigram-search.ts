/**
 * The 2-character search index (issue 12, "Speed"; searchBigrams.ts says what it holds).
 * One contentless FTS5 table, `ticket_bigrams`, with one row per ticket (rowid = tickets.rid)
 * holding the pairs of its id, subject, customer name/phone/email AND every message's text, so
 * a 2-character query is one term lookup that yields ticket rids with no join through
 * messages (the trigram index's message half costs a messages row read per hit, which at tens
 * of thousands of hits is the whole budget). Contentless (with `contentless_delete`) because
 * nothing reads the pairs back; `detail = none` because a query is one word.
 *
 * The price: a message's arrival re-reads its ticket's messages to rebuild the ticket's row
 * (a row cannot be appended to). Triggers do it while `search_live` is 1, like 008's, only for
 * changes that alter the text; a bootstrap turns them off and rebuilds in bulk
 * (`REBUILD_BIGRAMS_SQL`). Existing rows are indexed here.
 */
import { SEARCH_BIGRAMS_FUNCTION } from '../searchBigrams.js';
import type { CacheMigration } from './migration.js';

/** The text of ticket `t` (customer `c`) and of all its messages; spaces keep pairs from spanning two fields. */
const TICKET_PAIRS = `${SEARCH_BIGRAMS_FUNCTION}(
  t.id || ' ' || t.subject || ' ' || coalesce(c.name, '') || ' ' || coalesce(c.phone, '') || ' ' || coalesce(c.email, '')
  || ' ' || coalesce((SELECT group_concat(m.text, ' ') FROM messages m WHERE m.ticket_id = t.id), ''))`;
const LIVE = '(SELECT search_live FROM sync_state WHERE id = 1) = 1';

/** Rebuilds the row of the ticket whose id is `ticketId` (an SQL expression), if it exists. */
function refreshTicket(ticketId: string): string {
  return `
    DELETE FROM ticket_bigrams WHERE rowid = (SELECT rid FROM tickets WHERE id = ${ticketId});
    INSERT INTO ticket_bigrams (rowid, text)
      SELECT t.rid, ${TICKET_PAIRS} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = ${ticketId};`;
}

/** Rebuilds the rows of every ticket of the customer whose id is `customerId`. */
function refreshCustomer(customerId: string): string {
  return `
    DELETE FROM ticket_bigrams WHERE rowid IN (SELECT rid FROM tickets WHERE customer_id = ${customerId});
    INSERT INTO ticket_bigrams (rowid, text)
      SELECT t.rid, ${TICKET_PAIRS} FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = ${customerId};`;
}

/** Rebuilds the 2-character index from the tables (here; the search walk of migration 023 is checked against it). */
export const REBUILD_BIGRAMS_SQL = `
  INSERT INTO ticket_bigrams (ticket_bigrams) VALUES ('delete-all');
  INSERT INTO ticket_bigrams (rowid, text)
    SELECT t.rid, ${TICKET_PAIRS} FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id;
`;

export const migration018BigramSearch: CacheMigration = {
  version: 18,
  name: 'bigram-search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE ticket_bigrams USING fts5 (text, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii');

      CREATE TRIGGER tickets_bigrams_insert AFTER INSERT ON tickets WHEN ${LIVE} BEGIN
        ${refreshTicket('new.id')}
      END;
      CREATE TRIGGER tickets_bigrams_update AFTER UPDATE OF id, subject, customer_id ON tickets
        WHEN ${LIVE} AND (old.id IS NOT new.id OR old.subject IS NOT new.subject OR old.customer_id IS NOT new.customer_id) BEGIN
        DELETE FROM ticket_bigrams WHERE rowid = old.rid;
        ${refreshTicket('new.id')}
      END;
      CREATE TRIGGER tickets_bigrams_delete AFTER DELETE ON tickets WHEN ${LIVE} BEGIN
        DELETE FROM ticket_bigrams WHERE rowid = old.rid;
      END;
      CREATE TRIGGER customers_bigrams_insert AFTER INSERT ON customers WHEN ${LIVE} BEGIN
        ${refreshCustomer('new.id')}
      END;
      CREATE TRIGGER customers_bigrams_update AFTER UPDATE OF name, phone, email ON customers
        WHEN ${LIVE} AND (old.name IS NOT new.name OR old.phone IS NOT new.phone OR old.email IS NOT new.email) BEGIN
        ${refreshCustomer('new.id')}
      END;
      CREATE TRIGGER messages_bigrams_insert AFTER INSERT ON messages WHEN ${LIVE} BEGIN
        ${refreshTicket('new.ticket_id')}
      END;
      CREATE TRIGGER messages_bigrams_delete AFTER DELETE ON messages WHEN ${LIVE} BEGIN
        ${refreshTicket('old.ticket_id')}
      END;
      CREATE TRIGGER messages_bigrams_update AFTER UPDATE OF text, ticket_id ON messages
        WHEN ${LIVE} AND (old.text IS NOT new.text OR old.ticket_id IS NOT new.ticket_id) BEGIN
        ${refreshTicket('old.ticket_id')}
        ${refreshTicket('new.ticket_id')}
      END;
    `);
    db.exec(REBUILD_BIGRAMS_SQL);
  },
};
