import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { appliedVersions, migrate } from './index.js';
import { useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function addCustomer(id: string, name: string, phone: string | null, email: string | null, socialId: string | null, createdAt: number): void {
  db.prepare('INSERT INTO customers (id, name, phone, email, social_id, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    id,
    name,
    phone,
    email,
    socialId,
    createdAt,
  );
}

function identities(): unknown[] {
  return db.prepare('SELECT kind, value, customer_id FROM customer_identities ORDER BY customer_id, kind, value').all();
}

describe('migration 007 customer phones to E.164', () => {
  it('rewrites the old normalised phones in customers and identities, and records identities the old matching never did', () => {
    migrate(db, 4);
    // Stored by the old rules: mobiles as 11 digits, landlines and foreign numbers as the digits given.
    addCustomer('CUS20241108001', '张伟', '13800138000', 'zhang.wei@example.cn', null, 1);
    addCustomer('CUS20241108002', '李娜', '01065529988', null, 'wechat:gh_demo:oLiNa', 2);
    addCustomer('CUS20241108003', 'Emily Watson', '+14155550100', null, null, 3);
    addCustomer('CUS20241108004', '银行热线', '95588', null, null, 4);
    // Migration 005 copied those; this one came later, from a server that did not record identities.
    migrate(db, 5);
    db.prepare("DELETE FROM customer_identities WHERE customer_id = 'CUS20241108001'").run();
    addCustomer('CUS20241108005', '周杰', '13700137001', null, null, 5);

    expect(migrate(db, 7)).toContain(7);
    expect(appliedVersions(db).at(-1)).toBe(7);

    expect(db.prepare('SELECT id, phone FROM customers ORDER BY id').all()).toEqual([
      { id: 'CUS20241108001', phone: '+8613800138000' },
      { id: 'CUS20241108002', phone: '+861065529988' },
      { id: 'CUS20241108003', phone: '+14155550100' },
      { id: 'CUS20241108004', phone: '95588' },
      { id: 'CUS20241108005', phone: '+8613700137001' },
    ]);
    expect(identities()).toEqual([
      { kind: 'email', value: 'zhang.wei@example.cn', customer_id: 'CUS20241108001' },
      { kind: 'phone', value: '+8613800138000', customer_id: 'CUS20241108001' },
      { kind: 'phone', value: '+861065529988', customer_id: 'CUS20241108002' },
      { kind: 'social', value: 'wechat:gh_demo:oLiNa', customer_id: 'CUS20241108002' },
      { kind: 'phone', value: '+14155550100', customer_id: 'CUS20241108003' },
      { kind: 'phone', value: '95588', customer_id: 'CUS20241108004' },
      { kind: 'phone', value: '+8613700137001', customer_id: 'CUS20241108005' },
    ]);
  });

  it('loses no identity when two stored forms of one number meet', () => {
    migrate(db, 4);
    addCustomer('CUS20241108001', '张伟', '+861012345678', null, null, 1);
    addCustomer('CUS20241108002', '张伟', '01012345678', null, null, 2);
    addCustomer('CUS20241108003', '王磊', '13912340002', null, null, 3);
    migrate(db, 5);
    // The same customer known by both forms of one number.
    db.prepare("INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES ('phone', '+8613912340002', 'CUS20241108003', 4)").run();

    migrate(db, 7);

    expect(identities()).toEqual([
      { kind: 'phone', value: '+861012345678', customer_id: 'CUS20241108001' },
      // Another customer's: kept in its old form rather than dropped, for an agent to merge.
      { kind: 'phone', value: '01012345678', customer_id: 'CUS20241108002' },
      { kind: 'phone', value: '+8613912340002', customer_id: 'CUS20241108003' },
    ]);
    expect(db.prepare('SELECT phone FROM customers ORDER BY id').all()).toEqual([
      { phone: '+861012345678' },
      { phone: '+861012345678' },
      { phone: '+8613912340002' },
    ]);
  });
});
