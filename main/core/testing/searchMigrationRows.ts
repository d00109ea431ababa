/**
 * The rows the search migrations' tests (cache 018 bigram search, 023 search walk) index, written
 * in SQL against the schema of the step under test rather than through the Cache, whose writer
 * follows the newest schema: one customer 张伟, ticket GD20240501001 (订单物流查询延迟) and
 * message m1 (快递三天没动了), then whatever a test adds.
 */
import type Database from 'better-sqlite3-multiple-ciphers';

const SEARCH_TICKET_ID = 'GD20240501001';

/** A phone ticket of customer CUS20240501001 (seeded by seedSearchRows) with `subject`. */
export function insertSearchTicket(db: Database.Database, id: string, subject: string): void {
  db.prepare(
    `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, generation)
     VALUES (?, 'CUS20240501001', 'phone', 'consult', ?, 'normal', 'in_progress', 1, 1, 2, '', 1, 0)`,
  ).run(id, subject);
}

/** An inbound message on `ticketId`, which need not exist yet (a message may arrive before its ticket). */
export function insertSearchMessage(db: Database.Database, id: string, ticketId: string, text: string): void {
  db.prepare(
    `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending)
     VALUES (?, ?, 'inbound', 'phone', NULL, '张伟', ?, NULL, 'received', 1, 0)`,
  ).run(id, ticketId, text);
}

/** The customer, ticket and message every search migration test starts with. */
export function seedSearchRows(db: Database.Database): void {
  db.prepare("INSERT INTO customers (id, name, phone, email, vip_tier, created_at) VALUES ('CUS20240501001', '张伟', '138****8000', NULL, 0, 1)").run();
  insertSearchTicket(db, SEARCH_TICKET_ID, '订单物流查询延迟');
  insertSearchMessage(db, 'm1', SEARCH_TICKET_ID, '快递三天没动了');
}

/** The ids of the tickets whose 2-character index (ticket_bigrams) holds `pair`, in order. */
export function ticketsWithBigram(db: Database.Database, pair: string): unknown[] {
  return db
    .prepare('SELECT t.id FROM tickets t WHERE t.rid IN (SELECT rowid FROM ticket_bigrams WHERE ticket_bigrams MATCH ?) ORDER BY t.id')
    .pluck()
    .all(`"${pair}"`);
}
