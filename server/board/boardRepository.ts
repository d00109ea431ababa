/**
 * The channel board's figures from the server database, through the SQL seam (SQLite and
 * PostgreSQL alike). Read-only. Today's KPIs are the day report by channel
 * (server/reports/reportRepository.ts, shared/kpi.ts): the board adds only what a report
 * does not know, the tickets open on each channel right now (two index seeks, no table scan),
 * and each queue (channel × group) as the agents' queue summary counts it.
 */
import { CHANNELS, type Channel } from '../../shared/domain.js';
import { DEFAULT_BACKLOG_THRESHOLD, isBoardChannel, type BoardSnapshot, type LiveChannelCounts } from '../../shared/board.js';
import { localDateOf } from '../../shared/kpi.js';
import type { SqlExecutor } from '../db/sql.js';
import { readQueueSummary } from '../queueViewStore.js';
import type { ReportRepository } from '../reports/reportRepository.js';

export interface BoardRepository {
  /** Open tickets per channel now (every channel, zeros included). */
  liveCounts(): Promise<Map<Channel, LiveChannelCounts>>;
  /** The board as of `at`: live counts and the KPIs of the China-local day containing `at`. */
  snapshot(at: number): Promise<BoardSnapshot>;
}

const OPEN = "('unassigned', 'in_progress', 'awaiting_customer')";

/**
 * Pending = open and held by nobody (the queue view's "waiting", server/queueViewStore.ts):
 * one seek of the `tickets_assignee (assignee_id, status)` index at NULL.
 */
const PENDING_SQL = `SELECT t.channel AS channel, COUNT(*) AS n FROM tickets t WHERE t.assignee_id IS NULL AND t.status IN ${OPEN} GROUP BY t.channel`;

/**
 * In progress = open and held by an agent. `assignee_id` references `users`, so walking the
 * users and seeking each one's open tickets in `tickets_assignee` counts every held ticket
 * without scanning the table (CROSS JOIN keeps that order on SQLite; 20,000 open tickets in a
 * table of 230,000: 8 ms instead of 200 — bench/board.ts).
 */
const IN_PROGRESS_SQL = `SELECT t.channel AS channel, COUNT(*) AS n FROM users u CROSS JOIN tickets t WHERE t.assignee_id = u.id AND t.status IN ${OPEN} GROUP BY t.channel`;

export function createBoardRepository(sql: SqlExecutor, reports: ReportRepository, backlogThreshold = DEFAULT_BACKLOG_THRESHOLD): BoardRepository {
  const repository: BoardRepository = {
    async liveCounts() {
      const counts = new Map<Channel, LiveChannelCounts>(CHANNELS.map((channel) => [channel, { pending: 0, inProgress: 0 }]));
      const [pending, inProgress] = await Promise.all([
        sql.all<{ channel: string; n: number | string }>(PENDING_SQL),
        sql.all<{ channel: string; n: number | string }>(IN_PROGRESS_SQL),
      ]);
      // A channel no schema allows (a hand-edited row) is not shown rather than guessed into another.
      for (const row of pending) {
        const channel = counts.get(row.channel as Channel);
        if (isBoardChannel(row.channel) && channel) channel.pending = Number(row.n);
      }
      for (const row of inProgress) {
        const channel = counts.get(row.channel as Channel);
        if (isBoardChannel(row.channel) && channel) channel.inProgress = Number(row.n);
      }
      return counts;
    },
    async snapshot(at) {
      const day = localDateOf(at);
      const [live, report, thresholds, queues] = await Promise.all([
        repository.liveCounts(),
        reports.report({ period: 'day', date: day, by: 'channel' }, at),
        // Each channel's threshold as leads set it (server/alarms/), so the board flags what the alarms fire on.
        sql.all<{ channel: string; backlog_threshold: number | string }>('SELECT channel, backlog_threshold FROM channel_alarms'),
        readQueueSummary(sql, at),
      ]);
      const thresholdOf = new Map(thresholds.map((row) => [row.channel, Number(row.backlog_threshold)]));
      const todayOf = new Map(report.rows.map((row) => [row.key, row.kpis]));
      return {
        at,
        day,
        backlogThreshold,
        rows: CHANNELS.map((channel) => {
          const today = todayOf.get(channel);
          if (!today) throw new Error(`The day report has no row for ${channel}.`);
          const { pending, inProgress } = live.get(channel) ?? { pending: 0, inProgress: 0 };
          return { channel, pending, inProgress, today, backlogThreshold: thresholdOf.get(channel) ?? backlogThreshold };
        }),
        queues: queues.filter((queue) => isBoardChannel(queue.channel)),
      };
    },
  };
  return repository;
}
