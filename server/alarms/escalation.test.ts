/**
 * Escalation approval (主管审核) over real sockets on both backends: an agent's escalation is
 * a request the leads hear as an alarm; a lead refuses it with a reason the agent hears, or
 * approves it (tier 2, 30-minute target, as a direct escalation used to do); two leads
 * deciding at once decide once; agents, strangers and bad input are refused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alarmSchema, type Alarm } from '../../shared/alarms.js';
import type { InboundResponse } from '../../shared/httpApi.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';
import { askSocket, connectTestSocket, disconnectTestSockets, okResult, type TestSocket } from '../testing/sockets.js';

let t: TestServer | null = null;

afterEach(async () => {
  disconnectTestSockets();
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

for (const backend of TEST_BACKENDS) {
  describe(`escalation approval on ${backend}`, () => {
    async function start() {
      t = await startTestServer({ backend, tokenTtlMs: 60 * 60 * 1000, alarms: { intervalMs: 60 * 60 * 1000, recheckMs: 60 * 60 * 1000 } });
      await seedTestOrganisation(t.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'lead2', displayName: '陈主管', role: 'lead', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['email'] },
        { username: 'agent2', displayName: '刘洋', channels: ['phone'] },
      ]);
      const agent = await connectAs(t, 'agent1');
      const posted = await postJson<InboundResponse>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '设备故障，需要工程师' }),
        TEST_INTEGRATION_TOKEN,
      );
      const ticketId = (posted.body as InboundResponse).ticketId;
      const server = t;
      await vi.waitFor(async () => expect((await server.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
      return { server, agent, ticketId };
    }

    it('reaches the leads as a request; a refusal with a reason reaches the agent; a new request approved escalates as before', async () => {
      const { server, agent, ticketId } = await start();
      const lead1 = await connectAs(server, 'lead1');
      const requested = okResult(await askSocket<{ request: Alarm }>(agent.socket, 'ticket:escalate', { ticketId, reason: '需要二线工程师上门' }));
      expect(requested.request).toMatchObject({
        kind: 'escalation_request',
        ticketId,
        agentId: 'agent1',
        decision: null,
        facts: { reason: '需要二线工程师上门', requestedByName: '王芳' },
      });
      await vi.waitFor(() => expect(lead1.pushed.map((alarm) => alarm.id)).toContain(requested.request.id));
      // Nothing changed on the ticket yet, and a second request while one waits is a conflict.
      expect((await server.store.getTicket(ticketId))!.routing).toMatchObject({ requiredTier: 1, escalation: null });
      expect(await askSocket(agent.socket, 'ticket:escalate', { ticketId, reason: '再催一下' })).toMatchObject({ ok: false, error: { code: 'conflict' } });

      const refused = okResult(
        await askSocket<{ alarm: Alarm }>(lead1.socket, 'alarms:decide', { id: requested.request.id, approve: false, reason: '先按一线流程排查' }),
      );
      expect(refused.alarm.decision).toEqual({ outcome: 'refused', reason: '先按一线流程排查', byId: 'lead1', byName: '李主管', at: server.clock.now() });
      await vi.waitFor(() => expect(agent.pushed.findLast((alarm) => alarm.id === requested.request.id)?.decision?.reason).toBe('先按一线流程排查'));
      expect((await server.store.getTicket(ticketId))!.routing.requiredTier).toBe(1);

      const second = okResult(await askSocket<{ request: Alarm }>(agent.socket, 'ticket:escalate', { ticketId, reason: '排查无果，仍需二线' }));
      server.clock.advance(5 * 60_000);
      const approved = okResult(await askSocket<{ alarm: Alarm }>(lead1.socket, 'alarms:decide', { id: second.request.id, approve: true }));
      expect(approved.alarm).toMatchObject({ decision: { outcome: 'approved', reason: null, byName: '李主管' }, ackedById: 'lead1' });
      expect((await server.store.getTicket(ticketId))!.routing).toMatchObject({
        requiredTier: 2,
        escalation: { reason: '排查无果，仍需二线', byId: 'agent1', byName: '王芳', at: server.clock.now(), dueAt: server.clock.now() + 30 * 60_000 },
      });
      // The agent's own list holds both requests and their outcomes.
      const listed = okResult(await askSocket<{ alarms: Alarm[] }>(agent.socket, 'alarms:list', {}));
      expect(listed.alarms.map((alarm) => alarm.decision?.outcome)).toEqual(['approved', 'refused']);
    });

    it('is decided once when two leads decide at once', async () => {
      const { server, agent, ticketId } = await start();
      const lead1 = await connectAs(server, 'lead1');
      const lead2 = await connectAs(server, 'lead2');
      const { request } = okResult(await askSocket<{ request: Alarm }>(agent.socket, 'ticket:escalate', { ticketId, reason: '客户要求主管处理' }));
      const answers = await Promise.all([
        askSocket<{ alarm: Alarm }>(lead1.socket, 'alarms:decide', { id: request.id, approve: true }),
        askSocket<{ alarm: Alarm }>(lead2.socket, 'alarms:decide', { id: request.id, approve: false, reason: '不需要' }),
      ]);
      expect(answers.filter((answer) => answer.ok)).toHaveLength(1);
      expect(answers.filter((answer) => !answer.ok)).toEqual([
        { ok: false, error: { code: 'conflict', message: expect.stringContaining('already decided') as string } },
      ]);
      const stored = (await server.store.alerts.get(request.id))!;
      const ticket = (await server.store.getTicket(ticketId))!;
      // The ticket agrees with the one decision that stood.
      expect(ticket.routing.requiredTier).toBe(stored.decision!.outcome === 'approved' ? 2 : 1);
      expect((await server.store.routing.listAudit(ticketId)).filter((entry) => entry.decision === 'escalated').length).toBe(
        stored.decision!.outcome === 'approved' ? 1 : 0,
      );
    });

    it('files a request pushed through the outbox (made offline) once, however often it is sent', async () => {
      const { server, agent, ticketId } = await start();
      const lead1 = await connectAs(server, 'lead1');
      const mutation = {
        mutationId: 'offline-escalation-1',
        kind: 'requestEscalation',
        ticketId,
        reason: '离线时申请：需要二线',
        createdAt: server.clock.now() - 60_000,
      };
      const first = okResult(await askSocket<{ results: Array<{ ok: boolean }> }>(agent.socket, 'sync:push', { mutations: [mutation] }));
      expect(first.results).toEqual([expect.objectContaining({ mutationId: 'offline-escalation-1', ok: true })]);
      await vi.waitFor(() => expect(lead1.pushed.filter((alarm) => alarm.kind === 'escalation_request')).toHaveLength(1));
      expect(lead1.pushed[0]).toMatchObject({
        ticketId,
        agentId: 'agent1',
        decision: null,
        facts: { reason: '离线时申请：需要二线', requestedByName: '王芳' },
      });
      // Sent again (the ack was lost), and a second request while one waits: still one request.
      okResult(await askSocket(agent.socket, 'sync:push', { mutations: [mutation] }));
      okResult(await askSocket(agent.socket, 'sync:push', { mutations: [{ ...mutation, mutationId: 'offline-escalation-2' }] }));
      const listed = okResult(await askSocket<{ alarms: Alarm[] }>(lead1.socket, 'alarms:list', {}));
      expect(listed.alarms.filter((alarm) => alarm.kind === 'escalation_request')).toHaveLength(1);
      expect((await server.store.getTicket(ticketId))!.routing.requiredTier).toBe(1);
      // A stranger's pushed request is refused like any write to a ticket they cannot see.
      const stranger = await connectAs(server, 'agent2');
      const refused = okResult(
        await askSocket<{ results: Array<{ ok: boolean }> }>(stranger.socket, 'sync:push', { mutations: [{ ...mutation, mutationId: 'stranger-1' }] }),
      );
      expect(refused.results[0]).toMatchObject({ ok: false });
      expect(
        okResult(await askSocket<{ alarms: Alarm[] }>(lead1.socket, 'alarms:list', {})).alarms.filter((alarm) => alarm.kind === 'escalation_request'),
      ).toHaveLength(1);
    });

    it('refuses agents deciding, strangers requesting, and bad input, with nothing changed', async () => {
      const { server, agent, ticketId } = await start();
      const stranger = await connectAs(server, 'agent2');
      expect(await askSocket(stranger.socket, 'ticket:escalate', { ticketId, reason: '看看' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await askSocket(agent.socket, 'ticket:escalate', { ticketId, reason: '   ' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      const { request } = okResult(await askSocket<{ request: Alarm }>(agent.socket, 'ticket:escalate', { ticketId, reason: '客户要求主管处理' }));
      // The requester may not approve their own request, nor may any agent.
      expect(await askSocket(agent.socket, 'alarms:decide', { id: request.id, approve: true })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await askSocket(stranger.socket, 'alarms:decide', { id: request.id, approve: false, reason: 'no' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      const lead1 = await connectAs(server, 'lead1');
      // A refusal needs a reason; an unknown id is not found.
      expect(await askSocket(lead1.socket, 'alarms:decide', { id: request.id, approve: false })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await askSocket(lead1.socket, 'alarms:decide', { id: request.id, approve: false, reason: '  ' })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await askSocket(lead1.socket, 'alarms:decide', { id: 424_242, approve: true })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect((await server.store.alerts.get(request.id))!.decision).toBeNull();
      expect((await server.store.getTicket(ticketId))!.routing.requiredTier).toBe(1);
      // The stranger never heard of the request.
      expect(stranger.pushed).toEqual([]);
    });
  });
}
