/**
 * The channel board kept live in memory on each node (issue 11), so a snapshot no longer
 * recounts the open tickets and re-adds today's in the database every interval.
 *
 * Each node holds the few facts the board needs of every ticket that is open now, or was created,
 * completed or rated on the board's day (a few tens of thousands of small rows at the largest centre), loaded from
 * the database on the first snapshot (so after a restart, and on every node of a cluster) and
 * again when the day changes. Every committed change names its ticket (server/store.ts
 * `appendTicketChange`: ticket, message, note, survey answer and delivery alike), and the commit
 * source hands every node every commit (server/cluster/commitStream.ts); the ticket is then
 * re-read by id before the next snapshot. Re-reading the row, never applying a delta, makes a
 * change heard twice, or heard while loading, harmless.
 *
 * Every figure is kept as tickets change: counts and totals per channel, and for what changes
 * with time and not with writes (overdue of the day report's tickets and of every open ticket, at risk, first-response misses, which also depend on
 * targets leads may change) sorted lists of the times involved, counted at the snapshot's `at`
 * by binary search. A snapshot thus costs the re-read of what changed, a few binary searches per
 * channel and queue, and one pass over the agents, whatever the number of open tickets. What
 * changes without a ticket change: the targets and the backlog thresholds are read at each
 * snapshot; who is an agent is kept, and read again only when the admin audit has grown (every
 * admin write of a user commits an `admin_audit` row with it; the commit stream carries ticket
 * and customer changes only, so the audit, in the database every node reads, is what tells each
 * node; one indexed count per snapshot instead of 1,000 user rows). A full reload every hour
 * bounds how long a change no commit announced, or one the commit stream could not read
 * (pruned before this node read it), stays uncounted, and likewise a user written around the
 * admin paths (seeding, SQL by hand) (not more often: on SQLite a load is synchronous SQL,
 * 0.3–2 s of the event loop at 30,000 tickets).
 * The SQL recount (boardRepository.ts) stays the definition: the tests hold the two to the same
 * snapshot after random changes.
 */
import { DEFAULT_POLICIES, firstResponseTargetMs, type Policies } from '../../shared/admin.js';
import { CHANNELS, type Channel } from '../../shared/domain.js';
import {
  CSAT_SATISFIED_MIN_POINTS,
  DEFAULT_BACKLOG_THRESHOLD,
  EMPTY_BOARD_DAY_TOTALS,
  MAX_BOARD_AGENTS,
  isBoardChannel,
  type BoardAgent,
  type BoardDayTotals,
  type BoardSnapshot,
  type LiveChannelCounts,
} from '../../shared/board.js';
import {
  EMPTY_TOTALS,
  isFirstContactResolution,
  isOverdue,
  kpiRows,
  localDateOf,
  periodRange,
  type KpiRow,
  type KpiTotals,
  type TicketFacts,
} from '../../shared/kpi.js';
import type { QueueSummaryEntry } from '../../shared/queue.js';
import type { Change } from '../../shared/sync.js';
import type { CommitSource } from '../cluster/commitStream.js';
import { createTurns, jsonTextSql, type SqlDialect, type SqlExecutor } from '../db/sql.js';
import { CSAT_SENT_SQL } from '../reports/reportRepository.js';
import { assembleBoardSnapshot, FINISHED_IN_RANGE_WHERE, OPEN_STATUSES_SQL, type BoardRepository } from './boardRepository.js';

/** What the board needs of one ticket. */
interface BoardTicket {
  id: string;
  /** As stored: a channel no schema allows (a hand-edited row) is kept, and left out where the recount leaves it out. */
  channel: string;
  open: boolean;
  assigneeId: string | null;
  /** The routing JSON's group as the queue summary reads it (server/queueViewStore.ts). */
  group: string | null;
  createdAt: number;
  firstResponseAt: number | null;
  completedAt: number | null;
  dueAt: number;
  inboundMessages: number;
  inboundAfterFirstResponse: number;
  csatSent: boolean;
  csatPoints: number | null;
  /** When the customer answered the survey; null when not (yet). */
  csatAnsweredAt: number | null;
}

interface BoardTicketRow {
  id: string;
  channel: string;
  status: string;
  assignee_id: string | null;
  grp: string | null;
  created_at: number | string;
  first_response_at: number | string | null;
  completed_at: number | string | null;
  due_at: number | string;
  inbound_messages: number | string;
  inbound_after_first_response: number | string;
  csat_sent: number | string;
  csat_points: number | string | null;
  csat_answered_at: number | string | null;
}

const OPEN_STATUSES = new Set(['unassigned', 'in_progress', 'awaiting_customer']);
/** As server/queueViewStore.ts judges "at risk" (shared/sla.ts): the last quarter of the window or the last 30 minutes. */
const RISK_FLOOR_MS = 30 * 60 * 1000;
/** Ids re-read per statement. */
const REFRESH_BATCH = 200;
/**
 * Changed tickets remembered for the next snapshot at most; past it the figures are loaded afresh
 * instead (snapshots run only while a lead watches, so days of changes could pile up).
 */
const MAX_REMEMBERED_CHANGES = 50_000;
/** A full reload this often even when nothing says so: a change no commit announced is not kept wrong for long. */
const DEFAULT_RELOAD_EVERY_MS = 60 * 60 * 1000;
/**
 * Audit ids this far below the newest are counted again at each snapshot, not only the newest:
 * on PostgreSQL two admin writes on two nodes can commit in the other order than they took their
 * ids, and one that commits after a newer id was seen still changes the count.
 */
const AUDIT_RECOUNT_WINDOW = 64;

/** The board's columns of tickets `t` (message counts and the survey as the day report reads them), from `from`, where `where`. */
function boardTicketsSql(dialect: SqlDialect, from: string, where: string): string {
  return `
    SELECT t.id, t.channel, t.status, t.assignee_id, ${jsonTextSql(dialect, 't.routing', ['group'])} AS grp,
           t.created_at, t.first_response_at, t.completed_at, t.due_at,
           (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound') AS inbound_messages,
           (SELECT COUNT(*) FROM messages m
             WHERE m.ticket_id = t.id AND m.direction = 'inbound'
               AND t.first_response_at IS NOT NULL AND m.created_at > t.first_response_at) AS inbound_after_first_response,
           ${CSAT_SENT_SQL} AS csat_sent,
           CASE WHEN s.answered_at IS NOT NULL THEN s.attitude + s.speed + s.resolution + s.professionalism END AS csat_points,
           s.answered_at AS csat_answered_at
      FROM ${from}
      LEFT JOIN csat_surveys s ON s.ticket_id = t.id
     WHERE ${where}`;
}

function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function boardTicketOf(row: BoardTicketRow): BoardTicket {
  return {
    id: row.id,
    channel: row.channel,
    open: OPEN_STATUSES.has(row.status),
    assigneeId: row.assignee_id,
    group: row.grp,
    createdAt: Number(row.created_at),
    firstResponseAt: nullableNumber(row.first_response_at),
    completedAt: nullableNumber(row.completed_at),
    dueAt: Number(row.due_at),
    inboundMessages: Number(row.inbound_messages),
    inboundAfterFirstResponse: Number(row.inbound_after_first_response),
    csatSent: Number(row.csat_sent) === 1,
    csatPoints: nullableNumber(row.csat_points),
    csatAnsweredAt: nullableNumber(row.csat_answered_at),
  };
}

/** The ticket a committed change is about (a customer change moves no figure of the board). */
function ticketIdOf(change: Change): string | null {
  switch (change.kind) {
    case 'ticket':
    case 'message':
    case 'note':
      return change.ticket.id;
    case 'bundle':
      return change.bundle.ticket.id;
    case 'customer':
      return null;
  }
}

/**
 * A multiset of numbers kept sorted, for "how many are below x" by binary search: the figures
 * that change with time alone (overdue, at risk, unanswered too long) are such counts at `at`.
 * Added values are appended and sorted once when next read, so a load of tens of thousands
 * costs one sort; a single change after that is one binary search and one splice.
 */
interface SortedNumbers {
  add(value: number): void;
  remove(value: number): void;
  /** How many are < x. */
  countBelow(x: number): number;
  /** How many are <= x. */
  countAtMost(x: number): number;
  size(): number;
  smallest(): number | undefined;
}

function createSortedNumbers(): SortedNumbers {
  const values: number[] = [];
  let sorted = true;
  function ordered(): number[] {
    if (!sorted) {
      values.sort((a, b) => a - b);
      sorted = true;
    }
    return values;
  }
  /** The first index whose value is >= x (strict: > x). */
  function bound(x: number, strict: boolean): number {
    const list = ordered();
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (list[middle]! < x || (strict && list[middle] === x)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
  return {
    add(value) {
      if (sorted && values.length > 0 && value < values[values.length - 1]!) sorted = false;
      values.push(value);
    },
    remove(value) {
      const index = bound(value, false);
      if (values[index] !== value) throw new Error(`live board: ${String(value)} was never counted`);
      values.splice(index, 1);
    },
    countBelow: (x) => bound(x, false),
    countAtMost: (x) => bound(x, true),
    size: () => values.length,
    smallest: () => ordered()[0],
  };
}

/** One channel's figures, kept as its tickets change. */
interface ChannelFigures {
  pending: number;
  inProgress: number;
  /** The day's tickets' totals, without the overdue of those not completed (that changes with time: `dueOfUncompleted`). */
  totals: KpiTotals;
  /** Due times of the day's tickets not completed: overdue at `at` are those due before it. */
  dueOfUncompleted: SortedNumbers;
  /** First-response delays of the day's answered tickets: a miss is one longer than the target (which leads may change). */
  firstResponseDelays: SortedNumbers;
  /** Creation times of the day's open tickets nobody has answered: a miss once `at` − created exceeds the target. */
  unansweredOpenCreated: SortedNumbers;
  /** The day's work whatever the tickets' creation day (shared/board.ts), but the open ones past due (that changes with time: `dueOfOpen`). */
  day: Omit<BoardDayTotals, 'openOverdue'>;
  /** Due times of every open ticket: past due at `at` are those due before it. */
  dueOfOpen: SortedNumbers;
}

/** One queue (channel × group): the tickets open and held by nobody. */
interface QueueFigures {
  channel: string;
  group: string | null;
  created: SortedNumbers;
  /** When each turns "at risk" (server/queueViewStore.ts): due − max(a quarter of its window, 30 min). */
  atRiskFrom: SortedNumbers;
  /** Due times: breached at `at` are those due before it (shared/sla.ts). */
  due: SortedNumbers;
}

function createChannelFigures(): ChannelFigures {
  return {
    pending: 0,
    inProgress: 0,
    totals: { ...EMPTY_TOTALS },
    dueOfUncompleted: createSortedNumbers(),
    firstResponseDelays: createSortedNumbers(),
    unansweredOpenCreated: createSortedNumbers(),
    day: { ...EMPTY_BOARD_DAY_TOTALS },
    dueOfOpen: createSortedNumbers(),
  };
}

/** Adds (sign 1) or takes away (−1) one of the day's tickets' totals as shared/kpi.ts `totalsOfTicket` counts them, but the overdue of one not completed. */
function countTotals(totals: KpiTotals, ticket: BoardTicket, sign: 1 | -1): void {
  totals.volume += sign;
  if (ticket.firstResponseAt !== null) {
    totals.responded += sign;
    totals.firstResponseTotalMs += sign * (ticket.firstResponseAt - ticket.createdAt);
  }
  if (ticket.completedAt !== null) {
    totals.resolved += sign;
    totals.handlingTotalMs += sign * (ticket.completedAt - ticket.createdAt);
    // Completed: judged once and for all (shared/kpi.ts isOverdue; `asOf` plays no part).
    if (isOverdue(ticket, 0)) totals.overdue += sign;
    else totals.slaMet += sign;
  }
  // Only the fields shared/kpi.ts reads; the facts' other fields play no part.
  if (isFirstContactResolution(ticket as unknown as TicketFacts)) totals.firstContactResolved += sign;
  if (ticket.csatSent) totals.csatSent += sign;
  if (ticket.csatPoints !== null) {
    totals.csatAnswered += sign;
    totals.csatPoints += sign * ticket.csatPoints;
  }
}

export interface LiveBoardOptions {
  sql: SqlExecutor;
  /** Every commit of every node (the store on one node, the commit stream on several). */
  commits: CommitSource;
  backlogThreshold?: number;
  /** Where the first-response targets come from (the stored policies; the defaults when not given). */
  policies?: () => Promise<Policies>;
  /** Full reload at least this often (ms); default an hour. */
  reloadEveryMs?: number;
  /** The clock of the reloads (not of the figures: those are judged at the snapshot's `at`). */
  clock?: () => number;
}

export interface LiveBoardRepository extends BoardRepository {
  /** Stops listening to the commits. */
  stop(): void;
  /** How many tickets the node holds in memory, how many full loads it made, changed tickets waiting to be re-read, and reads of who is an agent (tests, bench). */
  stats(): { tickets: number; loads: number; refreshed: number; remembered: number; agentReads: number };
}

export function createLiveBoardRepository(options: LiveBoardOptions): LiveBoardRepository {
  const { sql } = options;
  const backlogThreshold = options.backlogThreshold ?? DEFAULT_BACKLOG_THRESHOLD;
  const policies = options.policies ?? (() => Promise.resolve({ ...DEFAULT_POLICIES }));
  const reloadEveryMs = options.reloadEveryMs ?? DEFAULT_RELOAD_EVERY_MS;
  const clock = options.clock ?? Date.now;
  const tickets = new Map<string, BoardTicket>();
  let channels = new Map<string, ChannelFigures>();
  let queues = new Map<string, QueueFigures>();
  /** Each agent's open tickets, and their oldest (null: to be found again, the set changed). */
  let held = new Map<string, { tickets: Set<BoardTicket>; oldest: BoardTicket | null }>();
  /** The day's tickets on a channel no schema allows (a hand-edited row), by channel: the day report refuses them. */
  let unknownToday = new Map<string, number>();
  /** Tickets changed since they were last read. */
  const changed = new Set<string>();
  /** The day loaded: a local date of `timeZone` (the organisation's when it was read) and its bounds. */
  let loaded: { day: string; timeZone: string; start: number; end: number; at: number } | null = null;
  let loading = false;
  /** More changes came than are worth re-reading one by one: the next snapshot loads afresh. */
  let overflowed = false;
  let loads = 0;
  let refreshed = 0;
  const turn = createTurns();
  /** Who is an agent as last read, and the admin audit as it stood just before (ids above `floor`: how many, the newest). */
  let agents: { ids: string[]; floor: number; count: number; newest: number | null; at: number } | null = null;
  let agentReads = 0;
  const agentTurn = createTurns();

  const stopListening = options.commits.onDidCommitChanges((batch) => {
    // Nothing loaded: the next load reads everything, so there is nothing to remember.
    if (overflowed || (loaded === null && !loading)) return;
    for (const { change } of batch) {
      const id = ticketIdOf(change);
      if (id !== null) changed.add(id);
    }
    if (changed.size > MAX_REMEMBERED_CHANGES) {
      overflowed = true;
      changed.clear();
    }
  });

  function isOfDay(ticket: BoardTicket, day: { start: number; end: number }): boolean {
    return ticket.createdAt >= day.start && ticket.createdAt < day.end;
  }

  function isInDay(time: number | null, day: { start: number; end: number }): time is number {
    return time !== null && time >= day.start && time < day.end;
  }

  /** Finished on the day (a reopen clears the completion time, so an open ticket never is). */
  function isCompletedInDay(ticket: BoardTicket, day: { start: number; end: number }): boolean {
    return !ticket.open && isInDay(ticket.completedAt, day);
  }

  function isRatedInDay(ticket: BoardTicket, day: { start: number; end: number }): boolean {
    return ticket.csatPoints !== null && isInDay(ticket.csatAnsweredAt, day);
  }

  /** Whether any figure of the board's day counts the ticket. */
  function isKept(ticket: BoardTicket, day: { start: number; end: number }): boolean {
    return ticket.open || isOfDay(ticket, day) || isCompletedInDay(ticket, day) || isRatedInDay(ticket, day);
  }

  function queueKey(ticket: BoardTicket): string {
    return ticket.group === null ? `${ticket.channel}\u0000` : `${ticket.channel}\u0000=${ticket.group}`;
  }

  /** Adds (1) or takes away (−1) a ticket's part in every figure. */
  function count(ticket: BoardTicket, day: { start: number; end: number }, sign: 1 | -1): void {
    const figures = isBoardChannel(ticket.channel) ? channels.get(ticket.channel)! : null;
    const today = isOfDay(ticket, day);
    const add = (numbers: SortedNumbers, value: number) => (sign === 1 ? numbers.add(value) : numbers.remove(value));
    if (ticket.open && figures) {
      if (ticket.assigneeId === null) figures.pending += sign;
      else figures.inProgress += sign;
      figures.day.open += sign;
      add(figures.dueOfOpen, ticket.dueAt);
    }
    if (figures && isCompletedInDay(ticket, day)) {
      figures.day.completed += sign;
      figures.day.handlingTotalMs += sign * (ticket.completedAt! - ticket.createdAt);
      if (ticket.completedAt! > ticket.dueAt) figures.day.completedLate += sign;
    }
    if (figures && isRatedInDay(ticket, day)) {
      figures.day.csatAnswered += sign;
      if (ticket.csatPoints! >= CSAT_SATISFIED_MIN_POINTS) figures.day.csatSatisfied += sign;
    }
    if (today && figures) {
      countTotals(figures.totals, ticket, sign);
      if (ticket.completedAt === null) add(figures.dueOfUncompleted, ticket.dueAt);
      if (ticket.firstResponseAt !== null) add(figures.firstResponseDelays, ticket.firstResponseAt - ticket.createdAt);
      else if (ticket.open) add(figures.unansweredOpenCreated, ticket.createdAt);
    } else if (today) {
      const left = (unknownToday.get(ticket.channel) ?? 0) + sign;
      if (left === 0) unknownToday.delete(ticket.channel);
      else unknownToday.set(ticket.channel, left);
    }
    if (ticket.open && ticket.assigneeId === null && figures) {
      const key = queueKey(ticket);
      let queue = queues.get(key);
      if (!queue)
        queues.set(
          key,
          (queue = {
            channel: ticket.channel,
            group: ticket.group,
            created: createSortedNumbers(),
            atRiskFrom: createSortedNumbers(),
            due: createSortedNumbers(),
          }),
        );
      add(queue.created, ticket.createdAt);
      // Exact in binary floating point (integers below 2^53 and quarters), so `at >= this` is the queue view's `due − at <= max(…)`.
      add(queue.atRiskFrom, ticket.dueAt - Math.max((ticket.dueAt - ticket.createdAt) / 4, RISK_FLOOR_MS));
      add(queue.due, ticket.dueAt);
      if (queue.created.size() === 0) queues.delete(key);
    }
    if (ticket.open && ticket.assigneeId !== null) {
      let agent = held.get(ticket.assigneeId);
      if (!agent) held.set(ticket.assigneeId, (agent = { tickets: new Set(), oldest: null }));
      if (sign === 1) agent.tickets.add(ticket);
      else agent.tickets.delete(ticket);
      agent.oldest = null;
      if (agent.tickets.size === 0) held.delete(ticket.assigneeId);
    }
  }

  /** The ticket as now read (null: gone) in place of what was counted of it. */
  function replace(id: string, ticket: BoardTicket | null, day: { start: number; end: number }): void {
    const before = tickets.get(id);
    if (before) {
      count(before, day, -1);
      tickets.delete(id);
    }
    if (ticket && isKept(ticket, day)) {
      count(ticket, day, 1);
      tickets.set(id, ticket);
    }
  }

  async function load(day: string, timeZone: string): Promise<void> {
    const { start, end } = periodRange('day', day, timeZone);
    // Whatever commits from here on is re-read after the load, so nothing committed while loading is lost.
    changed.clear();
    overflowed = false;
    loading = true;
    const dialect = sql.dialect;
    const [today, completed, rated, pending, heldRows] = await Promise.all([
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'tickets t', 't.created_at >= ? AND t.created_at < ?'), [start, end]),
      // Finished or rated today though created before: completed today and CSAT % count them (boardRepository.ts reads them alike).
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'tickets t', FINISHED_IN_RANGE_WHERE), [start, end]),
      sql.all<BoardTicketRow>(
        boardTicketsSql(dialect, 'csat_surveys r CROSS JOIN tickets t', 't.id = r.ticket_id AND r.answered_at >= ? AND r.answered_at < ?'),
        [start, end],
      ),
      // The open tickets by the recount's two index seeks (boardRepository.ts): nobody's, then each user's.
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'tickets t', `t.assignee_id IS NULL AND t.status IN ${OPEN_STATUSES_SQL}`)),
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'users u CROSS JOIN tickets t', `t.assignee_id = u.id AND t.status IN ${OPEN_STATUSES_SQL}`)),
    ]).finally(() => (loading = false));
    tickets.clear();
    channels = new Map(CHANNELS.map((channel) => [channel as string, createChannelFigures()]));
    queues = new Map();
    held = new Map();
    unknownToday = new Map();
    const current = { start, end };
    // A ticket can come more than once (open and of the day, …); counted once (a count taken back would sort the lists mid-load).
    const rows = new Map([...today, ...completed, ...rated, ...pending, ...heldRows].map((row) => [row.id, row]));
    for (const row of rows.values()) replace(row.id, boardTicketOf(row), current);
    loaded = { day, timeZone, start, end, at: clock() };
    loads += 1;
  }

  async function refreshChanged(day: { start: number; end: number }): Promise<void> {
    while (changed.size > 0) {
      const ids = [...changed].slice(0, REFRESH_BATCH);
      for (const id of ids) changed.delete(id);
      const rows = await sql.all<BoardTicketRow>(boardTicketsSql(sql.dialect, 'tickets t', `t.id IN (${ids.map(() => '?').join(', ')})`), ids);
      const found = new Map(rows.map((row) => [row.id, boardTicketOf(row)]));
      for (const id of ids) replace(id, found.get(id) ?? null, day);
      refreshed += ids.length;
    }
  }

  /**
   * Runs `read` over the figures once they are as the database has them now (for the day of
   * `at` in `timeZone`, the organisation's; the zone last loaded when not given, so the counts
   * that need no day do not read the policies): one caller at a time, and `read` runs whole
   * (synchronously) inside its turn. A zone change loads the new zone's day afresh.
   */
  async function counted<T>(at: number, read: (day: { start: number; end: number }) => T, timeZone?: string): Promise<T> {
    const release = await turn();
    try {
      const zone = timeZone ?? loaded?.timeZone ?? (await policies()).timeZone;
      const day = localDateOf(at, zone);
      try {
        if (!loaded || overflowed || loaded.day !== day || loaded.timeZone !== zone || clock() - loaded.at >= reloadEveryMs) await load(day, zone);
        await refreshChanged(loaded!);
        // A flood of changes during the re-read (not expected): load once more rather than show figures that missed some.
        if (overflowed) {
          await load(day, zone);
          await refreshChanged(loaded!);
        }
      } catch (error) {
        // A load or re-read that failed halfway (the database, or a count found inconsistent) leaves the figures unknown: the next one loads afresh.
        loaded = null;
        throw error;
      }
      return read(loaded!);
    } finally {
      release();
    }
  }

  /** The admin audit's rows above `floor`: how many, and the newest id (one range of its primary key). */
  async function auditMark(floor: number): Promise<{ count: number; newest: number | null }> {
    const row = await sql.get<{ n: number | string; newest: number | string | null }>('SELECT COUNT(*) AS n, MAX(id) AS newest FROM admin_audit WHERE id > ?', [
      floor,
    ]);
    return { count: Number(row?.n ?? 0), newest: nullableNumber(row?.newest ?? null) };
  }

  /**
   * Who is an agent, by id in the database's order. Roles change without a ticket change (the
   * admin page), and always with an admin audit row in the same transaction: the list is read
   * again when the audit grew (on any node), when an hour has passed, or never read yet.
   */
  async function agentIds(): Promise<string[]> {
    const release = await agentTurn();
    try {
      if (agents && clock() - agents.at < reloadEveryMs) {
        const mark = await auditMark(agents.floor);
        if (mark.count === agents.count && mark.newest === agents.newest) return agents.ids;
      }
      // The audit before the users: a change committed between the two reads is read again next time, never missed.
      const newest = nullableNumber((await sql.get<{ newest: number | string | null }>('SELECT MAX(id) AS newest FROM admin_audit'))?.newest ?? null);
      const floor = Math.max(0, (newest ?? 0) - AUDIT_RECOUNT_WINDOW);
      const mark = await auditMark(floor);
      const ids = (await sql.all<{ id: string }>("SELECT id FROM users WHERE role = 'agent' ORDER BY id")).map((row) => row.id);
      agents = { ids, floor, ...mark, at: clock() };
      agentReads += 1;
      return ids;
    } finally {
      release();
    }
  }

  /** The first-response targets and the organisation's time zone, from one read of the policies. */
  async function targets(): Promise<{ targetOf: Map<string, number>; timeZone: string }> {
    const current = await policies();
    return { targetOf: new Map(CHANNELS.map((channel) => [channel as string, firstResponseTargetMs(current, channel)])), timeZone: current.timeZone };
  }

  function liveCountsNow(): Map<Channel, LiveChannelCounts> {
    return new Map(
      CHANNELS.map((channel) => {
        const figures = channels.get(channel)!;
        return [channel, { pending: figures.pending, inProgress: figures.inProgress }];
      }),
    );
  }

  /** Each agent's oldest open ticket (created first, then the smaller id), agents in the order given, those holding none left out. */
  function oldestOpenNow(agents: readonly string[]): BoardAgent[] {
    const result: BoardAgent[] = [];
    for (const id of agents) {
      const agent = held.get(id);
      if (!agent) continue;
      if (!agent.oldest) {
        for (const ticket of agent.tickets) {
          const best = agent.oldest;
          if (!best || ticket.createdAt < best.createdAt || (ticket.createdAt === best.createdAt && ticket.id < best.id)) agent.oldest = ticket;
        }
      }
      const oldest = agent.oldest!;
      result.push({ userId: id, oldestOpen: { ticketId: oldest.id, createdAt: oldest.createdAt }, viewingTicketId: null });
      if (result.length === MAX_BOARD_AGENTS) break;
    }
    return result;
  }

  /** First-response misses among the day's tickets: answered later than the target, or open and unanswered past it at `at`. */
  function firstResponseOverdueNow(at: number, targetOf: Map<string, number>): Map<Channel, number> {
    return new Map(
      CHANNELS.map((channel) => {
        const figures = channels.get(channel)!;
        const target = targetOf.get(channel)!;
        const late = figures.firstResponseDelays.size() - figures.firstResponseDelays.countAtMost(target);
        return [channel, late + figures.unansweredOpenCreated.countBelow(at - target)];
      }),
    );
  }

  /** Each channel's work of the day at `at`: the kept counts plus the open tickets already past due. */
  function dayTotalsNow(at: number): Map<Channel, BoardDayTotals> {
    return new Map(
      CHANNELS.map((channel) => {
        const figures = channels.get(channel)!;
        return [channel, { ...figures.day, openOverdue: figures.dueOfOpen.countBelow(at) }];
      }),
    );
  }

  /** The day report's rows by channel at `at`: the kept totals plus the tickets not completed and already past due. */
  function todayNow(at: number): KpiRow[] {
    const [unknown] = unknownToday.keys();
    // As the day report: a ticket of the day on a channel no schema allows stops it rather than being guessed into a row.
    if (unknown !== undefined) throw new Error(`A ticket of the period has an unknown channel (${unknown}); the report is not made.`);
    return kpiRows(
      CHANNELS.map((channel) => {
        const figures = channels.get(channel)!;
        const overdue = figures.dueOfUncompleted.countBelow(at);
        return { key: channel, name: null, totals: { ...figures.totals, overdue: figures.totals.overdue + overdue } };
      }),
      'channel',
      CHANNELS,
    );
  }

  /** The queues as server/queueViewStore.ts `readQueueSummary` counts them at `at`. */
  function queuesNow(at: number): QueueSummaryEntry[] {
    return [...queues.values()].map((queue) => ({
      channel: queue.channel as Channel,
      group: queue.group as QueueSummaryEntry['group'],
      waiting: queue.created.size(),
      oldestSince: queue.created.smallest()!,
      breaching: queue.atRiskFrom.countAtMost(at),
      breached: queue.due.countBelow(at),
    }));
  }

  const repository: LiveBoardRepository = {
    liveCounts() {
      return counted(clock(), () => liveCountsNow());
    },
    async oldestOpenByAgent() {
      const agents = await agentIds();
      return counted(clock(), () => oldestOpenNow(agents));
    },
    async firstResponseOverdue(at) {
      const { targetOf, timeZone } = await targets();
      return counted(at, () => firstResponseOverdueNow(at, targetOf), timeZone);
    },
    async snapshot(at): Promise<BoardSnapshot> {
      const [{ targetOf, timeZone }, agents] = await Promise.all([targets(), agentIds()]);
      const parts = await counted(
        at,
        () => ({
          live: liveCountsNow(),
          today: todayNow(at),
          dayTotals: dayTotalsNow(at),
          queues: queuesNow(at),
          firstResponse: firstResponseOverdueNow(at, targetOf),
          agents: oldestOpenNow(agents),
        }),
        timeZone,
      );
      return assembleBoardSnapshot(sql, { at, day: localDateOf(at, timeZone), backlogThreshold, ...parts });
    },
    stop() {
      stopListening();
    },
    stats: () => ({ tickets: tickets.size, loads, refreshed, remembered: changed.size, agentReads }),
  };
  return repository;
}
