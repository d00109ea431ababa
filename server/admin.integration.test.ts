/**
 * Administration through the real server (HTTP sign-in, socket.io clients, manual scheduler),
 * on SQLite and PostgreSQL: an admin creates a user who signs in; deactivating an agent who
 * holds tickets puts them back in the queue where routing gives them to another agent, ends
 * the agent's socket and refuses their sign-in and their old token; the refusals an admin can
 * meet; policies applied to new tickets and the offer timeout without a restart.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { adminAuditResultSchema, adminUserResultSchema, adminUsersResultSchema, DEFAULT_POLICIES, policiesResultSchema } from '../shared/admin.js';
import type { InboundContact, InboundResponse } from '../shared/httpApi.js';
import { leadReassignResultSchema, ticketResultSchema, type RoutingOffer } from '../shared/routing.js';
import { workstationHandshakeAuth, ackSchema, type Ack, type ClientToServerEvents, type ServerToClientEvents, type SessionEnded } from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { createManualScheduler, type ManualScheduler } from './routing/scheduler.js';
import {
  TEST_BACKENDS,
  TEST_INTEGRATION_TOKEN,
  TEST_PASSWORD,
  createTestClock,
  getJson,
  login,
  postJson,
  startTestServer,
  type TestServer,
} from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
interface Client {
  socket: ClientSocket;
  token: string;
  offers: RoutingOffer[];
  ended: SessionEnded[];
  disconnected: boolean;
}

let t: TestServer;
let scheduler: ManualScheduler;
const sockets: ClientSocket[] = [];

async function connectAs(username: string, password: string = TEST_PASSWORD): Promise<Client> {
  const { token } = await login(t.url, username, password);
  const socket: ClientSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `client-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const client: Client = { socket, token, offers: [], ended: [], disconnected: false };
  socket.on('routing:offer', (offer) => client.offers.push(offer));
  socket.on('session:ended', (event) => client.ended.push(event));
  socket.on('disconnect', () => (client.disconnected = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await t.server.routing.idle();
  return client;
}

type UntypedEmitter = { emitWithAck(event: string, request: unknown): Promise<unknown> };
async function ask<T extends z.ZodType>(client: Client, event: string, request: unknown, schema: T): Promise<Ack<z.infer<T>>> {
  const raw = await (client.socket.timeout(5000) as unknown as UntypedEmitter).emitWithAck(event, request);
  return ackSchema(schema).parse(raw) as Ack<z.infer<T>>;
}
function result<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`ack failed: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

async function inbound(contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)}`);
  return response.body as InboundResponse;
}

const SKILLS = { role: 'agent', channels: ['email'], groups: [], tier: 1, senior: false, languages: ['zh'], extension: null } as const;

for (const backend of TEST_BACKENDS) {
  describe(`administration on ${backend}`, () => {
    beforeEach(async () => {
      const clock = createTestClock();
      scheduler = createManualScheduler(clock);
      t = await startTestServer({
        backend,
        clock,
        scheduler,
        routing: { disconnectGraceMs: 10_000, drainIntervalMs: 1_000, perAgentPerTick: 5 },
        agentsPushThrottleMs: 0,
      });
      for (const [id, role, name] of [
        ['admin1', 'admin', '系统管理员'],
        ['lead1', 'lead', '李主管'],
        ['agent1', 'agent', '王芳'],
        ['agent2', 'agent', '张强'],
      ] as const) {
        await t.store.createUser({ id, username: id, password: TEST_PASSWORD, displayName: name, role, channels: role === 'agent' ? ['email'] : [] });
      }
      await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    });

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await t.stop();
    });

    it('deactivating an agent who holds tickets re-queues them to another agent, ends their socket and refuses their sign-in; reactivating lets them back', async () => {
      const admin = await connectAs('admin1');
      const agent1 = await connectAs('agent1');
      const first = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单查询', text: '我的订单到哪了' });
      const second = await inbound({ channel: 'email', customer: { name: '李娜', email: 'ln@example.cn' }, subject: '订单查询', text: '订单没有更新' });
      await t.server.routing.idle();
      expect((await t.store.getTicket(first.ticketId))?.assigneeId).toBe('agent1');
      expect((await t.store.getTicket(second.ticketId))?.assigneeId).toBe('agent1');
      await connectAs('agent2');

      const deactivated = result(await ask(admin, 'admin:setActive', { userId: 'agent1', active: false }, adminUserResultSchema));
      expect(deactivated).toMatchObject({ ok: true, user: { id: 'agent1', active: false } });
      await t.server.routing.idle();
      // Back in the queue and routed again, to the only other agent who can take them.
      expect(await t.store.getTicket(first.ticketId)).toMatchObject({ assigneeId: 'agent2' });
      expect(await t.store.getTicket(second.ticketId)).toMatchObject({ assigneeId: 'agent2' });
      const audit1 = (await t.store.routing.listAudit(first.ticketId)).map((e) => [e.decision, e.actorName, e.assigneeId]);
      expect(audit1.slice(0, 3)).toEqual([
        ['assigned', null, 'agent1'],
        ['queued', '系统管理员', 'agent1'],
        ['assigned', null, 'agent2'],
      ]);
      // Their socket is told why and ended; their token and their password no longer work.
      await vi.waitFor(() => expect(agent1.disconnected).toBe(true));
      expect(agent1.ended).toEqual([expect.objectContaining({ reason: 'revoked' })]);
      expect((await getJson(`${t.url}/api/v1/tickets`, agent1.token)).status).toBe(401);
      await expect(login(t.url, 'agent1')).rejects.toThrow(/401/);
      expect(t.logLines.some((line) => line.includes('agent1') && line.includes('deactivated'))).toBe(true);
      expect((await t.store.routing.loadAgentSettings()).get('agent1')).toMatchObject({ presence: 'offline' });

      result(await ask(admin, 'admin:setActive', { userId: 'agent1', active: true }, adminUserResultSchema));
      const back = await connectAs('agent1');
      expect(back.socket.connected).toBe(true);
      const audit = result(await ask(admin, 'admin:audit', { userId: 'agent1' }, adminAuditResultSchema));
      expect(audit.entries.map((e) => [e.action, e.actorName])).toEqual([
        ['user_reactivated', '系统管理员'],
        ['user_deactivated', '系统管理员'],
      ]);
    });

    it('tickets pinned to an agent who is made a lead are unpinned and go to an agent who can take them', async () => {
      const admin = await connectAs('admin1');
      const lead = await connectAs('lead1');
      // agent1 is away: what is pinned to them waits for them; agent2 is available with room.
      await connectAs('agent1');
      await t.server.routing.setPresence('agent1', 'away', 'self', null);
      await connectAs('agent2');
      const pinned: string[] = [];
      for (const [name, email] of [
        ['张伟', 'zw@example.cn'],
        ['李娜', 'ln@example.cn'],
      ] as const) {
        const { ticketId } = await inbound({ channel: 'email', customer: { name, email }, subject: '订单查询', text: '我的订单到哪了' });
        await t.server.routing.idle();
        // Taken from agent2 (who got it) and pinned to agent1: it waits for them.
        result(await ask(lead, 'lead:pin', { ticketId, agentId: 'agent1' }, ticketResultSchema));
        await t.server.routing.idle();
        expect(await t.store.getTicket(ticketId)).toMatchObject({
          assigneeId: null,
          assignmentReason: { code: 'queued', cause: 'waiting_for_pinned_agent' },
          routing: { pinnedAgentId: 'agent1' },
        });
        pinned.push(ticketId);
      }
      const [first, second] = pinned as [string, string];

      // Made a lead, agent1 takes no tickets: the pins are let go and agent2, available with room, gets the tickets.
      result(
        await ask(
          admin,
          'admin:updateUser',
          { userId: 'agent1', skills: { ...SKILLS, displayName: '王芳', role: 'lead', channels: [] } },
          adminUserResultSchema,
        ),
      );
      await t.server.routing.idle();
      expect(await t.store.getTicket(first)).toMatchObject({ assigneeId: 'agent2', routing: { pinnedAgentId: null } });
      expect(await t.store.getTicket(second)).toMatchObject({ assigneeId: 'agent2', routing: { pinnedAgentId: null } });
      expect((await t.store.routing.listAudit(first)).map((e) => [e.decision, e.actorName])).toContainEqual(['unpinned', '系统管理员']);
    });

    it('a ticket pinned to an agent who is then deactivated is unpinned and goes to an agent who can take it', async () => {
      const admin = await connectAs('admin1');
      const lead = await connectAs('lead1');
      await connectAs('agent1');
      await t.server.routing.setPresence('agent1', 'away', 'self', null);
      await connectAs('agent2');
      const { ticketId } = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单查询', text: '我的订单到哪了' });
      await t.server.routing.idle();
      result(await ask(lead, 'lead:pin', { ticketId, agentId: 'agent1' }, ticketResultSchema));
      await t.server.routing.idle();
      expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, routing: { pinnedAgentId: 'agent1' } });

      result(await ask(admin, 'admin:setActive', { userId: 'agent1', active: false }, adminUserResultSchema));
      await t.server.routing.idle();
      expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: 'agent2', routing: { pinnedAgentId: null } });
    });

    it('a restart lets go of pins stored for agents who can no longer take the ticket (deactivated, made a lead, lost the skill) and requeues what a deactivated agent held, when routing was not told', async () => {
      const lead = await connectAs('lead1');
      await connectAs('agent1');
      await t.server.routing.setPresence('agent1', 'away', 'self', null);
      await connectAs('agent2');
      await t.server.routing.setPresence('agent2', 'away', 'self', null);
      await t.store.createUser({ id: 'agent3', username: 'agent3', password: TEST_PASSWORD, displayName: '刘洋', role: 'agent', channels: ['email'] });
      await t.store.createUser({ id: 'agent4', username: 'agent4', password: TEST_PASSWORD, displayName: '陈静', role: 'agent', channels: ['email'] });
      await t.server.routing.userChanged('agent3', '系统管理员');
      await t.server.routing.userChanged('agent4', '系统管理员');
      /** A waiting email pinned by the lead to `agentId`, who is away or offline: it waits for them. */
      const pinnedTo = async (agentId: string, email: string) => {
        const { ticketId } = await inbound({ channel: 'email', customer: { name: email, email }, subject: '订单查询', text: '我的订单到哪了' });
        await t.server.routing.idle();
        result(await ask(lead, 'lead:pin', { ticketId, agentId }, ticketResultSchema));
        await t.server.routing.idle();
        expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, routing: { pinnedAgentId: agentId } });
        return ticketId;
      };
      const toDeactivated = await pinnedTo('agent1', 'a@example.cn');
      const toLead = await pinnedTo('agent3', 'b@example.cn');
      const toUnskilled = await pinnedTo('agent4', 'c@example.cn');
      const toAgent2 = await pinnedTo('agent2', 'd@example.cn');
      // And agent1 holds one, given by the lead.
      const { ticketId: heldByAgent1 } = await inbound({
        channel: 'email',
        customer: { name: 'e', email: 'e@example.cn' },
        subject: '订单查询',
        text: '我的订单到哪了',
      });
      await t.server.routing.idle();
      result(await ask(lead, 'lead:reassign', { ticketIds: [heldByAgent1], to: 'agent1' }, leadReassignResultSchema));
      await t.server.routing.idle();
      expect(await t.store.getTicket(heldByAgent1)).toMatchObject({ assigneeId: 'agent1' });

      // Written as a version before the pins were let go at once: the users change and routing is not told (no userChanged).
      const admin = (await t.store.getUser('admin1'))!;
      const now = t.clock.now();
      await t.store.admin.setActive(admin, 'agent1', false, now);
      const skills = { ...SKILLS, groups: [], languages: ['zh'] };
      await t.store.admin.updateUser(admin, 'agent3', { ...skills, displayName: '刘洋', role: 'lead', channels: [] }, now);
      await t.store.admin.updateUser(admin, 'agent4', { ...skills, displayName: '陈静', channels: ['chat'] }, now);
      await t.server.close();
      for (const socket of sockets.splice(0)) socket.disconnect();

      const previous = t;
      const again = await startTestServer({
        dataDir: t.dataDir,
        ...(t.databaseUrl ? { databaseUrl: t.databaseUrl } : {}),
        clock: t.clock,
        scheduler,
        routing: { disconnectGraceMs: 10_000, drainIntervalMs: 1_000, perAgentPerTick: 5 },
        agentsPushThrottleMs: 0,
      });
      t = { ...again, stop: () => again.stop().then(() => previous.stop()) };
      // Let go on load, written and audited; agent2 (who can still take theirs) keeps their pin.
      for (const ticketId of [toDeactivated, toLead, toUnskilled]) {
        expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, routing: { pinnedAgentId: null } });
        expect((await t.store.routing.listAudit(ticketId)).map((e) => e.decision).slice(-2)).toEqual(['unpinned', 'queued']);
      }
      expect(await t.store.getTicket(toAgent2)).toMatchObject({ routing: { pinnedAgentId: 'agent2' } });
      // What the deactivated agent held is back in the queue, as a deactivation routing hears of does.
      expect(await t.store.getTicket(heldByAgent1)).toMatchObject({ assigneeId: null, status: 'unassigned' });
      expect((await t.store.routing.listAudit(heldByAgent1)).map((e) => [e.decision, e.reason?.code])).toContainEqual(['requeued', 'requeued_agent_offline']);

      // The next agent with room who signs in gets them; agent2's pinned ticket still waits for agent2.
      await t.store.createUser({ id: 'agent5', username: 'agent5', password: TEST_PASSWORD, displayName: '赵磊', role: 'agent', channels: ['email'] });
      await connectAs('agent5');
      for (const ticketId of [toDeactivated, toLead, toUnskilled, heldByAgent1])
        expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: 'agent5' });
      expect(await t.store.getTicket(toAgent2)).toMatchObject({ assigneeId: null, routing: { pinnedAgentId: 'agent2' } });
    });

    it('an admin creates a user who signs in and is routed to; an admin cannot deactivate themself nor demote the last admin', async () => {
      const admin = await connectAs('admin1');
      const created = result(
        await ask(admin, 'admin:createUser', { username: 'agent9', password: 'new-password-9', displayName: '新客服', ...SKILLS }, adminUserResultSchema),
      );
      expect(created).toMatchObject({ ok: true, user: { username: 'agent9', active: true, channels: ['email'] } });
      const taken = result(
        await ask(admin, 'admin:createUser', { username: 'AGENT9', password: 'new-password-9', displayName: 'x', ...SKILLS }, adminUserResultSchema),
      );
      expect(taken).toMatchObject({ ok: false, refusal: 'username_taken' });
      const weak = await ask(admin, 'admin:createUser', { username: 'agent10', password: 'short', displayName: 'x', ...SKILLS }, adminUserResultSchema);
      expect(weak).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

      await connectAs('agent9', 'new-password-9');
      const ticket = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单', text: '订单查询' });
      await t.server.routing.idle();
      expect((await t.store.getTicket(ticket.ticketId))?.assigneeId).toBe(created.ok ? created.user.id : null);

      expect(result(await ask(admin, 'admin:setActive', { userId: 'admin1', active: false }, adminUserResultSchema))).toMatchObject({
        ok: false,
        refusal: 'self_deactivation',
      });
      expect(
        result(await ask(admin, 'admin:updateUser', { userId: 'admin1', skills: { ...SKILLS, displayName: 'x', channels: [] } }, adminUserResultSchema)),
      ).toMatchObject({ ok: false, refusal: 'self_demotion' });
      // A second admin may not demote the last other one either once only one is left.
      const other = result(
        await ask(
          admin,
          'admin:createUser',
          { username: 'admin2', password: 'admin-password-2', displayName: '管理员二', ...SKILLS, role: 'admin' },
          adminUserResultSchema,
        ),
      );
      const admin2 = await connectAs('admin2', 'admin-password-2');
      expect(result(await ask(admin2, 'admin:setActive', { userId: 'admin1', active: false }, adminUserResultSchema))).toMatchObject({ ok: true });
      expect(other.ok).toBe(true);
      const users = result(await ask(admin2, 'admin:users', {}, adminUsersResultSchema)).users;
      expect(users.filter((u) => u.role === 'admin' && u.active).map((u) => u.username)).toEqual(['admin2']);
    });

    it('a demoted admin loses the admin role on the sockets already open, not only at the next sign-in', async () => {
      const admin = await connectAs('admin1');
      result(
        await ask(
          admin,
          'admin:createUser',
          { username: 'admin3', password: 'admin-password-3', displayName: '管理员三', ...SKILLS, role: 'admin' },
          adminUserResultSchema,
        ),
      );
      const demoted = await connectAs('admin3', 'admin-password-3');
      const admin3 = (await t.store.admin.listUsers()).find((u) => u.username === 'admin3')!;
      result(await ask(admin, 'admin:updateUser', { userId: admin3.id, skills: { ...SKILLS, displayName: '管理员三', role: 'agent' } }, adminUserResultSchema));
      await vi.waitFor(() => expect(demoted.ended).toEqual([expect.objectContaining({ reason: 'revoked' })]));
      await vi.waitFor(() => expect(demoted.disconnected).toBe(true));
      // Signed in again, they are the agent they now are.
      const again = await connectAs('admin3', 'admin-password-3');
      expect(await ask(again, 'admin:users', {}, adminUsersResultSchema)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      // A change of skills alone keeps them signed in (routing learns it at once).
      result(
        await ask(admin, 'admin:updateUser', { userId: admin3.id, skills: { ...SKILLS, displayName: '管理员三', channels: ['phone'] } }, adminUserResultSchema),
      );
      await t.server.routing.idle();
      expect(again.ended).toEqual([]);
    });

    it('a changed skill reaches routing at once: an agent given a channel takes the waiting contact', async () => {
      const admin = await connectAs('admin1');
      await connectAs('agent1');
      const chat = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单', text: '订单查询' });
      await t.server.routing.idle();
      expect((await t.store.getTicket(chat.ticketId))?.assigneeId).toBe('agent1');
      // agent1 can no longer take email: their new email goes to the queue until someone can.
      result(
        await ask(admin, 'admin:updateUser', { userId: 'agent1', skills: { ...SKILLS, displayName: '王芳', channels: ['phone'] } }, adminUserResultSchema),
      );
      const next = await inbound({ channel: 'email', customer: { name: '李娜', email: 'ln@example.cn' }, subject: '订单', text: '订单查询' });
      await t.server.routing.idle();
      expect((await t.store.getTicket(next.ticketId))?.assigneeId).toBeNull();
      result(
        await ask(
          admin,
          'admin:updateUser',
          { userId: 'agent1', skills: { ...SKILLS, displayName: '王芳', channels: ['phone', 'email'] } },
          adminUserResultSchema,
        ),
      );
      await t.server.routing.idle();
      expect((await t.store.getTicket(next.ticketId))?.assigneeId).toBe('agent1');
    });

    it('an agent offered a chat who loses the chat channel has the offer withdrawn, and it goes to an agent who can take it', async () => {
      const admin = await connectAs('admin1');
      const chatAndEmail = { ...SKILLS, channels: ['chat', 'email'] } as const;
      for (const [userId, displayName] of [
        ['agent1', '王芳'],
        ['agent2', '张强'],
      ] as const) {
        result(await ask(admin, 'admin:updateUser', { userId, skills: { ...chatAndEmail, displayName } }, adminUserResultSchema));
      }
      const agent1 = await connectAs('agent1');
      const withdrawn: string[] = [];
      agent1.socket.on('routing:offerWithdrawn', (w) => withdrawn.push(w.ticketId));
      const chat = await inbound({ channel: 'chat', customer: { name: '罗琳', phone: '13700137001' }, text: '请问门店几点开门？' });
      await t.server.routing.idle();
      await vi.waitFor(() => expect(agent1.offers.map((o) => o.ticketId)).toEqual([chat.ticketId]));
      const agent2 = await connectAs('agent2');
      expect(agent2.offers).toEqual([]);

      // Chat taken from agent1 while the offer is open: it is not theirs to take any more, and agent2 has room.
      result(
        await ask(admin, 'admin:updateUser', { userId: 'agent1', skills: { ...SKILLS, displayName: '王芳', channels: ['email'] } }, adminUserResultSchema),
      );
      await t.server.routing.idle();
      await vi.waitFor(() => expect(withdrawn).toEqual([chat.ticketId]));
      await vi.waitFor(() => expect(agent2.offers.map((o) => o.ticketId)).toEqual([chat.ticketId]));
      expect((await t.store.getTicket(chat.ticketId))?.routing.offer).toMatchObject({ agentId: 'agent2' });
    });

    it('policies: leads read them, new tickets get the new SLA, the offer timeout changes without a restart', async () => {
      const admin = await connectAs('admin1');
      const lead = await connectAs('lead1');
      expect(result(await ask(lead, 'admin:policies', {}, policiesResultSchema))).toMatchObject({ policies: DEFAULT_POLICIES, updatedAt: null });
      const policies = { ...DEFAULT_POLICIES, slaMinutes: { urgent: 60, normal: 180, low: 600 }, complaintSlaMinutes: 30, offerTimeoutSeconds: 10 };
      expect(await ask(lead, 'admin:setPolicies', { policies }, policiesResultSchema)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      result(await ask(admin, 'admin:setPolicies', { policies }, policiesResultSchema));
      expect(result(await ask(lead, 'admin:policies', {}, policiesResultSchema))).toMatchObject({ policies, updatedByName: '系统管理员' });

      const normal = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单', text: '订单查询' });
      const stored = await t.store.getTicket(normal.ticketId);
      expect(stored!.dueAt - stored!.createdAt).toBe(180 * 60_000);
      // A lead raising its priority: the policy's urgent target, not the built-in 2 h.
      const leadUser = (await t.store.getUser('lead1'))!;
      const raise = { mutationId: 'm-policy-urgent', kind: 'setPriority', ticketId: normal.ticketId, priority: 'urgent', createdAt: t.clock.now() } as const;
      expect(await t.store.applyMutation(leadUser, 'client-lead1', raise, t.clock.now())).toMatchObject({ ok: true });
      const raised = await t.store.getTicket(normal.ticketId);
      expect(raised!.dueAt - raised!.createdAt).toBe(60 * 60_000);
      const complaint = await inbound({
        channel: 'email',
        customer: { name: '李娜', email: 'ln@example.cn' },
        subject: '投诉',
        text: '我要投诉你们的服务太差',
      });
      const c = await t.store.getTicket(complaint.ticketId);
      expect(c!.type).toBe('complaint');
      expect(c!.dueAt - c!.createdAt).toBe(30 * 60_000);
      expect(t.server.routing.engine.config.offerTimeoutMs).toBe(10_000);
    });
  });
}

describe('administration writes are rate limited per admin', () => {
  beforeEach(async () => {
    const clock = createTestClock();
    scheduler = createManualScheduler(clock);
    t = await startTestServer({ clock, scheduler, rateLimits: { ...DEFAULT_RATE_LIMITS, adminWritesPerUser: { points: 2, durationSec: 60 } } });
    await t.store.createUser({ id: 'admin1', username: 'admin1', password: TEST_PASSWORD, displayName: '系统管理员', role: 'admin', channels: [] });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await t.stop();
  });

  it('refuses the write over the budget (refused writes spend it too) and logs the first refusal once', async () => {
    const admin = await connectAs('admin1');
    const create = (username: string) =>
      ask(admin, 'admin:createUser', { username, password: 'password-123', displayName: 'x', ...SKILLS }, adminUserResultSchema);
    expect(result(await create('agent8'))).toMatchObject({ ok: true });
    expect(result(await create('agent8'))).toMatchObject({ ok: false, refusal: 'username_taken' });
    expect(await create('agent7')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await create('agent6')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect((await t.store.admin.listUsers()).map((u) => u.username)).toEqual(['admin1', 'agent8']);
    expect(t.logLines.filter((line) => line.includes('over the admin write limit'))).toHaveLength(1);
  });
});
