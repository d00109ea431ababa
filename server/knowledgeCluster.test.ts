/**
 * The knowledge base on two server nodes (in this process, one PostgreSQL database, one
 * Redis): a lead's article published on one node reaches agents connected to the other as
 * `kb:changed`; a decision made on one node reaches the suggestion's author on the other.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Article, KnowledgeChanged, Suggestion } from '../shared/knowledge.js';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../shared/sync.js';
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
  });
}

interface Client {
  ask<T>(event: string, payload: unknown): Promise<Ack<T>>;
  changes: KnowledgeChanged[];
}

async function connectAs(node: TestServer, username: string): Promise<Client> {
  const { token } = await login(node.url, username);
  const socket: ClientSocket = connect(node.url, {
    auth: { token, clientId: `client-${username}` },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const changes: KnowledgeChanged[] = [];
  socket.on('kb:changed', (event) => changes.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const emitter = socket.timeout(10_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  return { ask: async <T>(event: string, payload: unknown) => (await emitter.emitWithAck(event, payload)) as Ack<T>, changes };
}

describe('knowledge base on a cluster of two nodes', () => {
  beforeEach(async () => {
    database = await createTestDatabase('omnidesk_kb_cluster');
    redis = await createTestRedis('omnidesk-kb');
    a = await startNode('node-a');
    await seedTestOrganisation(a.store, [
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { username: 'agent1', displayName: '王芳', channels: ['chat'] },
    ]);
    b = await startNode('node-b');
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await Promise.allSettled([a.stop(), b.stop()]);
    await redis.cleanup();
    await database.drop();
  });

  it('tells the readers and the author on the other node', async () => {
    const lead = await connectAs(a, 'lead1');
    const agentOnB = await connectAs(b, 'agent1');

    const saved = await lead.ask<{ article: Article }>('kb:save', {
      article: { title: '物流查询', body: '在订单详情页查看物流轨迹。', category: '物流', tags: ['物流'], status: 'published' },
    });
    expect(saved).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnB.changes).toEqual([{ articles: true, suggestions: false }]), { timeout: 10_000 });

    const suggested = await agentOnB.ask<{ suggestion: Suggestion }>('kb:suggest', {
      content: { title: '发票开具', body: '订单完成后开具电子发票。', category: '发票', tags: [] },
      note: '常被问到',
    });
    expect(suggested).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(lead.changes.at(-1)).toEqual({ articles: false, suggestions: true }), { timeout: 10_000 });
    const id = suggested.ok ? suggested.result.suggestion.id : '';
    expect(await lead.ask('kb:decide', { id, decision: 'decline', reason: '已有同类文章' })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnB.changes).toHaveLength(3), { timeout: 10_000 });
    expect(await agentOnB.ask('kb:suggestions', {})).toMatchObject({
      ok: true,
      result: { suggestions: [{ status: 'declined', declineReason: '已有同类文章' }] },
    });
  });
});
