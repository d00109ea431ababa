/**
 * The alarms' rows (migration 014): raising an alarm once, the candidates of each pass of the
 * evaluator, acknowledgement, escalation requests and their decision, and the channels'
 * backlog thresholds. Opened by the server store on its connection (like the PII audit), so
 * every write joins the caller's transaction. Plain SQL on both backends, as in store.ts.
 *
 * Once-only rests on the database: `INSERT … ON CONFLICT (kind, subject, crossing) DO NOTHING
 * RETURNING *` gives a row to exactly one of any number of evaluators inserting the same
 * crossing, and only that one pushes it. Decisions and acknowledgements are conditional
 * UPDATEs (`WHERE decision IS NULL`), so of two leads (or two nodes) one decides.
 */
import { inList, type SqlExecutor } from '../db/sql.js';
import { ALERT_OPEN_WHERE, ESCALATION_WAITING_WHERE, REQUEUED_WAITING_WHERE } from '../migrations/031-alarm-paging.js';
import { CHANNELS, type Channel, type Priority, type User } from '../../shared/domain.js';
import { DEFAULT_BACKLOG_THRESHOLD } from '../../shared/board.js';
import { RESOLUTION_SLA_MS } from '../../shared/sla.js';
import {
  AGENT_ALARM_KINDS,
  ALARM_LIST_LIMIT,
  COMPLAINT_START_MS,
  UNASSIGNED_ALARM_MS,
  alarmFactsSchema,
  type Alarm,
  type AlarmCounts,
  type AlarmFacts,
  type AlarmKind,
  type BacklogThresholds,
} from '../../shared/alarms.js';

/** An alarm about to be raised; `crossing` tells this crossing from the next one of the same subject. */
export interface AlarmCandidate {
  kind: AlarmKind;
  subject: string;
  crossing: string;
  ticketId: string | null;
  channel: Channel | null;
  agentId: string | null;
  facts: AlarmFacts;
}

/** An open ticket some ticket alarm is due for. */
export interface TicketAlarmCandidate {
  id: string;
  channel: Channel;
  priority: Priority;
  assigneeId: string | null;
  createdAt: number;
  dueAt: number;
  /** When it last went back to the queue after being assigned (null: never, or assigned again since). */
  requeuedAt: number | null;
}

/**
 * Where a walk through one kind's candidates, in key order (due time or creation time, then id),
 * has got to: every ticket at or before this position was looked at. Keys only move forward
 * into a walk's range as time passes, so what lies behind the position needs looking at again
 * only when the ticket itself changed (the `ids` scope).
 */
export interface AlarmWalkPosition {
  key: number;
  id: string;
}

/** Which tickets a candidate query looks at: the walk's next stretch (after a position; null: from the start), or these tickets only. */
export type CandidateScope = { after: AlarmWalkPosition | null } | { ids: readonly string[] };

/** Candidates found, and (for a walk) how far it got: past the last candidate when the batch is full, else to the end of the range. */
export interface CandidateBatch {
  tickets: TicketAlarmCandidate[];
  walkedTo: AlarmWalkPosition | null;
}

/** Which alarms a list page holds (shared/alarms.ts `alarmsListRequestSchema`). */
export interface AlarmPage {
  open?: boolean;
  kind?: AlarmKind;
  before?: number;
  limit?: number;
}

export interface AlertStore {
  /** Inserts the alarm unless its (kind, subject, crossing) exists: the new row, or null when another evaluator raised it. */
  raise(candidate: AlarmCandidate, at: number): Promise<Alarm | null>;
  /**
   * One channel's pending tickets (open, held by nobody: the board's `pending`) against its
   * threshold, in the caller's transaction with the channel's row locked: a backlog alarm when
   * it goes over (once per crossing), re-armed when it is back at or under. Counts no further
   * than one past the threshold (a pass each second must not count a backlog of 100,000), and
   * exactly only for the alarm's facts. Returns the raised alarm, if any.
   */
  evaluateBacklog(channel: Channel, at: number): Promise<Alarm | null>;
  /** Open tickets past 80% of their resolution window (not yet due) without a warning for this due time; at most `limit`, soonest due first. */
  /** `longestWindowMs`: the longest resolution window in force (the saved policies'), beside the built-in table's. */
  slaWarningsDue(now: number, limit: number, longestWindowMs?: number): Promise<TicketAlarmCandidate[]>;
  /** Open tickets past their due time without a breach notice for it; soonest due first. */
  slaBreachesDue(now: number, limit: number, scope: CandidateScope): Promise<CandidateBatch>;
  /** Open complaints nobody answered within COMPLAINT_START_MS, not alarmed yet; oldest first. */
  complaintsUnstarted(now: number, limit: number, scope: CandidateScope): Promise<CandidateBatch>;
  /** Open tickets never assigned, older than UNASSIGNED_ALARM_MS, not alarmed yet; oldest first. */
  unassignedTooLong(now: number, limit: number, scope: CandidateScope): Promise<CandidateBatch>;
  /**
   * Open tickets sent back to the queue that have waited UNASSIGNED_ALARM_MS since (`requeued_at`),
   * not alarmed for this wait yet (crossing `requeued:<requeued_at>`); longest waiting first.
   */
  requeuedTooLong(now: number, limit: number, scope: CandidateScope): Promise<CandidateBatch>;
  /**
   * Open tickets nobody answered within their channel's first-response target (`targetsMs`, per
   * channel), not alarmed yet; oldest first. A walk goes one channel at a time (`channel`): with
   * one target each, a channel's tickets cross in creation order.
   */
  firstResponsesOverdue(
    now: number,
    targetsMs: Record<Channel, number>,
    limit: number,
    scope: { ids: readonly string[] } | { after: AlarmWalkPosition | null; channel: Channel },
  ): Promise<CandidateBatch>;
  get(id: number): Promise<Alarm | null>;
  /**
   * One page of what a user may see, newest first: every alarm for leads and admins; an agent's
   * own SLA alarms and escalation requests. Keyset on the id (`before`); `next` is the next
   * page's `before`, null at the oldest.
   */
  list(viewer: User, page?: AlarmPage): Promise<{ alarms: Alarm[]; next: number | null }>;
  /** The open alarms the user may see, counted over the whole table. */
  counts(viewer: Pick<User, 'id' | 'role'>): Promise<AlarmCounts>;
  /** Records who acknowledged it and when; an alarm already acknowledged keeps its first acknowledgement. Null when there is none. */
  acknowledge(id: number, by: User, at: number): Promise<Alarm | null>;
  /**
   * Files an escalation request for the ticket in the caller's transaction: null when one is
   * already waiting (or another request raced this one to the same crossing).
   */
  fileEscalationRequest(requester: User, ticket: { id: string; channel: Channel }, reason: string, at: number): Promise<Alarm | null>;
  /** Decides a waiting escalation request (and acknowledges it); false when it was decided already or is not one. */
  decide(id: number, by: User, outcome: 'approved' | 'refused', reason: string | null, at: number): Promise<boolean>;
  /** Every channel's backlog threshold. */
  thresholds(): Promise<BacklogThresholds>;
  setThreshold(channel: Channel, threshold: number, by: User, at: number): Promise<void>;
}

interface AlarmRow {
  id: number | string;
  kind: AlarmKind;
  subject: string;
  ticket_id: string | null;
  channel: Channel | null;
  agent_id: string | null;
  raised_at: number | string;
  facts_json: string;
  acked_by: string | null;
  acked_by_name: string | null;
  acked_at: number | string | null;
  decision: 'approved' | 'refused' | null;
  decision_reason: string | null;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: number | string | null;
}

interface CandidateRow {
  id: string;
  channel: Channel;
  priority: Priority;
  assignee_id: string | null;
  created_at: number | string;
  due_at: number | string;
  requeued_at: number | string | null;
}

const OPEN = "('unassigned', 'in_progress', 'awaiting_customer')";
/**
 * A channel's pending tickets (open, held by nobody), as the board counts them: three seeks of
 * `tickets_assignee (assignee_id, status, channel)` (SQLite 036), one per open status, reading no row.
 */
export const PENDING_OF_CHANNEL = `t.channel = ? AND t.assignee_id IS NULL AND t.status IN ${OPEN}`;
const CANDIDATE_COLUMNS = 't.id, t.channel, t.priority, t.assignee_id, t.created_at, t.due_at, t.requeued_at';
/** The alarms an agent may see: their own, of the kinds that concern them. */
const AGENT_ALARMS = `agent_id = ? AND kind IN (${AGENT_ALARM_KINDS.map((kind) => `'${kind}'`).join(', ')})`;
/** A ticket's first-response target (ms) by its channel, one bound parameter per channel in CHANNELS order (CAST: PostgreSQL must know the type). */
const TARGET_OF_CHANNEL = `CASE t.channel ${CHANNELS.slice(0, -1)
  .map((channel) => `WHEN '${channel}' THEN CAST(? AS BIGINT)`)
  .join(' ')} ELSE CAST(? AS BIGINT) END`;
/**
 * Open tickets without a first response past their channel's target, not alarmed yet. Parameters:
 * now minus the shortest target (the range of the partial index `tickets_open_unanswered`, migration
 * 024), now, then each channel's target. The CASE is each channel's own bound.
 */
export const FIRST_RESPONSES_OVERDUE_WHERE = `t.created_at <= ? AND t.status IN ${OPEN} AND t.first_response_at IS NULL AND t.created_at <= CAST(? AS BIGINT) - ${TARGET_OF_CHANNEL} AND ${notRaised('first_response_breach', "'1'")}`;
/** Open complaints nobody answered, created before the parameter, not alarmed yet (the same partial index). */
export const COMPLAINTS_UNSTARTED_WHERE = `t.status IN ${OPEN} AND t.type = 'complaint' AND t.first_response_at IS NULL AND t.created_at <= ? AND ${notRaised('complaint_unstarted', "'1'")}`;
/** The longest resolution window: a warning (at 80%) can only be due for tickets due within a fifth of it. */
const LONGEST_WINDOW_MS = Math.max(...Object.values(RESOLUTION_SLA_MS));

function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function alarmFromRow(row: AlarmRow): Alarm {
  const parsed = alarmFactsSchema.safeParse(JSON.parse(row.facts_json));
  return {
    id: Number(row.id),
    kind: row.kind,
    subject: row.subject,
    ticketId: row.ticket_id,
    channel: row.channel,
    agentId: row.agent_id,
    raisedAt: Number(row.raised_at),
    facts: parsed.success ? parsed.data : {},
    ackedById: row.acked_by,
    ackedByName: row.acked_by_name,
    ackedAt: nullableNumber(row.acked_at),
    decision:
      row.decision && row.decided_by && row.decided_at !== null
        ? {
            outcome: row.decision,
            reason: row.decision_reason,
            byId: row.decided_by,
            byName: row.decided_by_name ?? '',
            at: Number(row.decided_at),
          }
        : null,
  };
}

function candidateFromRow(row: CandidateRow): TicketAlarmCandidate {
  return {
    id: row.id,
    channel: row.channel,
    priority: row.priority,
    assigneeId: row.assignee_id,
    createdAt: Number(row.created_at),
    dueAt: Number(row.due_at),
    requeuedAt: nullableNumber(row.requeued_at),
  };
}

/** The unassigned alarm's crossing for a ticket back in the queue: one per wait (its requeue time); a never-assigned ticket's is '1'. */
const REQUEUED_CROSSING = "'requeued:' || CAST(t.requeued_at AS TEXT)";

/** Not alarmed yet for this kind (and crossing): the unique index `alerts_once` answers it. */
function notRaised(kind: AlarmKind, crossing: string): string {
  return `NOT EXISTS (SELECT 1 FROM alerts a WHERE a.kind = '${kind}' AND a.subject = t.id AND a.crossing = ${crossing})`;
}

export function createAlertStore(internals: { sql: () => SqlExecutor; forUpdate: string }): AlertStore {
  const { sql, forUpdate } = internals;

  async function get(id: number): Promise<Alarm | null> {
    const row = await sql().get<AlarmRow>('SELECT * FROM alerts WHERE id = ?', [id]);
    return row ? alarmFromRow(row) : null;
  }

  async function raise(candidate: AlarmCandidate, at: number): Promise<Alarm | null> {
    const row = await sql().get<AlarmRow>(
      `INSERT INTO alerts (kind, subject, crossing, ticket_id, channel, agent_id, raised_at, facts_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, subject, crossing) DO NOTHING RETURNING *`,
      [candidate.kind, candidate.subject, candidate.crossing, candidate.ticketId, candidate.channel, candidate.agentId, at, JSON.stringify(candidate.facts)],
    );
    return row ? alarmFromRow(row) : null;
  }

  /**
   * The candidates of one kind in `scope`, in (key, id) order. `where` ends with the range's
   * upper bound on the key (`upper`, a parameter): a walk that comes back short of `limit` looked
   * at everything up to it, so it goes on after `upper` next time. `indexedBy`: the index a
   * walk must use on SQLite, whose planner would otherwise read every row another index offers and sort them.
   */
  async function candidates(
    query: { where: string; params: Array<number | string>; key: 'due_at' | 'created_at' | 'requeued_at'; upper: number; indexedBy?: string },
    limit: number,
    scope: CandidateScope,
  ): Promise<CandidateBatch> {
    const { key } = query;
    const order = `ORDER BY t.${key}, t.id LIMIT ?`;
    if ('ids' in scope) {
      const list = inList(scope.ids);
      const rows = await sql().all<CandidateRow>(`SELECT ${CANDIDATE_COLUMNS} FROM tickets t WHERE ${query.where} AND t.id IN ${list.sql} ${order}`, [
        ...query.params,
        ...list.params,
        limit,
      ]);
      return { tickets: rows.map(candidateFromRow), walkedTo: null };
    }
    const { after } = scope;
    const hint = query.indexedBy && sql().dialect === 'sqlite' ? ` INDEXED BY ${query.indexedBy}` : '';
    const rows = await sql().all<CandidateRow>(
      `SELECT ${CANDIDATE_COLUMNS} FROM tickets t${hint} WHERE ${query.where}${after ? ` AND t.${key} >= ? AND (t.${key} > ? OR t.id > ?)` : ''} ${order}`,
      [...query.params, ...(after ? [after.key, after.key, after.id] : []), limit],
    );
    const tickets = rows.map(candidateFromRow);
    const last = tickets.at(-1);
    const keyOf = (ticket: TicketAlarmCandidate) => (key === 'due_at' ? ticket.dueAt : key === 'requeued_at' ? (ticket.requeuedAt ?? 0) : ticket.createdAt);
    const walkedTo = last && tickets.length === limit ? { key: keyOf(last), id: last.id } : { key: query.upper + 1, id: '' };
    return { tickets, walkedTo };
  }

  return {
    raise,
    async evaluateBacklog(channel, at) {
      await sql().run('INSERT INTO channel_alarms (channel, backlog_threshold) VALUES (?, ?) ON CONFLICT (channel) DO NOTHING', [
        channel,
        DEFAULT_BACKLOG_THRESHOLD,
      ]);
      const state = (await sql().get<{ backlog_threshold: number | string; backlog_over: number | string; backlog_crossings: number | string }>(
        `SELECT backlog_threshold, backlog_over, backlog_crossings FROM channel_alarms WHERE channel = ?${forUpdate}`,
        [channel],
      ))!;
      const threshold = Number(state.backlog_threshold);
      const wasOver = Number(state.backlog_over) === 1;
      const upToOnePast = await sql().get<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM tickets t WHERE ${PENDING_OF_CHANNEL} LIMIT ?) capped`,
        [channel, threshold + 1],
      );
      const over = Number(upToOnePast?.n ?? 0) > threshold;
      if (over === wasOver) return null;
      if (!over) {
        await sql().run('UPDATE channel_alarms SET backlog_over = 0 WHERE channel = ?', [channel]);
        return null;
      }
      const pending = Number((await sql().get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM tickets t WHERE ${PENDING_OF_CHANNEL}`, [channel]))?.n ?? 0);
      const crossing = Number(state.backlog_crossings) + 1;
      await sql().run('UPDATE channel_alarms SET backlog_over = 1, backlog_crossings = ? WHERE channel = ?', [crossing, channel]);
      return raise(
        { kind: 'backlog', subject: channel, crossing: String(crossing), ticketId: null, channel, agentId: null, facts: { pending, threshold } },
        at,
      );
    },
    async slaWarningsDue(now, limit, longestWindowMs = 0) {
      const longest = Math.max(LONGEST_WINDOW_MS, longestWindowMs);
      // due - window/5 <= now < due, window = due - created; the first bound keeps it a seek of tickets_open_due.
      // Not walked: a warning's time is not in due order, and this range holds only what is due within a fifth of the longest window.
      const rows = await sql().all<CandidateRow>(
        `SELECT ${CANDIDATE_COLUMNS} FROM tickets t WHERE t.status IN ${OPEN} AND t.due_at > ? AND t.due_at <= ? AND t.due_at - (t.due_at - t.created_at) / 5 <= ? AND ${notRaised('sla_warning', 'CAST(t.due_at AS TEXT)')} ORDER BY t.due_at LIMIT ?`,
        [now, now + Math.ceil(longest / 5), now, limit],
      );
      return rows.map(candidateFromRow);
    },
    slaBreachesDue(now, limit, scope) {
      return candidates(
        { where: `t.status IN ${OPEN} AND ${notRaised('sla_breach', 'CAST(t.due_at AS TEXT)')} AND t.due_at <= ?`, params: [now], key: 'due_at', upper: now },
        limit,
        scope,
      );
    },
    complaintsUnstarted(now, limit, scope) {
      const upper = now - COMPLAINT_START_MS;
      return candidates({ where: COMPLAINTS_UNSTARTED_WHERE, params: [upper], key: 'created_at', upper }, limit, scope);
    },
    unassignedTooLong(now, limit, scope) {
      const upper = now - UNASSIGNED_ALARM_MS;
      return candidates(
        {
          // A ticket back in the queue waits from its requeue instead (requeuedTooLong).
          where: `t.assignee_id IS NULL AND t.status IN ${OPEN} AND t.assigned_at IS NULL AND t.requeued_at IS NULL AND ${notRaised('unassigned', "'1'")} AND t.created_at <= ?`,
          params: [upper],
          key: 'created_at',
          upper,
          indexedBy: 'tickets_created',
        },
        limit,
        scope,
      );
    },
    requeuedTooLong(now, limit, scope) {
      const upper = now - UNASSIGNED_ALARM_MS;
      return candidates(
        {
          // One crossing per wait: the next requeue has another time, hence another key in alerts_once.
          where: `${REQUEUED_WAITING_WHERE.replace(/\b(requeued_at|assignee_id|status)\b/g, 't.$1')} AND ${notRaised('unassigned', REQUEUED_CROSSING)} AND t.requeued_at <= ?`,
          params: [upper],
          key: 'requeued_at',
          upper,
          indexedBy: 'tickets_requeued_waiting',
        },
        limit,
        scope,
      );
    },
    firstResponsesOverdue(now, targetsMs, limit, scope) {
      if ('ids' in scope) {
        const targets = CHANNELS.map((one) => targetsMs[one]);
        const upper = now - Math.min(...targets);
        return candidates({ where: FIRST_RESPONSES_OVERDUE_WHERE, params: [upper, now, ...targets], key: 'created_at', upper }, limit, scope);
      }
      const { channel } = scope;
      const upper = now - targetsMs[channel];
      return candidates(
        {
          where: `t.status IN ${OPEN} AND t.first_response_at IS NULL AND t.channel = ? AND ${notRaised('first_response_breach', "'1'")} AND t.created_at <= ?`,
          params: [channel, upper],
          key: 'created_at',
          upper,
          indexedBy: 'tickets_open_unanswered',
        },
        limit,
        scope,
      );
    },
    get,
    async list(viewer, page = {}) {
      const limit = page.limit ?? ALARM_LIST_LIMIT;
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (viewer.role === 'agent') {
        where.push(AGENT_ALARMS);
        params.push(viewer.id);
      }
      // The open ones through their partial indexes (031): an undecided escalation request is open whether acknowledged or not.
      if (page.open && page.kind === 'escalation_request') where.push(ESCALATION_WAITING_WHERE);
      else if (page.open) where.push(ALERT_OPEN_WHERE);
      if (page.kind) {
        where.push('kind = ?');
        params.push(page.kind);
      }
      if (page.before !== undefined) {
        where.push('id < ?');
        params.push(page.before);
      }
      // SQLite's planner takes alerts_once (kind = ?) and sorts every request ever filed; a lead's waiting ones are their partial index.
      const hint =
        page.open && page.kind === 'escalation_request' && viewer.role !== 'agent' && sql().dialect === 'sqlite'
          ? ' INDEXED BY alerts_escalations_waiting'
          : '';
      // One more than asked: whether an older page exists, without counting.
      const rows = await sql().all<AlarmRow>(`SELECT * FROM alerts${hint}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [
        ...params,
        limit + 1,
      ]);
      const alarms = rows.slice(0, limit).map(alarmFromRow);
      return { alarms, next: rows.length > limit ? alarms.at(-1)!.id : null };
    },
    async counts(viewer) {
      const agent = viewer.role === 'agent';
      // A lead's counts read the partial indexes (031); an agent's, their own alarms (alerts_agent).
      const count = async (open: string, index: string) => {
        const hint = !agent && sql().dialect === 'sqlite' ? ` INDEXED BY ${index}` : '';
        const row = await sql().get<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM alerts${hint} WHERE ${open}${agent ? ` AND ${AGENT_ALARMS}` : ''}`,
          agent ? [viewer.id] : [],
        );
        return Number(row?.n ?? 0);
      };
      return { open: await count(ALERT_OPEN_WHERE, 'alerts_open'), escalations: await count(ESCALATION_WAITING_WHERE, 'alerts_escalations_waiting') };
    },
    async acknowledge(id, by, at) {
      await sql().run('UPDATE alerts SET acked_by = ?, acked_by_name = ?, acked_at = ? WHERE id = ? AND acked_at IS NULL', [by.id, by.displayName, at, id]);
      return get(id);
    },
    async fileEscalationRequest(requester, ticket, reason, at) {
      if (await sql().get("SELECT 1 FROM alerts WHERE kind = 'escalation_request' AND subject = ? AND decision IS NULL", [ticket.id])) return null;
      const count = await sql().get<{ n: number | string }>("SELECT COUNT(*) AS n FROM alerts WHERE kind = 'escalation_request' AND subject = ?", [ticket.id]);
      // Two requests at once (two devices, two nodes) count the same crossing: the unique key keeps one.
      return raise(
        {
          kind: 'escalation_request',
          subject: ticket.id,
          crossing: String(Number(count?.n ?? 0) + 1),
          ticketId: ticket.id,
          channel: ticket.channel,
          agentId: requester.id,
          facts: { reason, requestedByName: requester.displayName },
        },
        at,
      );
    },
    async decide(id, by, outcome, reason, at) {
      const { changes } = await sql().run(
        `UPDATE alerts SET decision = ?, decision_reason = ?, decided_by = ?, decided_by_name = ?, decided_at = ?,
           acked_by = COALESCE(acked_by, ?), acked_by_name = COALESCE(acked_by_name, ?), acked_at = COALESCE(acked_at, ?)
         WHERE id = ? AND kind = 'escalation_request' AND decision IS NULL`,
        [outcome, reason, by.id, by.displayName, at, by.id, by.displayName, at, id],
      );
      return changes === 1;
    },
    async thresholds() {
      const rows = await sql().all<{ channel: string; backlog_threshold: number | string }>('SELECT channel, backlog_threshold FROM channel_alarms');
      // Every channel, the default where no lead set one (and no pass wrote its row yet).
      const thresholds: BacklogThresholds = Object.fromEntries(CHANNELS.map((channel) => [channel, DEFAULT_BACKLOG_THRESHOLD]));
      for (const row of rows) {
        if ((CHANNELS as readonly string[]).includes(row.channel)) thresholds[row.channel as Channel] = Number(row.backlog_threshold);
      }
      return thresholds;
    },
    async setThreshold(channel, threshold, by, at) {
      // A new threshold takes effect at the next pass: a backlog already over a lower one stays one crossing.
      await sql().run(
        `INSERT INTO channel_alarms (channel, backlog_threshold, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET backlog_threshold = excluded.backlog_threshold, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
        [channel, threshold, by.id, at],
      );
    },
  };
}
