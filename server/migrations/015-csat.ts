/**
 * Satisfaction surveys (满意度回访, shared/csat.ts). One survey per ticket: the UNIQUE
 * `ticket_id` makes creating it idempotent under retries and across nodes (the completion's
 * transaction inserts it ON CONFLICT DO NOTHING). `status` is the invitation's delivery
 * (queued → sent | failed, or not_sent with `not_sent_reason` when the channel carries no
 * written message); `invite_message_id` is the outbound message the delivery dispatcher
 * claims and sends. Link tokens are kept only as SHA-256 hashes in `csat_tokens` (one per
 * send: a retry mints a new one and the older link still works). The answer's columns stay
 * NULL until the one answer, whose `feedback_id` (FK + day + sequence) is unique.
 */
import type { Migration } from './migration.js';

export const migration015Csat: Migration = {
  version: 15,
  name: 'csat',
  up(db) {
    db.exec(`
      CREATE TABLE csat_surveys (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
        channel TEXT NOT NULL,
        via TEXT,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'not_sent')),
        not_sent_reason TEXT,
        invite_message_id TEXT REFERENCES messages(id),
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        expires_at INTEGER NOT NULL,
        feedback_id TEXT UNIQUE,
        attitude INTEGER CHECK (attitude BETWEEN 1 AND 5),
        speed INTEGER CHECK (speed BETWEEN 1 AND 5),
        resolution INTEGER CHECK (resolution BETWEEN 1 AND 5),
        professionalism INTEGER CHECK (professionalism BETWEEN 1 AND 5),
        comment TEXT,
        answered_at INTEGER
      );
      CREATE INDEX csat_surveys_invite ON csat_surveys(invite_message_id);
      CREATE TABLE csat_tokens (
        token_hash TEXT PRIMARY KEY,
        survey_id INTEGER NOT NULL REFERENCES csat_surveys(id),
        created_at INTEGER NOT NULL
      );
    `);
  },
};
