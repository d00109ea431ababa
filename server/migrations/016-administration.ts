/**
 * Administration (shared/admin.ts): a user can be deactivated (`deactivated_at`; they keep
 * their history and names, they can no longer sign in), every administrative change is an
 * `admin_audit` row (who, what, when, before, after), and the service policies are one JSON
 * document per key in `policies` (read by every node at each use, so a change needs no restart).
 */
import type { Migration } from './migration.js';

export const migration016Administration: Migration = {
  version: 16,
  name: 'administration',
  up(db) {
    db.exec(`
      ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

      CREATE TABLE admin_audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor_id TEXT NOT NULL REFERENCES users(id),
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target_id TEXT REFERENCES users(id),
        target_name TEXT,
        before_json TEXT,
        after_json TEXT
      );
      CREATE INDEX admin_audit_target ON admin_audit(target_id, id);

      CREATE TABLE policies (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by_name TEXT NOT NULL
      );
    `);
  },
};
