/**
 * The CTI part of the data-access layer: each call's state (`cti_calls`), the events already
 * received per call (`cti_call_events`, the dedupe key) and agents' extensions. Opened by
 * `openServerStore` on its connection, so a call's state, its ticket and its change-log
 * entries commit together (every write joins the caller's transaction). Plain SQL, as in store.ts.
 */
import type { CallState, CtiEventName } from '../../../shared/cti.js';
import type { SqlExecutor } from '../../db/sql.js';

/**
 * A call still ringing or in progress this long after its last event is taken as over (its
 * `ended` was lost): it is no longer popped on reconnect, nor does it keep chats from the agent.
 */
export const LIVE_CALL_WINDOW_MS = 4 * 60 * 60 * 1000;

/** One call as the server keeps it between its events. */
export interface CtiCallRecord {
  callId: string;
  state: CallState;
  from: string;
  to: string;
  agentExtension: string | null;
  /** The agent at that extension when the call was first heard of; null when nobody has it. */
  agentId: string | null;
  ticketId: string | null;
  /** The call's message in the ticket's timeline (it gets the duration when the call ends). */
  messageId: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  durationSec: number | null;
  updatedAt: number;
}

/** CTI reads and writes. */
export interface CtiCallStore {
  /**
   * Holds the call for the rest of the transaction, before it is read: each event reads the call,
   * decides, and writes the row back whole, so two events of one call handled at once (on two nodes,
   * behind a load balancer) must take turns, or the later commit undoes the other (a `ringing`
   * committed after an `answered` put the call back to ringing, without its ticket).
   */
  lockCall(callId: string): Promise<void>;
  /** Notes that this event of this call arrived; false when it already had (a repeat: do nothing). */
  recordEvent(callId: string, event: CtiEventName, at: number, receivedAt: number, source: string): Promise<boolean>;
  getCall(callId: string): Promise<CtiCallRecord | null>;
  /** Inserts or replaces the call's row. */
  saveCall(call: CtiCallRecord): Promise<void>;
  /** The agent's calls still ringing or in progress, heard of since `since`, newest first. */
  liveCallsOf(agentId: string, since: number): Promise<CtiCallRecord[]>;
  /** The user whose phone has this extension. */
  userIdByExtension(extension: string): Promise<string | null>;
  /**
   * Gives the user this phone extension (null: none), in a transaction that announces the user
   * change (as an admin's edit does, server/adminStore.ts `userChanged`): every node drops its
   * copy of the user on commit and their open sockets follow it.
   */
  setExtension(userId: string, extension: string | null): Promise<void>;
}

interface CallRow {
  call_id: string;
  state: CallState;
  from_number: string;
  to_number: string;
  agent_extension: string | null;
  agent_id: string | null;
  ticket_id: string | null;
  message_id: string | null;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  duration_sec: number | null;
  updated_at: number;
}

function callFromRow(row: CallRow): CtiCallRecord {
  return {
    callId: row.call_id,
    state: row.state,
    from: row.from_number,
    to: row.to_number,
    agentExtension: row.agent_extension,
    agentId: row.agent_id,
    ticketId: row.ticket_id,
    messageId: row.message_id,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    durationSec: row.duration_sec,
    updatedAt: row.updated_at,
  };
}

/** `sql()` is the executor of the moment: the caller's transaction, if any, else the database. */
export function createCtiCallStore(deps: {
  sql: () => SqlExecutor;
  /** Runs `fn` in a transaction (joining the caller's when one is open). */
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Inside the transaction that changed the user: announces the change on commit (server/store.ts, as for admin edits). */
  userChanged: (userId: string) => Promise<void>;
  /** Serialises the transactions deciding on these keys until they end (server/store.ts `lockKeys`). */
  lockKeys: (keys: readonly string[]) => Promise<void>;
}): CtiCallStore {
  const { sql } = deps;
  return {
    lockCall: (callId) => deps.lockKeys([`cti-call:${callId}`]),
    async recordEvent(callId, event, at, receivedAt, source) {
      const inserted = await sql().run(
        `INSERT INTO cti_call_events (call_id, event, at, received_at, source) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (call_id, event) DO NOTHING`,
        [callId, event, at, receivedAt, source],
      );
      return inserted.changes === 1;
    },
    async getCall(callId) {
      const row = await sql().get<CallRow>('SELECT * FROM cti_calls WHERE call_id = ?', [callId]);
      return row ? callFromRow(row) : null;
    },
    async saveCall(call) {
      await sql().run(
        `INSERT INTO cti_calls (call_id, state, from_number, to_number, agent_extension, agent_id, ticket_id, message_id,
           started_at, answered_at, ended_at, duration_sec, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (call_id) DO UPDATE SET state = excluded.state, from_number = excluded.from_number, to_number = excluded.to_number,
           agent_extension = excluded.agent_extension, agent_id = excluded.agent_id, ticket_id = excluded.ticket_id,
           message_id = excluded.message_id, started_at = excluded.started_at, answered_at = excluded.answered_at,
           ended_at = excluded.ended_at, duration_sec = excluded.duration_sec, updated_at = excluded.updated_at`,
        [
          call.callId,
          call.state,
          call.from,
          call.to,
          call.agentExtension,
          call.agentId,
          call.ticketId,
          call.messageId,
          call.startedAt,
          call.answeredAt,
          call.endedAt,
          call.durationSec,
          call.updatedAt,
        ],
      );
    },
    async liveCallsOf(agentId, since) {
      const rows = await sql().all<CallRow>(
        `SELECT * FROM cti_calls WHERE agent_id = ? AND state IN ('ringing', 'answered') AND updated_at >= ?
         ORDER BY updated_at DESC, call_id LIMIT 20`,
        [agentId, since],
      );
      return rows.map(callFromRow);
    },
    async userIdByExtension(extension) {
      const row = await sql().get<{ id: string }>('SELECT id FROM users WHERE extension = ?', [extension]);
      return row?.id ?? null;
    },
    async setExtension(userId, extension) {
      await deps.transaction(async () => {
        await sql().run('UPDATE users SET extension = ? WHERE id = ?', [extension, userId]);
        await deps.userChanged(userId);
      });
    },
  };
}
