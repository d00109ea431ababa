/**
 * The core's alarm session against a real socket.io server that answers what the test says:
 * the list is fetched on connect, a push that is not an alarm is logged and ignored, a valid
 * push is merged by id (an acknowledgement replaces the raised alarm), and after `stop`
 * nothing more is passed on.
 */
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPushServer } from '../../../server/testing/pushServer.js';
import type { Alarm } from '../../../shared/alarms.js';
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
  const server = await startPushServer({ 'alarms:list': { alarms: listed, thresholds: { chat: 10 } } });
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
