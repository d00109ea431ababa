/**
 * Routing requests made on a node that does not lead reach the leader and come back (two
 * real servers in this process on one PostgreSQL database and one Redis): presence, a chat
 * offer accepted, a lead's reassignment; a malformed or forged request between nodes is
 * ignored or refused; when the leader stops, the other node leads and routes, and resumes the
 * wrap-ups the old leader was running (an agent who said Ready is not put back in wrap-up), and
 * every workstation is told the same.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  agentsPushSchema,
  agentsResultSchema,
  applyAgentsPush,
  leadReassignResultSchema,
  offerResponseResultSchema,
  presenceResultSchema,
  ticketResultSchema,
  type AgentsPush,
  type AgentStatus,
} from '../../shared/routing.js';
import { getJson, seedTestOrganisation, type TestServer } from '../testHarness.js';
import { askRouting, connectRoutingClient, createTestCluster, postInbound, type TestCluster } from '../testing/cluster.js';
import { adminUserResultSchema, DEFAULT_POLICIES, policiesResultSchema } from '../../shared/admin.js';
import { ackSchema, type Mutation } from '../../shared/sync.js';
import { askSocket } from '../testing/sockets.js';
import { startLeaderRpc } from './leaderRpc.js';

let cluster: TestCluster;
let a: TestServer;
let b: TestServer;

const connectAs = (node: TestServer, username: string) => connectRoutingClient(cluster, node, username);

describe('routing on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('leader', { routing: { offerTimeoutMs: 20_000 }, agentsPushThrottleMs: 0 });
    a = await cluster.startNode('node-a');
    await seedTestOrganisation(a.store, [
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
      { username: 'agent2', displayName: '张强', channels: ['chat', 'email'] },
      { username: 'agent3', displayName: '刘洋', channels: ['chat'] },
      { username: 'admin1', displayName: '系统管理员', role: 'admin', channels: [] },
    ]);
    await vi.waitFor(() => expect(a.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    b = await cluster.startNode('node-b');
  }, 30_000);

  afterEach(() => cluster.stop());

  it('answers requests made on the follower through the leader: presence, an offer accepted, a reassignment', async () => {
    expect(b.server.isRoutingLeader()).toBe(false);
    // What a load balancer's health check sees of each node.
    expect((await getJson(`${a.url}/healthz`)).body).toMatchObject({ ok: true, node: 'node-a', routingLeader: true, redis: 'ok' });
    expect((await getJson(`${b.url}/healthz`)).body).toMatchObject({ ok: true, node: 'node-b', routingLeader: false, redis: 'ok' });
    const agent1 = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(agent1.presence.at(-1)?.presence).toBe('available'), { timeout: 10_000 });

    // A chat stored on the follower is admitted by the leader and offered to the agent on the follower.
    const chat = await postInbound(b, { channel: 'chat', customer: { name: '刘洋', phone: '13800138000' }, text: '你好，我的订单还没到' });
    await vi.waitFor(() => expect(agent1.offers.map((offer) => offer.ticketId)).toContain(chat.ticketId), { timeout: 10_000 });
    const accepted = await askRouting(agent1, 'offer:respond', { ticketId: chat.ticketId, accept: true }, offerResponseResultSchema);
    expect(accepted).toMatchObject({ ok: true, result: { outcome: 'accepted', ticket: { id: chat.ticketId, assigneeId: 'agent1' } } });

    // A lead on the follower moves it to an agent connected to the leader.
    await connectAs(a, 'agent2');
    const lead = await connectAs(b, 'lead1');
    await vi.waitFor(() => expect(a.server.routing.engine.agentStatus('agent2')?.presence).toBe('available'), { timeout: 10_000 });
    const moved = await askRouting(lead, 'lead:reassign', { ticketIds: [chat.ticketId], to: 'agent2' }, leadReassignResultSchema);
    expect(moved).toMatchObject({ ok: true, result: { results: [{ ticketId: chat.ticketId, ok: true, ticket: { assigneeId: 'agent2' } }] } });

    // The agent steps away on the follower: the leader knows.
    const away = await askRouting(agent1, 'presence:set', { presence: 'away' }, presenceResultSchema);
    expect(away).toMatchObject({ ok: true, result: { presence: 'away' } });
    expect(a.server.routing.engine.agentStatus('agent1')?.presence).toBe('away');
  }, 60_000);

  it('an admin on the follower deactivates an agent connected to the leader: the leader re-queues their tickets, the socket ends, the policies reach the leader', async () => {
    const agent1 = await connectAs(a, 'agent1');
    let ended = false;
    agent1.socket.on('session:ended', () => (ended = true));
    await vi.waitFor(() => expect(a.server.routing.engine.agentStatus('agent1')?.presence).toBe('available'), { timeout: 10_000 });
    const mail = await postInbound(b, { channel: 'email', customer: { name: '刘洋', email: 'liuyang@example.cn' }, subject: '发票', text: '请重开发票' });
    await vi.waitFor(async () => expect((await a.store.getTicket(mail.ticketId))?.assigneeId).toBe('agent1'), { timeout: 10_000 });
    await connectAs(b, 'agent2');
    await vi.waitFor(() => expect(a.server.routing.engine.agentStatus('agent2')?.presence).toBe('available'), { timeout: 10_000 });

    const admin = await connectAs(b, 'admin1');
    const answer = await askRouting(admin, 'admin:setActive', { userId: 'agent1', active: false }, adminUserResultSchema);
    expect(answer).toMatchObject({ ok: true, result: { ok: true, user: { active: false } } });
    await vi.waitFor(async () => expect((await a.store.getTicket(mail.ticketId))?.assigneeId).toBe('agent2'), { timeout: 10_000 });
    await vi.waitFor(() => expect(ended && !agent1.socket.connected).toBe(true), { timeout: 10_000 });
    expect(a.server.routing.engine.agentStatus('agent1')?.presence).toBe('offline');

    const policies = { ...DEFAULT_POLICIES, offerTimeoutSeconds: 12 };
    expect(await askRouting(admin, 'admin:setPolicies', { policies }, policiesResultSchema)).toMatchObject({ ok: true });
    expect(a.server.routing.engine.config.offerTimeoutMs).toBe(12_000);
  }, 60_000);

  it('ignores malformed requests between nodes and refuses a forged one naming nobody', async () => {
    const raw = new Redis(cluster.redis.url);
    try {
      await raw.publish(`${cluster.redis.prefix}routing:requests`, 'not json');
      await raw.publish(`${cluster.redis.prefix}routing:requests`, JSON.stringify({ id: 'x', replyTo: 'y', call: { op: 'drop_tables' } }));
    } finally {
      raw.disconnect();
    }
    const rpc = await startLeaderRpc({ redisUrl: cluster.redis.url, keyPrefix: cluster.redis.prefix, log: () => undefined });
    try {
      expect(await rpc.call({ op: 'escalate', actorId: 'nobody', ticketId: 'GD20241108001', reason: '伪造' })).toMatchObject({ ok: false, code: 'not_found' });
    } finally {
      await rpc.close();
    }
    expect(a.logLines.join('\n')).toContain('routing rpc: a message on');
    expect(a.logLines.join('\n')).toContain('routing rpc: a malformed request was ignored');
  }, 30_000);

  it("a lead on the follower is sent the leader's roster changes only, and holds (like the follower's own copy) the leader's roster", async () => {
    const agent1 = await connectAs(a, 'agent1');
    await connectAs(b, 'agent2');
    // Changes with no lead anywhere: the follower's copy follows them all the same (web chat and transfers read it).
    await askRouting(await connectAs(b, 'agent3'), 'presence:set', { presence: 'busy' }, presenceResultSchema);
    const leaderRoster = () => new Map(a.server.routing.agents().map((agent) => [agent.userId, agent]));
    let roster = new Map<string, AgentStatus>();
    const pushes: AgentsPush[] = [];
    const lead = await cluster.connect(b, 'lead1', {
      listen: (opened) =>
        opened.on('lead:agents', (raw) => {
          const push = agentsPushSchema.parse(raw);
          pushes.push(push);
          roster = applyAgentsPush(roster, push);
        }),
    });
    // Two whole rosters come on connect, in either order: the follower's copy, and the leader's (a lead now watches).
    await vi.waitFor(() => expect(pushes.filter((push) => push.complete).length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(roster).toEqual(leaderRoster()), { timeout: 10_000 });
    const before = pushes.length;

    await askRouting(agent1, 'presence:set', { presence: 'away' }, presenceResultSchema);
    await vi.waitFor(() => expect(roster.get('agent1')?.presence).toBe('away'), { timeout: 10_000 });
    const since = pushes.slice(before);
    expect(since.every((push) => !push.complete)).toBe(true);
    expect(new Set(since.flatMap((push) => push.agents.map((agent) => agent.userId)))).toEqual(new Set(['agent1']));
    expect(roster).toEqual(leaderRoster());
    // The follower answers a lead's request from its own copy, kept by the same changes.
    await vi.waitFor(
      async () => {
        const asked = ackSchema(agentsResultSchema).parse(await askSocket(lead, 'lead:agents', {}, 10_000));
        expect(asked.ok && new Map(asked.result.agents.map((agent) => [agent.userId, agent]))).toEqual(leaderRoster());
      },
      { timeout: 10_000 },
    );
  }, 60_000);

  it("drops a deposed leader's late roster push on the follower, and goes on following the leader's diffs", async () => {
    // The lead first: its connect makes the leader send every lead the whole roster, which must come before the stale pushes below.
    const lead = await cluster.connect(b, 'lead1');
    const agent1 = await connectAs(a, 'agent1');
    await connectAs(b, 'agent2');
    const leaderRoster = () => new Map(a.server.routing.agents().map((agent) => [agent.userId, agent]));
    /** The follower's copy, as it answers a lead connected to it. */
    const followerRoster = async () => {
      const asked = ackSchema(agentsResultSchema).parse(await askSocket(lead, 'lead:agents', {}, 10_000));
      if (!asked.ok) throw new Error(asked.error.message);
      return { epoch: asked.result.epoch, agents: new Map(asked.result.agents.map((agent) => [agent.userId, agent])) };
    };
    const epoch = a.server.routing.epoch!;
    expect(epoch).toBeGreaterThan(0);
    await vi.waitFor(
      async () => {
        const heard = await followerRoster();
        expect([heard.agents.get('agent1')?.connected, heard.agents.get('agent2')?.connected]).toEqual([true, true]);
        expect(heard).toEqual({ epoch, agents: leaderRoster() });
      },
      { timeout: 15_000 },
    );

    // A leader of an earlier epoch that had not noticed losing its lease: its periodic whole roster and a diff, late.
    const stale = [...leaderRoster().values()].map((agent) => ({ ...agent, presence: 'busy' as const, presenceSince: 1 }));
    const rpc = await startLeaderRpc({ redisUrl: cluster.redis.url, keyPrefix: cluster.redis.prefix, log: () => undefined });
    try {
      await rpc.broadcast(JSON.stringify({ from: 'deposed-node:run', seq: 41, push: { agents: stale, at: 1, complete: true, removed: [], epoch: epoch - 1 } }));
      await rpc.broadcast(
        JSON.stringify({ from: 'deposed-node:run', seq: 42, push: { agents: stale, at: 2, complete: false, removed: [], epoch: epoch - 1 } }),
      );
      // Heard after the two above (one channel, in order): once it is logged, they were read.
      await rpc.broadcast('not a roster');
    } finally {
      await rpc.close();
    }
    await vi.waitFor(() => expect(b.logLines.join('\n')).toContain('cluster routing: an agents push that is not JSON was ignored'), { timeout: 10_000 });
    expect(await followerRoster()).toEqual({ epoch, agents: leaderRoster() });

    // The leader's next diff still applies: the stale pushes did not make the follower wait for a whole roster.
    await askRouting(agent1, 'presence:set', { presence: 'away' }, presenceResultSchema);
    await vi.waitFor(async () => expect((await followerRoster()).agents.get('agent1')?.presence).toBe('away'), { timeout: 10_000 });
    expect(await followerRoster()).toEqual({ epoch, agents: leaderRoster() });
  }, 60_000);

  it('says at once, with a clear error, when no node leads', async () => {
    const rpc = await startLeaderRpc({ redisUrl: cluster.redis.url, keyPrefix: `${cluster.redis.prefix}elsewhere:`, log: () => undefined, timeoutMs: 300 });
    try {
      await expect(rpc.call({ op: 'callStateChanged', agentId: 'agent1' })).rejects.toThrow('No routing leader is available right now');
    } finally {
      await rpc.close();
    }
  });

  it('hands routing to the other node when the leader stops, and routes what arrives there', async () => {
    const agent1 = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(agent1.presence.at(-1)?.presence).toBe('available'), { timeout: 10_000 });
    await a.stop();
    await vi.waitFor(() => expect(b.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    const email = await postInbound(b, { channel: 'email', customer: { name: '陈静', email: 'chen@example.cn' }, text: '发票抬头写错了' });
    await vi.waitFor(async () => expect((await b.store.getTicket(email.ticketId))?.assigneeId).toBe('agent1'), { timeout: 10_000 });
  }, 60_000);

  it("a new leader lets go of a pin stored for an agent deactivated behind routing's back, and the ticket goes to an agent with room", async () => {
    const lead = await connectAs(b, 'lead1');
    const mail = await postInbound(b, { channel: 'email', customer: { name: '陈静', email: 'chen@example.cn' }, subject: '发票', text: '发票抬头写错了' });
    await vi.waitFor(() => expect(a.server.routing.engine.ticketView(mail.ticketId)).not.toBeNull(), { timeout: 10_000 });
    expect(await askRouting(lead, 'lead:pin', { ticketId: mail.ticketId, agentId: 'agent1' }, ticketResultSchema)).toMatchObject({ ok: true });
    await vi.waitFor(async () => expect((await b.store.getTicket(mail.ticketId))?.routing.pinnedAgentId).toBe('agent1'), { timeout: 10_000 });
    // Deactivated as a version before pins were let go at once left it: stored, routing not told.
    await a.store.admin.setActive((await a.store.getUser('admin1'))!, 'agent1', false, Date.now());

    await a.stop();
    await vi.waitFor(() => expect(b.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await b.store.getTicket(mail.ticketId))?.routing.pinnedAgentId).toBeNull(), { timeout: 10_000 });
    expect((await b.store.routing.listAudit(mail.ticketId)).map((e) => e.decision)).toContain('unpinned');
    await connectAs(b, 'agent2');
    await vi.waitFor(async () => expect((await b.store.getTicket(mail.ticketId))?.assigneeId).toBe('agent2'), { timeout: 10_000 });
  }, 60_000);

  it('a new leader resumes the wrap-ups the old one was running, to the same deadline, and tells every workstation', async () => {
    // Ten minutes of wrap-up after a chat (the longest a policy allows): the failover happens well inside it.
    const admin = await connectAs(b, 'admin1');
    const policies = { ...DEFAULT_POLICIES, wrapUpSeconds: { ...DEFAULT_POLICIES.wrapUpSeconds, chat: 600 } };
    expect(await askRouting(admin, 'admin:setPolicies', { policies }, policiesResultSchema)).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(a.server.routing.engine.config.wrapUpMs.chat).toBe(600_000), { timeout: 10_000 });

    /** The agent takes a chat and completes it (result first, as the rules ask): their wrap-up begins. */
    const chatThenComplete = async (agent: Awaited<ReturnType<typeof connectAs>>, userId: string, phone: string) => {
      await vi.waitFor(() => expect(a.server.routing.engine.agentStatus(userId)?.presence).toBe('available'), { timeout: 10_000 });
      const chat = await postInbound(b, { channel: 'chat', customer: { name: `客户${phone}`, phone }, text: '你好，订单什么时候发货？' });
      await vi.waitFor(() => expect(agent.offers.map((offer) => offer.ticketId)).toContain(chat.ticketId), { timeout: 10_000 });
      expect(await askRouting(agent, 'offer:respond', { ticketId: chat.ticketId, accept: true }, offerResponseResultSchema)).toMatchObject({
        ok: true,
        result: { outcome: 'accepted' },
      });
      const user = (await b.store.getUser(userId))!;
      const mutations: Mutation[] = [
        { mutationId: `${userId}-result`, kind: 'setFields', ticketId: chat.ticketId, result: '已解答', createdAt: Date.now() },
        { mutationId: `${userId}-done`, kind: 'setStatus', ticketId: chat.ticketId, status: 'completed', createdAt: Date.now() },
      ];
      for (const mutation of mutations) expect(await b.store.applyMutation(user, `client-${userId}`, mutation, Date.now())).toMatchObject({ ok: true });
      await vi.waitFor(() => expect(agent.presence.at(-1)).toMatchObject({ presence: 'available', wrapUpChannel: 'chat' }), { timeout: 10_000 });
      const completedAt = (await b.store.getTicket(chat.ticketId))!.completedAt!;
      return { until: agent.presence.at(-1)!.wrapUpUntil!, completedAt };
    };
    // agent1 on the node that will die, agent2 on the one that stays: both in wrap-up. agent3 (on
    // the one that stays) completes a chat too, then says Ready (就绪): their wrap-up is over.
    const agent1 = await connectAs(a, 'agent1');
    const wrap1 = await chatThenComplete(agent1, 'agent1', '13800000001');
    const agent2 = await connectAs(b, 'agent2');
    const wrap2 = await chatThenComplete(agent2, 'agent2', '13800000002');
    const agent3 = await connectAs(b, 'agent3');
    await chatThenComplete(agent3, 'agent3', '13800000003');
    expect(await askRouting(agent3, 'presence:set', { presence: 'available' }, presenceResultSchema)).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agent3.presence.at(-1)).toMatchObject({ wrapUpUntil: null }), { timeout: 10_000 });
    for (const wrap of [wrap1, wrap2]) expect(wrap.until - wrap.completedAt).toBeGreaterThanOrEqual(600_000);
    const heardBefore = agent2.presence.length;

    // The leader dies; the other node leads, its engine rebuilt from the database.
    await a.stop();
    await vi.waitFor(() => expect(b.server.isRoutingLeader()).toBe(true), { timeout: 10_000 });
    const routing = b.server.routing;
    // The wrap-ups run on to the deadline they began with (from the completion the leader heard of),
    // and the agent who said Ready is not put back in wrap-up.
    expect(routing.engine.agentStatus('agent1')).toMatchObject({ wrapUpUntil: wrap1.completedAt + 600_000, wrapUpChannel: 'chat' });
    expect(routing.engine.agentStatus('agent2')).toMatchObject({ wrapUpUntil: wrap2.completedAt + 600_000, wrapUpChannel: 'chat' });
    expect(routing.engine.agentStatus('agent3')).toMatchObject({ wrapUpUntil: null });
    // What the workstations are told: agent2, still connected, hears the new leader's view of it
    // (the same wrap-up); agent1, back on a living node, is told its wrap-up on connecting.
    await vi.waitFor(() => expect(agent2.presence.length).toBeGreaterThan(heardBefore), { timeout: 10_000 });
    expect(agent2.presence.at(-1)).toMatchObject({ presence: 'available', wrapUpUntil: wrap2.completedAt + 600_000, wrapUpChannel: 'chat' });
    const agent1Again = await connectAs(b, 'agent1');
    await vi.waitFor(() => expect(agent1Again.presence.at(-1)).toMatchObject({ wrapUpUntil: wrap1.completedAt + 600_000, wrapUpChannel: 'chat' }), {
      timeout: 10_000,
    });

    // A chat arriving now goes to the agent who said Ready, not to the two still in wrap-up.
    const next = await postInbound(b, { channel: 'chat', customer: { name: '新客户', phone: '13800000009' }, text: '你好，在吗？' });
    await vi.waitFor(() => expect(agent3.offers.map((offer) => offer.ticketId)).toContain(next.ticketId), { timeout: 10_000 });
    expect([...agent1Again.offers, ...agent2.offers].map((offer) => offer.ticketId)).not.toContain(next.ticketId);
    // Ready ends a resumed wrap-up like any other.
    expect(await askRouting(agent2, 'presence:set', { presence: 'available' }, presenceResultSchema)).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agent2.presence.at(-1)).toMatchObject({ wrapUpUntil: null, wrapUpChannel: null }), { timeout: 10_000 });
    expect(routing.engine.agentStatus('agent2')).toMatchObject({ wrapUpUntil: null });
  }, 60_000);
});
