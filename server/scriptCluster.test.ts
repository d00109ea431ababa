/**
 * Scripts on two server nodes (in this process, one PostgreSQL database, one Redis): a lead's
 * team script saved on one node reaches an agent connected to the other as `scripts:changed`,
 * a personal script reaches only its owner's sockets on both nodes, and the per-user write
 * limit is counted across the nodes (Redis), not once per node.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_VARIANTS, type Script, type ScriptInput, type ScriptsChanged } from '../shared/scripts.js';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { login, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';
import { createTestDatabase, type TestDatabase } from './testing/postgres.js';
import { createTestRedis, type TestRedis } from './testing/redis.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let database: TestDatabase;
let redis: TestRedis;
let a: TestServer;
let b: TestServer;
const sockets: ClientSocket[] = [];

function startNode(nodeId: string): Promise<TestServer> {
  return startTestServer({
    databaseUrl: database.url,
    nodeId,
    now: Date.now,
    cluster: { redisUrl: redis.url, keyPrefix: redis.prefix, leaseRetryMs: 200, reconcileMs: 300 },
    rateLimits: { ...DEFAULT_RATE_LIMITS, scriptWritesPerUser: { points: 3, durationSec: 60 } },
  });
}

interface Client {
  ask<T>(event: string, payload: unknown): Promise<Ack<T>>;
  changes: ScriptsChanged[];
}

async function connectAs(node: TestServer, username: string, clientId = `client-${username}`): Promise<Client> {
  const { token } = await login(node.url, username);
  const socket: ClientSocket = connect(node.url, { auth: { token, clientId }, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const changes: ScriptsChanged[] = [];
  socket.on('scripts:changed', (event) => changes.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const emitter = socket.timeout(10_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  return { ask: async <T>(event: string, payload: unknown) => (await emitter.emitWithAck(event, payload)) as Ack<T>, changes };
}

const personal: ScriptInput = { scope: 'personal', language: 'zh', title: '我的', body: '您好', category: '', keyword: '', variants: NO_VARIANTS };

describe('scripts on a cluster of two nodes', () => {
  beforeEach(async () => {
    database = await createTestDatabase('omnidesk_scripts_cluster');
    redis = await createTestRedis('omnidesk-scripts');
    a = await startNode('node-a');
    await seedTestOrganisation(a.store, [
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { username: 'agent1', displayName: '王芳', channels: ['chat'] },
      { username: 'agent2', displayName: '赵磊', channels: ['chat'] },
    ]);
    b = await startNode('node-b');
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await Promise.allSettled([a.stop(), b.stop()]);
    await redis.cleanup();
    await database.drop();
  });

  it('tells the readers on every node, and limits writes across the nodes', async () => {
    const lead = await connectAs(a, 'lead1');
    const agentOnB = await connectAs(b, 'agent1');
    const otherOnB = await connectAs(b, 'agent2');

    const saved = await lead.ask<{ script: Script }>('scripts:save', { script: { ...personal, scope: 'team', title: '标准问候' } });
    expect(saved).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnB.changes).toEqual([{ scope: 'team' }]), { timeout: 10_000 });
    await vi.waitFor(() => expect(otherOnB.changes).toEqual([{ scope: 'team' }]), { timeout: 10_000 });
    expect(await agentOnB.ask('scripts:list', {})).toMatchObject({ ok: true, result: { scripts: [{ title: '标准问候' }] } });

    // agent1's second workstation, on node A, hears of their personal change made on node B; agent2 does not.
    const agentOnA = await connectAs(a, 'agent1', 'client-agent1-second');
    expect(await agentOnB.ask('scripts:save', { script: personal })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnA.changes).toEqual([{ scope: 'personal' }]), { timeout: 10_000 });
    expect(otherOnB.changes).toEqual([{ scope: 'team' }]);

    // Three writes per user in all: one spent on B above, one more on B, one on A, then A refuses.
    expect(await agentOnB.ask('scripts:save', { script: personal })).toMatchObject({ ok: true });
    expect(await agentOnA.ask('scripts:save', { script: personal })).toMatchObject({ ok: true });
    expect(await agentOnA.ask('scripts:save', { script: personal })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await agentOnB.ask('scripts:save', { script: personal })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });
});
