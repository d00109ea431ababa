import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { REFUSAL_SQL } from '../cache.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 024-attention-content', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 24);
    // Attention rows as a cache at 023 holds them: a refused reply, a dismissed status change, an unreadable change.
    const insert = db.prepare(
      'INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, dismissed) VALUES (?, ?, ?, ?, ?, NULL, ?, 1, ?)',
    );
    insert.run('GD20240501001', 'm1', 'reply', 'forbidden', '工单已改派给张强', null, 0);
    insert.run('GD20240501002', 'm2', 'setStatus', 'not_found', 'gone', null, 1);
    insert.run(null, null, 'change', 'unreadable_change', 'bad', 7, 0);
  });

  it('keeps every attention row with no content, and stores the content of rows written after it', () => {
    const before = db.prepare('SELECT * FROM attention ORDER BY id').all();
    expect(() => db.prepare('SELECT content_json FROM attention').all()).toThrow(/no such column/);

    applyCacheMigration(db, 24);
    const after = db.prepare<[], Record<string, unknown>>('SELECT * FROM attention ORDER BY id').all();
    expect(after.map(({ content_json: content, ...rest }) => (expect(content).toBeNull(), rest))).toEqual(before);

    const content = JSON.stringify({ text: '您好，退款已原路退回，请留意银行到账短信。' });
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, content_json) VALUES ('GD20240501003', 'm3', 'reply', 'forbidden', 'x', NULL, NULL, 2, ?)",
    ).run(content);
    expect(db.prepare('SELECT content_json FROM attention WHERE mutation_id = ?').pluck().get('m3')).toBe(content);
    // The core's refusal lookup reads the new column, and old rows without it.
    expect(db.prepare(REFUSAL_SQL).get('m1')).toMatchObject({ mutation_id: 'm1', reason: '工单已改派给张强', content_json: null });
    expect(db.prepare(REFUSAL_SQL).get('m3')).toMatchObject({ mutation_id: 'm3', content_json: content });
  });
});
