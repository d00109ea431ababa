/**
 * Routing bookkeeping: every routing decision is kept (who, why, or why it stayed queued),
 * and each user's last assignment time feeds the "idle longest" tie-break.
 */
import type { Migration } from './migration.js';

export const migration002RoutingAudit: Migration = {
  version: 2,
  name: 'routing-audit',
  up(db) {
    db.exec(`
      ALTER TABLE users ADD COLUMN last_assigned_at INTEGER;

      CREATE TABLE routing_audit (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        at INTEGER NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('assigned', 'queued')),
        assignee_id TEXT,
        reason TEXT NOT NULL
      );
      CREATE INDEX routing_audit_ticket ON routing_audit(ticket_id, id);

      UPDATE users SET last_assigned_at = (
        SELECT MAX(t.assigned_at) FROM tickets t WHERE t.assignee_id = users.id
      );
    `);
  },
};
