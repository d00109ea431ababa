/**
 * `charts_ms`: the Board's charts (shared/charts.ts) through the real repository over
 * 1,000,000 tickets on a SQLite server database (the reports bench's data: November 2024 in
 * China time, each ticket due 4 h after it was created), as of 2024-11-30 12:00 Beijing, so
 * the 14 days hold about 470,000 due tickets. Median of 3. Its floor, `raw_sla_days_visit_ms`,
 * visits the due_at and completed_at of every ticket due in the 14 days once (the
 * `tickets_due` index range the SLA statement reads, migration 021), with no grouping.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chartRanges } from '../shared/charts.js';
import { openSqliteDatabase } from '../server/db/sqlite.js';
import { createReportRepository } from '../server/reports/reportRepository.js';
import { makeBenchDir, percentile, progress, removeDir, scaled } from './benchSupport.js';
import { seedReportBench } from './reports.js';

/** 2024-11-30 12:00 in Beijing. */
const AS_OF = Date.UTC(2024, 10, 30, 4);

export async function runChartsBench(): Promise<Array<[string, number]>> {
  const tickets = scaled(1_000_000, 10_000);
  const dir = makeBenchDir('charts');
  try {
    const filePath = path.join(dir, 'server.sqlite');
    progress(`charts: seeding ${String(tickets)} tickets`);
    seedReportBench(filePath, tickets);
    const db = openSqliteDatabase({ filePath });
    try {
      const repository = createReportRepository(db);
      const ranges = chartRanges(AS_OF);
      const runs: number[] = [];
      const floors: number[] = [];
      let due = 0;
      for (let run = 0; run < 3; run++) {
        const start = performance.now();
        const charts = await repository.charts(AS_OF);
        runs.push(performance.now() - start);
        due = charts.sla.reduce((sum, day) => sum + day.due, 0);
        const floorStart = performance.now();
        await db.get('SELECT SUM(due_at), SUM(completed_at) FROM tickets WHERE due_at >= ? AND due_at < ?', [ranges.sla.start, ranges.sla.end]);
        floors.push(performance.now() - floorStart);
      }
      progress(`charts: ${String(due)} tickets due in the 14 days`);
      return [
        ['charts_sla_due_tickets', due],
        ['charts_ms', percentile(runs, 50)],
        ['raw_sla_days_visit_ms', percentile(floors, 50)],
      ];
    } finally {
      await db.close();
    }
  } finally {
    removeDir(dir);
  }
}
