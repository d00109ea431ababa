/**
 * The routing part of the data-access layer: agents' presence and capacity, customers' VIP
 * tier, the routing facts of tickets and the audit trail. Opened by `openServerStore` (it
 * shares the store's connection, transactions and change log), so a routing decision, its
 * ticket change and its audit row commit together. Plain SQL through `SqlExecutor`
 * (no driver type), as in store.ts.
 */
import { describeAssignmentReason, isOpenStatus, type AssignmentReason, type Channel, type Ticket, type TicketRouting } from '../shared/domain.js';
import {
  DEFAULT_CAPACITY,
  ROUTING_DECISIONS,
  awayReasonSchema,
  type AwayReason,
  type Capacity,
  type Presence,
  type PresenceCause,
  type RoutingAuditEntry,
  type RoutingDecisionKind,
} from '../shared/routing.js';
import type { ChangeBody } from '../shared/sync.js';
import { IN_LIST_MAX, inList, type SqlExecutor } from './db/sql.js';
import type { RoutingDecision } from './routing.js';

/** Stored per-agent routing settings. */
export interface StoredAgentSettings {
  presence: Presence;
  presenceCause: PresenceCause;
  presenceSince: number;
  awayReason: AwayReason | null;
  capacity: Capacity;
  phoneBlocksChat: boolean;
}

/** A routing change to one ticket, as the engine decided it. */
export interface TicketRoutingWrite {
  ticketId: string;
  assignee: { id: string; name: string } | null;
  /** null keeps the stored reason. */
  reason: AssignmentReason | null;
  routing: TicketRouting;
  audit: { decision: RoutingDecisionKind; reason: AssignmentReason | null; actorName: string | null; agentId: string | null; agentName: string | null };
  now: number;
}

/** A ticket routing should have waiting: open, nobody assigned, last changed before `?`. */
const WAITING_SQL = "assignee_id IS NULL AND status IN ('unassigned', 'in_progress', 'awaiting_customer') AND updated_at < ?";
/** Ticket ids per `waitingTicketIdsAmong` statement. */
const WAITING_AMONG_CHUNK = IN_LIST_MAX;

/** Decisions routing makes on a ticket it believes waiting, unless a lead made them (`actorName`). */
const ENGINE_PLACEMENTS: ReadonlySet<RoutingDecisionKind> = new Set(['assigned', 'offered', 'queued']);

/** Routing reads and writes (each write joins the caller's transaction, if any). */
export interface RoutingStore {
  loadAgentSettings(): Promise<Map<string, StoredAgentSettings>>;
  saveAgentSettings(userId: string, settings: StoredAgentSettings, now: number): Promise<void>;
  /**
   * What started a wrap-up after `since` and has not been ended by the agent since, per agent:
   * their newest completed chat/social/email ticket still theirs and their newest answered call
   * that ended, when later than the last write of their settings (saying Ready writes them).
   * Wrap-up itself is not stored; a new routing leader resumes it from these facts.
   */
  wrapUpStartsSince(since: number): Promise<Array<{ agentId: string; channel: Channel; startedAt: number }>>;
  /** Open tickets with their customer's VIP tier, for loading the engine. */
  openTicketsForRouting(): Promise<Array<{ ticket: Ticket; vipTier: number }>>;
  /**
   * Those of `ticketIds` that are open with nobody assigned and were last changed before
   * `changedBefore`: what routing should have waiting among the tickets it heard change.
   */
  waitingTicketIdsAmong(ticketIds: readonly string[], changedBefore: number): Promise<string[]>;
  /**
   * The next `limit` tickets by id after `afterId` ('' = from the first), and which of them are
   * waiting as above: one page of the sweep's walk over every ticket, so each sweep reads a
   * bounded slice, not every waiting ticket. `last` is the page's last id, null past the end.
   */
  waitingTicketIdsPage(afterId: string, limit: number, changedBefore: number): Promise<{ waiting: string[]; last: string | null }>;
  vipTierOf(customerId: string): Promise<number>;
  /** The agent who was last given one of this customer's other tickets (open or closed), for returning-customer routing. */
  lastAgentOf(customerId: string, exceptTicketId: string): Promise<{ agentId: string; ticketId: string; at: number } | null>;
  /** Sets a customer's VIP tier (0 = none) and logs the customer change. */
  setCustomerVipTier(customerId: string, vipTier: number, now: number): Promise<void>;
  /** Writes one routing decision: the ticket, its change-log entry and its audit row. Null when the ticket is gone or closed. */
  applyTicketRouting(write: TicketRoutingWrite): Promise<Ticket | null>;
  listAudit(ticketId: string): Promise<RoutingAuditEntry[]>;
}

/** What the routing store borrows from the main store. */
export interface RoutingStoreInternals {
  /** The executor of the moment: the caller's transaction, if any, else the database. */
  sql: () => SqlExecutor;
  /** Runs `fn` in the caller's transaction (a savepoint) or a new one. */
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Reads the ticket, locking its row until the transaction ends (PostgreSQL). */
  getTicketForUpdate(id: string): Promise<Ticket | null>;
  getTicket(id: string): Promise<Ticket | null>;
  updateTicket(ticket: Ticket): Promise<void>;
  appendTicketChange(before: Ticket | null, after: Ticket, body: ChangeBody, now: number): Promise<number>;
  recordRouting(ticket: Ticket, now: number, audit?: RoutingDecision['audit']): Promise<void>;
  /** Tells the viewers of the customer's tickets about the customer as it now is. */
  appendCustomerChange?(customerId: string, now: number): Promise<void>;
}

interface AgentSettingsRow {
  user_id: string;
  presence: string;
  presence_cause: string;
  presence_since: number;
  away_reason: string | null;
  capacity_json: string;
  phone_blocks_chat: number;
}

interface AuditRow {
  id: number;
  ticket_id: string;
  at: number;
  decision: string;
  assignee_id: string | null;
  assignee_name: string | null;
  actor_name: string | null;
  reason: string;
  reason_json: string | null;
}

/** What started each agent's wrap-up since `?` (twice): their newest completion and newest answered call that ended, unless their settings were written since. */
export const WRAP_UP_STARTS_SQL = `SELECT s.agent_id, s.channel, s.started_at FROM (
    SELECT assignee_id AS agent_id, channel, max(completed_at) AS started_at FROM tickets
    WHERE status = 'completed' AND completed_at > ? AND assignee_id IS NOT NULL AND channel <> 'phone'
    GROUP BY assignee_id, channel
    UNION ALL
    SELECT agent_id, 'phone' AS channel, max(ended_at) AS started_at FROM cti_calls
    WHERE state = 'ended' AND answered_at IS NOT NULL AND ended_at > ? AND agent_id IS NOT NULL
    GROUP BY agent_id
  ) s LEFT JOIN agent_settings a ON a.user_id = s.agent_id
  WHERE a.updated_at IS NULL OR s.started_at > a.updated_at`;

export function createRoutingStore(internals: RoutingStoreInternals): RoutingStore {
  const { sql, transaction } = internals;

  return {
    async loadAgentSettings() {
      const rows = await sql().all<AgentSettingsRow>(
        'SELECT user_id, presence, presence_cause, presence_since, away_reason, capacity_json, phone_blocks_chat FROM agent_settings',
      );
      return new Map(
        rows.map((row) => [
          row.user_id,
          {
            presence: row.presence as Presence,
            presenceCause: row.presence_cause as PresenceCause,
            presenceSince: row.presence_since,
            // A reason this server does not know (written by a newer one) is shown as none.
            awayReason: awayReasonSchema.safeParse(row.away_reason).data ?? null,
            capacity: { ...DEFAULT_CAPACITY, ...(JSON.parse(row.capacity_json) as Partial<Capacity>) },
            phoneBlocksChat: row.phone_blocks_chat === 1,
          },
        ]),
      );
    },

    async saveAgentSettings(userId, settings, now) {
      await transaction(async () => {
        await sql().run(
          `INSERT INTO agent_settings (user_id, presence, presence_cause, presence_since, away_reason, capacity_json, phone_blocks_chat, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence, presence_cause = excluded.presence_cause,
             presence_since = excluded.presence_since, away_reason = excluded.away_reason, capacity_json = excluded.capacity_json,
             phone_blocks_chat = excluded.phone_blocks_chat, updated_at = excluded.updated_at`,
          [
            userId,
            settings.presence,
            settings.presenceCause,
            settings.presenceSince,
            settings.awayReason,
            JSON.stringify(settings.capacity),
            settings.phoneBlocksChat ? 1 : 0,
            now,
          ],
        );
      });
    },

    async wrapUpStartsSince(since) {
      // At start (election or restart), not per decision; migration 026's indexes make it the last minutes' rows, not the tables.
      const rows = await sql().all<{ agent_id: string; channel: Channel; started_at: number | string }>(WRAP_UP_STARTS_SQL, [since, since]);
      return rows.map((row) => ({ agentId: row.agent_id, channel: row.channel, startedAt: Number(row.started_at) }));
    },

    async openTicketsForRouting() {
      const rows = await sql().all<{ id: string; vip_tier: number }>(
        `SELECT t.id AS id, c.vip_tier AS vip_tier FROM tickets t JOIN customers c ON c.id = t.customer_id
         WHERE t.status IN ('unassigned', 'in_progress', 'awaiting_customer') ORDER BY t.id`,
      );
      const out: Array<{ ticket: Ticket; vipTier: number }> = [];
      for (const row of rows) {
        const ticket = await internals.getTicket(row.id);
        if (ticket) out.push({ ticket, vipTier: row.vip_tier });
      }
      return out;
    },

    async waitingTicketIdsAmong(ticketIds, changedBefore) {
      const waiting: string[] = [];
      // By primary key, in chunks that stay under every driver's parameter limit. The waiting test is
      // in the select list, not the WHERE: there SQLite took tickets_assignee and read every waiting
      // ticket for each chunk (~1 s a sweep at 100,000 waiting).
      for (let from = 0; from < ticketIds.length; from += WAITING_AMONG_CHUNK) {
        const list = inList(ticketIds.slice(from, from + WAITING_AMONG_CHUNK));
        const rows = await sql().all<{ id: string; waiting: number | boolean }>(
          `SELECT id, (${WAITING_SQL}) AS waiting FROM tickets WHERE id IN ${list.sql} ORDER BY id`,
          [changedBefore, ...list.params],
        );
        for (const row of rows) if (row.waiting === true || row.waiting === 1) waiting.push(row.id);
      }
      return waiting;
    },

    async waitingTicketIdsPage(afterId, limit, changedBefore) {
      // A range of the primary key: the cost of a page is its size, whatever the table holds.
      const rows = await sql().all<{ id: string; waiting: number | boolean }>(
        `SELECT id, (${WAITING_SQL}) AS waiting FROM tickets WHERE id > ? ORDER BY id LIMIT ?`,
        [changedBefore, afterId, limit],
      );
      return {
        waiting: rows.filter((row) => row.waiting === true || row.waiting === 1).map((row) => row.id),
        last: rows.length < limit ? null : rows[rows.length - 1]!.id,
      };
    },

    async vipTierOf(customerId) {
      const row = await sql().get<{ vip_tier: number }>('SELECT vip_tier FROM customers WHERE id = ?', [customerId]);
      return row?.vip_tier ?? 0;
    },

    async lastAgentOf(customerId, exceptTicketId) {
      const row = await sql().get<{ id: string; assignee_id: string; assigned_at: number }>(
        `SELECT id, assignee_id, assigned_at FROM tickets
         WHERE customer_id = ? AND id <> ? AND assignee_id IS NOT NULL AND assigned_at IS NOT NULL
         ORDER BY assigned_at DESC, id DESC LIMIT 1`,
        [customerId, exceptTicketId],
      );
      return row ? { agentId: row.assignee_id, ticketId: row.id, at: row.assigned_at } : null;
    },

    async setCustomerVipTier(customerId, vipTier, now) {
      await transaction(async () => {
        await sql().run('UPDATE customers SET vip_tier = ? WHERE id = ?', [vipTier, customerId]);
        await internals.appendCustomerChange?.(customerId, now);
      });
    },

    applyTicketRouting(write) {
      return transaction(async () => {
        const before = await internals.getTicketForUpdate(write.ticketId);
        if (!before || !isOpenStatus(before.status)) return null;
        // Routing's own placement (a drain, an accepted offer, a queued cause; no lead named) is decided
        // on the belief that the ticket waits. Taken or given meanwhile (committed, not yet heard by
        // routing), it is left as it is: routing hears that commit next and follows it.
        if (before.assigneeId !== null && write.audit.actorName === null && ENGINE_PLACEMENTS.has(write.audit.decision)) return null;
        let after: Ticket = { ...before, routing: write.routing, updatedAt: write.now };
        const assigneeId = write.assignee?.id ?? null;
        if (assigneeId !== before.assigneeId) {
          after = write.assignee
            ? {
                ...after,
                assigneeId: write.assignee.id,
                assigneeName: write.assignee.name,
                assignedAt: write.now,
                status: before.status === 'unassigned' ? 'in_progress' : before.status,
              }
            : { ...after, assigneeId: null, assigneeName: null, assignedAt: null, status: 'unassigned' };
        }
        if (write.reason) after = { ...after, assignmentReason: write.reason };
        await internals.updateTicket(after);
        await internals.recordRouting(after, write.now, write.audit);
        await internals.appendTicketChange(before, after, { kind: 'ticket', ticket: after }, write.now);
        return after;
      });
    },

    async listAudit(ticketId) {
      const rows = await sql().all<AuditRow>(
        'SELECT id, ticket_id, at, decision, assignee_id, assignee_name, actor_name, reason, reason_json FROM routing_audit WHERE ticket_id = ? ORDER BY id',
        [ticketId],
      );
      return rows.map((row) => {
        const reason = row.reason_json === null ? null : (JSON.parse(row.reason_json) as AssignmentReason);
        const decision = (ROUTING_DECISIONS as readonly string[]).includes(row.decision) ? (row.decision as RoutingDecisionKind) : 'assigned';
        return {
          id: row.id,
          ticketId: row.ticket_id,
          at: row.at,
          decision,
          assigneeId: row.assignee_id,
          assigneeName: row.assignee_name,
          actorName: row.actor_name,
          reason,
          text: row.reason !== '' ? row.reason : reason ? describeAssignmentReason(reason, row.assignee_name) : row.decision,
        };
      });
    },
  };
}
