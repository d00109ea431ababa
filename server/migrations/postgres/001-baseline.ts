/**
 * The PostgreSQL schema equal to the SQLite schema at its migration 010 (server/migrations/),
 * as one step: a PostgreSQL deployment starts empty (a SQLite database is copied in by the
 * migration command, docs/technical/storage.md), so the SQLite steps' data rewrites have
 * nothing to rewrite here. Types: epoch-ms times, seqs and counts are BIGINT (they pass
 * 2^31), bytes are BYTEA, audit ids are identities; names, nullability, keys, checks and
 * indexes are SQLite's, so one SQL text per query serves both backends.
 */
import type { PostgresMigration } from './migration.js';

export const postgresMigration001Baseline: PostgresMigration = {
  version: 1,
  name: 'baseline (SQLite schema at 010)',
  sql: `
    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL UNIQUE,
      display_name TEXT NOT NULL,
      role TEXT NOT NULL,
      channels TEXT NOT NULL,
      groups_json TEXT NOT NULL,
      tier BIGINT NOT NULL,
      senior BIGINT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      last_assigned_at BIGINT,
      languages_json TEXT NOT NULL DEFAULT '["zh"]',
      extension TEXT
    );
    CREATE UNIQUE INDEX users_extension ON users(extension) WHERE extension IS NOT NULL;

    CREATE TABLE tokens (
      token_hash TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('user', 'integration')),
      user_id TEXT REFERENCES users(id),
      name TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT,
      client_id TEXT
    );

    CREATE TABLE customers (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      phone TEXT,
      email TEXT,
      social_id TEXT,
      vip_tier BIGINT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      merged_into TEXT REFERENCES customers(id)
    );
    CREATE INDEX customers_phone ON customers(phone);
    CREATE INDEX customers_email ON customers(email);
    CREATE INDEX customers_social_id ON customers(social_id);

    CREATE TABLE tickets (
      id TEXT PRIMARY KEY,
      customer_id TEXT NOT NULL REFERENCES customers(id),
      channel TEXT NOT NULL,
      type TEXT NOT NULL,
      subject TEXT NOT NULL,
      priority TEXT NOT NULL,
      status TEXT NOT NULL,
      assignee_id TEXT REFERENCES users(id),
      assignee_name TEXT,
      assignment_reason TEXT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      assigned_at BIGINT,
      first_response_at BIGINT,
      due_at BIGINT NOT NULL,
      completed_at BIGINT,
      last_message_preview TEXT NOT NULL,
      last_message_at BIGINT NOT NULL,
      follow_up_at BIGINT CHECK (follow_up_at IS NULL OR follow_up_at >= 0),
      routing TEXT
    );
    CREATE INDEX tickets_created ON tickets(created_at, id);
    CREATE INDEX tickets_customer ON tickets(customer_id, channel, status);
    CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
    CREATE INDEX tickets_queue ON tickets(channel, assignee_id);

    CREATE TABLE messages (
      id TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id),
      direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      channel TEXT NOT NULL,
      author_id TEXT,
      author_name TEXT NOT NULL,
      text TEXT NOT NULL,
      external_message_id TEXT,
      delivery_status TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      source TEXT,
      attachments_json TEXT NOT NULL DEFAULT '[]',
      call_json TEXT,
      delivery_error TEXT
    );
    CREATE INDEX messages_ticket ON messages(ticket_id, created_at, id);
    -- Like SQLite's, this unique index lets any number of rows without an external id through (NULLs are distinct).
    CREATE UNIQUE INDEX messages_external ON messages(channel, external_message_id);
    CREATE INDEX messages_queued ON messages(delivery_status) WHERE delivery_status = 'queued';

    CREATE TABLE notes (
      id TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id),
      author_id TEXT NOT NULL,
      author_name TEXT NOT NULL,
      text TEXT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX notes_ticket ON notes(ticket_id, created_at, id);

    CREATE TABLE changes (
      seq BIGINT PRIMARY KEY,
      kind TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE TABLE change_audience (
      seq BIGINT NOT NULL REFERENCES changes(seq),
      principal TEXT NOT NULL,
      PRIMARY KEY (principal, seq)
    );
    CREATE TABLE change_log_state (
      id BIGINT PRIMARY KEY CHECK (id = 1),
      last_seq BIGINT NOT NULL,
      first_retained_seq BIGINT NOT NULL
    );
    INSERT INTO change_log_state (id, last_seq, first_retained_seq) VALUES (1, 0, 1);

    CREATE TABLE id_counters (
      scope TEXT NOT NULL,
      day TEXT NOT NULL,
      last_value BIGINT NOT NULL,
      PRIMARY KEY (scope, day)
    );

    CREATE TABLE agent_settings (
      user_id TEXT PRIMARY KEY REFERENCES users(id),
      presence TEXT NOT NULL CHECK (presence IN ('available', 'busy', 'away', 'offline')),
      presence_cause TEXT NOT NULL,
      presence_since BIGINT NOT NULL,
      capacity_json TEXT NOT NULL,
      phone_blocks_chat BIGINT NOT NULL CHECK (phone_blocks_chat IN (0, 1)),
      updated_at BIGINT NOT NULL
    );

    CREATE TABLE routing_audit (
      id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id),
      at BIGINT NOT NULL,
      decision TEXT NOT NULL,
      assignee_id TEXT,
      assignee_name TEXT,
      actor_name TEXT,
      reason TEXT NOT NULL,
      reason_json TEXT
    );
    CREATE INDEX routing_audit_ticket ON routing_audit(ticket_id, id);

    CREATE TABLE attachments (
      id TEXT PRIMARY KEY,
      message_id TEXT NOT NULL REFERENCES messages(id),
      file_name TEXT NOT NULL,
      content_type TEXT NOT NULL,
      size BIGINT NOT NULL CHECK (size >= 0),
      data BYTEA NOT NULL
    );
    CREATE INDEX attachments_message ON attachments(message_id);
    CREATE TABLE message_sources (
      message_id TEXT PRIMARY KEY REFERENCES messages(id),
      raw BYTEA NOT NULL
    );

    CREATE TABLE customer_identities (
      kind TEXT NOT NULL CHECK (kind IN ('phone', 'email', 'social')),
      value TEXT NOT NULL,
      customer_id TEXT NOT NULL REFERENCES customers(id),
      created_at BIGINT NOT NULL,
      PRIMARY KEY (kind, value)
    );
    CREATE INDEX customer_identities_customer ON customer_identities(customer_id);
    CREATE TABLE customer_merges (
      id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      kept_id TEXT NOT NULL REFERENCES customers(id),
      merged_id TEXT NOT NULL REFERENCES customers(id),
      by_user_id TEXT NOT NULL,
      by_name TEXT NOT NULL,
      tickets_moved BIGINT NOT NULL,
      at BIGINT NOT NULL
    );
    CREATE TABLE customer_claims (
      customer_id TEXT NOT NULL REFERENCES customers(id),
      kind TEXT NOT NULL CHECK (kind IN ('phone', 'email', 'social')),
      value TEXT NOT NULL,
      -- The message source that carried the claim: 'webchat:<site>', 'webhook:<platform>', 'api', …
      source TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (customer_id, kind, value)
    );
    CREATE INDEX customer_claims_value ON customer_claims(kind, value);

    CREATE TABLE cti_calls (
      call_id TEXT PRIMARY KEY,
      state TEXT NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed')),
      from_number TEXT NOT NULL,
      to_number TEXT NOT NULL,
      agent_extension TEXT,
      agent_id TEXT REFERENCES users(id),
      ticket_id TEXT REFERENCES tickets(id),
      message_id TEXT REFERENCES messages(id),
      started_at BIGINT NOT NULL,
      answered_at BIGINT,
      ended_at BIGINT,
      duration_sec BIGINT CHECK (duration_sec IS NULL OR duration_sec >= 0),
      updated_at BIGINT NOT NULL
    );
    CREATE INDEX cti_calls_agent_live ON cti_calls(agent_id, updated_at) WHERE state IN ('ringing', 'answered');
    CREATE TABLE cti_call_events (
      call_id TEXT NOT NULL,
      event TEXT NOT NULL CHECK (event IN ('offered', 'ringing', 'answered', 'ended', 'missed')),
      at BIGINT NOT NULL,
      received_at BIGINT NOT NULL,
      source TEXT NOT NULL,
      PRIMARY KEY (call_id, event)
    );

    CREATE TABLE applied_mutations (
      user_id TEXT NOT NULL,
      client_id TEXT NOT NULL,
      mutation_id TEXT NOT NULL,
      result TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (user_id, client_id, mutation_id)
    );

    CREATE TABLE pii_reveals (
      id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      at BIGINT NOT NULL,
      user_id TEXT NOT NULL REFERENCES users(id),
      user_name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
      ticket_id TEXT REFERENCES tickets(id),
      customer_id TEXT REFERENCES customers(id),
      field TEXT NOT NULL,
      target_id TEXT
    );
    CREATE INDEX pii_reveals_ticket ON pii_reveals(ticket_id, id);
    CREATE INDEX pii_reveals_customer ON pii_reveals(customer_id, id);
  `,
};
