/**
 * Transfer (转办) over real sockets: agent A hands an e-mail ticket to agent B through the
 * outbox push, B is sent the ticket with the handover note, the routing history keeps it;
 * a stranger's and a blank-note transfer are refused, an offline colleague cannot receive it,
 * and a transfer back to a group puts the ticket in the queue, where routing gives it out again.
 */
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Channel } from '../shared/domain.js';
import type { InboundResponse } from '../shared/httpApi.js';
import { routingAuditResultSchema, transferTargetsResultSchema } from '../shared/routing.js';
import {
  ackSchema,
  pullResultSchema,
  pushResultSchema,
  readChanges,
  type Ack,
  type ClientToServerEvents,
  type Mutation,
  type ServerToClientEvents,
} from '../shared/sync.js';
import { createManualScheduler } from './routing/scheduler.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, createTestClock, postJson, startTestServer, type TestServer } from './testHarness.js';
import { openTestSocket } from './testing/sockets.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type UntypedEmitter = { emitWithAck(event: string, request: unknown): Promise<unknown> };

const USERS: Array<{ id: string; displayName: string; channels: Channel[] }> = [
  { id: 'agent1', displayName: '王芳', channels: ['email'] },
  { id: 'agent2', displayName: '张强', channels: ['email'] },
  { id: 'agent3', displayName: '刘洋', channels: ['chat'] },
  { id: 'agent4', displayName: '陈静', channels: ['email'] },
];

let t: TestServer;
const sockets: ClientSocket[] = [];
let n = 0;

async function connectAs(username: string): Promise<ClientSocket> {
  const socket = await openTestSocket(t.url, username);
  sockets.push(socket);
  await t.server.routing.idle();
  return socket;
}

async function ask<T extends z.ZodType>(socket: ClientSocket, event: string, request: unknown, schema: T): Promise<Ack<z.infer<T>>> {
  const raw = await (socket.timeout(5000) as unknown as UntypedEmitter).emitWithAck(event, request);
  return ackSchema(schema).parse(raw) as Ack<z.infer<T>>;
}

function ok<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`ack failed: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

/** A mutation without its id and time, kind by kind (Omit over the union would merge the kinds). */
type MutationBody = Mutation extends infer M ? (M extends Mutation ? Omit<M, 'mutationId' | 'createdAt'> : never) : never;

async function push(socket: ClientSocket, mutation: MutationBody) {
  n++;
  const { results } = ok(
    await ask(socket, 'sync:push', { mutations: [{ mutationId: `t-${String(n)}`, createdAt: t.clock.now(), ...mutation }] }, pushResultSchema),
  );
  await t.server.routing.idle();
  return results[0]!;
}

for (const backend of TEST_BACKENDS) {
  describe(`transfer over sockets on ${backend}`, () => {
    let ticketId: string;

    beforeEach(async () => {
      const clock = createTestClock();
      t = await startTestServer({ backend, clock, scheduler: createManualScheduler(clock), agentsPushThrottleMs: 0 });
      for (const u of USERS) await t.store.createUser({ ...u, username: u.id, password: TEST_PASSWORD, role: 'agent' });
      await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    });

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await t.stop();
    });

    async function ticketHeldByWang(): Promise<{ wang: ClientSocket; zhang: ClientSocket; liu: ClientSocket }> {
      // Only 王芳 is signed in when the mail arrives, so routing gives it to her.
      const wang = await connectAs('agent1');
      const response = await postJson<InboundResponse>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'email', customer: { name: '张伟', email: 'zhangwei@example.cn' }, subject: '退货地址', text: '我想改一下退货地址' }),
        TEST_INTEGRATION_TOKEN,
      );
      ticketId = (response.body as InboundResponse).ticketId;
      await t.server.routing.idle();
      expect((await t.store.getTicket(ticketId))!.assigneeId).toBe('agent1');
      return { wang, zhang: await connectAs('agent2'), liu: await connectAs('agent3') };
    }

    it('A transfers to B with a note: B is sent the ticket with the note, the history records it, and who could take it is listed with reasons', async () => {
      const { wang, zhang } = await ticketHeldByWang();
      const targets = ok(await ask(wang, 'ticket:transferTargets', { ticketId }, transferTargetsResultSchema));
      expect(targets.agents).toEqual([
        { userId: 'agent2', displayName: '张强', presence: 'available', refusal: null },
        { userId: 'agent3', displayName: '刘洋', presence: 'available', refusal: 'no_channel' },
        { userId: 'agent4', displayName: '陈静', presence: 'offline', refusal: 'offline' },
      ]);
      const changes: unknown[] = [];
      zhang.on('sync:changes', (batch) => changes.push(...batch.changes));
      ok(await ask(zhang, 'sync:pull', { since: 0 }, pullResultSchema));

      expect(
        await push(wang, {
          kind: 'transfer',
          ticketId,
          to: { kind: 'agent', agentId: 'agent2', agentName: '张强' },
          note: '客户要改退货地址，身份已核实，回电 13812345678',
        }),
      ).toMatchObject({ ok: true });
      await expect.poll(() => changes.length).toBeGreaterThan(0);
      const received = readChanges(changes, 0).changes.find((change) => change.kind === 'bundle' && change.bundle.ticket.id === ticketId);
      // The note reaches the new holder, its personal data masked as everything an agent receives.
      const sent = received?.kind === 'bundle' ? received.bundle.ticket : null;
      expect(sent).toMatchObject({ assigneeId: 'agent2', handover: { byName: '王芳' } });
      expect(sent?.handover?.note).toContain('客户要改退货地址，身份已核实，回电 138');
      expect(sent?.handover?.note).not.toContain('13812345678');
      const audit = ok(await ask(zhang, 'routing:audit', { ticketId }, routingAuditResultSchema));
      const entry = audit.entries.at(-1)!;
      expect(entry).toMatchObject({ decision: 'transferred', assigneeId: 'agent2', reason: { code: 'transferred' } });
      expect(JSON.stringify(entry)).toContain('客户要改退货地址');
      expect(JSON.stringify(entry)).not.toContain('13812345678');
      // The store keeps it clear (leads see it).
      expect((await t.store.getTicket(ticketId))!.handover?.note).toContain('13812345678');
      // The former holder can no longer act on it, nor list targets for it.
      expect(await push(wang, { kind: 'setFields', ticketId, result: '已改' })).toMatchObject({
        ok: false,
        refusal: { code: 'reassigned', assigneeName: '张强' },
      });
      expect(await ask(wang, 'ticket:transferTargets', { ticketId }, transferTargetsResultSchema)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    });

    it('refuses a stranger, a blank note and an offline colleague; a transfer to a group goes back to the queue and routing gives it out', async () => {
      const { wang, liu } = await ticketHeldByWang();
      expect(await push(liu, { kind: 'transfer', ticketId, to: { kind: 'group', group: 'orders' }, note: '我来转' })).toMatchObject({
        ok: false,
        code: 'not_found',
        ticket: null,
      });
      expect(await ask(liu, 'ticket:transferTargets', { ticketId }, transferTargetsResultSchema)).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await push(wang, { kind: 'transfer', ticketId, to: { kind: 'group', group: 'orders' }, note: ' ' })).toMatchObject({
        ok: false,
        refusal: { code: 'note_required' },
      });
      expect(await push(wang, { kind: 'transfer', ticketId, to: { kind: 'agent', agentId: 'agent4', agentName: '陈静' }, note: '交给你' })).toMatchObject({
        ok: false,
        refusal: { code: 'transfer_refused', reason: 'offline', agentName: '陈静' },
      });
      expect((await t.store.getTicket(ticketId))!.assigneeId).toBe('agent1');

      expect(await push(wang, { kind: 'transfer', ticketId, to: { kind: 'group', group: 'after_sales' }, note: '退货归售后' })).toMatchObject({ ok: true });
      // Back in the queue, routing gives it to the online agent with the skill and the fewest open tickets (张强).
      const routed = (await t.store.getTicket(ticketId))!;
      expect(routed).toMatchObject({
        assigneeId: 'agent2',
        routing: { group: 'after_sales' },
        handover: { note: '退货归售后', to: { kind: 'group', group: 'after_sales' } },
      });
      const decisions = (await t.store.routing.listAudit(ticketId)).map((e) => e.decision);
      expect(decisions.slice(-2)).toEqual(['transferred', 'assigned']);
    });
  });
}
