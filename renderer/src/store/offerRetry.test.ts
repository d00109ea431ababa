/**
 * What the agent's workstation does when the routing leader of a cluster is too slow to take an
 * accept (issue 10), against the REAL workstation core and REAL server nodes on PostgreSQL +
 * Redis; the leader is held by the fault-injection hook `leaderCallHook`. The store keeps the
 * offer, says routing is busy and nothing was done (not "cannot reach the server"), and the
 * agent's second accept takes the ticket.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import type { RoutingCall } from '../../../shared/routing.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { createTestDatabase, type TestDatabase } from '../../../server/testing/postgres.js';
import { createTestRedis, type TestRedis } from '../../../server/testing/redis.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

let database: TestDatabase;
let redis: TestRedis;
let leader: TestServer;
let follower: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;
let holdAccepts: Promise<void> | null = null;

async function leaderCallHook(call: RoutingCall, phase: 'before' | 'after'): Promise<void> {
  if (call.op === 'respond' && phase === 'before' && holdAccepts) await holdAccepts;
}

function startNode(nodeId: string): Promise<TestServer> {
  return startTestServer({
    databaseUrl: database.url,
    nodeId,
    now: Date.now,
    cluster: { redisUrl: redis.url, keyPrefix: redis.prefix, leaseRetryMs: 200, reconcileMs: 300, callTimeoutMs: 1_500, leaderCallHook },
    routing: { offerTimeoutMs: 60_000 },
  });
}

beforeAll(async () => {
  database = await createTestDatabase('omnidesk_offerretry');
  redis = await createTestRedis('omnidesk-offerretry');
  leader = await startNode('node-a');
  await seedTestOrganisation(leader.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
  await vi.waitFor(() => expect(leader.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
  follower = await startNode('node-b');
  core = await createWorkstationCore({ dataDir: `${follower.dataDir}/workstation`, serverUrl: follower.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  ));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent_wang', TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), { timeout: 10_000 });
}, 60_000);

afterAll(async () => {
  holdAccepts = null;
  dispose?.();
  await core?.close();
  await Promise.allSettled([follower?.stop(), leader?.stop()]);
  await redis?.cleanup();
  await database?.drop();
}, 60_000);

describe('accepting an offer while the routing leader is slow', () => {
  it('keeps the offer, says routing is busy and nothing changed, and the second accept takes the ticket', async () => {
    const response = await postJson<{ ticketId: string }>(
      `${follower.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'chat', customer: { name: '刘洋', phone: '13800138000' }, text: '你好，我的订单还没到' }),
      TEST_INTEGRATION_TOKEN,
    );
    const { ticketId } = response.body as { ticketId: string };
    await vi.waitFor(() => expect(store.getState().offers.map((offer) => offer.ticketId)).toContain(ticketId), { timeout: 15_000 });

    let release!: () => void;
    holdAccepts = new Promise<void>((resolve) => (release = resolve));
    expect(await store.getState().respondToOffer(ticketId, true)).toBe(false);
    expect(store.getState().routingError?.code).toBe('routing_busy');
    expect(store.getState().offers.map((offer) => offer.ticketId)).toContain(ticketId);
    holdAccepts = null;
    release();

    expect(await store.getState().respondToOffer(ticketId, true)).toBe(true);
    expect(store.getState().routingError).toBeNull();
    expect(store.getState().offers.map((offer) => offer.ticketId)).not.toContain(ticketId);
    await vi.waitFor(async () => expect((await leader.store.getTicket(ticketId))?.assigneeId).toBe('agent_wang'), { timeout: 10_000 });
  }, 60_000);
});
