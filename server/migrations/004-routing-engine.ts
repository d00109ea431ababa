/**
 * The routing engine's state: per-agent presence and capacity (they survive restarts),
 * agents' languages, each ticket's routing facts (group, tier, escalation, pin, offer) as
 * one JSON value, and a richer audit trail (any decision kind, the reason as JSON facts,
 * who made an override). The old audit rows are copied over; their reason stays text.
 */
import type { Migration } from './migration.js';

export const migration004RoutingEngine: Migration = {
  version: 4,
  name: 'routing-engine',
  up(db) {
    db.exec(`
      ALTER TABLE users ADD COLUMN languages_json TEXT NOT NULL DEFAULT '["zh"]';
      ALTER TABLE tickets ADD COLUMN routing TEXT;

      CREATE TABLE agent_settings (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        presence TEXT NOT NULL CHECK (presence IN ('available', 'busy', 'away', 'offline')),
        presence_cause TEXT NOT NULL,
        presence_since INTEGER NOT NULL,
        capacity_json TEXT NOT NULL,
        phone_blocks_chat INTEGER NOT NULL CHECK (phone_blocks_chat IN (0, 1)),
        updated_at INTEGER NOT NULL
      );

      ALTER TABLE routing_audit RENAME TO routing_audit_v1;
      DROP INDEX routing_audit_ticket;
      CREATE TABLE routing_audit (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        at INTEGER NOT NULL,
        decision TEXT NOT NULL,
        assignee_id TEXT,
        assignee_name TEXT,
        actor_name TEXT,
        reason TEXT NOT NULL,
        reason_json TEXT
      );
      INSERT INTO routing_audit (id, ticket_id, at, decision, assignee_id, reason)
        SELECT id, ticket_id, at, decision, assignee_id, reason FROM routing_audit_v1;
      DROP TABLE routing_audit_v1;
      CREATE INDEX routing_audit_ticket ON routing_audit(ticket_id, id);
    `);
  },
};
