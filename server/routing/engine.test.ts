import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultTicketRouting, isOpenStatus, type Channel, type Priority, type Ticket, type TicketGroup, type User } from '../../shared/domain.js';
import { DEFAULT_CAPACITY, type Presence } from '../../shared/routing.js';
import { dueAtFor } from '../../shared/sla.js';
import { createRoutingEngine, defaultAgentSettings, type RoutingEffect, type RoutingEngine } from './engine.js';

const T0 = Date.UTC(2024, 10, 8, 1, 0, 0);
const CHANNELS: Channel[] = ['phone', 'chat', 'social', 'email'];
const GROUPS: TicketGroup[] = ['orders', 'after_sales', 'technical', 'billing'];
const NAMES = ['王芳', '张强', '刘洋', '陈静', '赵磊', '孙丽'];

function agentUser(i: number, spec: { channels: Channel[]; groups: TicketGroup[]; tier: 1 | 2; senior: boolean; english: boolean }): User {
  return {
    id: `agent${i + 1}`,
    username: `agent${i + 1}`,
    displayName: NAMES[i]!,
    role: 'agent',
    channels: spec.channels,
    groups: spec.groups,
    tier: spec.tier,
    senior: spec.senior,
    languages: spec.english ? ['zh', 'en'] : ['zh'],
    extension: null,
  };
}

function newTicket(seq: number, now: number, channel: Channel, priority: Priority, group: TicketGroup | null, customer: number, english: boolean): Ticket {
  return {
    id: `GD20241108${String(seq).padStart(3, '0')}`,
    customerId: `CUS20241108${String(customer + 1).padStart(3, '0')}`,
    channel,
    type: priority === 'urgent' ? 'complaint' : 'consult',
    subject: '订单物流查询延迟',
    priority,
    status: 'unassigned',
    assigneeId: null,
    assigneeName: null,
    assignmentReason: null,
    createdAt: now,
    updatedAt: now,
    assignedAt: null,
    firstResponseAt: null,
    dueAt: dueAtFor(now, priority),
    completedAt: null,
    lastMessagePreview: '你好',
    lastMessageAt: now,
    followUpAt: null,
    routing: { ...defaultTicketRouting(), group, language: english ? 'en' : 'zh' },
  };
}

const agentSpec = fc.record({
  channels: fc.subarray(CHANNELS, { minLength: 1 }),
  groups: fc.subarray(GROUPS),
  tier: fc.constantFrom<1 | 2>(1, 2),
  senior: fc.boolean(),
  english: fc.boolean(),
});

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('arrive' as const), channel: fc.constantFrom(...CHANNELS), priority: fc.constantFrom<Priority>('urgent', 'normal', 'low'), vip: fc.boolean(), group: fc.option(fc.constantFrom(...GROUPS), { nil: null, freq: 2 }), customer: fc.nat(7), english: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), agent: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), agent: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('presence' as const), agent: fc.nat(5), presence: fc.constantFrom<Presence>('available', 'busy', 'away', 'offline'), byLead: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('respond' as const), agent: fc.nat(5), accept: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('take' as const), agent: fc.nat(5), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reassign' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), to: fc.option(fc.nat(5), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pin' as const), pick: fc.nat(), to: fc.option(fc.nat(5), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('capacity' as const), agent: fc.nat(5), channel: fc.constantFrom(...CHANNELS), value: fc.integer({ min: 0, max: 4 }), phoneBlocksChat: fc.option(fc.boolean(), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('escalate' as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(1_000, 5_000, 21_000, 61_000, 3 * 3_600_000, 30 * 3_600_000) }) },
);

const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, normal: 1, low: 2 };

/** The test's own copy of the store: tickets updated from the engine's effects, as the server does. */
class World {
  now = T0;
  seq = 0;
  readonly tickets = new Map<string, Ticket>();
  readonly vip = new Map<string, number>();
  capacityLowered = false;
  manualTake = false;
  constructor(
    readonly engine: RoutingEngine,
    readonly users: User[],
  ) {}

  apply(effects: RoutingEffect[]): void {
    for (const effect of effects) {
      if (effect.kind !== 'ticket') continue;
      const before = this.tickets.get(effect.ticketId)!;
      let after: Ticket = { ...before, routing: effect.routing };
      if ((effect.assignee?.id ?? null) !== before.assigneeId) {
        after = effect.assignee
          ? { ...after, assigneeId: effect.assignee.id, assigneeName: effect.assignee.name, assignedAt: this.now, status: before.status === 'unassigned' ? 'in_progress' : before.status }
          : { ...after, assigneeId: null, assigneeName: null, assignedAt: null, status: isOpenStatus(before.status) ? 'unassigned' : before.status };
      }
      if (effect.reason) after = { ...after, assignmentReason: effect.reason };
      this.tickets.set(after.id, after);
    }
  }

  openTickets(): Ticket[] {
    return [...this.tickets.values()].filter((t) => isOpenStatus(t.status));
  }

  pick(n: number): Ticket | undefined {
    const open = this.openTickets();
    return open.length === 0 ? undefined : open[n % open.length];
  }
}

function skilled(user: User, ticket: Ticket): boolean {
  const r = ticket.routing;
  if (!user.channels.includes(ticket.channel) || user.tier < r.requiredTier) return false;
  if (r.requiredTier === 1 && r.group !== null && user.groups.length > 0 && !user.groups.includes(r.group)) return false;
  return r.language === null || user.languages.includes(r.language);
}

function checkInvariants(world: World, decisionsBefore: number): void {
  const { engine, now } = world;
  const statuses = new Map(engine.agentStatuses().map((a) => [a.userId, a]));
  const queued = engine.queuedTicketIds(now);
  const queuedSet = new Set(queued);

  // Every open ticket is assigned or queued, and never both; one owner at most.
  const load = new Map<string, Record<Channel, number>>();
  for (const ticket of world.tickets.values()) {
    const view = engine.ticketView(ticket.id)!;
    expect(view.assigneeId).toBe(ticket.assigneeId);
    if (!isOpenStatus(ticket.status)) {
      expect(queuedSet.has(ticket.id)).toBe(false);
      expect(view.offerAgentId).toBeNull();
      continue;
    }
    expect(ticket.assigneeId === null).toBe(queuedSet.has(ticket.id));
    if (ticket.assigneeId !== null) expect(view.offerAgentId).toBeNull();
    const holder = ticket.assigneeId ?? view.offerAgentId;
    if (holder) {
      const perChannel = load.get(holder) ?? { phone: 0, chat: 0, social: 0, email: 0 };
      perChannel[ticket.channel]++;
      load.set(holder, perChannel);
    }
    // An offer is held by an available, connected agent with the skills.
    if (view.offerAgentId) {
      const agent = statuses.get(view.offerAgentId)!;
      expect(agent.presence).toBe('available');
      expect(agent.connected).toBe(true);
      expect(skilled(world.users.find((u) => u.id === view.offerAgentId)!, ticket)).toBe(true);
    }
  }
  // The engine's load figures match a recount, and nobody is over capacity unless a human put them there.
  for (const [id, agent] of statuses) {
    const counted = load.get(id) ?? { phone: 0, chat: 0, social: 0, email: 0 };
    expect(agent.load).toEqual(counted);
    if (!world.capacityLowered && !world.manualTake) {
      for (const channel of CHANNELS) expect(agent.load[channel]).toBeLessThanOrEqual(agent.capacity[channel]);
    }
  }

  // Queue order: overdue first (no starvation past the SLA), then priority, due time, age, id.
  const rank = (id: string) => {
    const t = world.tickets.get(id)!;
    return [t.dueAt <= now ? 0 : 1, PRIORITY_RANK[t.priority], t.dueAt, t.createdAt] as const;
  };
  for (let i = 1; i < queued.length; i++) {
    const a = rank(queued[i - 1]!);
    const b = rank(queued[i]!);
    const cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || (queued[i - 1]! < queued[i]! ? -1 : 1);
    expect(cmp).toBeLessThan(0);
  }

  // Each decision of this step: under capacity, to a skilled agent; a queue decision never skips
  // a waiting ticket ranked ahead that the same agent could still take.
  for (const decision of engine.decisions.slice(decisionsBefore)) {
    expect(decision.loadBefore).toBeLessThan(decision.capacity);
    const ticket = world.tickets.get(decision.ticketId)!;
    const user = world.users.find((u) => u.id === decision.agentId)!;
    if (decision.via !== 'lead') expect(skilled(user, ticket)).toBe(true);
    else expect(user.channels.includes(ticket.channel)).toBe(true);
    if (decision.via !== 'drain') continue;
    const position = queued.indexOf(decision.ticketId);
    const ahead = position >= 0 ? queued.slice(0, position) : queued.filter((id) => {
      const a = rank(id);
      const b = rank(decision.ticketId);
      return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || (id < decision.ticketId ? -1 : 1);
    }).filter((id) => {
      const a = rank(id);
      const b = rank(decision.ticketId);
      return (a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || (id < decision.ticketId ? -1 : 1)) < 0;
    });
    for (const id of ahead) {
      const view = engine.ticketView(id)!;
      if (view.offerAgentId !== null) continue;
      expect(engine.isEligible(decision.agentId, id, now)).toBe(false);
    }
  }
}

describe('routing engine invariants (property-based)', () => {
  it('holds every invariant after every step of random event sequences', () => {
    fc.assert(
      fc.property(fc.array(agentSpec, { minLength: 1, maxLength: 6 }), fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 3 }), (specs, ops, perTick) => {
        const engine = createRoutingEngine({ offerTimeoutMs: 20_000, disconnectGraceMs: 60_000, perAgentPerTick: perTick, drainIntervalMs: 5_000 });
        const users = specs.map((spec, i) => agentUser(i, spec));
        for (const user of users) engine.upsertUser(user, { ...defaultAgentSettings(T0), capacity: { ...DEFAULT_CAPACITY } });
        const world = new World(engine, users);
        const userAt = (n: number) => users[n % users.length]!;
        for (const step of ops) {
          const before = engine.decisions.length;
          switch (step.kind) {
            case 'arrive': {
              const ticket = newTicket(++world.seq, world.now, step.channel, step.priority, step.group, step.customer, step.english);
              world.tickets.set(ticket.id, ticket);
              world.apply(engine.admit({ ticket, vipTier: step.vip ? 2 : 0 }, world.now));
              break;
            }
            case 'connect':
              world.apply(engine.connect(userAt(step.agent).id, world.now));
              break;
            case 'disconnect':
              world.apply(engine.disconnect(userAt(step.agent).id, world.now));
              break;
            case 'presence':
              world.apply(engine.setPresence(userAt(step.agent).id, step.presence, step.byLead ? 'lead' : 'self', step.byLead ? '李主管' : null, world.now));
              break;
            case 'respond': {
              const agentId = userAt(step.agent).id;
              const offered = [...world.tickets.values()].find((t) => engine.ticketView(t.id)?.offerAgentId === agentId);
              if (offered) world.apply(engine.respond(offered.id, agentId, step.accept, world.now).effects);
              break;
            }
            case 'complete': {
              const ticket = world.pick(step.pick);
              if (!ticket) break;
              const done: Ticket = { ...ticket, status: 'completed', completedAt: world.now, updatedAt: world.now };
              world.tickets.set(done.id, done);
              world.apply(engine.observeTicket({ ticket: done, vipTier: 0 }, world.now));
              break;
            }
            case 'take': {
              const user = userAt(step.agent);
              const queued = world.openTickets().filter((t) => t.assigneeId === null && user.channels.includes(t.channel));
              const ticket = queued[step.pick % Math.max(1, queued.length)];
              if (!ticket) break;
              world.manualTake = true;
              const taken: Ticket = { ...ticket, assigneeId: user.id, assigneeName: user.displayName, status: 'in_progress', assignedAt: world.now, assignmentReason: { code: 'taken_from_queue', channel: ticket.channel, byName: user.displayName } };
              world.tickets.set(taken.id, taken);
              world.apply(engine.observeTicket({ ticket: taken, vipTier: 0 }, world.now));
              break;
            }
            case 'reassign': {
              const ids = [...new Set(step.picks.map((p) => world.pick(p)?.id).filter((id): id is string => !!id))];
              if (ids.length === 0) break;
              const result = engine.reassign(ids, step.to === null ? null : userAt(step.to).id, '李主管', world.now);
              world.apply(result.effects);
              expect(result.outcomes.map((o) => o.ticketId)).toEqual(ids);
              break;
            }
            case 'pin': {
              const ticket = world.pick(step.pick);
              if (!ticket) break;
              const result = engine.pin(ticket.id, step.to === null ? null : userAt(step.to).id, '李主管', world.now);
              if (result.ok) world.apply(result.effects);
              break;
            }
            case 'capacity': {
              const agent = engine.agentStatus(userAt(step.agent).id)!;
              if (step.value < agent.capacity[step.channel]) world.capacityLowered = true;
              world.apply(engine.setCapacity(agent.userId, { [step.channel]: step.value }, step.phoneBlocksChat, world.now));
              break;
            }
            case 'escalate': {
              const ticket = world.pick(step.pick);
              if (!ticket) break;
              const result = engine.escalate(ticket.id, userAt(0), '客户要求技术主管处理', world.now);
              if (result.ok) world.apply(result.effects);
              break;
            }
            case 'advance': {
              // Time moves in steps no longer than the engine's next wake-up, as the server's timer would.
              const target = world.now + step.ms;
              for (;;) {
                const wake = engine.nextWakeAt(world.now);
                if (wake === null || wake > target) break;
                world.now = Math.max(wake, world.now + 1);
                world.apply(engine.tick(world.now));
              }
              world.now = target;
              world.apply(engine.tick(world.now));
              break;
            }
          }
          checkInvariants(world, before);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('routing engine rules', () => {
  function setup(config: Parameters<typeof createRoutingEngine>[0] = {}) {
    const engine = createRoutingEngine({ perAgentPerTick: 2, drainIntervalMs: 5_000, ...config });
    const users = [
      agentUser(0, { channels: ['phone', 'chat', 'email'], groups: ['orders'], tier: 1, senior: false, english: false }),
      agentUser(1, { channels: ['phone', 'chat', 'email'], groups: ['orders'], tier: 1, senior: false, english: false }),
      agentUser(4, { channels: ['phone', 'chat', 'email'], groups: ['orders', 'technical'], tier: 2, senior: true, english: false }),
    ];
    for (const user of users) engine.upsertUser(user, defaultAgentSettings(T0));
    return { engine, users };
  }
  const assigneeOf = (effects: RoutingEffect[], id: string) => effects.filter((e) => e.kind === 'ticket' && e.ticketId === id).map((e) => (e.kind === 'ticket' ? e.assignee?.id : null)).pop();

  it('spreads a backlog over agents as they sign in instead of handing it all to the first', () => {
    const { engine } = setup();
    for (let i = 1; i <= 8; i++) engine.admit({ ticket: newTicket(i, T0 + i, 'email', 'normal', 'orders', i, false), vipTier: 0 }, T0 + 10);
    expect(engine.queuedTicketIds(T0 + 10)).toHaveLength(8);
    engine.connect('agent1', T0 + 100);
    expect(engine.agentStatus('agent1')!.load.email).toBe(2);
    engine.connect('agent2', T0 + 200);
    expect(engine.agentStatus('agent2')!.load.email).toBe(2);
    engine.tick(T0 + 5_000);
    expect([engine.agentStatus('agent1')!.load.email, engine.agentStatus('agent2')!.load.email]).toEqual([4, 4]);
    expect(engine.queuedTicketIds(T0 + 5_000)).toEqual([]);
  });

  it('prefers a senior for urgent contacts and the last agent for a returning customer', () => {
    const { engine } = setup({ autoAccept: true });
    for (const id of ['agent1', 'agent2', 'agent5']) engine.connect(id, T0);
    const urgent = engine.admit({ ticket: newTicket(1, T0, 'email', 'urgent', 'orders', 0, false), vipTier: 0 }, T0);
    expect(assigneeOf(urgent, 'GD20241108001')).toBe('agent5');
    const first = engine.admit({ ticket: newTicket(2, T0, 'email', 'normal', 'orders', 3, false), vipTier: 0 }, T0);
    const firstAgent = assigneeOf(first, 'GD20241108002')!;
    expect(firstAgent).toBe('agent1');
    engine.admit({ ticket: newTicket(3, T0, 'email', 'normal', 'orders', 4, false), vipTier: 0 }, T0);
    const again = engine.admit({ ticket: newTicket(4, T0, 'chat', 'normal', 'orders', 3, false), vipTier: 0 }, T0 + 1);
    const effect = again.find((e) => e.kind === 'ticket' && e.ticketId === 'GD20241108004');
    expect(effect).toMatchObject({ assignee: { id: 'agent1' }, reason: { code: 'returning_customer', channel: 'chat', previousTicketId: 'GD20241108002' } });
  });

  it('gives an agent on a phone call no chats, and keeps email but requeues calls when they stay offline', () => {
    const { engine } = setup({ autoAccept: true, disconnectGraceMs: 60_000 });
    engine.connect('agent1', T0);
    engine.admit({ ticket: newTicket(1, T0, 'phone', 'normal', 'orders', 0, false), vipTier: 0 }, T0);
    engine.admit({ ticket: newTicket(2, T0, 'email', 'normal', 'orders', 1, false), vipTier: 0 }, T0);
    const chat = engine.admit({ ticket: newTicket(3, T0, 'chat', 'normal', 'orders', 2, false), vipTier: 0 }, T0);
    expect(chat.find((e) => e.kind === 'ticket')).toMatchObject({ assignee: null, reason: { code: 'queued', cause: 'all_at_capacity' } });
    engine.disconnect('agent1', T0 + 1_000);
    expect(engine.nextWakeAt(T0 + 1_000)).toBe(T0 + 61_000);
    expect(engine.tick(T0 + 30_000).filter((e) => e.kind === 'presence')).toEqual([]);
    const offline = engine.tick(T0 + 61_000);
    expect(offline.find((e) => e.kind === 'presence')).toMatchObject({ presence: 'offline', cause: 'disconnected' });
    expect(offline.find((e) => e.kind === 'ticket' && e.ticketId === 'GD20241108001')).toMatchObject({ assignee: null, reason: { code: 'requeued_agent_offline', agentName: '王芳' } });
    expect(engine.ticketView('GD20241108002')!.assigneeId).toBe('agent1');
  });
});
