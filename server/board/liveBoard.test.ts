/**
 * The live board (liveBoard.ts) against the SQL recount (boardRepository.ts) on both backends:
 * tickets created, queued, taken, answered, completed, reopened, surveyed and answered through
 * the real store in a seeded random order, and after every change the board kept in memory
 * from the store's commits must equal the recount, judged at several moments (before and past
 * due times). Then a board started afresh (a restart, another node) and one asked about the
 * next day agree too.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICIES, type Policies, type UserSkills } from '../../shared/admin.js';
import type { Channel, User } from '../../shared/domain.js';
import type { Mutation } from '../../shared/sync.js';
import { uuidv7 } from '../credentials.js';
import { openPostgresDatabase } from '../db/postgres.js';
import { createReportRepository } from '../reports/reportRepository.js';
import { startCommitStream, type CommitStream } from '../cluster/commitStream.js';
import { openPostgresServerStore, type ServerStore } from '../store.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { TEST_BACKENDS, TEST_EPOCH } from '../testHarness.js';
import { openStoreOn } from '../testing/stores.js';
import { createBoardRepository, type BoardRepository } from './boardRepository.js';
import { createLiveBoardRepository, type LiveBoardRepository } from './liveBoard.js';

const MIN = 60_000;
/** What an admin's edit of agent1 sends, but the role. */
const AGENT1_SKILLS: Omit<UserSkills, 'role'> = {
  displayName: 'agent1',
  channels: ['chat'],
  groups: [],
  tier: 1,
  senior: false,
  languages: ['zh'],
  extension: null,
};
const HOUR = 60 * MIN;
const CHANNELS_USED: readonly Channel[] = ['phone', 'chat', 'social', 'email'];
const TEXTS = ['我的订单还没到', '发票开错了', '退款什么时候到账', '账号登录不上', '想咨询一下会员'];

/** A small seeded generator (mulberry32), so a failure replays. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

for (const backend of TEST_BACKENDS) {
  describe(`live channel board on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let agents: User[];
    let recount: BoardRepository;
    const boards: LiveBoardRepository[] = [];
    /** The first-response targets as leads set them now (changed halfway through the random run). */
    let policies: Policies;
    const currentPolicies = () => Promise.resolve(policies);

    function liveBoard(): LiveBoardRepository {
      const board = createLiveBoardRepository({ sql: store.sql, commits: store, policies: currentPolicies });
      boards.push(board);
      return board;
    }

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      agents = [];
      for (const name of ['agent1', 'agent2', 'agent3']) {
        agents.push(await store.createUser({ id: name, username: name, password: 'pw', displayName: name, role: 'agent', channels: [...CHANNELS_USED] }));
      }
      policies = { ...DEFAULT_POLICIES };
      recount = createBoardRepository(store.sql, createReportRepository(store.sql), undefined, currentPolicies);
    });

    afterEach(async () => {
      for (const board of boards.splice(0)) board.stop();
      await store.close();
      await cleanup();
    });

    it('equals the recount after every one of a random run of changes, after a restart, and the next day', async () => {
      const random = seededRandom(20241108);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      const ticketIds: string[] = [];
      let n = 0;
      let now = TEST_EPOCH - 20 * HOUR;

      async function ingest(at: number): Promise<void> {
        n += 1;
        const channel = pick(CHANNELS_USED);
        const { ticketId } = await store.ingestInbound(
          {
            channel,
            customer: { name: `客户${String(n)}`, email: `c${String(n)}@example.cn` },
            text: pick(TEXTS),
            ...(channel === 'email' ? { source: 'email' } : {}),
          },
          { now: at },
        );
        ticketIds.push(ticketId);
      }

      async function change(at: number): Promise<void> {
        const roll = random();
        if (roll < 0.2 || ticketIds.length === 0) return ingest(at);
        const tickets = (await Promise.all(ticketIds.map((id) => store.getTicket(id)))).filter((ticket) => ticket !== null);
        const open = tickets.filter((ticket) => ticket.status !== 'completed' && ticket.status !== 'closed');
        const held = open.filter((ticket) => ticket.assigneeId !== null);
        const apply = (ticketId: string, body: Record<string, unknown>) => {
          const holder = agents.find((agent) => agent.id === tickets.find((ticket) => ticket.id === ticketId)?.assigneeId)!;
          return store.applyMutation(holder, 'c', { mutationId: uuidv7(at), ticketId, createdAt: at, ...body } as Mutation, at);
        };
        if (roll < 0.4 && open.length > 0) {
          const agent = random() < 0.8 ? pick(agents) : null;
          await store.assignTicket({
            ticketId: pick(open).id,
            assignee: agent && { id: agent.id, username: agent.username, displayName: agent.displayName },
            reason: { code: 'assigned_by_lead', byName: '李主管' },
            now: at,
          });
        } else if (roll < 0.55 && held.length > 0) {
          await apply(pick(held).id, { kind: 'reply', messageId: uuidv7(at), text: '您好，我们正在处理。' });
        } else if (roll < 0.7 && held.length > 0) {
          const ticketId = pick(held).id;
          await apply(ticketId, { kind: 'setFields', result: '已解决' });
          await apply(ticketId, { kind: 'setStatus', status: pick(['completed', 'completed', 'awaiting_customer', 'in_progress'] as const) });
        } else if (roll < 0.8) {
          // The customer writes again: a message after the first response (first-contact resolution), or a reopening.
          const ticket = pick(tickets);
          await store.ingestInbound(
            {
              channel: ticket.channel,
              customer: { name: `客户${ticket.id}` },
              text: '还有一个问题',
              threadTicketId: ticket.id,
              ...(ticket.channel === 'email' ? { source: 'email' } : {}),
            },
            { now: at },
          );
        } else if (roll < 0.9) {
          const done = tickets.filter((ticket) => ticket.status === 'completed');
          const survey = done.length > 0 ? await store.csat.forTicket(pick(done).id) : null;
          if (!survey?.inviteMessageId || survey.result !== null) return;
          await store.setDeliveryStatus(survey.inviteMessageId, { status: 'sent' }, at);
          const minted = await store.csat.mintToken(survey.inviteMessageId, at);
          if (typeof minted === 'string') return;
          await store.csat.answer(minted.token, { attitude: 5, speed: Math.ceil(random() * 5), resolution: 4, professionalism: 3 }, at);
        } else {
          return ingest(at);
        }
      }

      // Yesterday's tickets, some still open this morning, before the board first loads.
      for (let i = 0; i < 8; i += 1) await change((now += 7 * MIN));
      const board = liveBoard();
      now = TEST_EPOCH - HOUR;
      for (let step = 0; step < 80; step += 1) {
        // Leads change the targets: the misses are judged against the new ones from the next snapshot on.
        if (step === 40) policies = { ...DEFAULT_POLICIES, firstResponseMinutes: { phone: 30, chat: 1, social: 120, email: 20 } };
        // 09:00 to about 14:00 Beijing, each snapshot within the same day (a day change reloads; that is the last check).
        now += Math.floor(random() * 8) * MIN + 1;
        await change(now);
        // Now, and later with nothing written in between: open tickets turn overdue and at risk with time alone.
        for (const at of [now, now + 2 * HOUR + Math.floor(random() * 5 * HOUR)]) {
          expect(await board.snapshot(at), `step ${String(step)} at ${String(at)}`).toEqual(await recount.snapshot(at));
        }
      }
      // The run reached every kind of figure (else the equality above proves little).
      const end = await recount.snapshot(now + 2 * HOUR);
      const sum = (figure: (row: (typeof end.rows)[number]) => number) => end.rows.reduce((total, row) => total + figure(row), 0);
      expect(sum((row) => row.pending) * sum((row) => row.inProgress) * sum((row) => row.today.resolved)).toBeGreaterThan(0);
      expect(sum((row) => row.today.overdue) * sum((row) => row.firstResponseOverdue) * sum((row) => row.today.firstContactResolved)).toBeGreaterThan(0);
      expect(sum((row) => row.today.csatResponseRate ?? 0)).toBeGreaterThan(0);
      expect(sum((row) => row.day.completed) * sum((row) => row.day.overdue) * sum((row) => row.day.csatAnswered)).toBeGreaterThan(0);
      expect(end.queues.some((queue) => queue.group !== null && queue.breaching > 0)).toBe(true);
      expect(end.queues.some((queue) => queue.breached > 0)).toBe(true);
      const stats = board.stats();
      expect(stats.loads).toBe(1);
      expect(stats.refreshed).toBeGreaterThan(0);

      // A node started now (a restart) loads what the first kept up to date.
      expect(await liveBoard().snapshot(now)).toEqual(await board.snapshot(now));
      // The next day: today's figures start empty, the open tickets stay.
      const tomorrow = TEST_EPOCH + 24 * HOUR;
      const next = await board.snapshot(tomorrow);
      expect(next).toEqual(await recount.snapshot(tomorrow));
      expect(next.rows.some((row) => row.pending + row.inProgress > 0)).toBe(true);
      expect(board.stats().loads).toBe(2);
    });

    it('counts today in the organisation’s time zone, and loads the new zone’s day when an admin changes it', async () => {
      // TEST_EPOCH is 02:00 UTC on 2024-11-08. 21:00 UTC the evening before is 22:00 on 11-07 in Berlin, 05:00 on 11-08 in Shanghai;
      // 23:00 UTC is Berlin's midnight (11-08) and 07:00 in Shanghai.
      for (const at of [TEST_EPOCH - 5 * HOUR, TEST_EPOCH - 3 * HOUR]) {
        await store.ingestInbound({ channel: 'chat', customer: { name: '张伟', email: `c${String(at)}@example.cn` }, text: '我的订单还没到' }, { now: at });
      }
      const board = liveBoard();
      const volume = (snapshot: Awaited<ReturnType<typeof board.snapshot>>) => snapshot.rows.find((row) => row.channel === 'chat')!.today.volume;
      const shanghai = await board.snapshot(TEST_EPOCH);
      expect(shanghai).toEqual(await recount.snapshot(TEST_EPOCH));
      expect(volume(shanghai)).toBe(2);
      policies = { ...policies, timeZone: 'Europe/Berlin' };
      const berlin = await board.snapshot(TEST_EPOCH);
      expect(berlin).toEqual(await recount.snapshot(TEST_EPOCH));
      expect(berlin.day).toBe('2024-11-08');
      expect(volume(berlin)).toBe(1);
      expect(board.stats().loads).toBe(2);
      // An hour before Berlin's midnight it is still 11-07 there, with the one ticket of that evening.
      const evening = await board.snapshot(TEST_EPOCH - 4 * HOUR);
      expect(evening).toEqual(await recount.snapshot(TEST_EPOCH - 4 * HOUR));
      expect([evening.day, volume(evening)]).toEqual(['2024-11-07', 1]);
    });

    it('hears every change before the next snapshot, including ones made while it loads', async () => {
      const board = liveBoard();
      const first = await store.ingestInbound({ channel: 'chat', customer: { name: '甲' }, text: '你好' }, { now: TEST_EPOCH });
      // Loading and a write at once: whatever the load read, the change is re-read after it.
      const [, second] = await Promise.all([
        board.snapshot(TEST_EPOCH + MIN),
        store.ingestInbound({ channel: 'chat', customer: { name: '乙' }, text: '你好' }, { now: TEST_EPOCH + 1 }),
      ]);
      await store.assignTicket({
        ticketId: first.ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: 'agent1' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: TEST_EPOCH + 2,
      });
      const snapshot = await board.snapshot(TEST_EPOCH + MIN);
      expect(snapshot).toEqual(await recount.snapshot(TEST_EPOCH + MIN));
      expect(snapshot.rows.find((row) => row.channel === 'chat')).toMatchObject({ pending: 1, inProgress: 1 });
      expect(snapshot.agents).toEqual([{ userId: 'agent1', oldestOpen: { ticketId: first.ticketId, createdAt: TEST_EPOCH }, viewingTicketId: null }]);
      expect(second.ticketId).not.toBe(first.ticketId);
    });

    it('keeps who is an agent, and reads it again on the snapshot after an admin changes a role', async () => {
      const admin = await store.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '管理员', role: 'admin', channels: [] });
      const board = liveBoard();
      const { ticketId } = await store.ingestInbound({ channel: 'chat', customer: { name: '甲' }, text: '你好' }, { now: TEST_EPOCH });
      await store.assignTicket({
        ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: 'agent1' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: TEST_EPOCH + 1,
      });
      const at = TEST_EPOCH + MIN;
      const held = [{ userId: 'agent1', oldestOpen: { ticketId, createdAt: TEST_EPOCH }, viewingTicketId: null }];
      expect((await board.snapshot(at)).agents).toEqual(held);
      // Snapshots with no user changed in between (a ticket changed, the audit did not) read no user.
      await store.ingestInbound({ channel: 'chat', customer: { name: '乙' }, text: '在吗' }, { now: TEST_EPOCH + 2 });
      expect((await board.snapshot(at)).agents).toEqual(held);
      expect((await board.snapshot(at + MIN)).agents).toEqual(held);
      expect(board.stats()).toMatchObject({ loads: 1, agentReads: 1 });

      // agent1 becomes a lead after the board started: the next snapshot leaves them out, as the recount does.
      expect((await store.admin.updateUser(admin, 'agent1', { ...AGENT1_SKILLS, role: 'lead' }, TEST_EPOCH + 3)).result.ok).toBe(true);
      const demoted = await board.snapshot(at);
      expect(demoted.agents).toEqual([]);
      expect(demoted).toEqual(await recount.snapshot(at));
      expect(board.stats()).toMatchObject({ loads: 1, agentReads: 2 });
      // And an agent again.
      expect((await store.admin.updateUser(admin, 'agent1', { ...AGENT1_SKILLS, role: 'agent' }, TEST_EPOCH + 4)).result.ok).toBe(true);
      const promoted = await board.snapshot(at);
      expect(promoted.agents).toEqual(held);
      expect(promoted).toEqual(await recount.snapshot(at));
      expect(board.stats()).toMatchObject({ loads: 1, agentReads: 3 });
    });

    it('remembers no change while nothing is loaded (no lead watching), and forgets what it re-read', async () => {
      const board = liveBoard();
      await store.ingestInbound({ channel: 'chat', customer: { name: '丙' }, text: '在吗' }, { now: TEST_EPOCH });
      expect(board.stats()).toMatchObject({ loads: 0, remembered: 0 });
      await board.snapshot(TEST_EPOCH + MIN);
      await store.ingestInbound({ channel: 'email', customer: { name: '丁', email: 'ding@example.cn' }, text: '发票' }, { now: TEST_EPOCH + 1 });
      expect(board.stats().remembered).toBe(1);
      expect(await board.snapshot(TEST_EPOCH + MIN)).toEqual(await recount.snapshot(TEST_EPOCH + MIN));
      expect(board.stats()).toMatchObject({ loads: 1, remembered: 0 });
    });
  });
}

describe('live channel board on a second node (PostgreSQL, commit stream)', () => {
  let database: TestDatabase;
  let writer: ServerStore;
  let reader: ServerStore;
  let stream: CommitStream;
  let board: LiveBoardRepository;

  beforeEach(async () => {
    database = await createTestDatabase('omnidesk_liveboard');
    writer = await openPostgresServerStore({ databaseUrl: database.url, log: () => undefined, announceCommits: true });
    reader = await openPostgresServerStore({ databaseUrl: database.url, log: () => undefined, announceCommits: true });
    stream = await startCommitStream({ store: reader, databaseUrl: database.url, log: () => undefined, pollMs: 50 });
    board = createLiveBoardRepository({ sql: reader.sql, commits: stream });
  });

  afterEach(async () => {
    board.stop();
    await stream.stop();
    await reader.close();
    await writer.close();
    await database.drop();
  });

  it('counts what the other node writes, once its commit stream has delivered it', async () => {
    await writer.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
    const recount = createBoardRepository(reader.sql, createReportRepository(reader.sql));
    const at = TEST_EPOCH + HOUR;
    expect(await board.snapshot(at)).toEqual(await recount.snapshot(at));
    const first = await writer.ingestInbound({ channel: 'chat', customer: { name: '甲' }, text: '你好' }, { now: TEST_EPOCH });
    await writer.ingestInbound({ channel: 'chat', customer: { name: '乙' }, text: '你好' }, { now: TEST_EPOCH + 1 });
    await writer.assignTicket({
      ticketId: first.ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: TEST_EPOCH + 2,
    });
    const { maxSeq } = await writer.changeLogBounds();
    await vi.waitFor(() => expect(stream.deliveredUpTo()).toBe(maxSeq), { timeout: 10_000 });
    const snapshot = await board.snapshot(at);
    expect(snapshot).toEqual(await recount.snapshot(at));
    expect(snapshot.rows.find((row) => row.channel === 'chat')).toMatchObject({ pending: 1, inProgress: 1 });
  });

  it('leaves out an agent the other node made a lead, at its next snapshot (no event reaches this node: the audit in the database says so)', async () => {
    const admin = await writer.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '管理员', role: 'admin', channels: [] });
    await writer.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: 'agent1', role: 'agent', channels: ['chat'] });
    const { ticketId } = await writer.ingestInbound({ channel: 'chat', customer: { name: '甲' }, text: '你好' }, { now: TEST_EPOCH });
    await writer.assignTicket({
      ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: 'agent1' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: TEST_EPOCH + 1,
    });
    const at = TEST_EPOCH + HOUR;
    expect((await board.snapshot(at)).agents).toEqual([{ userId: 'agent1', oldestOpen: { ticketId, createdAt: TEST_EPOCH }, viewingTicketId: null }]);
    expect((await writer.admin.updateUser(admin, 'agent1', { ...AGENT1_SKILLS, role: 'lead' }, TEST_EPOCH + 2)).result.ok).toBe(true);
    const snapshot = await board.snapshot(at);
    expect(snapshot.agents).toEqual([]);
    expect(snapshot).toEqual(await createBoardRepository(reader.sql, createReportRepository(reader.sql)).snapshot(at));
    expect(board.stats()).toMatchObject({ loads: 1, agentReads: 2 });
  });

  it('hears a role change whose audit row committed after a newer one (ids taken in one order, commits in the other)', async () => {
    await writer.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '管理员', role: 'admin', channels: [] });
    await writer.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: 'agent1', role: 'agent', channels: ['chat'] });
    const { ticketId } = await writer.ingestInbound({ channel: 'chat', customer: { name: '甲' }, text: '你好' }, { now: TEST_EPOCH });
    await writer.assignTicket({
      ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: 'agent1' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: TEST_EPOCH + 1,
    });
    const at = TEST_EPOCH + HOUR;
    const held = [{ userId: 'agent1', oldestOpen: { ticketId, createdAt: TEST_EPOCH }, viewingTicketId: null }];
    expect((await board.snapshot(at)).agents).toEqual(held);
    // Two admin writes on two nodes, as adminStore.ts makes them: the change and its audit row in one transaction.
    const nodes = openPostgresDatabase({ connectionString: database.url, maxConnections: 2 });
    const [first, second] = [await nodes.pool.connect(), await nodes.pool.connect()];
    try {
      const audit = "INSERT INTO admin_audit (at, actor_id, actor_name, action, target_id) VALUES (1, 'admin1', '管理员', $1, $2)";
      await first.query('BEGIN');
      await first.query("UPDATE users SET role = 'lead' WHERE id = 'agent1'");
      await first.query(audit, ['user_updated', 'agent1']);
      await second.query('BEGIN');
      await second.query(audit, ['policies_set', null]);
      await second.query('COMMIT');
      // The newer id is seen first; the demotion is not committed yet.
      expect((await board.snapshot(at)).agents).toEqual(held);
      await first.query('COMMIT');
      const snapshot = await board.snapshot(at);
      expect(snapshot.agents).toEqual([]);
      expect(snapshot).toEqual(await createBoardRepository(reader.sql, createReportRepository(reader.sql)).snapshot(at));
      expect(board.stats()).toMatchObject({ loads: 1, agentReads: 3 });
    } finally {
      first.release();
      second.release();
      await nodes.close();
    }
  });
});
