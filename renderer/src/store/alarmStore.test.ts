/**
 * Alarms in the renderer store, on REAL cores and the REAL server: a lead's store gets a
 * backlog alarm pushed the moment the server raises it, shows one desktop notification for it
 * (not again when it is acknowledged), and records who acknowledged; an agent's store gets
 * none of the leads' alarms and is refused acknowledging.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, makeTempDir, postJson, startTestServer, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import type { DesktopNotifier } from './notifications.js';
import { openAlarmCount } from './alarmSlice.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
let root: string;
const cores: WorkstationCore[] = [];
const disposers: Array<() => void> = [];

async function signedInStore(username: string, notifier: DesktopNotifier | null): Promise<AppStore> {
  const core = await createWorkstationCore({ dataDir: `${root}/${username}`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  cores.push(core);
  const { store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null, notifier, sound: null },
  );
  disposers.push(dispose);
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn(username, TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().alarmsLoaded).toBe(true), WAIT);
  return store;
}

const shown: Array<{ title: string; body: string }> = [];
let lead: AppStore;
let agent: AppStore;

beforeAll(async () => {
  root = makeTempDir('renderer-alarms-');
  server = await startTestServer({ now: Date.now, alarms: { intervalMs: 50 } });
  await server.store.createUser({ id: 'lead1', username: 'lead1', password: TEST_PASSWORD, displayName: '李主管', role: 'lead', channels: [] });
  await server.store.createUser({ id: 'agent1', username: 'agent1', password: TEST_PASSWORD, displayName: '王芳', role: 'agent', channels: ['email'] });
  await server.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
  lead = await signedInStore('lead1', { canShow: () => true, show: (title, body) => shown.push({ title, body }) });
  agent = await signedInStore('agent1', { canShow: () => true, show: () => expect.unreachable('the agent is notified of a lead alarm') });
});

afterAll(async () => {
  for (const dispose of disposers) dispose();
  await Promise.all(cores.map((core) => core.close()));
  await server.stop();
});

describe('alarms in the store', () => {
  it('reach a lead live with one notification, are acknowledged by the lead, and never reach the agent', async () => {
    for (const name of ['访客甲', '访客乙']) {
      await postJson(`${server.url}/api/v1/inbound`, JSON.stringify({ channel: 'chat', customer: { name }, text: '在吗' }), TEST_INTEGRATION_TOKEN);
    }
    expect(await lead.getState().setBacklogThreshold('chat', 1)).toBe(true);
    expect(lead.getState().thresholds.chat).toBe(1);
    await vi.waitFor(() => expect(lead.getState().alarms.map((alarm) => alarm.kind)).toContain('backlog'), WAIT);
    const backlog = lead.getState().alarms.find((alarm) => alarm.kind === 'backlog')!;
    expect(openAlarmCount(lead.getState().alarms)).toBeGreaterThan(0);
    await vi.waitFor(() => expect(shown).toEqual([{ title: 'Backlog', body: 'Chat: 2 contacts waiting (threshold 1)' }]));

    expect(await agent.getState().acknowledgeAlarm(backlog.id)).toBe(false);
    expect(agent.getState().alarmError?.code).toBe('forbidden');
    expect(agent.getState().alarms).toEqual([]);

    expect(await lead.getState().acknowledgeAlarm(backlog.id)).toBe(true);
    expect(lead.getState().alarms.find((alarm) => alarm.id === backlog.id)).toMatchObject({ ackedById: 'lead1', ackedByName: '李主管' });
    // The acknowledgement changed the alarm; it is not a new one to notify.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(shown).toHaveLength(1);
  });

  it('loads older alarms on request ("Load older") until the oldest, and shows the server\'s open count on the badge', async () => {
    const lead1 = (await server.store.getUser('lead1'))!;
    // 300 acknowledged alarms and one open one behind them: more than the newest page.
    await server.store.withTransaction(async () => {
      for (let index = 0; index < 301; index += 1) {
        const raised = await server.store.alerts.raise(
          { kind: 'sla_breach', subject: `OLD${String(index)}`, crossing: '1', ticketId: null, channel: 'email', agentId: null, facts: {} },
          Date.now(),
        );
        if (index > 0) await server.store.alerts.acknowledge(raised!.id, lead1, Date.now());
      }
    });
    const total = (await server.store.alerts.list(lead1, { limit: 500 })).alarms.length;
    const open = (await server.store.alerts.counts(lead1)).open;
    // A second workstation of the lead, signed in now: it fetches the newest page and every open alarm.
    const later = await signedInStore('lead1', null);
    expect(later.getState().alarms.length).toBeLessThan(total);
    expect(later.getState().alarmsHasOlder).toBe(true);
    expect(later.getState().alarmCounts).toEqual({ open, escalations: 0 });
    expect(openAlarmCount(later.getState().alarms, later.getState().alarmCounts)).toBe(open);
    expect(later.getState().alarms.map((alarm) => alarm.subject)).toContain('OLD0');

    while (later.getState().alarmsHasOlder) expect(await later.getState().loadOlderAlarms(false)).toBe(true);
    const ids = later.getState().alarms.map((alarm) => alarm.id);
    expect(ids).toHaveLength(total);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});
