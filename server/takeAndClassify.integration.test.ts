/**
 * Who may take a queued ticket, and who may classify one, over real sockets on both backends
 * (issue 12). An agent of tier 1 escalates a ticket; once a lead approves, it waits for tier 2
 * and neither they (by status or by reply, online or decided by their workstation's own cache)
 * nor another tier-1 agent can take it, while a tier-2 agent can. An agent who sees a queued
 * ticket sets its type without taking it and routing gives it to the group the type names; an
 * agent of another channel is refused, and the result still needs whoever takes the ticket.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { alarmResultSchema, escalationRequestResultSchema } from '../shared/alarms.js';
import type { Channel } from '../shared/domain.js';
import type { InboundContact, InboundResponse } from '../shared/httpApi.js';
import { agentStatusResultSchema } from '../shared/routing.js';
import { ackSchema, pushResultSchema, type Ack, type Mutation } from '../shared/sync.js';
import { openCache } from '../main/core/cache/cache.js';
import { createManualScheduler } from './routing/scheduler.js';
import {
  TEST_BACKENDS,
  TEST_INTEGRATION_TOKEN,
  TEST_PASSWORD,
  createTestClock,
  makeTempDir,
  postJson,
  startTestServer,
  type TestServer,
} from './testHarness.js';
import { askSocket, connectTestSocket, disconnectTestSockets, okResult, type TestSocket } from './testing/sockets.js';

const USERS: Array<{ id: string; displayName: string; role?: 'agent' | 'lead'; channels: Channel[]; groups?: string[]; tier?: 1 | 2 }> = [
  { id: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
  { id: 'agent1', displayName: '王芳', channels: ['email'], groups: ['technical'] },
  { id: 'agent2', displayName: '张强', channels: ['email'], groups: ['after_sales'] },
  { id: 'agent3', displayName: '刘洋', channels: ['chat'] },
  { id: 'agent5', displayName: '赵磊', channels: ['email'], tier: 2 },
];

let t: TestServer;
let n = 0;

/** Signing in routes (this agent may take queued work): the helper waits for it, so what follows sees the outcome. */
async function connectAs(username: string): Promise<TestSocket> {
  return (await connectTestSocket(t, username)).socket;
}

async function ask<T extends z.ZodType>(socket: TestSocket, event: string, request: unknown, schema: T): Promise<Ack<z.infer<T>>> {
  return ackSchema(schema).parse(await askSocket(socket, event, request)) as Ack<z.infer<T>>;
}

/** A mutation without its id and time, kind by kind (Omit over the union would merge the kinds). */
type MutationBody = Mutation extends infer M ? (M extends Mutation ? Omit<M, 'mutationId' | 'createdAt'> : never) : never;

async function push(socket: TestSocket, mutation: MutationBody) {
  n++;
  const { results } = okResult(
    await ask(socket, 'sync:push', { mutations: [{ mutationId: `t-${String(n)}`, createdAt: t.clock.now(), ...mutation }] }, pushResultSchema),
  );
  await t.server.routing.idle();
  return results[0]!;
}

async function inbound(contact: InboundContact): Promise<string> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  await t.server.routing.idle();
  return (response.body as InboundResponse).ticketId;
}

/** What the agent's workstation decides on its own cache (offline too): the queued ticket opened from the queue view, then the change asked. */
async function decidedByWorkstation(userId: string, mutation: MutationBody) {
  const user = (await t.store.getUser(userId))!;
  const dir = makeTempDir('take-offline-');
  const cache = openCache(path.join(dir, `${userId}.sqlite`), null);
  try {
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(await t.store.bootstrapPage(user, null, 1000), user);
    cache.writer.storeFetchedBundle((await t.store.getTicketBundle(mutation.ticketId))!, user);
    n++;
    const outcome = cache.writer.recordMutation({ mutationId: `o-${String(n)}`, createdAt: t.clock.now(), ...mutation }, user);
    return { ...outcome, queued: cache.reader.outboxCount() };
  } finally {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const backend of TEST_BACKENDS) {
  describe(`taking and classifying queued tickets on ${backend}`, () => {
    beforeEach(async () => {
      const clock = createTestClock();
      t = await startTestServer({ backend, clock, scheduler: createManualScheduler(clock), agentsPushThrottleMs: 0 });
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
        });
      }
      await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    });

    afterEach(async () => {
      disconnectTestSockets();
      await t.stop();
    });

    it('a tier-1 agent cannot take back a ticket they escalated, by status or by reply, nor can another tier-1 agent; a tier-2 agent can', async () => {
      // A technical mail (agent1's group) goes to agent1.
      const wang = await connectAs('agent1');
      const ticketId = await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '设备故障，无法开机' });
      expect((await t.store.getTicket(ticketId))!.assigneeId).toBe('agent1');
      const lead = await connectAs('lead1');
      const requested = okResult(await ask(wang, 'ticket:escalate', { ticketId, reason: '需要二线工程师' }, escalationRequestResultSchema));
      okResult(await ask(lead, 'alarms:decide', { id: requested.request.id, approve: true }, alarmResultSchema));
      await t.server.routing.idle();
      // Nobody of tier 2 is signed in: it waits in the queue, escalated by agent1.
      expect(await t.store.getTicket(ticketId)).toMatchObject({
        assigneeId: null,
        status: 'unassigned',
        routing: { requiredTier: 2, escalation: { byId: 'agent1' } },
      });

      const takeBack = { ok: false, code: 'forbidden', refusal: { code: 'take_refused', ticketId, reason: 'escalated_by_them', requiredTier: 2 } };
      expect(await push(wang, { kind: 'setStatus', ticketId, status: 'in_progress' })).toMatchObject(takeBack);
      expect(await push(wang, { kind: 'reply', ticketId, messageId: 'reply-take-back', text: '您好，我继续为您处理' })).toMatchObject(takeBack);
      // Their workstation refuses it at once from its own cache, with the same code, and queues nothing.
      expect(await decidedByWorkstation('agent1', { kind: 'setStatus', ticketId, status: 'in_progress' })).toMatchObject({
        ok: false,
        refusal: takeBack.refusal,
        queued: 0,
      });
      const zhang = await connectAs('agent2');
      expect(await push(zhang, { kind: 'setStatus', ticketId, status: 'in_progress' })).toMatchObject({
        ok: false,
        refusal: { code: 'take_refused', reason: 'tier', requiredTier: 2 },
      });
      expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, status: 'unassigned' });
      expect((await t.store.getTicketBundle(ticketId))!.messages.map((message) => message.id)).not.toContain('reply-take-back');

      // A tier-2 agent with no room routing would use (email capacity 0) takes it by hand.
      okResult(await ask(lead, 'lead:setCapacity', { userId: 'agent5', capacity: { email: 0 } }, agentStatusResultSchema));
      const zhao = await connectAs('agent5');
      expect((await t.store.getTicket(ticketId))!.assigneeId).toBeNull();
      expect(await push(zhao, { kind: 'setStatus', ticketId, status: 'in_progress' })).toMatchObject({ ok: true });
      expect(await t.store.getTicket(ticketId)).toMatchObject({
        assigneeId: 'agent5',
        status: 'in_progress',
        assignmentReason: { code: 'taken_from_queue', byName: '赵磊' },
      });
      expect((await t.store.routing.listAudit(ticketId)).at(-1)).toMatchObject({ assigneeId: 'agent5' });
    });

    it('an agent who sees a queued ticket sets its type without taking it and routing gives it to the group the type names', async () => {
      // agent1 serves technical, agent2 after-sales: an orders mail waits for neither.
      const wang = await connectAs('agent1');
      await connectAs('agent2');
      const liu = await connectAs('agent3');
      const ticketId = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zhangwei@example.cn' }, text: '订单地址需要修改' });
      expect(await t.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, type: 'consult', routing: { group: 'orders' } });

      // Another channel's agent does not see it; the result is for whoever takes it.
      expect(await push(liu, { kind: 'setFields', ticketId, type: 'after_sales' })).toMatchObject({ ok: false, refusal: { code: 'not_found' } });
      expect(await push(wang, { kind: 'setFields', ticketId, result: '已改地址' })).toMatchObject({
        ok: false,
        code: 'forbidden',
        refusal: { code: 'not_owner', action: 'setResult', assigneeName: null },
      });
      expect((await t.store.getTicket(ticketId))!.result).toBeNull();

      expect(await push(wang, { kind: 'setFields', ticketId, type: 'after_sales', subCategory: '退货', tags: ['地址'] })).toMatchObject({ ok: true });
      // agent1 did not take it; its new group's agent got it.
      expect(await t.store.getTicket(ticketId)).toMatchObject({
        type: 'after_sales',
        subCategory: '退货',
        tags: ['地址'],
        routing: { group: 'after_sales' },
        assigneeId: 'agent2',
      });
    });
  });
}
