import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function addCustomer(id: string, name: string, email: string | null, identities: Array<[kind: string, value: string]>): void {
  db.prepare('INSERT INTO customers (id, name, email, created_at) VALUES (?, ?, ?, 1)').run(id, name, email);
  for (const [kind, value] of identities)
    db.prepare('INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, 2)').run(kind, value, id);
}

let messages = 0;
function addInbound(customerId: string, ticketId: string, channel: string, source: string): void {
  db.prepare(
    `INSERT OR IGNORE INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
     VALUES (?, ?, ?, 'consult', '咨询', 'normal', 'in_progress', 1, 1, 1, '', 1)`,
  ).run(ticketId, customerId, channel);
  db.prepare(
    `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at, source)
     VALUES (?, ?, 'inbound', ?, '客户', '你好', 'received', ?, ?)`,
  ).run(`m${String(++messages)}`, ticketId, channel, messages, source);
}

describe('migration 008 customer claims', () => {
  it('moves the web chat addresses nothing proved to the claims, and keeps every proven identity', () => {
    migrateToBefore(db, 8);
    // A visitor who typed an address into the offline form: only a claim.
    addCustomer('CUS20241108001', '李娜', 'li.na@example.cn', [
      ['email', 'li.na@example.cn'],
      ['social', 'webchat:demo:visitor-0001'],
    ]);
    addInbound('CUS20241108001', 'GD20241108001', 'email', 'webchat:demo');
    // The same kind of customer who also wrote a mail: the address was proven by it.
    addCustomer('CUS20241108002', '张伟', 'zhang.wei@example.cn', [
      ['email', 'zhang.wei@example.cn'],
      ['social', 'webchat:shop:user:u1001'],
    ]);
    addInbound('CUS20241108002', 'GD20241108002', 'chat', 'webchat:shop');
    addInbound('CUS20241108002', 'GD20241108003', 'email', 'email');
    // Not a web chat customer at all: untouched.
    addCustomer('CUS20241108003', '黄丽', 'huangli@example.com', [['email', 'huangli@example.com']]);
    addInbound('CUS20241108003', 'GD20241108004', 'email', 'api');

    applyMigration(db, 8);

    expect(db.prepare('SELECT customer_id, kind, value, source FROM customer_claims').all()).toEqual([
      { customer_id: 'CUS20241108001', kind: 'email', value: 'li.na@example.cn', source: 'webchat:demo' },
    ]);
    expect(db.prepare('SELECT kind, value, customer_id FROM customer_identities ORDER BY customer_id, kind').all()).toEqual([
      { kind: 'social', value: 'webchat:demo:visitor-0001', customer_id: 'CUS20241108001' },
      { kind: 'email', value: 'zhang.wei@example.cn', customer_id: 'CUS20241108002' },
      { kind: 'social', value: 'webchat:shop:user:u1001', customer_id: 'CUS20241108002' },
      { kind: 'email', value: 'huangli@example.com', customer_id: 'CUS20241108003' },
    ]);
    // The address stays the one to answer by email; the agents see it unverified.
    expect(db.prepare("SELECT email FROM customers WHERE id = 'CUS20241108001'").get()).toEqual({ email: 'li.na@example.cn' });
  });

  it('creates an empty claims table on a fresh database, with its lookup index', () => {
    migrate(db);
    expect(db.prepare('SELECT COUNT(*) AS n FROM customer_claims').get()).toEqual({ n: 0 });
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customer_claims'").all() as Array<{ name: string }>;
    expect(indexes.map((index) => index.name)).toContain('customer_claims_value');
  });
});
