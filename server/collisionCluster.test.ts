/**
 * Collision on two server nodes (one PostgreSQL database, one Redis): node A runs in this
 * process, node B in a child process so it can be SIGKILLed. An agent on A and a lead on B
 * viewing the same ticket see each other viewing and typing; the lead leaving is heard on A;
 * an agent who may not see the ticket, on either node, neither joins its roster nor hears who
 * views it; and when B dies without a word (no disconnect handler runs anywhere), A still sees
 * the lead's presence go, within the adapter's heartbeat timeout plus one presence sweep.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TicketPresenceEvent } from '../shared/collision.js';
import { seedTestOrganisation, type TestServer } from './testHarness.js';
import { createTestCluster, type SpawnedNode, type TestCluster } from './testing/cluster.js';
import { LIBRARY_TEAM } from './testing/libraries.js';
import type { TestSocket } from './testing/sockets.js';

interface Client {
  socket: TestSocket;
  events: TicketPresenceEvent[];
}

let cluster: TestCluster;
let a: TestServer;
let b: SpawnedNode;
/** agent1's chat: theirs alone (assigned). */
let held: string;
/** A queued chat ticket every chat agent may see. */
let queued: string;

async function clientOn(node: Pick<TestServer, 'url'>, username: string, clientId?: string): Promise<Client> {
  const events: TicketPresenceEvent[] = [];
  const socket = await cluster.connect(node, username, { clientId, listen: (opened) => opened.on('ticket:presence', (event) => events.push(event)) });
  return { socket, events };
}

/** Every roster the client heard for `ticketId`, each as sorted "name" / "name typing". */
function rostersOf(client: Client, ticketId: string): string[][] {
  return client.events
    .filter((event) => event.ticketId === ticketId)
    .map((event) => event.viewers.map((viewer) => (viewer.typing ? `${viewer.name} typing` : viewer.name)).sort());
}

/** The names in the newest roster the client heard for `ticketId`, typing or not. */
function namesNow(client: Client, ticketId: string): string[] {
  const last = client.events.filter((event) => event.ticketId === ticketId).at(-1);
  return (last?.viewers ?? []).map((viewer) => viewer.name).sort();
}

// Two nodes on a shared 2-core machine, one in a child process, and a node death to notice.
const WAIT = { timeout: 20_000 };

describe('collision on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('collision_cluster');
    a = await cluster.startNode('node-a');
    await seedTestOrganisation(a.store, LIBRARY_TEAM);
    b = await cluster.spawnNode('node-b');
    held = (await a.store.ingestInbound({ channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '我的快递到哪了？' }, { now: Date.now() }))
      .ticketId;
    await a.store.assignTicket({
      ticketId: held,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    queued = (await a.store.ingestInbound({ channel: 'chat', customer: { name: '李娜', phone: '13900139000' }, text: '发票' }, { now: Date.now() })).ticketId;
  }, 60_000);

  afterEach(() => cluster.stop(), 60_000);

  it('shows viewers and typists across the nodes, tells a stranger nothing, and drops the viewers of a node that dies', async () => {
    const agentOnA = await clientOn(a, 'agent1');
    const leadOnB = await clientOn(b, 'lead1');
    const strangerOnA = await clientOn(a, 'agent2');
    const strangerOnB = await clientOn(b, 'agent2', 'client-agent2-second');

    agentOnA.socket.emit('ticket:presence', { ticketId: held, typing: false });
    await vi.waitFor(() => expect(namesNow(agentOnA, held)).toEqual(['王芳']), WAIT);
    leadOnB.socket.emit('ticket:presence', { ticketId: held, typing: false });
    await vi.waitFor(() => expect(namesNow(agentOnA, held)).toEqual(['李主管', '王芳']), WAIT);
    await vi.waitFor(() => expect(namesNow(leadOnB, held)).toEqual(['李主管', '王芳']), WAIT);

    // The stranger asks for the held ticket, then for a queued one they may see: each socket's
    // signals are handled in order, so once the queued ticket's roster arrives the first was handled.
    for (const stranger of [strangerOnA, strangerOnB]) {
      stranger.socket.emit('ticket:presence', { ticketId: held, typing: true });
      stranger.socket.emit('ticket:presence', { ticketId: queued, typing: false });
    }
    await vi.waitFor(() => expect(namesNow(strangerOnA, queued)).toEqual(['赵磊']), WAIT);
    await vi.waitFor(() => expect(namesNow(strangerOnB, queued)).toEqual(['赵磊']), WAIT);

    // Typing, each way across the nodes; the stranger is in no roster.
    leadOnB.socket.emit('ticket:presence', { ticketId: held, typing: true });
    await vi.waitFor(() => expect(rostersOf(agentOnA, held)).toContainEqual(['李主管 typing', '王芳']), WAIT);
    agentOnA.socket.emit('ticket:presence', { ticketId: held, typing: true });
    await vi.waitFor(() => expect(rostersOf(leadOnB, held).some((roster) => roster.includes('王芳 typing'))).toBe(true), WAIT);
    // Both stop typing, so no typing lapse on A is left to announce anything after the kill below.
    agentOnA.socket.emit('ticket:presence', { ticketId: held, typing: false });
    leadOnB.socket.emit('ticket:presence', { ticketId: held, typing: false });
    await vi.waitFor(() => expect(rostersOf(agentOnA, held).at(-1)).toEqual(['李主管', '王芳']), WAIT);

    // The lead leaves the ticket (opens none): heard on A; then comes back.
    leadOnB.socket.emit('ticket:presence', { ticketId: null, typing: false });
    await vi.waitFor(() => expect(namesNow(agentOnA, held)).toEqual(['王芳']), WAIT);
    leadOnB.socket.emit('ticket:presence', { ticketId: held, typing: false });
    await vi.waitFor(() => expect(namesNow(agentOnA, held)).toEqual(['李主管', '王芳']), WAIT);

    // Node B dies: no disconnect handler runs, on B or anywhere. A must still see the lead go.
    const exited = new Promise((resolve) => b.process.once('exit', resolve));
    b.process.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    await vi.waitFor(() => expect(namesNow(agentOnA, held)).toEqual(['王芳']), { timeout: 40_000, interval: 200 });
    // A figure, not an assertion: the heartbeat timeout (10 s) plus up to one sweep (5 s) is the bound.
    console.log(`collision_dead_node_viewer_gone_ms=${String(Date.now() - killedAt)}`);

    // A stranger on either node never heard a roster of the held ticket, nor was in one.
    expect(strangerOnA.events.filter((event) => event.ticketId === held)).toEqual([]);
    expect(strangerOnB.events.filter((event) => event.ticketId === held)).toEqual([]);
    for (const client of [agentOnA, leadOnB])
      expect(
        rostersOf(client, held)
          .flat()
          .filter((name) => name.startsWith('赵磊')),
      ).toEqual([]);

    // And A's presence keeps working after the death: the agent's own change is announced.
    agentOnA.socket.emit('ticket:presence', { ticketId: queued, typing: false });
    await vi.waitFor(() => expect(namesNow(agentOnA, queued)).toEqual(['王芳', '赵磊']), WAIT);
  }, 120_000);
});
