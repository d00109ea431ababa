import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICIES } from '../../shared/admin.js';
import type { Channel } from '../../shared/domain.js';
import type { InboundContact, InboundResponse } from '../../shared/httpApi.js';
import {
  agentStatusResultSchema,
  agentsResultSchema,
  leadReassignResultSchema,
  offerResponseResultSchema,
  presenceResultSchema,
  routingAuditResultSchema,
  ticketResultSchema,
  type OfferWithdrawn,
  type PresenceChanged,
  type RoutingOffer,
} from '../../shared/routing.js';
import { ackSchema, type Ack, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/sync.js';
import { alarmResultSchema, escalationRequestResultSchema } from '../../shared/alarms.js';
import type { z } from 'zod';
import { createGroupCommit } from '../groupCommit.js';
import type { ChannelContact } from '../store.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, createTestClock, postJson, startTestServer, type TestServer } from '../testHarness.js';
import { createManualScheduler, type ManualScheduler } from './scheduler.js';
import { openTestSocket } from '../testing/sockets.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface Client {
  socket: ClientSocket;
  offers: RoutingOffer[];
  withdrawn: OfferWithdrawn[];
  presence: PresenceChanged[];
}

let t: TestServer;
let scheduler: ManualScheduler;
const sockets: ClientSocket[] = [];

const USERS: Array<{ id: string; displayName: string; role?: 'agent' | 'lead'; channels: Channel[]; groups?: string[]; tier?: 1 | 2; senior?: boolean }> = [
  { id: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
  { id: 'agent1', displayName: '王芳', channels: ['phone', 'chat', 'email'], groups: ['orders', 'after_sales'] },
  { id: 'agent2', displayName: '张强', channels: ['phone', 'chat'], groups: ['orders'] },
  { id: 'agent5', displayName: '赵磊', channels: ['phone', 'email'], groups: ['technical', 'orders'], tier: 2, senior: true },
];

async function connectAs(username: string): Promise<Client> {
  const heard: Omit<Client, 'socket'> = { offers: [], withdrawn: [], presence: [] };
  const socket = await openTestSocket(t.url, username, {
    listen: (opening) => {
      opening.on('routing:offer', (offer) => heard.offers.push(offer));
      opening.on('routing:offerWithdrawn', (w) => heard.withdrawn.push(w));
      opening.on('presence:changed', (p) => heard.presence.push(p));
    },
  });
  sockets.push(socket);
  const client: Client = { socket, ...heard };
  // Signing in routes (this agent may take queued work): what follows sees the outcome.
  await t.server.routing.idle();
  return client;
}

async function inbound(contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)} ${JSON.stringify(response.body)}`);
  return response.body as InboundResponse;
}

function result<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`ack failed: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

type UntypedEmitter = { emitWithAck(event: string, request: unknown): Promise<unknown> };

/** Sends a routing request and parses the ack with its schema, as a client must. */
async function ask<T extends z.ZodType>(client: Client, event: string, request: unknown, schema: T): Promise<Ack<z.infer<T>>> {
  const raw = await (client.socket.timeout(5000) as unknown as UntypedEmitter).emitWithAck(event, request);
  return ackSchema(schema).parse(raw) as Ack<z.infer<T>>;
}

/**
 * agent2 (signed in now) is offered a chat, accepts it and completes it, result first as the rules
 * ask: the wrap-up after a chat begins at `at`.
 */
async function completeAChat(): Promise<{ wang: Client; at: number }> {
  const wang = await connectAs('agent2');
  const first = await inbound({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '你好，订单什么时候发货？' });
  await vi.waitFor(() => expect(wang.offers.map((o) => o.ticketId)).toEqual([first.ticketId]));
  result(await ask(wang, 'offer:respond', { ticketId: first.ticketId, accept: true }, offerResponseResultSchema));
  const agent = (await t.store.getUser('agent2'))!;
  const at = t.clock.now();
  const fields = { mutationId: 'w1', kind: 'setFields', ticketId: first.ticketId, result: '已解答', createdAt: at } as const;
  expect(await t.store.applyMutation(agent, 'client-agent2', fields, at)).toMatchObject({ ok: true });
  const done = { mutationId: 'w2', kind: 'setStatus', ticketId: first.ticketId, status: 'completed', createdAt: at } as const;
  expect(await t.store.applyMutation(agent, 'client-agent2', done, at)).toMatchObject({ ok: true });
  await t.server.routing.idle();
  return { wang, at };
}

/** A chat from a new customer, left waiting: nobody is offered it. */
async function aChatThatWaits(): Promise<InboundResponse> {
  const second = await inbound({ channel: 'chat', customer: { name: '陈晓燕', phone: '15800158003' }, text: '你好，订单什么时候发货？' });
  await t.server.routing.idle();
  expect(await t.store.getTicket(second.ticketId)).toMatchObject({ assigneeId: null, routing: { offer: null } });
  return second;
}

for (const backend of TEST_BACKENDS) {
  describe(`on ${backend}`, () => {
    beforeEach(async () => {
      const clock = createTestClock();
      scheduler = createManualScheduler(clock);
      t = await startTestServer({
        backend,
        clock,
        scheduler,
        routing: { offerTimeoutMs: 20_000, disconnectGraceMs: 10_000, drainIntervalMs: 1_000, perAgentPerTick: 5 },
        agentsPushThrottleMs: 0,
      });
      for (const u of USERS) {
        await t.store.createUser({
          id: u.id,
          username: u.id,
          password: TEST_PASSWORD,
          displayName: u.displayName,
          role: u.role ?? 'agent',
          channels: u.channels,
          groups: u.groups ?? [],
          tier: u.tier ?? 1,
          senior: u.senior ?? false,
        });
      }
      await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    });

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await t.stop();
    });

    describe('routing through the real server', () => {
      it('sends a VIP customer to the senior agent, with the reason as facts and in the audit', async () => {
        const first = await inbound({
          channel: 'email',
          customer: { name: '张伟', email: 'zhangwei@example.cn' },
          subject: '订单物流查询延迟',
          text: '我的订单三天没有物流更新',
        });
        expect(await t.store.getTicket(first.ticketId)).toMatchObject({
          status: 'unassigned',
          assignmentReason: { code: 'queued', channel: 'email', cause: 'no_agent_online' },
        });
        await t.store.routing.setCustomerVipTier((await t.store.getTicket(first.ticketId))!.customerId, 3, t.clock.now());
        // agent1 signs in first and gets the waiting ticket; then the VIP writes again: both agents
        // could take it (and agent1 handled them last), but a VIP goes to a senior agent first.
        await connectAs('agent1');
        expect(await t.store.getTicket(first.ticketId)).toMatchObject({ assigneeId: 'agent1', assignmentReason: { code: 'least_loaded' } });
        const a5 = await connectAs('agent5');
        // Same customer, now on the phone: agent1 handled them last and has the phone skill too.
        const call = await inbound({ channel: 'phone', customer: { name: '张伟', email: 'zhangwei@example.cn' }, text: '电话催一下订单地址修改' });
        await vi.waitFor(() => expect(a5.offers).toHaveLength(1));
        expect(a5.offers[0]).toMatchObject({ ticketId: call.ticketId, basis: 'vip_senior', bundle: { customer: { vipTier: 3 } } });
        const accepted = result(await ask(a5, 'offer:respond', { ticketId: call.ticketId, accept: true }, offerResponseResultSchema));
        expect(accepted).toMatchObject({
          outcome: 'accepted',
          ticket: { assigneeId: 'agent5', assignmentReason: { code: 'offer_accepted', channel: 'phone', basis: 'vip_senior' } },
        });

        const lead = await connectAs('lead1');
        const audit = result(await ask(lead, 'routing:audit', { ticketId: call.ticketId }, routingAuditResultSchema));
        expect(audit.entries).toEqual([
          expect.objectContaining({
            decision: 'offered',
            assigneeId: 'agent5',
            assigneeName: '赵磊',
            reason: { code: 'vip_senior', channel: 'phone', vipTier: 3, openTickets: 0 },
            text: expect.stringContaining('VIP') as string,
          }),
          expect.objectContaining({ decision: 'assigned', assigneeId: 'agent5', reason: { code: 'vip_senior', channel: 'phone', vipTier: 3, openTickets: 0 } }),
        ]);
      });

      it('offers a chat with a deadline, moves on after a time-out, and sets an agent away after two time-outs in a row', async () => {
        const a1 = await connectAs('agent1');
        const a2 = await connectAs('agent2');
        await vi.waitFor(() => expect(a1.presence.at(-1)).toMatchObject({ presence: 'available', cause: 'connected' }));
        const chat = await inbound({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '你好，订单什么时候发货？' });
        expect(await t.store.getTicket(chat.ticketId)).toMatchObject({
          status: 'unassigned',
          assigneeId: null,
          routing: { offer: { agentId: 'agent1', agentName: '王芳' } },
        });
        await vi.waitFor(() => expect(a1.offers).toHaveLength(1));
        expect(a1.offers[0]).toMatchObject({
          ticketId: chat.ticketId,
          expiresAt: t.clock.now() + 20_000,
          basis: 'least_loaded',
          bundle: { customer: { name: '李娜' } },
        });
        expect(a2.offers).toEqual([]);

        scheduler.advance(20_000);
        await vi.waitFor(() => expect(a2.offers).toHaveLength(1));
        expect(a1.withdrawn).toEqual([{ ticketId: chat.ticketId, reason: 'timeout' }]);
        const accepted = result(await ask(a2, 'offer:respond', { ticketId: chat.ticketId, accept: true }, offerResponseResultSchema));
        expect(accepted).toMatchObject({
          outcome: 'accepted',
          ticket: { assigneeId: 'agent2', status: 'in_progress', assignmentReason: { code: 'offer_accepted', channel: 'chat', basis: 'least_loaded' } },
        });
        const late = result(await ask(a1, 'offer:respond', { ticketId: chat.ticketId, accept: true }, offerResponseResultSchema));
        expect(late).toEqual({ outcome: 'gone', reason: 'not_offered' });

        // agent1 has fewer open tickets, so the next chat is theirs to miss again: two in a row → away.
        const second = await inbound({ channel: 'chat', customer: { name: '陈晓燕', phone: '15800158003' }, text: '售后维修进度查询' });
        await vi.waitFor(() => expect(a1.offers).toHaveLength(2));
        scheduler.advance(20_000);
        await vi.waitFor(() => expect(a1.presence.at(-1)).toMatchObject({ presence: 'away', cause: 'offer_timeouts' }));
        await vi.waitFor(() => expect(a2.offers.map((o) => o.ticketId)).toContain(second.ticketId));

        const lead = await connectAs('lead1');
        const audit = result(await ask(lead, 'routing:audit', { ticketId: chat.ticketId }, routingAuditResultSchema));
        expect(audit.entries.map((e) => [e.decision, e.assigneeId])).toEqual([
          ['offered', 'agent1'],
          ['offer_timeout', 'agent1'],
          ['offered', 'agent2'],
          ['assigned', 'agent2'],
        ]);
        expect(audit.entries[3]!.reason).toEqual({ code: 'least_loaded', channel: 'chat', openTickets: 0, tieBreak: 'none' });
      });

      it('lets a lead reassign many tickets at once, refuses agents, and names each ticket that could not move', async () => {
        await connectAs('agent1');
        const ids: string[] = [];
        for (const [i, name] of ['周杰', '罗琳', '黄丽'].entries()) {
          ids.push(
            (await inbound({ channel: 'email', customer: { name, email: `c${String(i)}@example.cn` }, subject: '修改收货地址', text: '订单地址需要修改' }))
              .ticketId,
          );
        }
        for (const id of ids) expect((await t.store.getTicket(id))!.assigneeId).toBe('agent1');
        const agent = await connectAs('agent2');
        const refused = await ask(agent, 'lead:reassign', { ticketIds: ids, to: 'agent5' }, leadReassignResultSchema);
        expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });

        const lead = await connectAs('lead1');
        const invalid = await ask(lead, 'lead:reassign', { ticketIds: [], to: 'agent5' }, leadReassignResultSchema);
        expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
        const offline = result(await ask(lead, 'lead:reassign', { ticketIds: ids, to: 'agent5' }, leadReassignResultSchema));
        expect(offline.results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['agent_offline', 'agent_offline', 'agent_offline']);

        await connectAs('agent5');
        const { capacity: capacityBefore, phoneBlocksChat } = t.server.routing.agents().find((a) => a.userId === 'agent5')!;
        result(await ask(lead, 'lead:setCapacity', { userId: 'agent5', capacity: { email: 2 } }, agentStatusResultSchema));
        // Audited with the write: who, and the capacity before and after (the refused reassignments above wrote nothing there).
        expect(await t.store.admin.listAudit('agent5')).toEqual([
          expect.objectContaining({
            action: 'capacity_set',
            actorId: 'lead1',
            targetId: 'agent5',
            before: { capacity: capacityBefore, phoneBlocksChat },
            after: { capacity: { ...capacityBefore, email: 2 }, phoneBlocksChat },
          }),
        ]);
        const moved = result(await ask(lead, 'lead:reassign', { ticketIds: ids, to: 'agent5' }, leadReassignResultSchema));
        expect(moved.results.map((r) => (r.ok ? r.ticket.assigneeId : r.code))).toEqual(['agent5', 'agent5', 'at_capacity']);
        expect((await t.store.getTicket(ids[0]!))!.assignmentReason).toEqual({ code: 'assigned_by_lead', byName: '李主管' });
        const audit = await t.store.routing.listAudit(ids[0]!);
        expect(audit.at(-1)).toMatchObject({ decision: 'assigned', assigneeId: 'agent5', actorName: '李主管', text: 'Assigned to 赵磊 by 李主管' });

        const agents = result(await ask(lead, 'lead:agents', {}, agentsResultSchema));
        expect(agents.agents.find((a) => a.userId === 'agent5')).toMatchObject({
          presence: 'available',
          connected: true,
          capacity: { email: 2 },
          load: { email: 2 },
          openTickets: 2,
        });
        expect((await t.store.routing.loadAgentSettings()).get('agent5')!.capacity.email).toBe(2);
      });

      it('escalates to tier 2 with a 30-minute target, and requeues real-time tickets of an agent who stays offline', async () => {
        const a1 = await connectAs('agent1');
        const phone = await inbound({ channel: 'phone', customer: { name: '何静', phone: '13100131008' }, text: '电话咨询订单退货流程' });
        await vi.waitFor(() => expect(a1.offers).toHaveLength(1));
        result(await ask(a1, 'offer:respond', { ticketId: phone.ticketId, accept: true }, offerResponseResultSchema));
        const mail = await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '订单地址需要修改' });
        expect((await t.store.getTicket(mail.ticketId))!.assigneeId).toBe('agent1');

        const empty = await ask(a1, 'ticket:escalate', { ticketId: mail.ticketId, reason: '  ' }, escalationRequestResultSchema);
        expect(empty).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
        // A request (主管审核): the ticket stays with the agent until a lead approves it.
        const requested = result(await ask(a1, 'ticket:escalate', { ticketId: mail.ticketId, reason: '客户要求技术主管处理' }, escalationRequestResultSchema));
        expect((await t.store.getTicket(mail.ticketId))!.routing.requiredTier).toBe(1);
        const lead = await connectAs('lead1');
        t.clock.advance(60_000);
        result(await ask(lead, 'alarms:decide', { id: requested.request.id, approve: true }, alarmResultSchema));
        const escalated = (await t.store.getTicket(mail.ticketId))!;
        expect(escalated.routing).toMatchObject({
          requiredTier: 2,
          escalation: { reason: '客户要求技术主管处理', byId: 'agent1', byName: '王芳', dueAt: t.clock.now() + 30 * 60_000 },
        });
        expect(escalated).toMatchObject({ assigneeId: null, status: 'unassigned' });
        const again = await ask(a1, 'ticket:escalate', { ticketId: mail.ticketId, reason: '再次升级' }, escalationRequestResultSchema);
        expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });

        await connectAs('agent5');
        expect(await t.store.getTicket(mail.ticketId)).toMatchObject({
          assigneeId: 'agent5',
          assignmentReason: { code: 'escalated_tier2', channel: 'email', escalatedBy: '王芳' },
        });

        a1.socket.disconnect();
        await vi.waitFor(() => expect(t.server.routing.agents().find((a) => a.userId === 'agent1')!.connected).toBe(false));
        scheduler.advance(9_000);
        expect((await t.store.getTicket(phone.ticketId))!.assigneeId).toBe('agent1');
        scheduler.advance(1_000);
        // The timer's work is a store transaction: it has ended once routing is idle.
        await t.server.routing.idle();
        expect(await t.store.getTicket(phone.ticketId)).toMatchObject({
          assigneeId: null,
          assignmentReason: { code: 'requeued_agent_offline', channel: 'phone', agentName: '王芳' },
        });
        expect((await t.store.routing.listAudit(phone.ticketId)).map((e) => e.decision)).toEqual(['offered', 'assigned', 'requeued', 'offered']);
        expect((await t.store.getTicket(phone.ticketId))!.routing.offer).toMatchObject({ agentId: 'agent5' });
        expect((await t.store.routing.loadAgentSettings()).get('agent1')!.presence).toBe('offline');
      });

      it('keeps capacity and presence across a restart and re-routes offers that were open', async () => {
        const a1 = await connectAs('agent1');
        const lead = await connectAs('lead1');
        result(await ask(lead, 'lead:setCapacity', { userId: 'agent1', capacity: { chat: 1 }, phoneBlocksChat: false }, agentStatusResultSchema));
        const chat = await inbound({ channel: 'chat', customer: { name: '罗琳', phone: '13700137001' }, text: '请问门店几点开门？' });
        await vi.waitFor(() => expect(a1.offers).toHaveLength(1));
        // Closing the server (not the agent leaving) ends the sockets: the offer is still open in the database.
        await t.server.close();
        for (const socket of sockets.splice(0)) socket.disconnect();

        const previous = t;
        const again = await startTestServer({
          dataDir: t.dataDir,
          ...(t.databaseUrl ? { databaseUrl: t.databaseUrl } : {}),
          clock: t.clock,
          scheduler,
          routing: { disconnectGraceMs: 10_000 },
        });
        // The first server's stop drops its database and folder, once the second has stopped.
        t = { ...again, stop: () => again.stop().then(() => previous.stop()) };
        expect((await t.store.getTicket(chat.ticketId))!.routing.offer).toBeNull();
        expect((await t.store.routing.listAudit(chat.ticketId)).map((e) => e.decision)).toEqual(['offered', 'offer_timeout']);
        const status = t.server.routing.agents().find((a) => a.userId === 'agent1')!;
        expect(status).toMatchObject({ capacity: { chat: 1 }, phoneBlocksChat: false, connected: false, presence: 'available' });
        scheduler.advance(10_000);
        // The timer's work is a store transaction: it has ended once routing is idle.
        await t.server.routing.idle();
        expect(t.server.routing.agents().find((a) => a.userId === 'agent1')!.presence).toBe('offline');
        const back = await connectAs('agent1');
        await vi.waitFor(() => expect(back.offers.map((o) => o.ticketId)).toEqual([chat.ticketId]));
      });

      it('says why an agent is Away, to the agent and to the leads, keeps it across a restart, and refuses a reason without Away', async () => {
        const a1 = await connectAs('agent1');
        const lead = await connectAs('lead1');
        const since = t.clock.now();
        expect(result(await ask(a1, 'presence:set', { presence: 'away', awayReason: 'meal' }, presenceResultSchema))).toEqual({
          presence: 'away',
          cause: 'self',
          awayReason: 'meal',
          at: since,
        });
        await vi.waitFor(() => expect(a1.presence.at(-1)).toMatchObject({ presence: 'away', awayReason: 'meal' }));
        t.clock.advance(60_000);
        // The lead moves them to training: still Away since the meal began, now for training, and by whom.
        result(await ask(lead, 'lead:setPresence', { userId: 'agent1', presence: 'away', awayReason: 'training' }, agentStatusResultSchema));
        await vi.waitFor(() => expect(a1.presence.at(-1)).toMatchObject({ awayReason: 'training', cause: 'lead', byName: '李主管', at: since }));
        // The lead's change is an administrative one, audited (who, before, after); the agent's own was not.
        expect(
          (await t.store.admin.listAudit('agent1')).map(({ action, actorId, actorName, targetId, before, after }) => ({
            action,
            actorId,
            actorName,
            targetId,
            before,
            after,
          })),
        ).toEqual([
          {
            action: 'presence_set',
            actorId: 'lead1',
            actorName: '李主管',
            targetId: 'agent1',
            before: { presence: 'away', awayReason: 'meal' },
            after: { presence: 'away', awayReason: 'training' },
          },
        ]);
        const board = result(await ask(lead, 'lead:agents', {}, agentsResultSchema)).agents.find((a) => a.userId === 'agent1');
        expect(board).toMatchObject({ presence: 'away', awayReason: 'training', presenceSince: since });
        // A reason belongs to Away only; a reason nobody defined is refused too. Neither changes anything.
        expect(await ask(a1, 'presence:set', { presence: 'busy', awayReason: 'meal' }, presenceResultSchema)).toMatchObject({
          ok: false,
          error: { code: 'invalid_request' },
        });
        expect(await ask(a1, 'presence:set', { presence: 'away', awayReason: 'nap' }, presenceResultSchema)).toMatchObject({
          ok: false,
          error: { code: 'invalid_request' },
        });

        await t.server.close();
        for (const socket of sockets.splice(0)) socket.disconnect();
        const previous = t;
        const again = await startTestServer({ dataDir: t.dataDir, ...(t.databaseUrl ? { databaseUrl: t.databaseUrl } : {}), clock: t.clock, scheduler });
        t = { ...again, stop: () => again.stop().then(() => previous.stop()) };
        expect(t.server.routing.agents().find((a) => a.userId === 'agent1')).toMatchObject({ presence: 'away', awayReason: 'training', presenceSince: since });
        // Back at the desk: the reason goes with the Away it explained.
        const back = await connectAs('agent1');
        expect(result(await ask(back, 'presence:set', { presence: 'available' }, presenceResultSchema))).toMatchObject({
          presence: 'available',
          awayReason: null,
        });
      });

      it('leaves no trace in routing of a contact whose savepoint rolled back, and routes the committed ones', async () => {
        const a1 = await connectAs('agent1');
        const routing = t.server.routing;
        // The channel's own step after storing fails for one contact: its savepoint rolls back, the others commit.
        const ingest = createGroupCommit(
          (fn) => t.store.withTransaction(fn),
          // Atomic on its own, as group commit requires.
          (contact: ChannelContact) =>
            t.store.withTransaction(async () => {
              const outcome = await t.store.ingestInbound(contact, { now: t.clock.now(), router: routing });
              if (contact.text.includes('撤回')) throw new Error('the channel refused it after storing');
              return outcome;
            }),
        );
        const outcomes = await Promise.allSettled([
          ingest({ channel: 'email', customer: { name: '周杰', email: 'zhoujie@example.cn' }, text: '订单地址需要修改' }),
          ingest({ channel: 'chat', customer: { name: '罗琳', phone: '13700137001' }, text: '这条会被撤回' }),
          ingest({ channel: 'chat', customer: { name: '黄丽', phone: '13700137002' }, text: '请问订单什么时候发货？' }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        const [mail, , chat] = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : null));
        // The rolled-back chat's ticket number was given to the next one: routing must hold that one only.
        expect(chat!.ticketId).toBe('GD20241108002');
        expect((await t.store.getTicket(mail!.ticketId))!.assigneeId).toBe('agent1');
        expect((await t.store.getTicket(chat!.ticketId))!.routing.offer).toMatchObject({ agentId: 'agent1' });
        expect(routing.engine.agentStatus('agent1')).toMatchObject({
          load: { email: 1, chat: 1, phone: 0, social: 0 },
          openTickets: 1,
          offers: 1,
          offered: { chat: 1, email: 0, phone: 0, social: 0 },
        });
        expect(routing.engine.queuedTicketIds(t.clock.now())).toEqual([chat!.ticketId]);
        expect(routing.footprint()).toMatchObject({ tickets: 2, journal: 0 });
        await vi.waitFor(() => expect(a1.offers).toHaveLength(1));
        expect(a1.offers[0]!.bundle.customer.name).toBe('黄丽');
      });

      it('gives an agent no chat during wrap-up after completing one, says so, and offers the waiting chat at the deadline by itself', async () => {
        // agent2 completes a chat (result first, as the rules ask): wrap-up begins, 15 s by the default policy.
        const { wang, at } = await completeAChat();
        await vi.waitFor(() => expect(wang.presence.at(-1)).toMatchObject({ presence: 'available', wrapUpUntil: at + 15_000, wrapUpChannel: 'chat' }));
        expect(t.server.routing.agents().find((a) => a.userId === 'agent2')).toMatchObject({ wrapUpUntil: at + 15_000 });
        // A chat arriving meanwhile waits (agent1 is not signed in), even though agent2 has room.
        const second = await aChatThatWaits();
        scheduler.advance(14_000);
        await t.server.routing.idle();
        expect((await t.store.getTicket(second.ticketId))!.routing.offer).toBeNull();
        // At the deadline the routing timer alone ends it and offers the waiting chat: the queue does not stall.
        scheduler.advance(1_000);
        await t.server.routing.idle();
        expect((await t.store.getTicket(second.ticketId))!.routing.offer).toMatchObject({ agentId: 'agent2' });
        await vi.waitFor(() => expect(wang.presence.at(-1)).toMatchObject({ wrapUpUntil: null, wrapUpChannel: null }));
      });

      it('ends a running wrap-up when an admin shortens the wrap-up time to none, and offers the waiting chat at once', async () => {
        // The admin's policy (as admin:setPolicies stores it and tells routing): 10 min after a chat.
        const lead = (await t.store.getUser('lead1'))!;
        const long = { ...DEFAULT_POLICIES, wrapUpSeconds: { ...DEFAULT_POLICIES.wrapUpSeconds, chat: 600 } };
        await t.store.admin.setPolicies(lead, long, t.clock.now());
        await t.server.routing.policiesChanged();
        const { wang, at } = await completeAChat();
        expect(t.server.routing.agents().find((a) => a.userId === 'agent2')).toMatchObject({ wrapUpUntil: at + 600_000 });
        const second = await aChatThatWaits();

        // No wrap-up after chats any more: the one running ends now, not 10 min after it began.
        await t.store.admin.setPolicies(lead, { ...long, wrapUpSeconds: { ...long.wrapUpSeconds, chat: 0 } }, t.clock.now());
        await t.server.routing.policiesChanged();
        await t.server.routing.idle();
        expect((await t.store.getTicket(second.ticketId))!.routing.offer).toMatchObject({ agentId: 'agent2' });
        await vi.waitFor(() => expect(wang.presence.at(-1)).toMatchObject({ wrapUpUntil: null, wrapUpChannel: null }));
      });

      it('places a contact within one drain interval once a lead raises the capacity of an agent held back by pacing', async () => {
        await connectAs('agent1');
        const lead = await connectAs('lead1');
        result(await ask(lead, 'lead:setCapacity', { userId: 'agent1', capacity: { email: 5 } }, agentStatusResultSchema));
        const ids: string[] = [];
        for (let i = 0; i < 6; i++)
          ids.push(
            (await inbound({ channel: 'email', customer: { name: `客户${String(i)}`, email: `c${String(i)}@example.cn` }, text: '订单地址需要修改' })).ticketId,
          );
        // Five in this drain interval is agent1's pacing limit and their capacity: the sixth waits.
        expect(await t.store.getTicket(ids[5]!)).toMatchObject({ assigneeId: null, assignmentReason: { code: 'queued', cause: 'all_at_capacity' } });
        result(await ask(lead, 'lead:setCapacity', { userId: 'agent1', capacity: { email: 10 } }, agentStatusResultSchema));
        expect((await t.store.getTicket(ids[5]!))!.assigneeId).toBeNull();
        // Nothing else happens; the routing timer alone must place it by the next interval.
        scheduler.advance(1_000);
        // The timer's work is a store transaction: it has ended once routing is idle.
        await t.server.routing.idle();
        expect((await t.store.getTicket(ids[5]!))!.assigneeId).toBe('agent1');
      });

      it('offers the next chat at once to an agent whose offer a lead pinned to someone else', async () => {
        const wang = await connectAs('agent1');
        const lead = await connectAs('lead1');
        result(await ask(lead, 'lead:setCapacity', { userId: 'agent1', capacity: { chat: 1 } }, agentStatusResultSchema));
        const first = await inbound({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '你好，订单什么时候发货？' });
        await vi.waitFor(() => expect(wang.offers.map((o) => o.ticketId)).toEqual([first.ticketId]));
        const second = await inbound({ channel: 'chat', customer: { name: '陈晓燕', phone: '15800158003' }, text: '订单地址需要修改' });
        expect(await t.store.getTicket(second.ticketId)).toMatchObject({ assigneeId: null, assignmentReason: { code: 'queued', cause: 'all_at_capacity' } });
        // The lead keeps the first chat for agent2 (not signed in): its offer to agent1 ends, and agent1's room is the second chat's.
        result(await ask(lead, 'lead:pin', { ticketId: first.ticketId, agentId: 'agent2' }, ticketResultSchema));
        await t.server.routing.idle();
        await vi.waitFor(() => expect(wang.withdrawn).toEqual([{ ticketId: first.ticketId, reason: 'reassigned' }]));
        expect(await t.store.getTicket(first.ticketId)).toMatchObject({
          assigneeId: null,
          assignmentReason: { code: 'queued', cause: 'waiting_for_pinned_agent' },
          routing: { pinnedAgentId: 'agent2', offer: null },
        });
        // Offered in the pin's own decision: before, it waited for something unrelated (another contact, a sign-in).
        expect((await t.store.getTicket(second.ticketId))!.routing.offer).toMatchObject({ agentId: 'agent1' });
        await vi.waitFor(() => expect(wang.offers.map((o) => o.ticketId)).toEqual([first.ticketId, second.ticketId]));
      });
    });
  });
}
