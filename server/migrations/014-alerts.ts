/**
 * Alarms (shared/alarms.ts): every alarm the server raises, kept with who acknowledged it
 * and when, and for an escalation request the lead's decision. The UNIQUE key
 * (kind, subject, crossing) is what makes an alarm fire once: two evaluators (two nodes, or
 * a timer and a commit on one node) that both see the same crossing insert one row, and only
 * the one whose INSERT took pushes it. `channel_alarms` holds each channel's backlog
 * threshold and whether its pending count is over it now (the crossing to re-arm from).
 * `tickets_open_due` lets the SLA pass seek open tickets by due time instead of scanning.
 */
import type { Migration } from './migration.js';

export const migration014Alerts: Migration = {
  version: 14,
  name: 'alerts',
  up(db) {
    db.exec(`
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        crossing TEXT NOT NULL,
        ticket_id TEXT REFERENCES tickets(id),
        channel TEXT,
        agent_id TEXT REFERENCES users(id),
        raised_at INTEGER NOT NULL,
        facts_json TEXT NOT NULL,
        acked_by TEXT REFERENCES users(id),
        acked_by_name TEXT,
        acked_at INTEGER,
        decision TEXT CHECK (decision IN ('approved', 'refused')),
        decision_reason TEXT,
        decided_by TEXT REFERENCES users(id),
        decided_by_name TEXT,
        decided_at INTEGER
      );
      CREATE UNIQUE INDEX alerts_once ON alerts(kind, subject, crossing);
      CREATE INDEX alerts_agent ON alerts(agent_id, id);
      CREATE TABLE channel_alarms (
        channel TEXT PRIMARY KEY,
        backlog_threshold INTEGER NOT NULL,
        backlog_over INTEGER NOT NULL DEFAULT 0,
        backlog_crossings INTEGER NOT NULL DEFAULT 0,
        updated_by TEXT,
        updated_at INTEGER
      );
      CREATE INDEX tickets_open_due ON tickets(due_at) WHERE status IN ('unassigned', 'in_progress', 'awaiting_customer');
    `);
  },
};
