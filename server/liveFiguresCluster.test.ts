/**
 * The agents' queue summary and the leads' channel board on two server nodes (in this process,
 * one PostgreSQL database, one Redis). Each node computes both for its own sockets; a node's
 * push must reach only those, once per change: with the pushes broadcast through the Redis
 * adapter, every socket got each change once from every node computing it (and a slower
 * node's older figures after a newer node's).
 *
 * Both tests need to know that a push node B made has had the time to reach a socket on node A.
 * The adapter carries B's broadcasts through one Redis stream that A reads in order, and B
 * delivers a broadcast to its own sockets only after adding it to the stream; so once B's own
 * socket has the figures and a later broadcast of B (`org:settings`, an admin saving the
 * policies on B) has reached A's socket, any push of those figures from B has reached it too.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PoliciesResult } from '../shared/admin.js';
import type { BoardSnapshot } from '../shared/board.js';
import type { QueueSummary } from '../shared/queue.js';
import { seedTestOrganisation, type TestServer } from './testHarness.js';
import { createTestCluster, type TestCluster } from './testing/cluster.js';
import { askSocket, okResult, type TestSocket } from './testing/sockets.js';

const WAIT = { timeout: 20_000, interval: 50 };

let cluster: TestCluster;
let a: TestServer;
let b: TestServer;

/** A socket on `node` and what it was pushed: queue summaries, board snapshots, organisation settings. */
async function listening(node: TestServer, username: string) {
  const summaries: QueueSummary[] = [];
  const boards: BoardSnapshot[] = [];
  let settings = 0;
  const socket = await cluster.connect(node, username, {
    listen: (opened) => {
      opened.on('queue:summary', (summary) => summaries.push(summary));
      opened.on('board:snapshot', (snapshot) => boards.push(snapshot));
      opened.on('org:settings', () => (settings += 1));
    },
  });
  return { socket, summaries, boards, settings: () => settings };
}

/** The chat queue's entries of a summary, as JSON (null: the summary is not of chat). */
function chatEntries(summary: QueueSummary): string | null {
  return summary.channels.includes('chat') ? JSON.stringify(summary.entries.filter((entry) => entry.channel === 'chat')) : null;
}

/** The chat row's pending count on a board. */
function chatPending(snapshot: BoardSnapshot): number | undefined {
  return snapshot.rows.find((row) => row.channel === 'chat')?.pending;
}

/** An admin on node B saves the policies unchanged: B broadcasts `org:settings` to every socket; resolves once `reader` has it. */
async function broadcastFromB(admin: TestSocket, reader: { settings: () => number }): Promise<void> {
  const before = reader.settings();
  const { policies } = okResult(await askSocket<PoliciesResult>(admin, 'admin:policies', {}, 10_000));
  okResult(await askSocket<PoliciesResult>(admin, 'admin:setPolicies', { policies }, 10_000));
  await vi.waitFor(() => expect(reader.settings()).toBeGreaterThan(before), WAIT);
}

async function chatContact(): Promise<void> {
  await a.store.ingestInbound(
    { channel: 'chat', customer: { name: '张伟', email: 'zhang.wei@example.cn' }, subject: '订单', text: '在吗', newConversation: true },
    { now: Date.now() },
  );
}

describe('live figures on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('live_figures', { queueSummaryIntervalMs: 50, boardIntervalMs: 50, boardRecheckMs: 600_000 });
    a = await cluster.startNode('node-a');
    await seedTestOrganisation(a.store, [
      { username: 'agent1', displayName: '王芳', channels: ['chat'] },
      { username: 'agent2', displayName: '赵磊', channels: ['chat'] },
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { username: 'admin1', displayName: '管理员', role: 'admin', channels: [] },
    ]);
    b = await cluster.startNode('node-b');
  });

  afterEach(() => cluster.stop());

  it("pushes each change of the queue summary once to an agent, from the agent's own node", async () => {
    const agentOnA = await listening(a, 'agent1');
    const agentOnB = await listening(b, 'agent2');
    const adminOnB = await listening(b, 'admin1');
    // Both greeted with an empty chat queue: both nodes compute the summary for their own agent.
    await vi.waitFor(() => expect(agentOnA.summaries.length).toBeGreaterThan(0), WAIT);
    await vi.waitFor(() => expect(agentOnB.summaries.length).toBeGreaterThan(0), WAIT);

    await chatContact();
    const oneWaiting = (summary: QueueSummary) =>
      chatEntries(summary) !== null && summary.entries.some((entry) => entry.channel === 'chat' && entry.waiting === 1);
    await vi.waitFor(() => expect(agentOnB.summaries.some(oneWaiting)).toBe(true), WAIT);
    await vi.waitFor(() => expect(agentOnA.summaries.some(oneWaiting)).toBe(true), WAIT);
    await broadcastFromB(adminOnB.socket, agentOnA);

    expect(agentOnA.summaries.filter(oneWaiting)).toHaveLength(1);
    expect(agentOnB.summaries.filter(oneWaiting)).toHaveLength(1);
  });

  it("pushes each change of the board once to a lead, from the lead's own node", async () => {
    const leadOnA = await listening(a, 'lead1');
    const adminOnB = await listening(b, 'admin1');
    // Both watch: each node computes the board for its own watcher.
    await vi.waitFor(() => expect(leadOnA.boards.length).toBeGreaterThan(0), WAIT);
    await vi.waitFor(() => expect(adminOnB.boards.length).toBeGreaterThan(0), WAIT);

    await chatContact();
    const oneWaiting = (snapshot: BoardSnapshot) => chatPending(snapshot) === 1;
    await vi.waitFor(() => expect(adminOnB.boards.some(oneWaiting)).toBe(true), WAIT);
    await vi.waitFor(() => expect(leadOnA.boards.some(oneWaiting)).toBe(true), WAIT);
    await broadcastFromB(adminOnB.socket, leadOnA);

    expect(leadOnA.boards.filter(oneWaiting)).toHaveLength(1);
    expect(adminOnB.boards.filter(oneWaiting)).toHaveLength(1);
  });

  it('shows a lead on one node the ticket an agent on another node opens', async () => {
    const { ticketId } = await a.store.ingestInbound(
      { channel: 'email', customer: { name: '周敏', email: 'zhou.min@example.cn' }, subject: '退款', text: '退款到哪了', newConversation: true },
      { now: Date.now() },
    );
    await a.store.assignTicket({
      ticketId,
      assignee: { id: 'agent2', username: 'agent2', displayName: '赵磊' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    const leadOnA = await listening(a, 'lead1');
    const agentOnB = await listening(b, 'agent2');
    await vi.waitFor(() => expect(leadOnA.boards.length).toBeGreaterThan(0), WAIT);
    // Opening a ticket commits nothing: the lead's node hears of it from the agent's node, or only at its next recheck (10 min here).
    agentOnB.socket.emit('ticket:presence', { ticketId, typing: false });
    const viewing = (snapshot: BoardSnapshot) => snapshot.agents.some((agent) => agent.userId === 'agent2' && agent.viewingTicketId === ticketId);
    await vi.waitFor(() => expect(leadOnA.boards.some(viewing)).toBe(true), WAIT);
  });
});
