/**
 * The channel board's figures on BOTH backends with the same tickets: a real SQLite file
 * (numbered migrations) and a real PostgreSQL database (its baseline), made and dropped here.
 * Every expected figure is worked out by hand beside the tickets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../shared/admin.js';
import { boardRowAlerts, boardSnapshotSchema, type BoardRow } from '../../shared/board.js';
import { openPostgresDatabase } from '../db/postgres.js';
import type { SqlDatabase } from '../db/sql.js';
import { openSqliteDatabase } from '../db/sqlite.js';
import { migrate } from '../migrations/index.js';
import { migratePostgres } from '../migrations/postgres/index.js';
import { createReportRepository } from '../reports/reportRepository.js';
import { rebuildReportRollup } from '../reports/reportRollup.js';
import { TEST_BACKENDS, type TestBackend } from '../testHarness.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import type { Policies } from '../../shared/admin.js';
import type { CommitSource } from '../cluster/commitStream.js';
import type { ReportRepository } from '../reports/reportRepository.js';
import { createBoardRepository, type BoardRepository } from './boardRepository.js';
import { createLiveBoardRepository } from './liveBoard.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Friday 2024-11-08, 09:00 in Beijing. */
const T = Date.UTC(2024, 10, 8, 1);
/** 2024-11-08 00:00 in Beijing. */
const MIDNIGHT = Date.UTC(2024, 10, 7, 16);
/** The board is looked at 19:00 Beijing time. */
const AT = T + 10 * HOUR;

async function openOn(backend: TestBackend): Promise<{ db: SqlDatabase; cleanup: () => Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'omnidesk-board-'));
    const db = openSqliteDatabase({ filePath: path.join(dir, 'server.sqlite'), migrate: (database) => migrate(database) });
    return {
      db,
      cleanup: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const test: TestDatabase = await createTestDatabase('omnidesk_board');
  const db = openPostgresDatabase({ connectionString: test.url, maxConnections: 2 });
  await migratePostgres(db);
  return {
    db,
    cleanup: async () => {
      await db.close();
      await test.drop();
    },
  };
}

interface TicketSpec {
  id: string;
  channel: string;
  status: string;
  createdAt: number;
  dueAt: number;
  assigneeId?: string;
  firstResponseAt?: number;
  completedAt?: number;
}

const TICKETS: TicketSpec[] = [
  // chat A: replied after 2 min, completed after 60 min, due in 4 h → on time.
  {
    id: 'GD20241108001',
    channel: 'chat',
    status: 'completed',
    createdAt: T,
    dueAt: T + 4 * HOUR,
    assigneeId: 'agent1',
    firstResponseAt: T + 2 * MIN,
    completedAt: T + HOUR,
  },
  // chat B: held by agent1, replied after 10 min, due 13:00 and still open at 19:00 → in progress, overdue.
  { id: 'GD20241108002', channel: 'chat', status: 'in_progress', createdAt: T, dueAt: T + 4 * HOUR, assigneeId: 'agent1', firstResponseAt: T + 10 * MIN },
  // chat C: queued since 18:00, due 22:00 → pending, not overdue.
  { id: 'GD20241108003', channel: 'chat', status: 'unassigned', createdAt: T + 9 * HOUR, dueAt: T + 13 * HOUR },
  // chat D: queued since yesterday 23:00 → pending now, but not one of today's tickets.
  { id: 'GD20241107001', channel: 'chat', status: 'unassigned', createdAt: MIDNIGHT - HOUR, dueAt: MIDNIGHT + 3 * HOUR },
  // phone E: a call handled without a written reply in 20 min → completed on time, no first response.
  {
    id: 'GD20241108004',
    channel: 'phone',
    status: 'completed',
    createdAt: T + HOUR,
    dueAt: T + 5 * HOUR,
    assigneeId: 'agent2',
    completedAt: T + HOUR + 20 * MIN,
  },
  // phone H: yesterday's call at 22:00, due 02:00, completed today at 09:00 → completed today (late), not one of today's created tickets.
  {
    id: 'GD20241107002',
    channel: 'phone',
    status: 'completed',
    createdAt: MIDNIGHT - 2 * HOUR,
    dueAt: MIDNIGHT + 2 * HOUR,
    assigneeId: 'agent2',
    completedAt: T,
  },
  // email F: agent2 waits for the customer; due 15:00, open at 19:00 → in progress, overdue.
  { id: 'GD20241108005', channel: 'email', status: 'awaiting_customer', createdAt: T + 2 * HOUR, dueAt: T + 6 * HOUR, assigneeId: 'agent2' },
  // email G: replied after 30 min, closed after 5 h, due in 4 h → completed late: overdue.
  {
    id: 'GD20241108006',
    channel: 'email',
    status: 'closed',
    createdAt: T,
    dueAt: T + 4 * HOUR,
    assigneeId: 'agent2',
    firstResponseAt: T + 30 * MIN,
    completedAt: T + 5 * HOUR,
  },
  // email I: yesterday's mail at 20:00, due 00:00, completed today at 09:00 and closed since → completed today once (late),
  // found only by its completion time (not one of today's created tickets).
  {
    id: 'GD20241107003',
    channel: 'email',
    status: 'closed',
    createdAt: MIDNIGHT - 4 * HOUR,
    dueAt: MIDNIGHT,
    assigneeId: 'agent2',
    firstResponseAt: MIDNIGHT - 3 * HOUR,
    completedAt: T,
  },
  // social: the templates' example — 12 tickets today, 10 done in 30 min, 2 done in 5 h against 4 h → 2 of 12 overdue (16.67%).
  ...Array.from({ length: 12 }, (_, index): TicketSpec => {
    const late = index >= 10;
    const createdAt = T + 3 * HOUR;
    return {
      id: `GD2024110810${String(index).padStart(2, '0')}`,
      channel: 'social',
      status: 'completed',
      createdAt,
      dueAt: createdAt + 4 * HOUR,
      assigneeId: 'agent1',
      completedAt: createdAt + (late ? 5 * HOUR : 30 * MIN),
    };
  }),
  // Abuse: a hand-edited row of a channel no schema allows, open since yesterday: on no row, and no row is wrong because of it.
  { id: 'GD20241107099', channel: 'fax', status: 'unassigned', createdAt: MIDNIGHT - 2 * HOUR, dueAt: MIDNIGHT },
];

async function seed(db: SqlDatabase): Promise<void> {
  for (const id of ['agent1', 'agent2']) {
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES (?, ?, ?, 'agent', '[]', '[]', 1, 0, 'x', 0)`,
      [id, id, id],
    );
  }
  await db.run(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241101001', '张伟', 0)`);
  for (const t of TICKETS) {
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at,
                            first_response_at, due_at, completed_at, last_message_preview, last_message_at, routing)
       VALUES (?, 'CUS20241101001', ?, 'consult', '主题', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, '', ?, NULL)`,
      [
        t.id,
        t.channel,
        t.status,
        t.assigneeId ?? null,
        t.assigneeId ?? null,
        t.createdAt,
        t.createdAt,
        t.firstResponseAt ?? null,
        t.dueAt,
        t.completedAt ?? null,
        t.createdAt,
      ],
    );
  }
  // Written around the store: the report rollup (which the board's day figures read) is rebuilt as the migration would.
  await rebuildReportRollup(db);
}

/** The row's cells as the board shows them (BoardView.tsx): the created-today cohort's volume and first response, the rest the day's work. */
function figures(row: BoardRow | undefined) {
  if (!row) throw new Error('no such row');
  const { today, day } = row;
  return {
    pending: row.pending,
    inProgress: row.inProgress,
    createdToday: today.volume,
    completed: day.completed,
    total: day.total,
    avgFirstResponseMin: today.avgFirstResponseMs === null ? null : today.avgFirstResponseMs / MIN,
    avgHandlingMin: day.avgHandlingMs === null ? null : day.avgHandlingMs / MIN,
    overdue: day.overdue,
    overdueRate: day.overdueRate,
    csatPercent: day.csatPercent,
  };
}

/** Nothing commits in these tests (the rows are written before any board is made): the live board only loads. */
const NOTHING_COMMITS: CommitSource = { onDidCommitChanges: () => () => undefined };

/** The two ways of counting the same board: the SQL recount, and the live board kept in memory (liveBoard.ts). */
const BOARD_MAKERS: Record<
  string,
  (db: SqlDatabase, reports: ReportRepository, backlogThreshold?: number, policies?: () => Promise<Policies>) => BoardRepository
> = {
  'SQL recount': (db, reports, backlogThreshold, policies) => createBoardRepository(db, reports, backlogThreshold, policies),
  'live in memory': (db, _reports, backlogThreshold, policies) =>
    createLiveBoardRepository({
      sql: db,
      commits: NOTHING_COMMITS,
      ...(backlogThreshold !== undefined ? { backlogThreshold } : {}),
      ...(policies ? { policies } : {}),
    }),
};

for (const backend of TEST_BACKENDS) {
  for (const [way, makeBoard] of Object.entries(BOARD_MAKERS))
    describe(`channel board on ${backend}, ${way}`, () => {
      let db: SqlDatabase;
      let cleanup: () => Promise<void>;
      beforeAll(async () => {
        ({ db, cleanup } = await openOn(backend));
        await seed(db);
      });
      afterAll(async () => {
        await cleanup();
      });

      it('has one row per channel with live counts and today’s KPIs, as worked out by hand', async () => {
        const board = makeBoard(db, createReportRepository(db));
        const snapshot = boardSnapshotSchema.parse(await board.snapshot(AT));
        expect(snapshot.day).toBe('2024-11-08');
        expect(snapshot.at).toBe(AT);
        expect(snapshot.backlogThreshold).toBe(50);
        expect(snapshot.rows.map((row) => row.channel)).toEqual(['phone', 'chat', 'social', 'email']);
        const byChannel = new Map(snapshot.rows.map((row) => [row.channel, row]));
        // Each queue's waiting count is its channel's pending one (no ticket here has a group); the hand-edited fax row is on none.
        expect(snapshot.queues.map((queue) => [queue.channel, queue.group, queue.waiting])).toEqual(
          snapshot.rows.filter((row) => row.pending > 0).map((row) => [row.channel, null, row.pending]),
        );
        // chat: pending C and D, in progress B, completed today A → today's total 4; created today A, B, C, replies 2 and
        // 10 min → 6; handling A 60; overdue B (due 13:00) and D (yesterday's, due 03:00), both still open → 2 of 4.
        expect(figures(byChannel.get('chat'))).toEqual({
          pending: 2,
          inProgress: 1,
          createdToday: 3,
          completed: 1,
          total: 4,
          avgFirstResponseMin: 6,
          avgHandlingMin: 60,
          overdue: 2,
          overdueRate: 2 / 4,
          csatPercent: null,
        });
        // phone: E (created today, no written reply → no first-response average, 20 min, on time) and H (created yesterday
        // 22:00, completed today 09:00 after its 02:00 due time): completed today 2; handling (20 + 660) / 2 = 340; 1 of 2 overdue.
        expect(figures(byChannel.get('phone'))).toEqual({
          pending: 0,
          inProgress: 0,
          createdToday: 1,
          completed: 2,
          total: 2,
          avgFirstResponseMin: null,
          avgHandlingMin: 340,
          overdue: 1,
          overdueRate: 1 / 2,
          csatPercent: null,
        });
        // email: F in progress (awaiting the customer) and overdue, G closed late, yesterday's I closed late (once); G replied
        // after 30 min (I's reply was yesterday's), handled in 300, I in 780 → (300 + 780) / 2 = 540; 3 of 3 overdue.
        expect(figures(byChannel.get('email'))).toEqual({
          pending: 0,
          inProgress: 1,
          createdToday: 2,
          completed: 2,
          total: 3,
          avgFirstResponseMin: 30,
          avgHandlingMin: 540,
          overdue: 3,
          overdueRate: 1,
          csatPercent: null,
        });
        // social: the templates' example, today's total 12: (10 × 30 + 2 × 300) / 12 = 75 min; 2 of 12 overdue → 16.67%.
        const social = figures(byChannel.get('social'));
        expect(social).toEqual({
          pending: 0,
          inProgress: 0,
          createdToday: 12,
          completed: 12,
          total: 12,
          avgFirstResponseMin: null,
          avgHandlingMin: 75,
          overdue: 2,
          overdueRate: 2 / 12,
          csatPercent: null,
        });
        expect(((social.overdueRate ?? 0) * 100).toFixed(2)).toBe('16.67');
      });

      it('agrees with the day report by channel (the KPI arithmetic is the report’s)', async () => {
        const reports = createReportRepository(db);
        const snapshot = await makeBoard(db, reports).snapshot(AT);
        const report = await reports.report({ period: 'day', date: '2024-11-08', by: 'channel' }, AT);
        expect(snapshot.rows.map((row) => row.today)).toEqual(report.rows.map((row) => row.kpis));
      });

      it('starts a new day at Beijing midnight: nothing created or completed yet, what is open still counted (and overdue)', async () => {
        const snapshot = await makeBoard(db, createReportRepository(db)).snapshot(MIDNIGHT + 24 * HOUR);
        expect(snapshot.day).toBe('2024-11-09');
        const chat = snapshot.rows.find((row) => row.channel === 'chat');
        // B (due 13:00), C (due 22:00) and D (due 03:00) are open and past due at midnight: today's total 3, all overdue.
        expect(figures(chat)).toEqual({
          pending: 2,
          inProgress: 1,
          createdToday: 0,
          completed: 0,
          total: 3,
          avgFirstResponseMin: null,
          avgHandlingMin: null,
          overdue: 3,
          overdueRate: 1,
          csatPercent: null,
        });
        // Yesterday's completions are yesterday's: phone has nothing on its hands.
        expect(figures(snapshot.rows.find((row) => row.channel === 'phone'))).toMatchObject({ completed: 0, total: 0, overdueRate: null });
      });

      it('counts first-response misses per channel against the policies’ targets, as worked out by hand', async () => {
        // Default targets: phone 1 min, chat 2, social 30, email 240. chat A answered in 2 min: on target (not later);
        // chat B in 10 min: a miss; chat C unanswered for 60 min and open: a miss; chat D is yesterday's. phone E was
        // handled without a written reply: no miss. email F open and unanswered for 8 h: a miss; G answered in 30 min.
        const snapshot = await makeBoard(db, createReportRepository(db)).snapshot(AT);
        expect(Object.fromEntries(snapshot.rows.map((row) => [row.channel, row.firstResponseOverdue]))).toEqual({ phone: 0, chat: 2, social: 0, email: 1 });
        // A stricter chat target (1 min) makes A a miss too; a laxer email target (10 h) clears F.
        const policies = { ...DEFAULT_POLICIES, firstResponseMinutes: { ...DEFAULT_POLICIES.firstResponseMinutes, chat: 1, email: 600 } };
        const strict = await makeBoard(db, createReportRepository(db), undefined, () => Promise.resolve(policies)).snapshot(AT);
        expect(Object.fromEntries(strict.rows.map((row) => [row.channel, row.firstResponseOverdue]))).toEqual({ phone: 0, chat: 3, social: 0, email: 0 });
      });

      it('names each agent’s oldest open ticket (completed and closed ones do not count), and leaves out agents holding none', async () => {
        const snapshot = boardSnapshotSchema.parse(await makeBoard(db, createReportRepository(db)).snapshot(AT));
        // agent1: B is open (A and the social tickets are completed); agent2: F awaits the customer (E completed, G and I closed).
        expect(snapshot.agents).toEqual([
          { userId: 'agent1', oldestOpen: { ticketId: 'GD20241108002', createdAt: T }, viewingTicketId: null },
          { userId: 'agent2', oldestOpen: { ticketId: 'GD20241108005', createdAt: T + 2 * HOUR }, viewingTicketId: null },
        ]);
      });

      it('flags overdue rate above 0 and pending above the backlog threshold', async () => {
        const board = makeBoard(db, createReportRepository(db), 1);
        const snapshot = await board.snapshot(AT);
        const alerts = Object.fromEntries(snapshot.rows.map((row) => [row.channel, boardRowAlerts(row, snapshot.backlogThreshold)]));
        expect(alerts).toEqual({
          phone: { overdue: true, backlog: false },
          chat: { overdue: true, backlog: true },
          social: { overdue: true, backlog: false },
          email: { overdue: true, backlog: false },
        });
      });
    });
}
