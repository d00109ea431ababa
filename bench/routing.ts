/**
 * Routing speed. Engine alone: 2,000 agents sign in over a queue of 10,000 waiting tickets
 * (mixed channels, groups, priorities, VIPs) and the drain places them; then, with every
 * agent busy, each new contact is routed as another finishes (one decision each, timed for
 * the p99). End to end: contacts routed by the real server's routing service through the
 * SQLite store (ticket, audit row, change log, one transaction each). Raw floors measured in
 * the same run: a min-scan over the 2,000 agents' loads and a sort of the 10,000-ticket queue.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultTicketRouting, type Channel, type Priority, type Ticket, type TicketGroup, type User } from '../shared/domain.js';
import { DEFAULT_CAPACITY } from '../shared/routing.js';
import { dueAtFor } from '../shared/sla.js';
import { startServer } from '../server/app.js';
import { createRoutingEngine, defaultAgentSettings, type DecisionRecord } from '../server/routing/engine.js';
import { createManualScheduler } from '../server/routing/scheduler.js';
import { percentile, progress, reportMetric, scaled } from './benchSupport.js';

const CHANNELS: Channel[] = ['phone', 'chat', 'social', 'email'];
const GROUPS: TicketGroup[] = ['orders', 'after_sales', 'technical', 'billing'];
const T0 = Date.UTC(2024, 10, 8, 1, 0, 0);

/** A small deterministic PRNG, so every run routes the same workload. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function pickChannel(r: number): Channel {
  return r < 0.05 ? 'phone' : r < 0.3 ? 'chat' : r < 0.5 ? 'social' : 'email';
}

function benchTicket(seq: number, now: number, random: () => number): Ticket {
  const priority: Priority = random() < 0.1 ? 'urgent' : random() < 0.8 ? 'normal' : 'low';
  return {
    id: `GD20241108${String(seq).padStart(5, '0')}`,
    customerId: `CUS20241108${String(1 + Math.floor(random() * 5000)).padStart(5, '0')}`,
    channel: pickChannel(random()),
    type: 'consult',
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
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: { ...defaultTicketRouting(), group: random() < 0.3 ? null : GROUPS[Math.floor(random() * GROUPS.length)]!, language: 'zh' },
  };
}

function benchAgent(i: number, random: () => number): User {
  const channels = CHANNELS.filter(() => random() < 0.6);
  return {
    id: `agent${String(i)}`,
    username: `agent${String(i).padStart(5, '0')}`,
    displayName: `坐席${String(i)}`,
    role: 'agent',
    channels: channels.length > 0 ? channels : ['email'],
    groups: GROUPS.filter(() => random() < 0.5),
    tier: random() < 0.2 ? 2 : 1,
    senior: random() < 0.15,
    languages: ['zh'],
    extension: null,
  };
}

function measureEngine(agentCount: number, queued: number, arrivals: number): void {
  const random = prng(42);
  // Offers are auto-accepted here so the queue drains in one pass; offering costs the same decision.
  const decisions: DecisionRecord[] = [];
  const engine = createRoutingEngine({ perAgentPerTick: 3, drainIntervalMs: 1_000, autoAccept: true }, { onDecision: (d) => decisions.push(d) });
  const agents = Array.from({ length: agentCount }, (_, i) => benchAgent(i, random));
  for (const agent of agents) engine.upsertUser(agent, { ...defaultAgentSettings(T0), capacity: { ...DEFAULT_CAPACITY } });
  let now = T0;
  const tickets = new Map<string, Ticket>();
  for (let i = 1; i <= queued; i++) {
    const ticket = benchTicket(i, now, random);
    tickets.set(ticket.id, ticket);
    engine.admit({ ticket, vipTier: random() < 0.05 ? 2 : 0 }, now);
  }
  progress(`routing: ${String(queued)} tickets queued; ${String(agentCount)} agents signing in`);

  // Shift start: every agent signs in, then the drain ticks until the queue stops moving.
  decisions.length = 0;
  const drainStart = performance.now();
  for (const agent of agents) engine.connect(agent.id, now);
  for (let tick = 0; tick < 50; tick++) {
    now += 1_000;
    const before = decisions.length;
    engine.tick(now);
    if (decisions.length === before) break;
  }
  const drainMs = performance.now() - drainStart;
  const drained = decisions.length;
  reportMetric('routing_decisions_per_s', drained / (drainMs / 1000));
  reportMetric('routing_drain_decisions', drained);
  reportMetric('routing_queue_left', engine.queuedTicketIds(now).length);

  // Steady state: one contact finishes, a new one arrives; each arrival is timed.
  for (const decision of decisions) {
    const ticket = tickets.get(decision.ticketId)!;
    tickets.set(ticket.id, { ...ticket, assigneeId: decision.agentId, status: 'in_progress' });
  }
  const assigned = [...tickets.values()].filter((t) => t.assigneeId !== null);
  const latencies: number[] = [];
  let seq = queued;
  for (let i = 0; i < arrivals; i++) {
    now += 50;
    const done = assigned[i % assigned.length]!;
    if (done.status !== 'completed') {
      const completed: Ticket = { ...done, status: 'completed', completedAt: now };
      engine.observeTicket({ ticket: completed, vipTier: 0 }, now);
      assigned[i % assigned.length] = completed;
    }
    const ticket = benchTicket(++seq, now, random);
    const start = performance.now();
    engine.admit({ ticket, vipTier: 0 }, now);
    latencies.push((performance.now() - start) * 1000);
  }
  reportMetric('routing_decision_us_p50', percentile(latencies, 50));
  reportMetric('routing_decision_us_p99', percentile(latencies, 99));

  // Floors: the least work a decision can do (one scan of the agents), and one queue sort.
  const loads = new Float64Array(agentCount).map(() => random() * 20);
  const scanStart = performance.now();
  const scans = 2_000;
  let sink = 0;
  for (let s = 0; s < scans; s++) {
    let best = 0;
    for (let i = 1; i < agentCount; i++) if (loads[i]! < loads[best]!) best = i;
    sink += best;
  }
  const scanUs = ((performance.now() - scanStart) * 1000) / scans;
  const keys = Array.from({ length: queued }, () => ({ p: Math.floor(random() * 3), due: random() * 1e9, at: random() * 1e9 }));
  const sortStart = performance.now();
  keys.sort((a, b) => a.p - b.p || a.due - b.due || a.at - b.at);
  const sortUs = (performance.now() - sortStart) * 1000;
  reportMetric('raw_min_scan_2000_agents_us', scanUs);
  reportMetric('raw_sort_10000_queue_us', sortUs);
  if (sink < 0) progress('unreachable');
}

async function measureEndToEnd(agentCount: number, contacts: number): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-routing-bench-'));
  let current = T0;
  const clock = { now: () => current, set: (at: number) => (current = at) };
  const server = await startServer({
    port: 0,
    dataDir,
    now: clock.now,
    log: () => {},
    scheduler: createManualScheduler(clock),
    routing: { perAgentPerTick: 1_000 },
  });
  try {
    const { store, routing } = server;
    for (let i = 0; i < agentCount; i++) {
      await store.createUser({
        id: `agent${String(i)}`,
        username: `agent${String(i)}`,
        password: 'bench',
        displayName: `坐席${String(i)}`,
        role: 'agent',
        channels: ['email', 'social'],
      });
    }
    for (const user of await store.listUsers()) await routing.connect(user, `bench-${user.id}`);
    const latencies: number[] = [];
    const start = performance.now();
    for (let i = 0; i < contacts; i++) {
      current += 10;
      const begin = performance.now();
      await store.ingestInbound(
        {
          channel: 'email',
          customer: { name: `客户${String(i)}`, email: `c${String(i)}@example.cn` },
          subject: '订单物流查询延迟',
          text: '我的订单三天没有物流更新',
        },
        { now: current, router: routing },
      );
      latencies.push((performance.now() - begin) * 1000);
    }
    const seconds = (performance.now() - start) / 1000;
    // Floor: the same contacts stored by the same server without a router (one fsync each too).
    const floorStart = performance.now();
    for (let i = 0; i < contacts; i++) {
      current += 10;
      await store.ingestInbound(
        {
          channel: 'email',
          customer: { name: `散客${String(i)}`, email: `floor${String(i)}@example.cn` },
          subject: '订单物流查询延迟',
          text: '我的订单三天没有物流更新',
        },
        { now: current },
      );
    }
    reportMetric('raw_ingest_without_routing_per_s', contacts / ((performance.now() - floorStart) / 1000));
    const assigned = (await store.routing.openTicketsForRouting()).filter((t) => t.ticket.assigneeId !== null).length;
    reportMetric('routing_e2e_decisions_per_s', contacts / seconds);
    reportMetric('routing_e2e_decision_us_p99', percentile(latencies, 99));
    reportMetric('routing_e2e_assigned', assigned);
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs both phases, printing `name=value` lines. */
/**
 * Tickets stored without routing (a bulk import, another node's contacts) followed one by one,
 * with the only agent out of room: each is queued and nothing is offered. A drain once walked
 * the whole queue per ticket (quadratic: 77 s at 100,000), and `nextWakeAt`, asked after every
 * decision, walked it too (~8 ms each). Floor: the same tickets set into a Map.
 */
function measureFollowingUnheard(tickets: number): void {
  const engine = createRoutingEngine();
  const random = prng(11);
  const agent = { ...benchAgent(0, random), channels: CHANNELS };
  engine.upsertUser(agent, { ...defaultAgentSettings(T0), capacity: { phone: 0, chat: 0, social: 0, email: 0 } });
  engine.connect(agent.id, T0);
  const made = Array.from({ length: tickets }, (_, i) => benchTicket(i + 1, T0 + i, random));
  const followStart = performance.now();
  let effects = 0;
  for (const [i, ticket] of made.entries()) effects += engine.observeTicket({ ticket, vipTier: 0 }, T0 + i).length;
  const followMs = performance.now() - followStart;
  if (effects !== 0) throw new Error(`following unheard tickets offered ${String(effects)} (the agent has no room)`);
  const asks = 1_000;
  const wakeStart = performance.now();
  for (let i = 0; i < asks; i++) engine.nextWakeAt(T0 + tickets);
  const wakeUs = ((performance.now() - wakeStart) * 1000) / asks;
  const floorStart = performance.now();
  const floor = new Map<string, Ticket>();
  for (const ticket of made) floor.set(ticket.id, ticket);
  reportMetric('routing_follow_unheard_tickets', tickets);
  reportMetric('routing_follow_unheard_ms', followMs);
  reportMetric('routing_next_wake_us', wakeUs);
  reportMetric('raw_map_set_unheard_ms', performance.now() - floorStart);
}

export async function runRoutingBench(): Promise<void> {
  measureEngine(scaled(2_000, 50), scaled(10_000, 200), scaled(5_000, 200));
  progress('routing: following tickets stored without routing');
  measureFollowingUnheard(scaled(100_000, 10_000));
  progress('routing: end to end through the SQLite store');
  await measureEndToEnd(scaled(200, 20), scaled(2_000, 100));
}
