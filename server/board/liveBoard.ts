/**
 * The channel board kept live in memory on each node (issue 11), so a snapshot no longer
 * recounts the open tickets and re-adds today's in the database every interval.
 *
 * Each node holds the few facts the board needs of every ticket that is open now or was created
 * on the board's day (a few tens of thousands of small rows at the largest centre), loaded from
 * the database on the first snapshot (so after a restart, and on every node of a cluster) and
 * again when the day changes. Every committed change names its ticket (server/store.ts
 * `appendTicketChange`: ticket, message, note, survey answer and delivery alike), and the commit
 * source hands every node every commit (server/cluster/commitStream.ts); the ticket is then
 * re-read by id before the next snapshot. Re-reading the row, never applying a delta, makes a
 * change heard twice, or heard while loading, harmless.
 *
 * What changes with time and not with writes (overdue, at risk, first-response misses) is
 * judged at the snapshot's `at` over the rows in memory. The SQL recount (boardRepository.ts)
 * stays the definition: the tests hold the two to the same snapshot after random changes.
 */
import { DEFAULT_POLICIES, firstResponseTargetMs, type Policies } from '../../shared/admin.js';
import { CHANNELS, type Channel } from '../../shared/domain.js';
import {
  DEFAULT_BACKLOG_THRESHOLD,
  MAX_BOARD_AGENTS,
  isBoardChannel,
  type BoardAgent,
  type BoardSnapshot,
  type LiveChannelCounts,
} from '../../shared/board.js';
import { EMPTY_TOTALS, isFirstContactResolution, isOverdue, kpiRows, localDateOf, periodRange, type KpiTotals, type TicketFacts } from '../../shared/kpi.js';
import type { QueueSummaryEntry } from '../../shared/queue.js';
import type { Change } from '../../shared/sync.js';
import type { CommitSource } from '../cluster/commitStream.js';
import { createTurns, jsonTextSql, type SqlDialect, type SqlExecutor } from '../db/sql.js';
import { CSAT_SENT_SQL } from '../reports/reportRepository.js';
import { assembleBoardSnapshot, OPEN_STATUSES_SQL, type BoardRepository } from './boardRepository.js';

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
}

const OPEN_STATUSES = new Set(['unassigned', 'in_progress', 'awaiting_customer']);
/** As server/queueViewStore.ts judges "at risk" (shared/sla.ts): the last quarter of the window or the last 30 minutes. */
const RISK_FLOOR_MS = 30 * 60 * 1000;
/** Ids re-read per statement. */
const REFRESH_BATCH = 200;
/** A full reload this often even when nothing says so: a change the commit stream could not read (pruned) is not kept wrong for long. */
const DEFAULT_RELOAD_EVERY_MS = 10 * 60 * 1000;

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
           CASE WHEN s.answered_at IS NOT NULL THEN s.attitude + s.speed + s.resolution + s.professionalism END AS csat_points
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

/** Adds one of the day's tickets to its channel's totals, as shared/kpi.ts `totalsOfTicket` counts it (in place: no object per ticket). */
function addTicketTotals(totals: KpiTotals, ticket: BoardTicket, asOf: number): void {
  // Only the fields shared/kpi.ts reads; the facts' other fields play no part in the totals.
  const facts = ticket as unknown as TicketFacts;
  const overdue = isOverdue(facts, asOf);
  totals.volume += 1;
  if (ticket.firstResponseAt !== null) {
    totals.responded += 1;
    totals.firstResponseTotalMs += ticket.firstResponseAt - ticket.createdAt;
  }
  if (ticket.completedAt !== null) {
    totals.resolved += 1;
    totals.handlingTotalMs += ticket.completedAt - ticket.createdAt;
    if (!overdue) totals.slaMet += 1;
  }
  if (overdue) totals.overdue += 1;
  if (isFirstContactResolution(facts)) totals.firstContactResolved += 1;
  if (ticket.csatSent) totals.csatSent += 1;
  if (ticket.csatPoints !== null) {
    totals.csatAnswered += 1;
    totals.csatPoints += ticket.csatPoints;
  }
}

export interface LiveBoardOptions {
  sql: SqlExecutor;
  /** Every commit of every node (the store on one node, the commit stream on several). */
  commits: CommitSource;
  backlogThreshold?: number;
  /** Where the first-response targets come from (the stored policies; the defaults when not given). */
  policies?: () => Promise<Policies>;
  /** Full reload at least this often (ms); default 10 minutes. */
  reloadEveryMs?: number;
  /** The clock of the reloads (not of the figures: those are judged at the snapshot's `at`). */
  clock?: () => number;
}

export interface LiveBoardRepository extends BoardRepository {
  /** Stops listening to the commits. */
  stop(): void;
  /** How many tickets the node holds in memory, and how many full loads it made (tests, bench). */
  stats(): { tickets: number; loads: number; refreshed: number };
}

export function createLiveBoardRepository(options: LiveBoardOptions): LiveBoardRepository {
  const { sql } = options;
  const backlogThreshold = options.backlogThreshold ?? DEFAULT_BACKLOG_THRESHOLD;
  const policies = options.policies ?? (() => Promise.resolve({ ...DEFAULT_POLICIES }));
  const reloadEveryMs = options.reloadEveryMs ?? DEFAULT_RELOAD_EVERY_MS;
  const clock = options.clock ?? Date.now;
  const tickets = new Map<string, BoardTicket>();
  /** Tickets changed since they were last read. */
  const changed = new Set<string>();
  let loaded: { day: string; start: number; end: number; at: number } | null = null;
  let loads = 0;
  let refreshed = 0;
  const turn = createTurns();

  const stopListening = options.commits.onDidCommitChanges((batch) => {
    for (const { change } of batch) {
      const id = ticketIdOf(change);
      if (id !== null) changed.add(id);
    }
  });

  function keeps(ticket: BoardTicket, day: { start: number; end: number }): boolean {
    return ticket.open || (ticket.createdAt >= day.start && ticket.createdAt < day.end);
  }

  async function load(day: string): Promise<void> {
    const { start, end } = periodRange('day', day);
    // Whatever commits from here on is re-read after the load, so nothing committed while loading is lost.
    changed.clear();
    const dialect = sql.dialect;
    const [today, pending, held] = await Promise.all([
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'tickets t', 't.created_at >= ? AND t.created_at < ?'), [start, end]),
      // The open tickets by the recount's two index seeks (boardRepository.ts): nobody's, then each user's.
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'tickets t', `t.assignee_id IS NULL AND t.status IN ${OPEN_STATUSES_SQL}`)),
      sql.all<BoardTicketRow>(boardTicketsSql(dialect, 'users u CROSS JOIN tickets t', `t.assignee_id = u.id AND t.status IN ${OPEN_STATUSES_SQL}`)),
    ]);
    tickets.clear();
    for (const row of [...today, ...pending, ...held]) tickets.set(row.id, boardTicketOf(row));
    loaded = { day, start, end, at: clock() };
    loads += 1;
  }

  async function refreshChanged(day: { start: number; end: number }): Promise<void> {
    while (changed.size > 0) {
      const ids = [...changed].slice(0, REFRESH_BATCH);
      for (const id of ids) changed.delete(id);
      const rows = await sql.all<BoardTicketRow>(boardTicketsSql(sql.dialect, 'tickets t', `t.id IN (${ids.map(() => '?').join(', ')})`), ids);
      const found = new Set<string>();
      for (const row of rows) {
        const ticket = boardTicketOf(row);
        found.add(ticket.id);
        if (keeps(ticket, day)) tickets.set(ticket.id, ticket);
        else tickets.delete(ticket.id);
      }
      for (const id of ids) if (!found.has(id)) tickets.delete(id);
      refreshed += ids.length;
    }
  }

  /**
   * Runs `count` over the tickets in memory once they are as the database has them now (for the
   * day of `at`): one caller at a time, and `count` runs whole (synchronously) inside its turn.
   */
  async function counted<T>(at: number, count: (day: { start: number; end: number }) => T): Promise<T> {
    const release = await turn();
    try {
      const day = localDateOf(at);
      if (!loaded || loaded.day !== day || clock() - loaded.at >= reloadEveryMs) await load(day);
      const current = loaded!;
      await refreshChanged(current);
      return count(current);
    } finally {
      release();
    }
  }

  /** Who is an agent, by id in the database's order: roles change without a ticket change (the admin page), so this is read each time. */
  async function agentIds(): Promise<string[]> {
    return (await sql.all<{ id: string }>("SELECT id FROM users WHERE role = 'agent' ORDER BY id")).map((row) => row.id);
  }

  async function targets(): Promise<Map<string, number>> {
    const current = await policies();
    return new Map(CHANNELS.map((channel) => [channel as string, firstResponseTargetMs(current, channel)]));
  }

  function liveCountsNow(): Map<Channel, LiveChannelCounts> {
    const counts = new Map<Channel, LiveChannelCounts>(CHANNELS.map((channel) => [channel, { pending: 0, inProgress: 0 }]));
    for (const ticket of tickets.values()) {
      if (!ticket.open) continue;
      const channel = counts.get(ticket.channel as Channel);
      if (!channel || !isBoardChannel(ticket.channel)) continue;
      if (ticket.assigneeId === null) channel.pending += 1;
      else channel.inProgress += 1;
    }
    return counts;
  }

  /** Each agent's oldest open ticket (created first, then the smaller id), agents in the order given, those holding none left out. */
  function oldestOpenNow(agents: readonly string[]): BoardAgent[] {
    const oldest = new Map<string, BoardTicket>();
    for (const ticket of tickets.values()) {
      if (!ticket.open || ticket.assigneeId === null) continue;
      const best = oldest.get(ticket.assigneeId);
      if (!best || ticket.createdAt < best.createdAt || (ticket.createdAt === best.createdAt && ticket.id < best.id)) oldest.set(ticket.assigneeId, ticket);
    }
    const result: BoardAgent[] = [];
    for (const id of agents) {
      const ticket = oldest.get(id);
      if (!ticket) continue;
      result.push({ userId: id, oldestOpen: { ticketId: ticket.id, createdAt: ticket.createdAt }, viewingTicketId: null });
      if (result.length === MAX_BOARD_AGENTS) break;
    }
    return result;
  }

  /** First-response misses among the day's tickets: answered later than the target, or open and unanswered past it at `at`. */
  function firstResponseOverdueNow(at: number, day: { start: number; end: number }, targetOf: Map<string, number>): Map<Channel, number> {
    const counts = new Map<Channel, number>(CHANNELS.map((channel) => [channel, 0]));
    for (const ticket of tickets.values()) {
      if (ticket.createdAt < day.start || ticket.createdAt >= day.end || !isBoardChannel(ticket.channel)) continue;
      const target = targetOf.get(ticket.channel)!;
      const missed = ticket.firstResponseAt !== null ? ticket.firstResponseAt - ticket.createdAt > target : ticket.open && at - ticket.createdAt > target;
      if (missed) counts.set(ticket.channel, counts.get(ticket.channel)! + 1);
    }
    return counts;
  }

  /** The day's totals per channel, and the queues (channel × group) as server/queueViewStore.ts `readQueueSummary` counts them at `at`. */
  function todayAndQueuesNow(at: number, day: { start: number; end: number }): { totals: Map<string, KpiTotals>; queues: QueueSummaryEntry[] } {
    const totals = new Map<string, KpiTotals>();
    const queues = new Map<string, QueueSummaryEntry>();
    for (const ticket of tickets.values()) {
      if (ticket.createdAt >= day.start && ticket.createdAt < day.end) {
        // As the day report: a ticket of the day on a channel no schema allows stops it rather than being guessed into a row.
        if (!isBoardChannel(ticket.channel)) throw new Error(`A ticket of the period has an unknown channel (${ticket.channel}); the report is not made.`);
        let channelTotals = totals.get(ticket.channel);
        if (!channelTotals) totals.set(ticket.channel, (channelTotals = { ...EMPTY_TOTALS }));
        addTicketTotals(channelTotals, ticket, at);
      }
      if (ticket.open && ticket.assigneeId === null) {
        const key = ticket.group === null ? `${ticket.channel}\u0000` : `${ticket.channel}\u0000=${ticket.group}`;
        let queue = queues.get(key);
        if (!queue) {
          queue = {
            channel: ticket.channel as Channel,
            group: ticket.group as QueueSummaryEntry['group'],
            waiting: 0,
            oldestSince: ticket.createdAt,
            breaching: 0,
          };
          queues.set(key, queue);
        }
        queue.waiting += 1;
        if (ticket.createdAt < queue.oldestSince) queue.oldestSince = ticket.createdAt;
        if (ticket.dueAt - at <= Math.max((ticket.dueAt - ticket.createdAt) / 4, RISK_FLOOR_MS)) queue.breaching += 1;
      }
    }
    return { totals, queues: [...queues.values()] };
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
      const targetOf = await targets();
      return counted(at, (day) => firstResponseOverdueNow(at, day, targetOf));
    },
    async snapshot(at): Promise<BoardSnapshot> {
      const [targetOf, agents] = await Promise.all([targets(), agentIds()]);
      const parts = await counted(at, (day) => {
        const { totals, queues } = todayAndQueuesNow(at, day);
        return {
          live: liveCountsNow(),
          today: kpiRows(
            [...totals].map(([key, groupTotals]) => ({ key, name: null, totals: groupTotals })),
            'channel',
            CHANNELS,
          ),
          queues,
          firstResponse: firstResponseOverdueNow(at, day, targetOf),
          agents: oldestOpenNow(agents),
        };
      });
      return assembleBoardSnapshot(sql, { at, day: localDateOf(at), backlogThreshold, ...parts });
    },
    stop() {
      stopListening();
    },
    stats: () => ({ tickets: tickets.size, loads, refreshed }),
  };
  return repository;
}
