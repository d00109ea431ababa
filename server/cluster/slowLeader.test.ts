/**
 * A slow routing leader (issue 10), on real servers in this process sharing one PostgreSQL
 * database and one Redis. The leader is made slow by a fault-injection hook that holds its
 * handler before or after a call (`leaderCallHook`); the RPC, the deadlines, the fence, the
 * routing engine and the store stay real. What a contact-centre user needs:
 * - an agent accepting through a follower gets the ticket, or a clear answer (`unavailable`:
 *   nothing was done; `unconfirmed`: it may have been) — and answering again is safe: never a
 *   ticket assigned twice, never over capacity, never an accept done behind a "not done";
 * - a disconnect the leader could not take still reaches routing (tried again, or the new
 *   leader reads the sockets on takeover), so the agent does not stay "available" while gone;
 * - a node closed while busy logs no error and leaves no unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CAPACITY, offerResponseResultSchema, type RoutingCall } from '../../shared/routing.js';
import { seedTestOrganisation, type TestServer } from '../testHarness.js';
import { askRouting, connectRoutingClient, createTestCluster, postInbound, type RoutingClient, type TestCluster } from '../testing/cluster.js';

/** A forwarded call's whole budget in these tests; the leader must begin a person's request within half of it. */
const CALL_TIMEOUT_MS = 1_500;

let cluster: TestCluster;

/**
 * The fault injection: per op and phase, a gate the leader's handler waits at. `hold` closes
 * it; `release` opens it; `reached` says how many calls got there. Every gate is opened after
 * each test, so no handler is left waiting when the nodes close.
 */
interface Gate {
  open: Promise<void>;
  release(): void;
  reached: number;
}
const gates = new Map<string, Gate>();
/** `op:phase` of every call the leader's handler began ('before') and ended ('after'), in order. */
const events: string[] = [];

function hold(op: RoutingCall['op'], phase: 'before' | 'after'): Gate {
  let release!: () => void;
  const gate: Gate = { open: new Promise<void>((resolve) => (release = resolve)), release: () => release(), reached: 0 };
  gates.set(`${op}:${phase}`, gate);
  return gate;
}

async function leaderCallHook(call: RoutingCall, phase: 'before' | 'after'): Promise<void> {
  events.push(`${call.op}:${phase}`);
  const gate = gates.get(`${call.op}:${phase}`);
  if (!gate) return;
  gate.reached += 1;
  await gate.open;
}

function startNode(nodeId: string, options: { reconcileMs?: number; callTimeoutMs?: number } = {}): Promise<TestServer> {
  return cluster.startNode(nodeId, {
    cluster: {
      reconcileMs: options.reconcileMs ?? 300,
      callTimeoutMs: options.callTimeoutMs ?? CALL_TIMEOUT_MS,
      disconnectRetryMs: [200, 400],
      connectRetryMs: [200, 400],
      leaderCallHook,
    },
    routing: { offerTimeoutMs: 60_000, disconnectGraceMs: 0 },
    agentsPushThrottleMs: 0,
  });
}

const connectAs = (node: TestServer, username: string) => connectRoutingClient(cluster, node, username);

function leaderOf(): TestServer {
  const leaders = cluster.nodes.filter((node) => node.server.isRoutingLeader());
  if (leaders.length !== 1) throw new Error(`expected one leader, found ${String(leaders.length)}`);
  return leaders[0]!;
}

/** Whether the agent is connected as far as the leader's engine knows (any presence but offline). */
function presenceOnLeader(userId: string): string | undefined {
  return leaderOf().server.routing.engine.agentStatus(userId)?.presence;
}

async function assignedDecisions(node: TestServer, ticketId: string): Promise<number> {
  const row = await node.store.sql.get<{ n: number }>("SELECT count(*)::int AS n FROM routing_audit WHERE ticket_id = ? AND decision = 'assigned'", [ticketId]);
  return row?.n ?? 0;
}

async function openTicketsOf(node: TestServer, agentId: string, channel: string): Promise<number> {
  const row = await node.store.sql.get<{ n: number }>(
    "SELECT count(*)::int AS n FROM tickets WHERE assignee_id = ? AND channel = ? AND status NOT IN ('completed', 'closed')",
    [agentId, channel],
  );
  return row?.n ?? 0;
}

describe('a slow routing leader', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('slowleader');
  }, 30_000);

  afterEach(async () => {
    for (const gate of gates.values()) gate.release();
    gates.clear();
    events.length = 0;
    await cluster.stop();
  }, 60_000);

  async function twoNodes(): Promise<{ a: TestServer; b: TestServer }> {
    const a = await startNode('node-a');
    await seedTestOrganisation(a.store, [
      { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
      { username: 'agent2', displayName: '张强', channels: ['chat', 'email'] },
    ]);
    await vi.waitFor(() => expect(a.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    const b = await startNode('node-b');
    return { a, b };
  }

  async function offeredChat(a: TestServer, b: TestServer, agent: RoutingClient): Promise<string> {
    const chat = await postInbound(b, { channel: 'chat', customer: { name: '刘洋', phone: '13800138000' }, text: '你好，我的订单还没到' });
    await vi.waitFor(() => expect(agent.offers.map((offer) => offer.ticketId)).toContain(chat.ticketId), { timeout: 10_000 });
    expect(a.server.routing.engine.ticketView(chat.ticketId)?.offerAgentId).toBe('agent1');
    return chat.ticketId;
  }

  it('an accept the leader reaches after its caller gave up is not done: the agent hears "unavailable" in time and accepts again', async () => {
    const { a, b } = await twoNodes();
    const agent1 = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(presenceOnLeader('agent1')).toBe('available'), { timeout: 10_000 });
    const ticketId = await offeredChat(a, b, agent1);

    // The leader takes the accept but is held before its routing turn, past the caller's deadline.
    const slow = hold('respond', 'before');
    const refused = await askRouting(agent1, 'offer:respond', { ticketId, accept: true }, offerResponseResultSchema);
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(slow.reached).toBe(1);

    // The held call then reaches the fence and is refused there: nothing is done behind the agent's back.
    slow.release();
    gates.delete('respond:before');
    await vi.waitFor(() => expect(events).toContain('respond:after'), { timeout: 10_000 });
    await a.server.routing.idle();
    expect((await a.store.getTicket(ticketId))?.assigneeId).toBeNull();
    expect(a.server.routing.engine.ticketView(ticketId)?.offerAgentId).toBe('agent1');
    expect(await assignedDecisions(a, ticketId)).toBe(0);

    // The offer is still theirs: answering again takes the ticket, once.
    const accepted = await askRouting(agent1, 'offer:respond', { ticketId, accept: true }, offerResponseResultSchema);
    expect(accepted).toMatchObject({ ok: true, result: { outcome: 'accepted', ticket: { id: ticketId, assigneeId: 'agent1' } } });
    expect(await assignedDecisions(a, ticketId)).toBe(1);
    expect(b.logLines.join('\n')).toContain('routing respond forwarded to the leader: busy (not done)');
    expect(b.logLines.join('\n')).not.toContain('LeaderUnavailableError');
  }, 60_000);

  it('an accept done but answered too late is "unconfirmed"; answering again says "accepted", and the ticket is assigned once, within capacity', async () => {
    const { a, b } = await twoNodes();
    const agent1 = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(presenceOnLeader('agent1')).toBe('available'), { timeout: 10_000 });
    const ticketId = await offeredChat(a, b, agent1);

    // The routing turn runs and commits; the answer is held until the caller gave up.
    const late = hold('respond', 'after');
    const unknown = await askRouting(agent1, 'offer:respond', { ticketId, accept: true }, offerResponseResultSchema);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unconfirmed' } });
    expect((await a.store.getTicket(ticketId))?.assigneeId).toBe('agent1');
    late.release();
    gates.delete('respond:after');

    // The workstation keeps the offer and the agent answers again: the truth, not "gone".
    const again = await askRouting(agent1, 'offer:respond', { ticketId, accept: true }, offerResponseResultSchema);
    expect(again).toMatchObject({ ok: true, result: { outcome: 'accepted', ticket: { id: ticketId, assigneeId: 'agent1' } } });
    expect(await assignedDecisions(a, ticketId)).toBe(1);
    expect(await openTicketsOf(a, 'agent1', 'chat')).toBeLessThanOrEqual(DEFAULT_CAPACITY.chat);

    // A decline asked again after the accept is no accept of anyone else's: the ticket stays where it is.
    const decline = await askRouting(agent1, 'offer:respond', { ticketId, accept: false }, offerResponseResultSchema);
    expect(decline).toMatchObject({ ok: true, result: { outcome: 'gone' } });
    expect((await a.store.getTicket(ticketId))?.assigneeId).toBe('agent1');
    expect(b.logLines.join('\n')).toContain('routing respond forwarded to the leader: timeout (outcome unknown)');
  }, 60_000);

  it('a disconnect the slow leader does not confirm is tried again, and the agent goes offline', async () => {
    const a = await startNode('node-a', { reconcileMs: 600_000 });
    await seedTestOrganisation(a.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
    await vi.waitFor(() => expect(a.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    // No reconciliation during the test: only the forwarded disconnect can tell the leader.
    const b = await startNode('node-b', { reconcileMs: 600_000 });
    const agent1 = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(presenceOnLeader('agent1')).toBe('available'), { timeout: 10_000 });

    // The first disconnect is held on the leader past the follower's budget; the follower tries again.
    const stuck = hold('disconnect', 'before');
    agent1.socket.disconnect();
    await vi.waitFor(() => expect(stuck.reached).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    expect(presenceOnLeader('agent1')).toBe('available');
    stuck.release();
    await vi.waitFor(() => expect(presenceOnLeader('agent1')).toBe('offline'), { timeout: 10_000 });
    expect(b.logLines.join('\n')).toContain('routing disconnect forwarded to the leader: timeout (outcome unknown)');
  }, 60_000);

  it('a reconnecting agent whose connect the slow leader does not confirm is asked again, and the new socket gets the offer waiting for them', async () => {
    const { a, b } = await twoNodes();
    const before = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(presenceOnLeader('agent1')).toBe('available'), { timeout: 10_000 });
    const ticketId = await offeredChat(a, b, before);

    // The workstation comes back on a new socket (the old one not yet let go, as after its node died)
    // while the leader is held before the forwarded connect, past the follower's budget: "unconfirmed".
    const slow = hold('connect', 'before');
    const after = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(b.logLines.join('\n')).toContain('routing connect of agent1 not confirmed by the leader (unconfirmed); trying again'), {
      timeout: 10_000,
    });
    expect(after.offers).toEqual([]);
    slow.release();
    gates.delete('connect:before');

    // The connect is tried again (idempotent per socket): its answer brings the open offer to the new socket, in time to accept it.
    await vi.waitFor(() => expect(after.offers.map((offer) => offer.ticketId)).toEqual([ticketId]), { timeout: 10_000 });
    const accepted = await askRouting(after, 'offer:respond', { ticketId, accept: true }, offerResponseResultSchema);
    expect(accepted).toMatchObject({ ok: true, result: { outcome: 'accepted', ticket: { id: ticketId, assigneeId: 'agent1' } } });
    expect(await assignedDecisions(a, ticketId)).toBe(1);
    // Counted once however many tries reached the leader: the agent holds one chat, and closing both sockets lets them go.
    expect(await openTicketsOf(a, 'agent1', 'chat')).toBe(1);
    before.socket.disconnect();
    after.socket.disconnect();
    await vi.waitFor(() => expect(presenceOnLeader('agent1')).toBe('offline'), { timeout: 10_000 });
  }, 60_000);

  it('a connect that reaches the leader after its socket closed counts nothing, and the follower stops trying it', async () => {
    const a = await startNode('node-a', { reconcileMs: 600_000 });
    await seedTestOrganisation(a.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
    await vi.waitFor(() => expect(a.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    // No reconciliation during the test: only what the follower forwards can tell the leader.
    const b = await startNode('node-b', { reconcileMs: 600_000 });

    // Every forwarded connect is held, so the follower tries again; the socket closes meanwhile,
    // and its disconnect reaches the leader before any of the held connects.
    const slow = hold('connect', 'before');
    const agent1 = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(b.logLines.join('\n')).toContain('routing connect of agent1 not confirmed by the leader (unconfirmed); trying again'), {
      timeout: 10_000,
    });
    agent1.socket.disconnect();
    await vi.waitFor(() => expect(events).toContain('disconnect:after'), { timeout: 10_000 });
    slow.release();
    gates.delete('connect:before');

    // Every connect that got to the leader ends, and none counted the closed socket.
    await vi.waitFor(() => expect(events.filter((e) => e === 'connect:after')).toHaveLength(slow.reached), { timeout: 10_000 });
    await a.server.routing.idle();
    expect(presenceOnLeader('agent1') ?? 'offline').toBe('offline');
    // The follower gave up quietly (nobody to answer), without its "after N tries" fallback.
    expect(b.logLines.join('\n')).not.toContain('routing connect of agent1 not confirmed by the leader after');
  }, 60_000);

  it('a disconnect while the leader is being replaced still reaches routing: the new leader lets the agent go', async () => {
    const a = await startNode('node-a', { reconcileMs: 600_000 });
    await seedTestOrganisation(a.store, [
      { username: 'agent1', displayName: '王芳', channels: ['chat'] },
      { username: 'agent2', displayName: '张强', channels: ['chat'] },
    ]);
    await vi.waitFor(() => expect(a.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    // The next leader reconciles as usual (its first read of every node's sockets may time out on a loaded machine).
    const b = await startNode('node-b');
    const c = await startNode('node-c');
    const agent1 = await connectAs(b, 'agent1');
    await connectAs(c, 'agent2');
    await vi.waitFor(() => expect([presenceOnLeader('agent1'), presenceOnLeader('agent2')]).toEqual(['available', 'available']), {
      timeout: 10_000,
    });

    // The agent on node b leaves while the leader is stuck; then the leader loses its lease (its
    // database session is cut) and an election follows. The held disconnect, released after, lands on a deposed leader.
    const stuck = hold('disconnect', 'before');
    agent1.socket.disconnect();
    await vi.waitFor(() => expect(stuck.reached).toBe(1), { timeout: 10_000 });
    const before = await a.store.sql.get<{ epoch: string }>('SELECT epoch FROM cluster_leader WHERE id = 1');
    await a.store.sql.get(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'omnidesk-leader:node-a' AND datname = current_database()",
    );
    await vi.waitFor(
      async () => {
        const now = await a.store.sql.get<{ epoch: string }>('SELECT epoch FROM cluster_leader WHERE id = 1');
        expect(Number(now?.epoch)).toBeGreaterThan(Number(before?.epoch));
        expect(cluster.nodes.filter((node) => node.server.isRoutingLeader())).toHaveLength(1);
      },
      { timeout: 15_000 },
    );
    stuck.release();
    gates.delete('disconnect:before');
    await vi.waitFor(() => expect([presenceOnLeader('agent1'), presenceOnLeader('agent2')]).toEqual(['offline', 'available']), { timeout: 15_000 });
  }, 60_000);
});

describe('closing a busy cluster node', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    cluster = await createTestCluster('closebusy');
    process.on('unhandledRejection', onUnhandled);
  }, 30_000);

  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await cluster.stop();
  }, 60_000);

  it('stops its feeds, jobs and leader work before its pool and Redis close: no error logged, no unhandled rejection, close twice is one close', async () => {
    // The default budget: this test is about closing, not about a slow leader.
    const a = await startNode('node-a', { callTimeoutMs: 8_000 });
    await seedTestOrganisation(
      a.store,
      Array.from({ length: 6 }, (_, i) => ({ username: `agent${String(i)}`, displayName: `坐席${String(i)}`, channels: ['chat' as const, 'email' as const] })),
    );
    await vi.waitFor(() => expect(a.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    const b = await startNode('node-b', { callTimeoutMs: 8_000 });
    const agents = await Promise.all(Array.from({ length: 6 }, (_, i) => connectAs(i % 2 === 0 ? a : b, `agent${String(i)}`)));
    // Agents accept what they are offered, through both nodes, while contacts keep coming in on both.
    for (const agent of agents) {
      agent.socket.on('routing:offer', (offer) => {
        agent.socket.emit('offer:respond', { ticketId: offer.ticketId, accept: true }, () => undefined);
      });
    }
    let acknowledged = 0;
    let writing = true;
    const writer = async (node: TestServer, lane: number) => {
      for (let i = 0; writing; i++) {
        await postInbound(node, {
          channel: i % 3 === 0 ? 'chat' : 'email',
          customer: { name: `客户${String(lane)}-${String(i)}`, email: `c${String(lane)}-${String(i)}@example.cn` },
          text: `关闭测试 ${String(lane)}-${String(i)}`,
        }).then(
          () => (acknowledged += 1),
          () => (writing = false),
        );
      }
    };
    // Three lanes into the leader (they keep the follower's commit stream reading while it closes), one into the follower.
    const writers = [writer(a, 0), writer(a, 1), writer(a, 2), writer(b, 3)];
    await vi.waitFor(() => expect(acknowledged).toBeGreaterThanOrEqual(10), { timeout: 30_000 });

    // Both close while busy (the follower first, then the leader with work in flight); a second close is the same close.
    const logged = { a: a.logLines.length, b: b.logLines.length };
    const closingB = b.server.close();
    expect(b.server.close()).toBe(closingB);
    await closingB;
    const closingA = a.server.close();
    await Promise.all([closingA, a.server.close()]);
    await a.server.close();
    writing = false;
    await Promise.all(writers);
    // Whatever was still scheduled gets its turn to fail, if it would.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const troubled = [...a.logLines.slice(logged.a), ...b.logLines.slice(logged.b)].filter((line) =>
      /Cannot use a pool|pool (is )?(ended|closed)|Connection is closed|failed|error|Error:/i.test(line),
    );
    expect(troubled).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 90_000);
});
