/**
 * `board_snapshot_ms_p99`: one computation of the leads' channel board (server/board/) —
 * the live counts per channel plus the day report by channel — with 1,000 agents and 20,000
 * open tickets (target ≤ 20 ms), on a SQLite server database through the real repositories.
 * Beside it, `board_live_counts_floor_ms_p99`: one bare COUNT over the open tickets. The
 * database also holds 10,000 tickets completed today and 200,000 of the 30 days before
 * (what a busy centre's table looks like); data is written straight into the migrated schema.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteDatabase } from '../server/db/sqlite.js';
import { createBoardRepository } from '../server/board/boardRepository.js';
import { migrate } from '../server/migrations/index.js';
import { createReportRepository } from '../server/reports/reportRepository.js';
import { reportRollupBackfillSql } from '../server/reports/reportRollup.js';
import { makeBenchDir, percentile, progress, removeDir, scaled } from './benchSupport.js';

const CHANNELS = ['phone', 'chat', 'social', 'email'] as const;
const HOUR = 3_600_000;
/** 2024-11-08 18:00 in Beijing: the board is looked at late in a busy day. */
const AT = Date.UTC(2024, 10, 8, 10);
/** 2024-11-08 00:00 in Beijing. */
const MIDNIGHT = Date.UTC(2024, 10, 7, 16);

function seedBoardBench(filePath: string, counts: { agents: number; open: number; completedToday: number; history: number }): void {
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
     VALUES (?, 'CUS20241101001', ?, 'consult', 's', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, '', ?, NULL)`,
  );
  const message = db.prepare(
    `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES (?, ?, 'inbound', ?, 'x', 'x', 'received', ?)`,
  );
  db.transaction(() => {
    for (let a = 0; a < counts.agents; a++) user.run(`agent${String(a)}`, `agent${String(a)}`, `坐席${String(a)}`);
    db.prepare(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241101001', '张伟', 0)`).run();
    let n = 0;
    const add = (createdAt: number, status: string, assignee: string | null, completedAt: number | null) => {
      const id = `GD${String(n++).padStart(11, '0')}`;
      const channel = CHANNELS[n % 4]!;
      ticket.run(
        id,
        channel,
        status,
        assignee,
        assignee,
        createdAt,
        createdAt,
        assignee ? createdAt + 120_000 : null,
        createdAt + 4 * HOUR,
        completedAt,
        createdAt,
      );
      message.run(`m${id}`, id, channel, createdAt);
    };
    // Open now: a third queued, the rest held; most created today, some carried over from yesterday.
    for (let i = 0; i < counts.open; i++) {
      const createdAt = i % 5 === 0 ? MIDNIGHT - (i % 12) * HOUR - 1 : MIDNIGHT + ((AT - MIDNIGHT) * i) / counts.open;
      const assignee = i % 3 === 0 ? null : `agent${String(i % counts.agents)}`;
      add(Math.floor(createdAt), assignee ? 'in_progress' : 'unassigned', assignee, null);
    }
    for (let i = 0; i < counts.completedToday; i++) {
      const createdAt = Math.floor(MIDNIGHT + ((AT - MIDNIGHT - HOUR) * i) / counts.completedToday);
      add(createdAt, 'completed', `agent${String(i % counts.agents)}`, createdAt + (i % 6) * HOUR);
    }
    for (let i = 0; i < counts.history; i++) {
      const createdAt = Math.floor(MIDNIGHT - 30 * 24 * HOUR + ((30 * 24 * HOUR - 1) * i) / counts.history);
      add(createdAt, 'closed', `agent${String(i % counts.agents)}`, createdAt + 2 * HOUR);
    }
    // Written around the store: the report rollup the board's day figures read is filled as migration 025 does.
    for (const statement of reportRollupBackfillSql('sqlite')) db.exec(statement);
  })();
  db.close();
}

export async function runBoardBench(): Promise<Array<[string, number]>> {
  const counts = { agents: scaled(1_000, 100), open: scaled(20_000, 2_000), completedToday: scaled(10_000, 1_000), history: scaled(200_000, 20_000) };
  const dir = makeBenchDir('board');
  try {
    const filePath = path.join(dir, 'server.sqlite');
    progress(`board: seeding ${String(counts.open)} open tickets, ${String(counts.agents)} agents`);
    seedBoardBench(filePath, counts);
    const db = openSqliteDatabase({ filePath });
    try {
      const board = createBoardRepository(db, createReportRepository(db));
      const runs: number[] = [];
      const floors: number[] = [];
      let open = 0;
      for (let run = 0; run < 105; run++) {
        const start = performance.now();
        const snapshot = await board.snapshot(AT);
        const elapsed = performance.now() - start;
        const floorStart = performance.now();
        await db.get(`SELECT COUNT(*) AS n FROM tickets WHERE status IN ('unassigned', 'in_progress', 'awaiting_customer')`);
        const floorElapsed = performance.now() - floorStart;
        // The first runs warm the page cache and the prepared statements.
        if (run < 5) continue;
        runs.push(elapsed);
        floors.push(floorElapsed);
        open = snapshot.rows.reduce((sum, row) => sum + row.pending + row.inProgress, 0);
      }
      progress(`board: ${String(open)} open tickets on the board`);
      return [
        ['board_open_tickets', open],
        ['board_snapshot_ms_p50', percentile(runs, 50)],
        ['board_snapshot_ms_p99', percentile(runs, 99)],
        ['board_live_counts_floor_ms_p99', percentile(floors, 99)],
      ];
    } finally {
      await db.close();
    }
  } finally {
    removeDir(dir);
  }
}
