/**
 * `report_month_ms`: the month report over 1,000,000 tickets (and as many customer messages
 * plus replies) on a SQLite server database, through the real repository (target ≤ 2 s). It
 * reads the report rollup (server/reports/reportRollup.ts), filled here by the migration's
 * backfill once the tickets are written (`report_rollup_backfill_ms`, what migration 025 costs
 * on such a database). The floor beside it, `raw_month_row_visit_ms`, visits each of the
 * month's ticket rows once in SQL (one column outside the index summed), without the message
 * lookups, grouping or arithmetic; `report_month_per_ticket_ms` is the same report added up
 * from the tickets (the path before the rollup, kept as the tests' reference). Data is written
 * straight into the migrated schema (the store's ingest path is measured elsewhere); the month
 * is November 2024 in China time, with the tickets spread over it and a tenth of them outside it.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteDatabase } from '../server/db/sqlite.js';
import { migrate } from '../server/migrations/index.js';
import { createReportRepository } from '../server/reports/reportRepository.js';
import { reportRollupBackfillSql } from '../server/reports/reportRollup.js';
import { makeBenchDir, percentile, progress, removeDir, scaled } from './benchSupport.js';

const CHANNELS = ['phone', 'chat', 'social', 'email'] as const;
const TYPES = ['consult', 'complaint', 'suggestion', 'after_sales', 'other'] as const;
const GROUPS = ['orders', 'after_sales', 'technical', 'billing'] as const;
const AGENTS = 200;
const MONTH_START = Date.UTC(2024, 9, 31, 16);
const MONTH_END = Date.UTC(2024, 10, 30, 16);
const HOUR = 3_600_000;

export function seedReportBench(filePath: string, tickets: number): void {
  const db = new Database(filePath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  migrate(db);
  const user = db.prepare(
    `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES (?, ?, ?, 'agent', '[]', '[]', 1, 0, 'x', 0)`,
  );
  const ticket = db.prepare(
    `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at,
                          first_response_at, due_at, completed_at, last_message_preview, last_message_at, routing)
     VALUES (?, 'CUS20241101001', ?, ?, 's', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
  );
  const message = db.prepare(
    `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES (?, ?, ?, ?, 'x', 'x', 'sent', ?)`,
  );
  db.transaction(() => {
    for (let a = 0; a < AGENTS; a++) user.run(`agent${String(a)}`, `agent${String(a)}`, `坐席${String(a)}`);
    db.prepare(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241101001', '张伟', 0)`).run();
  })();
  const span = (MONTH_END - MONTH_START) * 1.1;
  const batch = 50_000;
  for (let from = 0; from < tickets; from += batch) {
    db.transaction(() => {
      for (let i = from; i < Math.min(tickets, from + batch); i++) {
        const createdAt = Math.floor(MONTH_START - span * 0.05 + (span * i) / tickets);
        const channel = CHANNELS[i % 4]!;
        const assignee = i % 10 === 0 ? null : `agent${String(i % AGENTS)}`;
        const replied = assignee !== null && i % 7 !== 0;
        const completed = replied && i % 3 !== 0 ? createdAt + (i % 6) * HOUR : null;
        const id = `GD${String(i).padStart(11, '0')}`;
        ticket.run(
          id,
          channel,
          TYPES[i % 5]!,
          completed ? 'completed' : assignee ? 'in_progress' : 'unassigned',
          assignee,
          assignee,
          createdAt,
          createdAt,
          replied ? createdAt + 120_000 : null,
          createdAt + 4 * HOUR,
          completed,
          createdAt,
          JSON.stringify({ group: GROUPS[i % 4], language: 'zh', requiredTier: 1, escalation: null, pinnedAgentId: null, pinnedAgentName: null, offer: null }),
        );
        message.run(`m${String(i)}`, id, 'inbound', channel, createdAt);
        if (replied) message.run(`r${String(i)}`, id, 'outbound', channel, createdAt + 120_000);
      }
    })();
    if (from % 200_000 === 0) progress(`reports: seeded ${String(from + batch)} of ${String(tickets)} tickets`);
  }
  db.close();
}

/** Fills the (empty) rollup from the tickets written around the store, as migration 025 does; returns the ms it took. */
export function backfillReportRollup(filePath: string): number {
  const db = new Database(filePath);
  try {
    const start = performance.now();
    db.transaction(() => {
      for (const statement of reportRollupBackfillSql('sqlite')) db.exec(statement);
    })();
    return performance.now() - start;
  } finally {
    db.close();
  }
}

export async function runReportsBench(): Promise<Array<[string, number]>> {
  const tickets = scaled(1_000_000, 10_000);
  const dir = makeBenchDir('reports');
  try {
    const filePath = path.join(dir, 'server.sqlite');
    progress(`reports: seeding ${String(tickets)} tickets`);
    seedReportBench(filePath, tickets);
    const backfillMs = backfillReportRollup(filePath);
    progress(`reports: rollup backfilled in ${backfillMs.toFixed(0)} ms`);
    const db = openSqliteDatabase({ filePath });
    try {
      const repository = createReportRepository(db);
      const runs: number[] = [];
      const perTicketRuns: number[] = [];
      const floors: number[] = [];
      let volume = 0;
      for (let run = 0; run < 3; run++) {
        const start = performance.now();
        const report = await repository.report({ period: 'month', date: '2024-11-15', by: 'agent' }, MONTH_END);
        runs.push(performance.now() - start);
        volume = report.total.volume;
        const floorStart = performance.now();
        await db.all(
          'SELECT channel, type, status, assignee_id, created_at, first_response_at, completed_at, due_at FROM tickets WHERE created_at >= ? AND created_at < ?',
          [MONTH_START, MONTH_END],
        );
        floors.push(performance.now() - floorStart);
        const perTicketStart = performance.now();
        const reference = await repository.reportFromTickets({ period: 'month', date: '2024-11-15', by: 'agent' }, MONTH_END);
        perTicketRuns.push(performance.now() - perTicketStart);
        if (JSON.stringify(reference) !== JSON.stringify(report)) throw new Error('reports: the rollup report differs from the per-ticket one');
      }
      progress(`reports: the month holds ${String(volume)} tickets`);
      return [
        ['report_month_tickets', volume],
        ['report_month_ms', percentile(runs, 50)],
        ['raw_month_row_visit_ms', percentile(floors, 50)],
        ['report_month_per_ticket_ms', percentile(perTicketRuns, 50)],
        ['report_rollup_backfill_ms', backfillMs],
      ];
    } finally {
      await db.close();
    }
  } finally {
    removeDir(dir);
  }
}
