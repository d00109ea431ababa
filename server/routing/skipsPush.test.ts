/**
 * Why routing passes an agent over (`presence:changed`'s `skipped`) through the real server and
 * a real socket.io client: a new reason, load or capacity is pushed at once; a change in the
 * number waiting alone at most every SKIPS_WAITING_ONLY_PUSH_MS, since every contact that
 * arrives changes it for every agent at capacity on its channel.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CAPACITY, type PresenceChanged } from '../../shared/routing.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, createTestClock, postJson, startTestServer, type TestServer } from '../testHarness.js';
import { openTestSocket, type TestSocket } from '../testing/sockets.js';
import { createManualScheduler, type ManualScheduler } from './scheduler.js';
import { SKIPS_WAITING_ONLY_PUSH_MS } from './service.js';

let t: TestServer;
let scheduler: ManualScheduler;
const sockets: TestSocket[] = [];

async function inboundEmail(index: number): Promise<void> {
  const contact = { channel: 'email', customer: { name: `客户${String(index)}`, email: `c${String(index)}@example.cn` }, subject: '订单', text: '订单问题' };
  expect((await postJson(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN)).status).toBe(201);
  await t.server.routing.idle();
}

async function inboundChat(index: number): Promise<void> {
  const contact = { channel: 'chat', customer: { name: `访客${String(index)}`, phone: `1310013${String(1000 + index)}` }, text: '在吗？' };
  expect((await postJson(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN)).status).toBe(201);
  await t.server.routing.idle();
}

/** Signs `username` in over a real socket; every `presence:changed` it is sent, in order. */
async function connectAgent(username: string): Promise<PresenceChanged[]> {
  const presence: PresenceChanged[] = [];
  sockets.push(await openTestSocket(t.url, username, { listen: (socket) => socket.on('presence:changed', (change) => presence.push(change)) }));
  await t.server.routing.idle();
  return presence;
}

/** The numbers waiting in each of those pushes that had skips. */
function waitingPushed(presence: readonly PresenceChanged[]): number[][] {
  return presence.filter((change) => change.skipped.length > 0).map((change) => change.skipped.map((skip) => skip.waiting));
}

/**
 * One more turn for the skips push the last contact scheduled: with agentsPushThrottleMs 0 it is
 * a 0 ms timer set before routing.idle() resolved, and timers of one duration run in the order set.
 */
function afterSkipsPush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('the skips pushed to an agent at capacity', () => {
  beforeEach(async () => {
    const clock = createTestClock();
    scheduler = createManualScheduler(clock);
    t = await startTestServer({ backend: 'sqlite', clock, scheduler, agentsPushThrottleMs: 0 });
    await t.store.createUser({
      id: 'agent1',
      username: 'agent1',
      password: TEST_PASSWORD,
      displayName: '王芳',
      role: 'agent',
      channels: ['email'],
      groups: [],
    });
    await t.store.routing.saveAgentSettings(
      'agent1',
      {
        presence: 'offline',
        presenceCause: 'disconnected',
        presenceSince: 0,
        awayReason: null,
        capacity: { ...DEFAULT_CAPACITY, email: 1 },
        phoneBlocksChat: true,
      },
      0,
    );
    await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await t.stop();
  });

  it('pushes a new reason at once and a new number waiting at most every few seconds', async () => {
    const presence = await connectAgent('agent1');

    // The first e-mail fills agent1's one e-mail slot; the second waits: agent1 is told why at once.
    await inboundEmail(1);
    await inboundEmail(2);
    await vi.waitFor(() => expect(presence.at(-1)?.skipped).toEqual([{ channel: 'email', reason: 'at_capacity', load: 1, capacity: 1, waiting: 1 }]));

    // More arrive within the interval: the count alone changes, nothing is pushed. Once the
    // interval has passed, the next change brings the count as it is (pushes arrive in order,
    // so a push of 2 or 3 waiting would be listed before it).
    await inboundEmail(3);
    await inboundEmail(4);
    // The push these scheduled runs inside the interval.
    await afterSkipsPush();
    // Nothing else happens: when the interval ends, the count held back is pushed all the same.
    scheduler.advance(SKIPS_WAITING_ONLY_PUSH_MS);
    await vi.waitFor(() => expect(waitingPushed(presence)).toEqual([[1], [3]]));
    // The next count alone waits for the interval again.
    await inboundEmail(5);
    await afterSkipsPush();
    scheduler.advance(SKIPS_WAITING_ONLY_PUSH_MS);
    await vi.waitFor(() => expect(waitingPushed(presence)).toEqual([[1], [3], [4]]));

    // A second slot takes a waiting e-mail: load and capacity are new facts, pushed at once, inside the interval.
    await t.server.routing.setCapacity('agent1', { email: 2 }, undefined);
    await t.server.routing.idle();
    await vi.waitFor(() => expect(presence.at(-1)?.skipped).toEqual([{ channel: 'email', reason: 'at_capacity', load: 2, capacity: 2, waiting: 3 }]));
  });

  it('pushes a count held back when its own interval ends, though another agent’s count held back before it waits longer', async () => {
    await t.store.createUser({ id: 'agent2', username: 'agent2', password: TEST_PASSWORD, displayName: '张强', role: 'agent', channels: ['chat'], groups: [] });
    await t.store.routing.saveAgentSettings(
      'agent2',
      {
        presence: 'offline',
        presenceCause: 'disconnected',
        presenceSince: 0,
        awayReason: null,
        capacity: { ...DEFAULT_CAPACITY, chat: 1 },
        phoneBlocksChat: true,
      },
      0,
    );
    const agent1 = await connectAgent('agent1');
    const agent2 = await connectAgent('agent2');
    const emailWaiting = () => waitingPushed(agent1);
    const chatWaiting = () => waitingPushed(agent2);

    // agent2's chat count is pushed first (its interval ends at 5 s), agent1's e-mail count 3 s later (ends at 8 s).
    await inboundChat(1);
    await inboundChat(2);
    await vi.waitFor(() => expect(chatWaiting()).toEqual([[1]]));
    scheduler.advance(3_000);
    await inboundEmail(1);
    await inboundEmail(2);
    await vi.waitFor(() => expect(emailWaiting()).toEqual([[1]]));

    // agent1's count is held back first (a recheck for 8 s), then agent2's (due at 5 s).
    await inboundEmail(3);
    await afterSkipsPush();
    await inboundChat(3);
    await afterSkipsPush();
    expect({ email: emailWaiting(), chat: chatWaiting() }).toEqual({ email: [[1]], chat: [[1]] });

    // Nothing else happens: at 5 s agent2 gets its count, agent1 still waits for its own interval.
    scheduler.advance(SKIPS_WAITING_ONLY_PUSH_MS - 3_000);
    await vi.waitFor(() => expect(chatWaiting()).toEqual([[1], [2]]));
    expect(emailWaiting()).toEqual([[1]]);
    scheduler.advance(3_000);
    await vi.waitFor(() => expect(emailWaiting()).toEqual([[1], [2]]));
    expect(chatWaiting()).toEqual([[1], [2]]);
  });
});
