/**
 * The channel board's figures from the server database, through the SQL seam (SQLite and
 * PostgreSQL alike). Read-only. Today's KPIs are the day report by channel
 * (server/reports/reportRepository.ts, shared/kpi.ts): the board adds only what a report
 * does not know, the tickets open on each channel right now, in ONE grouped query.
 */
import { CHANNELS, type Channel } from '../../shared/domain.js';
import { DEFAULT_BACKLOG_THRESHOLD, isBoardChannel, type BoardSnapshot, type LiveChannelCounts } from '../../shared/board.js';
import { localDateOf } from '../../shared/kpi.js';
import type { SqlExecutor } from '../db/sql.js';
import type { ReportRepository } from '../reports/reportRepository.js';

export interface BoardRepository {
  /** Open tickets per channel now (every channel, zeros included). */
  liveCounts(): Promise<Map<Channel, LiveChannelCounts>>;
  /** The board as of `at`: live counts and the KPIs of the China-local day containing `at`. */
  snapshot(at: number): Promise<BoardSnapshot>;
}

// Held = an agent's name is on it; pending = nobody's (the queue view's "waiting", server/queueViewStore.ts).
const LIVE_COUNTS_SQL = `
  SELECT t.channel AS channel,
         SUM(CASE WHEN t.assignee_id IS NULL THEN 1 ELSE 0 END) AS pending,
         SUM(CASE WHEN t.assignee_id IS NOT NULL THEN 1 ELSE 0 END) AS in_progress
    FROM tickets t
   WHERE t.status IN ('unassigned', 'in_progress', 'awaiting_customer')
   GROUP BY t.channel`;

export function createBoardRepository(sql: SqlExecutor, reports: ReportRepository, backlogThreshold = DEFAULT_BACKLOG_THRESHOLD): BoardRepository {
  const repository: BoardRepository = {
    async liveCounts() {
      const counts = new Map<Channel, LiveChannelCounts>(CHANNELS.map((channel) => [channel, { pending: 0, inProgress: 0 }]));
      const rows = await sql.all<{ channel: string; pending: number | string; in_progress: number | string }>(LIVE_COUNTS_SQL);
      for (const row of rows) {
        // A channel no schema allows (a hand-edited row) is not shown rather than guessed into another.
        if (!isBoardChannel(row.channel)) continue;
        counts.set(row.channel, { pending: Number(row.pending), inProgress: Number(row.in_progress) });
      }
      return counts;
    },
    async snapshot(at) {
      const day = localDateOf(at);
      const [live, report] = await Promise.all([repository.liveCounts(), reports.report({ period: 'day', date: day, by: 'channel' }, at)]);
      const todayOf = new Map(report.rows.map((row) => [row.key, row.kpis]));
      return {
        at,
        day,
        backlogThreshold,
        rows: CHANNELS.map((channel) => {
          const today = todayOf.get(channel);
          if (!today) throw new Error(`The day report has no row for ${channel}.`);
          const { pending, inProgress } = live.get(channel) ?? { pending: 0, inProgress: 0 };
          return { channel, pending, inProgress, today };
        }),
      };
    },
  };
  return repository;
}
