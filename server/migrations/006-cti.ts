/**
 * Phone (CTI): agents get a phone extension (分机号) the CTI names when their phone rings,
 * and each call keeps its state in a table, so a server restart in the middle of a call
 * neither loses the call nor records it twice. Every call event received is kept by
 * (call, event), which is how a repeated event is recognised and ignored.
 */
import type { Migration } from './migration.js';

export const migration006Cti: Migration = {
  version: 6,
  name: 'cti',
  up(db) {
    db.exec(`
      ALTER TABLE users ADD COLUMN extension TEXT;
      CREATE UNIQUE INDEX users_extension ON users(extension) WHERE extension IS NOT NULL;

      CREATE TABLE cti_calls (
        call_id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed')),
        from_number TEXT NOT NULL,
        to_number TEXT NOT NULL,
        agent_extension TEXT,
        agent_id TEXT REFERENCES users(id),
        ticket_id TEXT REFERENCES tickets(id),
        message_id TEXT REFERENCES messages(id),
        started_at INTEGER NOT NULL,
        answered_at INTEGER,
        ended_at INTEGER,
        duration_sec INTEGER CHECK (duration_sec IS NULL OR duration_sec >= 0),
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX cti_calls_agent_live ON cti_calls(agent_id, updated_at) WHERE state IN ('ringing', 'answered');

      CREATE TABLE cti_call_events (
        call_id TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('offered', 'ringing', 'answered', 'ended', 'missed')),
        at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (call_id, event)
      );
    `);
  },
};
