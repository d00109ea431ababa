/**
 * The core's alarm session against a real socket.io server that answers what the test says:
 * the list is fetched on connect, a push that is not an alarm is logged and ignored, a valid
 * push is merged by id (an acknowledgement replaces the raised alarm), and after `stop`
 * nothing more is passed on. Against the real server: a waiting escalation request behind
 * hundreds of newer alarms is held, with the server's open counts, older pages load on request,
 * and closed alarms are the first to go.
 */
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPushServer } from '../../../server/testing/pushServer.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, seedTestOrganisation, startTestServer } from '../../../server/testHarness.js';
import { openTestSocket } from '../../../server/testing/sockets.js';
import { isAlarmOpen, type Alarm } from '../../../shared/alarms.js';
import type { AlarmsState } from '../../../shared/rpc.js';
import type { WorkstationSocket } from '../sync/syncClient.js';
import { startAlarmSession } from './alarmSession.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function alarm(id: number, overrides: Partial<Alarm> = {}): Alarm {
  return {
    id,
    kind: 'sla_warning',
    subject: 'GD20241108001',
    ticketId: 'GD20241108001',
    channel: 'email',
    agentId: 'agent1',
    raisedAt: 1000 + id,
    facts: { dueAt: 5000, priority: 'normal' },
    ackedById: null,
    ackedByName: null,
    ackedAt: null,
    decision: null,
    ...overrides,
  };
}

async function serverAndClient(listed: Alarm[]): Promise<{ send: (event: string, payload: unknown) => void; client: WorkstationSocket }> {
  const server = await startPushServer({
    'alarms:list': { alarms: listed, thresholds: { chat: 10 }, next: null, counts: { open: listed.filter(isAlarmOpen).length, escalations: 0 } },
  });
  const client: WorkstationSocket = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const send = await server.connected;
  closers.push(async () => {
    client.disconnect();
    await server.close();
  });
  return { send, client };
}

describe('alarm session', () => {
  it('fetches the list on connect, merges pushes by id, ignores what is not an alarm, and stops', async () => {
    const { send, client } = await serverAndClient([alarm(2), alarm(1)]);
    const events: AlarmsState[] = [];
    const logged: string[] = [];
    const session = startAlarmSession({ socket: client, emit: (_event, payload) => events.push(payload as AlarmsState), log: (line) => logged.push(line) });
    await vi.waitFor(() => expect(events.at(-1)).toMatchObject({ loaded: true, thresholds: { chat: 10 } }));
    expect(events.at(-1)!.alarms.map((a) => a.id)).toEqual([2, 1]);

    send('alarms:alarm', { id: 'x', kind: 'fire' });
    send('alarms:alarm', alarm(3, { kind: 'backlog', ticketId: null, channel: 'chat', agentId: null, facts: { pending: 60, threshold: 50 } }));
    send('alarms:alarm', alarm(1, { ackedById: 'lead1', ackedByName: '李主管', ackedAt: 9000 }));
    await vi.waitFor(() =>
      expect(events.at(-1)!.alarms.map((a) => [a.id, a.ackedById])).toEqual([
        [3, null],
        [2, null],
        [1, 'lead1'],
      ]),
    );
    expect(logged).toEqual([expect.stringMatching(/^alarms: ignored a push that is not an alarm/) as string]);

    // A burst read in one go (the server raising an alarm per ticket crossing a threshold) is announced once, with all of it.
    const beforeBurst = events.length;
    const [onAlarm] = client.listeners('alarms:alarm');
    for (let id = 10; id < 60; id++) onAlarm!(alarm(id));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(events).toHaveLength(beforeBurst + 1);
    expect(events.at(-1)!.alarms).toHaveLength(53);

    session.stop();
    const count = events.length;
    await new Promise<void>((resolve) => {
      client.once('alarms:alarm', () => resolve());
      send('alarms:alarm', alarm(4));
    });
    expect(events).toHaveLength(count);
    expect(
      session
        .current()
        .alarms.map((a) => a.id)
        .slice(-3),
    ).toEqual([3, 2, 1]);
    expect(session.current().alarms).toHaveLength(53);
  });
});

describe('alarm session trimming', () => {
  it('drops closed alarms first: a waiting escalation request and an open alarm outlive hundreds of newer acknowledged ones', async () => {
    const request = alarm(1, { kind: 'escalation_request', facts: { reason: '需要二线', requestedByName: '王芳' } });
    const { client } = await serverAndClient([alarm(2), request]);
    const events: AlarmsState[] = [];
    const session = startAlarmSession({ socket: client, emit: (_event, payload) => events.push(payload as AlarmsState) });
    await vi.waitFor(() => expect(events.at(-1)?.loaded).toBe(true));
    const [onAlarm] = client.listeners('alarms:alarm');
    for (let id = 100; id < 400; id++) onAlarm!(alarm(id, { ackedById: 'lead1', ackedByName: '李主管', ackedAt: 9000 }));
    const held = session.current().alarms;
    // Before: only the newest 200 were kept, so both open ones were gone.
    expect(held.map((a) => a.id).slice(-3)).toEqual([200, 2, 1]);
    expect(held).toHaveLength(202);
    session.stop();
  });
});

describe('alarm session against the real server', () => {
  for (const backend of TEST_BACKENDS) {
    it(`holds a waiting escalation request behind 500 newer alarms, counts what the server counts, and loads older pages (${backend})`, async () => {
      const t = await startTestServer({ backend, alarms: { intervalMs: 3_600_000, recheckMs: 3_600_000 } });
      closers.push(() => t.stop());
      await seedTestOrganisation(t.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['email'] },
      ]);
      const raiseSla = (from: number, count: number, acked: boolean) =>
        t.store.withTransaction(async () => {
          const lead = (await t.store.getUser('lead1'))!;
          for (let index = from; index < from + count; index += 1) {
            const raised = await t.store.alerts.raise(
              { kind: 'sla_breach', subject: `SLA${String(index)}`, crossing: '1', ticketId: null, channel: 'email', agentId: null, facts: {} },
              t.clock.now(),
            );
            if (acked) await t.store.alerts.acknowledge(raised!.id, lead, t.clock.now());
          }
        });
      const agentSocket = await openTestSocket(t.url, 'agent1');
      // Before the server stops (closers run in order).
      closers.unshift(() => {
        agentSocket.disconnect();
        return Promise.resolve();
      });
      const inbound = await fetch(`${t.url}/api/v1/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_INTEGRATION_TOKEN}` },
        body: JSON.stringify({ channel: 'email', customer: { name: '韩梅', email: 'han@example.cn' }, text: '主板坏了' }),
      });
      const { ticketId } = (await inbound.json()) as { ticketId: string };
      await vi.waitFor(async () => expect((await t.store.getTicket(ticketId))?.assigneeId).toBe('agent1'));
      await raiseSla(0, 300, true);
      const filed = (await agentSocket.timeout(5000).emitWithAck('ticket:escalate', { ticketId, reason: '需要二线' })) as {
        ok: boolean;
        result: { request: Alarm };
      };
      expect(filed.ok).toBe(true);
      await raiseSla(300, 500, false);

      const leadSocket = await openTestSocket(t.url, 'lead1');
      // Before the server stops (closers run in order).
      closers.unshift(() => {
        leadSocket.disconnect();
        return Promise.resolve();
      });
      const events: AlarmsState[] = [];
      const session = startAlarmSession({ socket: leadSocket, emit: (_event, payload) => events.push(payload as AlarmsState) });
      closers.unshift(() => {
        session.stop();
        return Promise.resolve();
      });
      await vi.waitFor(() => expect(events.at(-1)?.loaded).toBe(true));
      const held = session.current();
      expect(held.counts).toEqual({ open: 501, escalations: 1 });
      expect(held.alarms.find((alarm) => alarm.kind === 'escalation_request')).toMatchObject({ id: filed.result.request.id, decision: null });
      // Every open alarm is held (501 of them), the closed ones behind them are not fetched yet.
      expect(held.alarms.filter(isAlarmOpen)).toHaveLength(501);
      expect(held.alarms).toHaveLength(501);
      expect(held).toMatchObject({ hasOlder: true, hasOlderOpen: false });

      // Older pages of every alarm: the acknowledged ones come, and stay (what the user asked for).
      let state = await session.loadOlder({ open: false });
      while (state.hasOlder) state = await session.loadOlder({ open: false });
      expect(state.alarms).toHaveLength(801);
      expect(new Set(state.alarms.map((alarm) => alarm.id)).size).toBe(801);

      // The lead decides the request from here; the server's counts come back with the push.
      await session.decide({ id: filed.result.request.id, approve: false, reason: '先按一线流程处理' });
      await vi.waitFor(() => expect(session.current().counts).toEqual({ open: 500, escalations: 0 }));
    });
  }
});
