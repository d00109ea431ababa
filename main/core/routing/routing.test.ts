/**
 * Routing through the workstation core against the real server (demo organisation) on an
 * ephemeral port, with real caches: presence, an offered chat accepted and declined (the
 * offered ticket readable from the cache at once), escalation, the audit trail, the lead
 * methods, an agent refused lead methods, and `offline` when the server is gone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import type { AgentStatus, RoutingOffer } from '../../../shared/routing.js';
import type { RpcErrorCode, RpcEventName, RpcEvents, RpcMethod, RpcParams } from '../../../shared/rpc.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, waitUntil } from '../testing/coreCalls.js';

/** The customers this test writes as; any other offer comes from the demo's queue. */
const OUR_CUSTOMERS = new Set(['钱晓东', '宋佳怡']);

async function failure<M extends RpcMethod>(core: WorkstationCore, method: M, params: RpcParams<M>): Promise<RpcErrorCode> {
  const outcome = await core.invoke(method, params);
  if (outcome.ok) throw new Error(`${method} unexpectedly succeeded`);
  return outcome.error.code;
}

/** The latest payload of each event a core pushed. */
function latest(core: WorkstationCore) {
  const last: Partial<{ [E in RpcEventName]: RpcEvents[E] }> = {};
  core.onEvent((event, payload) => {
    (last as Record<string, unknown>)[event] = payload;
  });
  return last;
}

async function postInbound(server: RunningServer, body: unknown): Promise<{ ticketId: string }> {
  const response = await fetch(`${server.url}/api/v1/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { ticketId: string };
}

async function signedInOnline(core: WorkstationCore, username: string): Promise<void> {
  await call(core, 'session.signIn', { username, password: 'demo' });
  await waitUntil(core, `${username} is online`, async () => (await call(core, 'session.get', {})).connection.status === 'online');
}

describe('routing through the workstation core', () => {
  let root: string;
  let server: RunningServer;
  let agent: WorkstationCore;
  let agentLast: ReturnType<typeof latest>;
  let lead: WorkstationCore;
  let acceptedTicketId: string;
  let socialTicketIds: string[] = [];
  let serverClosed = false;

  const declineFailures: string[] = [];
  const declining = new Set<string>();
  async function declineDemoOffer(ticketId: string): Promise<void> {
    if (declining.has(ticketId)) return;
    declining.add(ticketId);
    try {
      for (;;) {
        const outcome = await agent.invoke('offer.respond', { ticketId, accept: false });
        if (outcome.ok) return;
        declineFailures.push(`${ticketId}: ${outcome.error.code} ${outcome.error.message}`);
        if (!agentLast.offers?.offers.some((o) => o.ticketId === ticketId)) return;
      }
    } finally {
      declining.delete(ticketId);
    }
  }

  /** Waits for `ticketId` to be offered to agent6; if it never is, the error says what the router saw. */
  async function offeredToAgent(ticketId: string, what: string): Promise<void> {
    try {
      // Longer than an offer's time-out (15 s) plus a pacing interval (5 s): on a loaded machine a demo
      // offer whose decline failed may hold agent6's second chat slot until it times out.
      await waitUntil(agent, what, () => (agentLast.offers?.offers ?? []).some((o) => o.ticketId === ticketId), 60_000);
    } catch (error) {
      const state = {
        agent6: server.routing.agents().find((a) => a.userId === 'agent6'),
        offersHeld: agentLast.offers?.offers.map((o) => `${o.ticketId} ${o.bundle.customer.name}`),
        routing: (await server.store.getTicket(ticketId))?.routing,
        audit: (await server.routing.audit((await server.store.getUser('lead1'))!, ticketId)).map((e) => e.decision),
        declineFailures,
      };
      throw new Error(`${(error as Error).message}: ${JSON.stringify(state)}`);
    }
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-routing-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    // agent6 (Emily Chen): chat + email, orders group. The only agent signed in, so every chat about an order is offered to them.
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent6'), serverUrl: server.url });
    agentLast = latest(agent);
    // The demo leaves chats in the queue, offered to agent6 on connect (and again after each
    // decline's cool-down): decline those, so they neither fill agent6's chat capacity nor time
    // out (two time-outs set Away). A decline that fails (a loaded machine: `unconfirmed`) is
    // sent again while the offer lasts, and the failure is kept for the error of a wait.
    agent.onEvent((event, payload) => {
      if (event !== 'offers') return;
      for (const offer of (payload as RpcEvents['offers']).offers) {
        if (!OUR_CUSTOMERS.has(offer.bundle.customer.name)) void declineDemoOffer(offer.ticketId);
      }
    });
    lead = await createWorkstationCore({ dataDir: path.join(root, 'lead1'), serverUrl: server.url });
  });

  afterAll(async () => {
    await agent?.close();
    await lead?.close();
    if (!serverClosed) await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses routing calls before sign-in, then hears its presence from the server on connect', async () => {
    expect(await failure(agent, 'presence.set', { presence: 'busy' })).toBe('not_signed_in');
    await signedInOnline(agent, 'agent6');
    await waitUntil(agent, 'the presence arrives', async () => (await call(agent, 'presence.get', {})).presence !== null);
    expect((await call(agent, 'presence.get', {})).presence?.presence).toBe('available');
    const listed = (await call(agent, 'offer.list', {})).offers;
    expect(listed.every((o) => !OUR_CUSTOMERS.has(o.bundle.customer.name))).toBe(true);
  });

  it('sets presence through the server and pushes the change as an event', async () => {
    const busy = await call(agent, 'presence.set', { presence: 'busy' });
    expect(busy).toMatchObject({ presence: 'busy', cause: 'self' });
    expect(agentLast.presence?.presence).toBe('busy');
    expect((await call(agent, 'presence.get', {})).presence?.presence).toBe('busy');
    expect(await failure(agent, 'presence.set', { presence: 'asleep' as 'busy' })).toBe('invalid_params');
    await call(agent, 'presence.set', { presence: 'available' });
  });

  it('shows an offered chat with its bundle cached, and accepting makes the ticket theirs', async () => {
    const { ticketId } = await postInbound(server, {
      channel: 'chat',
      customer: { name: '钱晓东', phone: '+86 150 1234 5678' },
      subject: '订单物流查询延迟',
      text: '你好，我的订单三天没有物流更新了',
      externalMessageId: `core-routing-${String(Date.now())}-1`,
    });
    await offeredToAgent(ticketId, 'the chat is offered');
    const offer = agentLast.offers!.offers.find((o) => o.ticketId === ticketId) as RoutingOffer;
    expect(offer.bundle.customer.name).toBe('钱晓东');
    expect(offer.expiresAt).toBeGreaterThan(offer.offeredAt);
    expect((await call(agent, 'offer.list', {})).offers.map((o) => o.ticketId)).toContain(ticketId);
    // Openable straight away, from the cache.
    const detail = await call(agent, 'ticket.get', { ticketId });
    expect(detail.messages.map((m) => m.text)).toContain('你好，我的订单三天没有物流更新了');

    const answer = await call(agent, 'offer.respond', { ticketId, accept: true });
    expect(answer.outcome).toBe('accepted');
    expect(agentLast.offers?.offers.some((o) => o.ticketId === ticketId)).toBe(false);
    await waitUntil(
      agent,
      'the ticket is assigned to agent6 in the cache',
      async () => (await call(agent, 'ticket.get', { ticketId })).ticket.assigneeId === 'agent6',
    );

    const audit = await call(agent, 'ticket.audit', { ticketId });
    expect(audit.map((e) => e.decision)).toEqual(expect.arrayContaining(['offered', 'assigned']));
    const assigned = audit.find((e) => e.decision === 'assigned');
    expect(assigned?.assigneeName).toBe('Emily Chen');
    // The ticket says it was accepted from an offer; the audit keeps the rule that chose the agent.
    expect((await call(agent, 'ticket.get', { ticketId })).ticket.assignmentReason).toMatchObject({ code: 'offer_accepted', channel: 'chat' });
    acceptedTicketId = ticketId;
  }, 90_000);

  it('declining an offer takes it off the list and the audit says so', async () => {
    const { ticketId } = await postInbound(server, {
      channel: 'chat',
      customer: { name: '宋佳怡', email: 'song.jiayi@example.cn' },
      text: '请问我的订单什么时候发货？',
      externalMessageId: `core-routing-${String(Date.now())}-2`,
    });
    await offeredToAgent(ticketId, 'the second chat is offered');
    expect(await call(agent, 'offer.respond', { ticketId, accept: false })).toEqual({ outcome: 'declined' });
    expect((await call(agent, 'offer.list', {})).offers.some((o) => o.ticketId === ticketId)).toBe(false);
    const audit = await call(agent, 'ticket.audit', { ticketId });
    expect(audit.some((e) => e.decision === 'declined' && e.actorName === 'Emily Chen')).toBe(true);
    // Answering the same offer again: it is gone.
    expect(await call(agent, 'offer.respond', { ticketId, accept: true })).toMatchObject({ outcome: 'gone' });
  }, 90_000);

  it('files an escalation request a lead approves (tier 2, 30-minute target); a second request is a conflict', async () => {
    expect(await failure(agent, 'ticket.escalate', { ticketId: acceptedTicketId, reason: '   ' })).toBe('invalid_params');
    const request = (await call(agent, 'ticket.escalate', { ticketId: acceptedTicketId, reason: '客户要求技术专家处理' }))!;
    expect(request).toMatchObject({ kind: 'escalation_request', ticketId: acceptedTicketId, decision: null });
    expect(await failure(agent, 'ticket.escalate', { ticketId: acceptedTicketId, reason: '再次升级' })).toBe('conflict');
    expect(await failure(agent, 'alarms.decide', { id: request.id, approve: true })).toBe('forbidden');

    const leadLast = latest(lead);
    await signedInOnline(lead, 'lead1');
    // Fetched on connect: the waiting request is in the lead's list.
    await waitUntil(lead, 'the request reaches the lead', () => (leadLast.alarms?.alarms ?? []).some((alarm) => alarm.id === request.id));
    expect((await call(lead, 'alarms.decide', { id: request.id, approve: true })).decision).toMatchObject({ outcome: 'approved' });
    await waitUntil(agent, "the decision reaches the agent's list", () =>
      (agentLast.alarms?.alarms ?? []).some((alarm) => alarm.id === request.id && alarm.decision?.outcome === 'approved'),
    );
    // Escalated: the ticket went back to the queue for tier 2 (out of this tier-1 agent's view).
    const escalated = (await server.store.getTicket(acceptedTicketId))!;
    expect(escalated.routing.requiredTier).toBe(2);
    const escalation = escalated.routing.escalation;
    expect(escalation).toMatchObject({ reason: '客户要求技术专家处理', byName: 'Emily Chen' });
    expect(escalation!.dueAt - escalation!.at).toBe(30 * 60 * 1000);
    expect(await failure(lead, 'ticket.escalate', { ticketId: acceptedTicketId, reason: '再次升级' })).toBe('conflict');
    await call(lead, 'session.signOut', {});
  });

  it('keeps lead methods for leads: an agent is refused', async () => {
    expect(await failure(agent, 'lead.agents', {})).toBe('forbidden');
    expect(await failure(agent, 'lead.setPresence', { userId: 'agent6', presence: 'away' })).toBe('forbidden');
  });

  it('lets a lead see the team, change capacity and presence, pin and bulk-reassign', async () => {
    const leadLast = latest(lead);
    await signedInOnline(lead, 'lead1');
    const agents = await call(lead, 'lead.agents', {});
    const liu = agents.find((a) => a.userId === 'agent6');
    expect(liu).toMatchObject({ displayName: 'Emily Chen', presence: 'available', connected: true });
    await waitUntil(lead, 'the team board is pushed', () => (leadLast.agents?.agents.length ?? 0) > 0);

    const capacity = await call(lead, 'lead.setCapacity', { userId: 'agent6', capacity: { chat: 5 } });
    expect(capacity.capacity.chat).toBe(5);

    const away = await call(lead, 'lead.setPresence', { userId: 'agent6', presence: 'away' });
    expect(away.presence).toBe('away');
    await waitUntil(agent, 'agent6 hears the lead set them away', () => agentLast.presence?.presence === 'away' && agentLast.presence.cause === 'lead');
    expect(agentLast.presence?.byName).toBe('李主管');
    await call(lead, 'lead.setPresence', { userId: 'agent6', presence: 'available' });
    // The server pushes only the agents that changed; the core merges them into the whole roster.
    const byId = (agents: readonly AgentStatus[]) => JSON.stringify([...agents].sort((x, y) => x.userId.localeCompare(y.userId)));
    await waitUntil(lead, "the pushed roster is the server's, capacity and presence included", () => {
      const pushed = leadLast.agents?.agents ?? [];
      return pushed.find((a) => a.userId === 'agent6')?.capacity.chat === 5 && byId(pushed) === byId(server.routing.agents());
    });
    expect(leadLast.agents!.agents.length).toBeGreaterThan(1);
    // That push went out, so the next one carries agent6 alone: the core still shows everyone.
    await call(lead, 'lead.setCapacity', { userId: 'agent6', capacity: { chat: 4 } });
    await waitUntil(lead, 'the next change is merged into the roster', () => {
      const pushed = leadLast.agents?.agents ?? [];
      return pushed.find((a) => a.userId === 'agent6')?.capacity.chat === 4 && byId(pushed) === byId(server.routing.agents());
    });

    // Two social tickets wait in the queue (no social agent is signed in); the lead moves both in one call.
    const social = [];
    for (const [i, name] of ['罗琳', '周杰'].entries()) {
      social.push(
        await postInbound(server, {
          channel: 'social',
          customer: { name, socialId: `wx_core_routing_${String(Date.now())}_${String(i)}` },
          text: '公众号留言：门店营业时间？',
          externalMessageId: `core-routing-${String(Date.now())}-social-${String(i)}`,
        }),
      );
    }
    const ids = social.map((s) => s.ticketId);
    socialTicketIds = ids;
    await waitUntil(lead, 'the lead has both social tickets', async () => {
      const rows = (await call(lead, 'inbox.list', { channel: 'social', status: null, query: '' })).rows;
      return ids.every((id) => rows.some((r) => r.id === id));
    });
    const result = await call(lead, 'lead.reassign', { ticketIds: ids, to: null });
    expect(result.results.map((r) => r.ok)).toEqual([true, true]);
    expect(await failure(lead, 'lead.reassign', { ticketIds: [ids[0]!, ids[0]!], to: null })).toBe('invalid_params');

    // Pinned to 王芳 (all channels, orders group), who is not signed in: it waits for her.
    const pinned = await call(lead, 'lead.pin', { ticketId: ids[0]!, agentId: 'agent1' });
    expect(pinned.routing.pinnedAgentName).toBe('王芳');
    const audit = await call(lead, 'ticket.audit', { ticketId: ids[0]! });
    expect(audit.map((e) => e.decision)).toContain('pinned');
  });

  it('fails online-only calls with `offline` once the server is gone, while presence.get still answers', async () => {
    serverClosed = true;
    await server.close();
    await waitUntil(agent, 'agent6 sees the connection drop', async () => (await call(agent, 'session.get', {})).connection.status === 'offline');
    expect(await failure(agent, 'presence.set', { presence: 'busy' })).toBe('offline');
    expect(await failure(agent, 'ticket.audit', { ticketId: acceptedTicketId })).toBe('offline');
    expect((await call(agent, 'presence.get', {})).presence).not.toBeNull();
    // An escalation request is a write like any other: offline it waits in the outbox (null = queued), not refused.
    await waitUntil(lead, 'the lead sees the connection drop', async () => (await call(lead, 'session.get', {})).connection.status === 'offline');
    const pendingBefore = (await call(lead, 'session.get', {})).connection.pendingCount;
    expect(await call(lead, 'ticket.escalate', { ticketId: socialTicketIds[1]!, reason: '离线申请升级' })).toBeNull();
    expect((await call(lead, 'session.get', {})).connection.pendingCount).toBe(pendingBefore + 1);
  });
});
