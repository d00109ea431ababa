/**
 * Alarms on a real server (both backends), with the test clock injected: backlog once per
 * crossing and re-armed, SLA warning at 80% and breach, complaints not started within an
 * hour, tickets unassigned for 10 minutes, two evaluators on one database raising one row,
 * and who may acknowledge. Pushes are checked over real sockets against the shared schema.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICIES, firstResponseTargetMs } from '../../shared/admin.js';
import { CHANNELS, type Channel } from '../../shared/domain.js';
import { alarmCountsSchema, alarmSchema, type Alarm, type AlarmCounts } from '../../shared/alarms.js';
import { boardRowAlerts } from '../../shared/board.js';
import type { InboundContact, InboundResponse } from '../../shared/httpApi.js';
import { createBoardRepository } from '../board/boardRepository.js';
import { createReportRepository } from '../reports/reportRepository.js';
import { openPostgresServerStore, type ServerStore } from '../store.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';
import { askSocket, connectTestSocket, disconnectTestSockets, okResult, type TestSocket } from '../testing/sockets.js';
import { createAlarmService } from './alarmService.js';
import type { CandidateScope } from './alertStore.js';

const MINUTE = 60_000;
/** Every channel's default first-response target, in ms. */
const DEFAULT_TARGETS = Object.fromEntries(CHANNELS.map((channel) => [channel, firstResponseTargetMs(DEFAULT_POLICIES, channel)])) as Record<Channel, number>;
let t: TestServer | null = null;
const extraStores: ServerStore[] = [];

afterEach(async () => {
  disconnectTestSockets();
  for (const store of extraStores.splice(0)) await store.close();
  await t?.stop();
  t = null;
});

async function connectAs(server: TestServer, username: string): Promise<{ socket: TestSocket; pushed: Alarm[] }> {
  const pushed: Alarm[] = [];
  const { socket } = await connectTestSocket(server, username, {
    listen: (socket) => socket.on('alarms:alarm', (alarm) => pushed.push(alarmSchema.parse(alarm))),
  });
  return { socket, pushed };
}

async function inbound(server: TestServer, contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${server.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)}`);
  return response.body as InboundResponse;
}

async function lead(server: TestServer) {
  return (await server.store.getUser('lead1'))!;
}

async function alarmsOf(server: TestServer, kind: Alarm['kind']): Promise<Alarm[]> {
  return (await server.store.alerts.list(await lead(server))).alarms.filter((alarm) => alarm.kind === kind);
}

for (const backend of TEST_BACKENDS) {
  describe(`alarms on ${backend}`, () => {
    async function start(): Promise<TestServer> {
      // Passes run when the test asks (evaluate), not on the real-time timer.
      t = await startTestServer({ backend, tokenTtlMs: 24 * 60 * MINUTE, alarms: { intervalMs: 60 * MINUTE, recheckMs: 60 * MINUTE } });
      await seedTestOrganisation(t.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'lead2', displayName: '陈主管', role: 'lead', channels: [] },
        { username: 'admin1', displayName: '管理员', role: 'admin', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
        { username: 'agent2', displayName: '刘洋', channels: ['phone'] },
      ]);
      return t;
    }

    it('raises a backlog alarm once per crossing, with several leads online or none, and re-arms when the backlog falls back', async () => {
      const server = await start();
      const alarms = server.server.alarms;
      await alarms.setThreshold(await lead(server), 'chat', 2);
      const tickets: string[] = [];
      for (let index = 0; index < 3; index += 1) {
        tickets.push((await inbound(server, { channel: 'chat', customer: { name: `访客${String(index)}` }, text: '在吗' })).ticketId);
      }
      // Nobody connected: the alarm is raised all the same, once however many passes run.
      await alarms.evaluate();
      await alarms.evaluate();
      expect(await alarmsOf(server, 'backlog')).toEqual([
        expect.objectContaining({ subject: 'chat', channel: 'chat', facts: { pending: 3, threshold: 2 }, ackedAt: null }),
      ]);

      // The board flags the channel against the same threshold.
      const board = await createBoardRepository(server.store.sql, createReportRepository(server.store.sql)).snapshot(server.clock.now());
      const chatRow = board.rows.find((row) => row.channel === 'chat')!;
      expect(chatRow).toMatchObject({ pending: 3, backlogThreshold: 2 });
      expect(boardRowAlerts(chatRow, board.backlogThreshold).backlog).toBe(true);

      // Two leads online: a fourth contact (still over) raises nothing new and pushes nothing.
      const lead1 = await connectAs(server, 'lead1');
      const lead2 = await connectAs(server, 'lead2');
      await inbound(server, { channel: 'chat', customer: { name: '访客3' }, text: '在吗' });
      await alarms.evaluate();
      expect(await alarmsOf(server, 'backlog')).toHaveLength(1);

      // Back to the threshold: re-armed; over it again: a second crossing, pushed to each lead once.
      // Online, so the lead can hand them over.
      await connectAs(server, 'agent1');
      const moved = await server.server.routing.reassign(await lead(server), tickets.slice(0, 2), 'agent1');
      expect(moved.map((outcome) => outcome.ok)).toEqual([true, true]);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'backlog')).toHaveLength(1);
      await inbound(server, { channel: 'chat', customer: { name: '访客4' }, text: '在吗' });
      await alarms.evaluate();
      expect(await alarmsOf(server, 'backlog')).toHaveLength(2);
      for (const watcher of [lead1, lead2]) {
        await vi.waitFor(() => expect(watcher.pushed.filter((alarm) => alarm.kind === 'backlog')).toHaveLength(1));
        expect(watcher.pushed.find((alarm) => alarm.kind === 'backlog')?.facts).toEqual({ pending: 3, threshold: 2 });
      }
    });

    it('counts a backlog only one past its threshold each pass, and exactly in the alarm', async () => {
      const server = await start();
      // The contacts come in under the default threshold, which they do not cross: a pass that runs
      // on its own after a commit (the first one runs at once) cannot raise the alarm between two of them.
      for (let index = 0; index < 4; index += 1) await inbound(server, { channel: 'social', customer: { name: `网友${String(index)}` }, text: '在吗' });
      await server.server.alarms.setThreshold(await lead(server), 'social', 1);
      await server.server.alarms.evaluate();
      expect(await alarmsOf(server, 'backlog')).toEqual([expect.objectContaining({ subject: 'social', facts: { pending: 4, threshold: 1 } })]);
    });

    it('warns at 80% of a longer SLA an admin set (two days), not only of the built-in windows', async () => {
      const server = await start();
      const admin = (await server.store.getUser('admin1'))!;
      await server.store.admin.setPolicies(admin, { ...DEFAULT_POLICIES, slaMinutes: { urgent: 120, normal: 48 * 60, low: 72 * 60 } }, server.clock.now());
      const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '请问保修期多久' });
      const ticket = (await server.store.getTicket(ticketId))!;
      expect(ticket.dueAt - ticket.createdAt).toBe(48 * 60 * MINUTE);
      server.clock.set(ticket.createdAt + 0.8 * 48 * 60 * MINUTE);
      await server.server.alarms.evaluate();
      expect(await alarmsOf(server, 'sla_warning')).toEqual([expect.objectContaining({ ticketId })]);
    });

    it('warns at 80% of the SLA and notifies the breach, to the assignee and the leads', async () => {
      const server = await start();
      const alarms = server.server.alarms;
      const agent1 = await connectAs(server, 'agent1');
      const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票开错了' });
      await vi.waitFor(async () => expect((await server.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
      const agent2 = await connectAs(server, 'agent2');
      const lead1 = await connectAs(server, 'lead1');
      const ticket = (await server.store.getTicket(ticketId))!;
      const window = ticket.dueAt - ticket.createdAt;

      server.clock.set(ticket.createdAt + window * 0.8 - 1000);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'sla_warning')).toEqual([]);
      server.clock.set(ticket.createdAt + window * 0.8);
      await alarms.evaluate();
      await alarms.evaluate();
      expect(await alarmsOf(server, 'sla_warning')).toEqual([
        expect.objectContaining({ ticketId, agentId: 'agent1', facts: expect.objectContaining({ dueAt: ticket.dueAt }) as unknown }),
      ]);
      expect(await alarmsOf(server, 'sla_breach')).toEqual([]);

      server.clock.set(ticket.dueAt);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'sla_breach')).toEqual([expect.objectContaining({ ticketId, agentId: 'agent1' })]);
      // The email's first-response target (4 h) is its resolution window too: that alarm comes with the breach.
      for (const receiver of [agent1, lead1]) {
        await vi.waitFor(() => expect(receiver.pushed.map((alarm) => alarm.kind).sort()).toEqual(['first_response_breach', 'sla_breach', 'sla_warning']));
      }
      // The assignee's list holds their SLA alarms only; another agent hears and sees nothing.
      const agentList = await askSocket<{ alarms: Alarm[] }>(agent1.socket, 'alarms:list', {});
      expect(agentList.ok && agentList.result.alarms.map((alarm) => alarm.kind).sort()).toEqual(['first_response_breach', 'sla_breach', 'sla_warning']);
      const strangerList = await askSocket<{ alarms: Alarm[] }>(agent2.socket, 'alarms:list', {});
      expect(strangerList.ok && strangerList.result.alarms).toEqual([]);
      expect(agent2.pushed).toEqual([]);
    });

    it('walks each kind once: a walk does not read again what it passed, and changed tickets are looked up by id', async () => {
      const server = await start();
      const ids: string[] = [];
      for (const [index, name] of ['周一', '周二', '周三'].entries()) {
        ids.push((await inbound(server, { channel: 'email', customer: { name, email: `walk${String(index)}@example.cn` }, text: '发票开错了' })).ticketId);
        server.clock.set(server.clock.now() + MINUTE);
      }
      const tickets = await Promise.all(ids.map(async (id) => (await server.store.getTicket(id))!));
      const at = tickets[2]!.dueAt + 24 * 60 * MINUTE;
      const walks = [
        { key: 'dueAt', walk: (scope: CandidateScope, limit = 2) => server.store.alerts.slaBreachesDue(at, limit, scope) },
        { key: 'createdAt', walk: (scope: CandidateScope, limit = 2) => server.store.alerts.unassignedTooLong(at, limit, scope) },
        {
          key: 'createdAt',
          walk: (scope: CandidateScope, limit = 2) =>
            server.store.alerts.firstResponsesOverdue(at, DEFAULT_TARGETS, limit, 'ids' in scope ? scope : { after: scope.after, channel: 'email' }),
        },
      ] as const;
      for (const { key, walk } of walks) {
        const first = await walk({ after: null });
        expect(first.tickets.map((ticket) => ticket.id)).toEqual(ids.slice(0, 2));
        expect(first.walkedTo).toEqual({ key: tickets[1]![key], id: ids[1] });
        const second = await walk({ after: first.walkedTo });
        expect(second.tickets.map((ticket) => ticket.id)).toEqual([ids[2]]);
        // Short of the limit: everything up to the range's end was looked at.
        expect(second.walkedTo!.key).toBeGreaterThan(tickets[2]![key]);
        // Nothing raised yet, and still nothing read again behind the walk; by id, all of them.
        expect((await walk({ after: second.walkedTo })).tickets).toEqual([]);
        expect((await walk({ ids: [...ids].reverse() }, ids.length)).tickets.map((ticket) => ticket.id)).toEqual(ids);
      }
    });

    it('alarms a ticket whose due time moved behind the walk (made urgent after the walk passed its new due time), once', async () => {
      const server = await start();
      const alarms = server.server.alarms;
      const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '吴昊', email: 'wuhao@example.cn' }, text: '发票开错了' });
      const ticket = (await server.store.getTicket(ticketId))!;
      const urgentWindow = DEFAULT_POLICIES.slaMinutes.urgent * MINUTE;
      expect(ticket.dueAt - ticket.createdAt).toBeGreaterThan(urgentWindow + 30 * MINUTE);
      server.clock.set(ticket.createdAt + urgentWindow + 30 * MINUTE);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'sla_breach')).toEqual([]);

      const setUrgent = { mutationId: 'm-urgent', kind: 'setPriority', ticketId, priority: 'urgent', createdAt: server.clock.now() } as const;
      expect(await server.store.applyMutation(await lead(server), 'client-lead1', setUrgent, server.clock.now())).toMatchObject({ ok: true });
      expect((await server.store.getTicket(ticketId))!.dueAt).toBe(ticket.createdAt + urgentWindow);
      await alarms.evaluate();
      await alarms.evaluate();
      expect(await alarmsOf(server, 'sla_breach')).toEqual([
        expect.objectContaining({ ticketId, facts: expect.objectContaining({ dueAt: ticket.createdAt + urgentWindow }) as unknown }),
      ]);
    });

    it('alarms a complaint nobody started within an hour, and a ticket unassigned for ten minutes', async () => {
      const server = await start();
      const alarms = server.server.alarms;
      const complaint = await inbound(server, { channel: 'email', customer: { name: '钱进', email: 'qian@example.cn' }, text: '我要投诉你们的快递' });
      const plain = await inbound(server, { channel: 'email', customer: { name: '孙丽', email: 'sun@example.cn' }, text: '请问怎么退货' });
      const start0 = server.clock.now();

      server.clock.set(start0 + 10 * MINUTE - 1);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'unassigned')).toEqual([]);
      server.clock.set(start0 + 10 * MINUTE);
      await alarms.evaluate();
      expect((await alarmsOf(server, 'unassigned')).map((alarm) => alarm.ticketId).sort()).toEqual([complaint.ticketId, plain.ticketId].sort());
      expect(await alarmsOf(server, 'complaint_unstarted')).toEqual([]);

      server.clock.set(start0 + 60 * MINUTE);
      await alarms.evaluate();
      await alarms.evaluate();
      expect(await alarmsOf(server, 'complaint_unstarted')).toEqual([expect.objectContaining({ ticketId: complaint.ticketId, channel: 'email' })]);
      expect(await alarmsOf(server, 'unassigned')).toHaveLength(2);
    });

    it('alarms a first response overdue once per ticket, to the assignee and the leads; not an answered ticket, not again after a restart', async () => {
      let server = await start();
      const agent1 = await connectAs(server, 'agent1');
      const late = await inbound(server, { channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票开错了' });
      const answered = await inbound(server, { channel: 'email', customer: { name: '孙丽', email: 'sun@example.cn' }, text: '请问怎么退货' });
      await vi.waitFor(async () => {
        expect((await server.store.getTicket(late.ticketId))?.assigneeId).toBe('agent1');
        expect((await server.store.getTicket(answered.ticketId))?.assigneeId).toBe('agent1');
      });
      const agentUser = (await server.store.getUser('agent1'))!;
      const reply = {
        mutationId: 'm-first-reply',
        kind: 'reply',
        ticketId: answered.ticketId,
        messageId: 'msg-first-reply',
        text: '您好，退货请在订单页申请',
        createdAt: server.clock.now(),
      } as const;
      expect(await server.store.applyMutation(agentUser, 'client-agent1', reply, server.clock.now())).toMatchObject({ ok: true });
      const lead1 = await connectAs(server, 'lead1');
      const lead2 = await connectAs(server, 'lead2');
      const agent2 = await connectAs(server, 'agent2');
      const ticket = (await server.store.getTicket(late.ticketId))!;
      const target = DEFAULT_POLICIES.firstResponseMinutes.email * MINUTE;

      server.clock.set(ticket.createdAt + target - 1);
      await server.server.alarms.evaluate();
      expect(await alarmsOf(server, 'first_response_breach')).toEqual([]);
      server.clock.set(ticket.createdAt + target);
      await server.server.alarms.evaluate();
      await server.server.alarms.evaluate();
      expect(await alarmsOf(server, 'first_response_breach')).toEqual([
        expect.objectContaining({
          ticketId: late.ticketId,
          channel: 'email',
          agentId: 'agent1',
          facts: expect.objectContaining({ dueAt: ticket.createdAt + target, firstResponseMinutes: DEFAULT_POLICIES.firstResponseMinutes.email }) as unknown,
        }),
      ]);
      for (const receiver of [agent1, lead1, lead2]) {
        await vi.waitFor(() =>
          expect(receiver.pushed.filter((alarm) => alarm.kind === 'first_response_breach').map((alarm) => alarm.ticketId)).toEqual([late.ticketId]),
        );
      }
      // The assignee lists it among their own alarms; another agent neither hears nor sees it.
      const agentList = await askSocket<{ alarms: Alarm[] }>(agent1.socket, 'alarms:list', {});
      expect(agentList.ok && agentList.result.alarms.filter((alarm) => alarm.kind === 'first_response_breach').map((alarm) => alarm.ticketId)).toEqual([
        late.ticketId,
      ]);
      expect(agent2.pushed).toEqual([]);
      // Acknowledged like the others.
      const [breach] = await alarmsOf(server, 'first_response_breach');
      const acked = await askSocket<{ alarm: Alarm }>(lead1.socket, 'alarms:ack', { id: breach!.id });
      expect(acked.ok && acked.result.alarm.ackedById).toBe('lead1');

      // Nobody online: a chat nobody took alarms all the same after the chat's target, without an assignee.
      disconnectTestSockets();
      const chat = await inbound(server, { channel: 'chat', customer: { name: '访客' }, text: '在吗' });
      server.clock.advance(DEFAULT_POLICIES.firstResponseMinutes.chat * MINUTE);
      await server.server.alarms.evaluate();
      expect((await alarmsOf(server, 'first_response_breach')).map((alarm) => [alarm.ticketId, alarm.agentId])).toEqual([
        [chat.ticketId, null],
        [late.ticketId, 'agent1'],
      ]);

      // A restart on the same database (its first pass looks at everything again) raises nothing twice.
      const restartWith = { dataDir: server.dataDir, clock: server.clock, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) };
      const keep = server;
      await keep.server.close();
      server = await startTestServer({ backend, ...restartWith, tokenTtlMs: 24 * 60 * MINUTE, alarms: { intervalMs: 60 * MINUTE, recheckMs: 60 * MINUTE } });
      // The afterEach stops the restarted server and removes what the first one made (its data directory, its database).
      t = { ...server, stop: () => server.server.close().then(() => keep.stop()) };
      server.clock.advance(MINUTE);
      expect((await server.server.alarms.evaluate()).filter((alarm) => alarm.kind === 'first_response_breach')).toEqual([]);
      expect(await alarmsOf(server, 'first_response_breach')).toHaveLength(2);
    });

    it('a restart walks every overdue ticket again from the start, and raises (so pushes) nothing it raised before, of any walked kind', async () => {
      let server = await start();
      // Never assigned (unassigned, first response, SLA), a complaint not started, and a ticket sent back to the queue.
      const { ticketId: requeued } = await inbound(server, { channel: 'email', customer: { name: '冯媛', email: 'feng@example.cn' }, text: '请问怎么退货' });
      await connectAs(server, 'agent1');
      await vi.waitFor(async () => expect((await server.store.getTicket(requeued))?.assigneeId).toBe('agent1'));
      await server.server.routing.setPresence('agent1', 'away', 'self', null);
      await server.server.routing.reassign(await lead(server), [requeued], null);
      disconnectTestSockets();
      await inbound(server, { channel: 'chat', customer: { name: '访客' }, text: '在吗' });
      await inbound(server, { channel: 'email', customer: { name: '周杰', email: 'zhou@example.cn' }, text: '我要投诉' });
      // Long past every target and due time.
      server.clock.advance(3 * 24 * 60 * MINUTE);
      while ((await server.server.alarms.evaluate()).length > 0);
      const before = (await server.store.alerts.list(await lead(server))).alarms;
      expect(new Set(before.map((alarm) => alarm.kind))).toEqual(new Set(['unassigned', 'first_response_breach', 'sla_breach', 'complaint_unstarted']));
      expect(before.filter((alarm) => alarm.kind === 'unassigned' && alarm.facts.requeuedAt !== undefined).map((alarm) => alarm.ticketId)).toEqual([requeued]);

      // The walks' positions live in memory: the restarted server's first pass starts from nothing.
      const restartWith = { dataDir: server.dataDir, clock: server.clock, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) };
      const keep = server;
      await keep.server.close();
      server = await startTestServer({ backend, ...restartWith, tokenTtlMs: 24 * 60 * MINUTE, alarms: { intervalMs: 60 * MINUTE, recheckMs: 60 * MINUTE } });
      t = { ...server, stop: () => server.server.close().then(() => keep.stop()) };
      server.clock.advance(MINUTE);
      // What a pass raises is what it pushes (alarmService's `after`): nothing.
      expect(await server.server.alarms.evaluate()).toEqual([]);
      expect((await server.store.alerts.list(await lead(server))).alarms.map((alarm) => alarm.id)).toEqual(before.map((alarm) => alarm.id));
    });

    it('alarms a ticket sent back to the queue once it has waited ten minutes since, once per wait, re-armed by the next assignment', async () => {
      const server = await start();
      const alarms = server.server.alarms;
      const routing = server.server.routing;
      const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '冯媛', email: 'feng@example.cn' }, text: '请问怎么退货' });
      // The first wait: never assigned, 10 minutes → the alarm of old.
      server.clock.advance(10 * MINUTE);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'unassigned')).toEqual([expect.objectContaining({ ticketId })]);

      const takeAndRequeue = async () => {
        await connectAs(server, 'agent1');
        await vi.waitFor(async () => expect((await server.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
        server.clock.advance(5 * MINUTE);
        // Away, so nobody takes it back at once: it waits in the queue.
        await routing.setPresence('agent1', 'away', 'self', null);
        expect(await routing.reassign(await lead(server), [ticketId], null)).toEqual([expect.objectContaining({ ok: true })]);
        const requeued = (await server.store.getTicket(ticketId))!;
        expect(requeued.assigneeId).toBeNull();
        return server.clock.now();
      };

      const firstRequeue = await takeAndRequeue();
      server.clock.set(firstRequeue + 10 * MINUTE - 1);
      await alarms.evaluate();
      expect(await alarmsOf(server, 'unassigned')).toHaveLength(1);
      server.clock.set(firstRequeue + 10 * MINUTE);
      await alarms.evaluate();
      await alarms.evaluate();
      server.clock.advance(3 * 60 * MINUTE);
      await alarms.evaluate();
      const afterFirst = await alarmsOf(server, 'unassigned');
      expect(afterFirst).toHaveLength(2);
      expect(afterFirst[0]).toMatchObject({ ticketId, agentId: null, facts: expect.objectContaining({ requeuedAt: firstRequeue }) as unknown });

      // Assigned again and sent back again: another wait, another alarm.
      await routing.setPresence('agent1', 'available', 'self', null);
      const secondRequeue = await takeAndRequeue();
      expect(secondRequeue).toBeGreaterThan(firstRequeue);
      server.clock.set(secondRequeue + 10 * MINUTE);
      await alarms.evaluate();
      await alarms.evaluate();
      expect((await alarmsOf(server, 'unassigned')).map((alarm) => alarm.facts.requeuedAt ?? null)).toEqual([secondRequeue, firstRequeue, null]);
    });

    it('keeps an escalation request reachable behind hundreds of newer alarms: open list, keyset pages without gap or duplicate, and the open counts of the server', async () => {
      const server = await start();
      const agent1 = await connectAs(server, 'agent1');
      const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '韩梅', email: 'han@example.cn' }, text: '主板坏了' });
      await vi.waitFor(async () => expect((await server.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
      const raiseSla = (from: number, count: number) =>
        server.store.withTransaction(async () => {
          for (let index = from; index < from + count; index += 1) {
            await server.store.alerts.raise(
              {
                kind: 'sla_breach',
                subject: `SLA${String(index)}`,
                crossing: '1',
                ticketId: null,
                channel: 'email',
                agentId: null,
                facts: { priority: 'normal' },
              },
              server.clock.now(),
            );
          }
        });
      await raiseSla(0, 250);
      const { request } = okResult(await askSocket<{ request: Alarm }>(agent1.socket, 'ticket:escalate', { ticketId, reason: '需要二线' }));
      // SLA alarms keep coming after the request: it is far behind the newest 200.
      await raiseSla(250, 250);
      const lead1 = await connectAs(server, 'lead1');
      const counted: AlarmCounts[] = [];
      lead1.socket.on('alarms:counts', (counts) => counted.push(alarmCountsSchema.parse(counts)));

      type Page = { alarms: Alarm[]; next: number | null; counts: AlarmCounts };
      const newest = okResult(await askSocket<Page>(lead1.socket, 'alarms:list', {}));
      expect(newest.alarms).toHaveLength(200);
      expect(newest.alarms.some((alarm) => alarm.id === request.id)).toBe(false);
      expect(newest.counts).toEqual({ open: 501, escalations: 1 });
      const waiting = okResult(await askSocket<Page>(lead1.socket, 'alarms:list', { open: true, kind: 'escalation_request' }));
      expect(waiting.alarms.map((alarm) => alarm.id)).toEqual([request.id]);
      expect(waiting.next).toBeNull();

      // One acknowledged: the count follows, pushed to the leads.
      okResult(await askSocket(lead1.socket, 'alarms:ack', { id: newest.alarms[5]!.id }));
      await vi.waitFor(() => expect(counted.at(-1)).toEqual({ open: 500, escalations: 1 }));

      // Keyset pages: every alarm once, newest first, down to the oldest.
      const pageThrough = async (request: Record<string, unknown>, limit: number) => {
        const ids: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page = okResult(await askSocket<Page>(lead1.socket, 'alarms:list', { ...request, limit, ...(before ? { before } : {}) }));
          ids.push(...page.alarms.map((alarm) => alarm.id));
          if (page.next === null) return ids;
          before = page.next;
        }
      };
      const all = (await server.store.alerts.list(await lead(server), { limit: 1000 })).alarms;
      expect(all).toHaveLength(501);
      expect(await pageThrough({}, 200)).toEqual(all.map((alarm) => alarm.id));
      const open = await pageThrough({ open: true }, 150);
      expect(open).toEqual(all.filter((alarm) => alarm.id !== newest.alarms[5]!.id).map((alarm) => alarm.id));
      expect(open).toContain(request.id);
      expect(await askSocket(lead1.socket, 'alarms:list', { limit: 501 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

      // The lead decides it; nothing waits any more. The agent's own list counts their own.
      okResult(await askSocket(lead1.socket, 'alarms:decide', { id: request.id, approve: false, reason: '先按一线流程处理' }));
      await vi.waitFor(() => expect(counted.at(-1)).toEqual({ open: 499, escalations: 0 }));
      const agentList = okResult(await askSocket<Page>(agent1.socket, 'alarms:list', { open: true }));
      expect(agentList).toMatchObject({ alarms: [], next: null, counts: { open: 0, escalations: 0 } });
    });

    it('lets leads and admins acknowledge (who and when kept, the first one wins); agents and bad input are refused', async () => {
      const server = await start();
      const agent1 = await connectAs(server, 'agent1');
      const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '郑爽', email: 'zheng@example.cn' }, text: '发票' });
      await vi.waitFor(async () => expect((await server.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
      server.clock.advance(4 * 60 * MINUTE);
      await server.server.alarms.evaluate();
      const [breach] = await alarmsOf(server, 'sla_breach');
      expect(breach).toMatchObject({ ticketId, agentId: 'agent1' });
      const lead1 = await connectAs(server, 'lead1');
      const admin = await connectAs(server, 'admin1');

      // The assignee may see their alarm but not acknowledge it: acknowledging is a lead action.
      expect(await askSocket(agent1.socket, 'alarms:ack', { id: breach!.id })).toEqual({
        ok: false,
        error: { code: 'forbidden', message: expect.any(String) as string },
      });
      expect(await askSocket(lead1.socket, 'alarms:ack', { id: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await askSocket(lead1.socket, 'alarms:ack', { id: 999_999 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect((await server.store.alerts.get(breach!.id))?.ackedAt).toBeNull();

      const acked = await askSocket<{ alarm: Alarm }>(lead1.socket, 'alarms:ack', { id: breach!.id });
      expect(acked).toEqual({
        ok: true,
        result: { alarm: expect.objectContaining({ ackedById: 'lead1', ackedByName: '李主管', ackedAt: server.clock.now() }) as unknown },
      });
      server.clock.advance(MINUTE);
      const again = await askSocket<{ alarm: Alarm }>(admin.socket, 'alarms:ack', { id: breach!.id });
      expect(again.ok && again.result.alarm.ackedById).toBe('lead1');
      // The change reaches the assignee's list live too.
      await vi.waitFor(() => expect(agent1.pushed.some((alarm) => alarm.id === breach!.id && alarm.ackedById === 'lead1')).toBe(true));

      // Thresholds: leads set them, agents may not, nonsense is refused.
      expect(await askSocket(agent1.socket, 'alarms:setThreshold', { channel: 'chat', threshold: 5 })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      expect(await askSocket(lead1.socket, 'alarms:setThreshold', { channel: 'chat', threshold: 0 })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await askSocket(lead1.socket, 'alarms:setThreshold', { channel: 'chat', threshold: 30 })).toEqual({
        ok: true,
        result: { thresholds: { phone: 50, chat: 30, social: 50, email: 50 } },
      });
      // Audited with the write (who, which channel, before, after); the refused attempts left no entry.
      const audited = (await server.store.admin.listAudit(undefined)).filter((entry) => entry.action === 'backlog_threshold_set');
      expect(audited).toEqual([
        expect.objectContaining({
          actorId: 'lead1',
          targetId: null,
          before: { channel: 'chat', backlogThreshold: 50 },
          after: { channel: 'chat', backlogThreshold: 30 },
          at: server.clock.now(),
        }),
      ]);
    });
    if (backend === 'postgres') {
      it('two evaluators on one PostgreSQL database (a second node) raise each alarm in one row, pushed by one of them', async () => {
        const server = await start();
        await inbound(server, { channel: 'email', customer: { name: '周杰', email: 'zhou@example.cn' }, text: '我要投诉' });
        await inbound(server, { channel: 'chat', customer: { name: '吴磊' }, text: '在吗' });
        await server.server.alarms.setThreshold(await lead(server), 'chat', 0);
        // SQLite is one node by design (one writer process); a second node means PostgreSQL.
        const second = await openPostgresServerStore({ databaseUrl: server.databaseUrl!, maxConnections: 4, log: () => undefined });
        extraStores.push(second);
        const evaluatorOn = (store: ServerStore) => {
          return createAlarmService({
            store,
            router: { escalate: () => Promise.reject(new Error('not in this test')) },
            now: server.clock.now,
            log: () => undefined,
            recheckMs: 60 * MINUTE,
          });
        };
        const nodeA = evaluatorOn(server.store);
        const nodeB = evaluatorOn(second);
        server.clock.advance(2 * 60 * MINUTE);
        try {
          const [raisedA, raisedB] = await Promise.all([nodeA.evaluate(), nodeB.evaluate()]);
          const all = (await server.store.alerts.list(await lead(server))).alarms;
          // backlog (chat), unassigned ×2, complaint, SLA: each (kind, subject) once, and each row reported by exactly one node.
          const keys = all.map((alarm) => `${alarm.kind}:${alarm.subject}`);
          expect(new Set(keys).size).toBe(keys.length);
          expect(keys).toEqual(
            expect.arrayContaining([
              'backlog:chat',
              'complaint_unstarted:' + all.find((a) => a.kind === 'complaint_unstarted')!.subject,
              // The chat's 2-minute first-response target is long past; the email's 4 hours are not.
              'first_response_breach:' + all.find((a) => a.kind === 'unassigned' && a.channel === 'chat')!.subject,
            ]),
          );
          expect([...raisedA, ...raisedB].map((alarm) => alarm.id).sort()).toEqual(all.map((alarm) => alarm.id).sort());
        } finally {
          await nodeA.stop();
          await nodeB.stop();
        }
      });

      it("two evaluators on one PostgreSQL database raise a requeued ticket's alarm in one row", async () => {
        const server = await start();
        const { ticketId } = await inbound(server, { channel: 'email', customer: { name: '蒋琳', email: 'jiang@example.cn' }, text: '请问怎么退货' });
        await connectAs(server, 'agent1');
        await vi.waitFor(async () => expect((await server.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
        await server.server.routing.setPresence('agent1', 'away', 'self', null);
        await server.server.routing.reassign(await lead(server), [ticketId], null);
        const requeuedAt = server.clock.now();
        const second = await openPostgresServerStore({ databaseUrl: server.databaseUrl!, maxConnections: 4, log: () => undefined });
        extraStores.push(second);
        const evaluators = [server.store, second].map((store) =>
          createAlarmService({ store, router: { escalate: () => Promise.reject(new Error('not in this test')) }, now: server.clock.now, log: () => undefined }),
        );
        server.clock.set(requeuedAt + 10 * MINUTE);
        try {
          const raised = (await Promise.all(evaluators.map((evaluator) => evaluator.evaluate()))).flat().filter((alarm) => alarm.kind === 'unassigned');
          expect(raised).toEqual([expect.objectContaining({ ticketId, facts: expect.objectContaining({ requeuedAt }) as unknown })]);
          expect(await alarmsOf(server, 'unassigned')).toEqual([expect.objectContaining({ id: raised[0]!.id })]);
        } finally {
          for (const evaluator of evaluators) await evaluator.stop();
        }
      });
    }
  });
}
