/**
 * An admin's change of a user on one node holds on the user's sockets on every node
 * (server/userCache.ts): two nodes in this process on one PostgreSQL database and one Redis.
 * Node B keeps its copy of a user for an hour here without word of a change, so only the
 * notification of the change (PostgreSQL NOTIFY, sent in the change's transaction) can make B
 * follow it: the channel taken away on A stops B's socket from reading or taking that channel's
 * tickets, and deactivating the user on A ends B's socket.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QueueListResult, TicketFetchResult } from '../shared/queue.js';
import type { PushResult } from '../shared/sync.js';
import { seedTestOrganisation, type TestServer } from './testHarness.js';
import { createTestCluster, type TestCluster } from './testing/cluster.js';
import { askSocket, type TestSocket } from './testing/sockets.js';

const HOUR = 60 * 60 * 1000;
const WAIT = { timeout: 20_000, interval: 100 };
const SKILLS = { displayName: '王芳', role: 'agent', channels: ['chat', 'email'], groups: [], tier: 1, senior: false, languages: ['zh'], extension: null };

let cluster: TestCluster;
let a: TestServer;
let b: TestServer;

async function queuedEmail(subject: string): Promise<string> {
  const { ticketId } = await a.store.ingestInbound(
    { channel: 'email', customer: { name: '张伟', email: 'zhang.wei@example.cn' }, subject, text: subject, newConversation: true },
    { now: Date.now() },
  );
  return ticketId;
}

/** What the agent's socket gets of a queued email: its fetch and the email queue's rows (ids). */
async function whatAgentGets(agent: TestSocket, ticketId: string): Promise<{ fetch: string; queue: string[] | string }> {
  const fetched = await askSocket<TicketFetchResult>(agent, 'ticket:fetch', { ticketId });
  const listed = await askSocket<QueueListResult>(agent, 'queue:list', { channel: 'email', limit: 50 });
  return {
    fetch: fetched.ok ? 'answered' : fetched.error.code,
    queue: listed.ok ? listed.result.rows.map((row) => row.ticket.id) : listed.error.code,
  };
}

describe('an admin’s change of a user on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('user_changes', { userCacheTtlMs: HOUR });
    a = await cluster.startNode('node-a');
    await seedTestOrganisation(a.store, [
      { username: 'admin1', displayName: '系统管理员', role: 'admin', channels: [] },
      { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
    ]);
    b = await cluster.startNode('node-b');
  }, 60_000);

  afterEach(() => cluster.stop(), 60_000);

  it('a channel taken away on node A stops the agent’s socket on node B from reading and taking its tickets', async () => {
    const agentOnB = await cluster.connect(b, 'agent1');
    const adminOnA = await cluster.connect(a, 'admin1');
    // Busy: routing must not hand the emails to this agent (connected, so Available), or they leave the queue.
    expect((await askSocket(agentOnB, 'presence:set', { presence: 'busy' })).ok).toBe(true);
    const before = await queuedEmail('发票');
    // B reads the agent now and keeps the copy (an hour here).
    expect(await whatAgentGets(agentOnB, before)).toEqual({ fetch: 'answered', queue: [before] });

    const update = await askSocket(adminOnA, 'admin:updateUser', { userId: 'agent1', skills: { ...SKILLS, channels: ['chat'] } });
    expect(update.ok).toBe(true);
    const after = await queuedEmail('合同');
    await vi.waitFor(async () => expect(await whatAgentGets(agentOnB, after)).toEqual({ fetch: 'not_found', queue: [] }), WAIT);
    const take = await askSocket<PushResult>(agentOnB, 'sync:push', {
      mutations: [{ mutationId: 'm-take-after', kind: 'setStatus', ticketId: after, status: 'in_progress', createdAt: Date.now() }],
    });
    expect(take.ok ? take.result.results[0] : take.error.code).toMatchObject({ ok: false, code: 'not_found' });
    expect((await a.store.getTicket(after))!.assigneeId).toBeNull();

    // Given back: B follows that too.
    expect((await askSocket(adminOnA, 'admin:updateUser', { userId: 'agent1', skills: SKILLS })).ok).toBe(true);
    await vi.waitFor(async () => expect((await whatAgentGets(agentOnB, after)).fetch).toBe('answered'), WAIT);
  }, 60_000);

  it('deactivating the agent on node A ends their socket on node B', async () => {
    const agentOnB = await cluster.connect(b, 'agent1');
    const adminOnA = await cluster.connect(a, 'admin1');
    expect((await askSocket(agentOnB, 'queue:list', { channel: 'email', limit: 50 })).ok).toBe(true);
    expect((await askSocket(adminOnA, 'admin:setActive', { userId: 'agent1', active: false })).ok).toBe(true);
    await vi.waitFor(() => expect(agentOnB.connected).toBe(false), WAIT);
  }, 60_000);
});
