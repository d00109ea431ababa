/**
 * Opening a ticket in a large encrypted agent cache (issue 12, "Speed"): `open_ticket_ms_p95`
 * (≤ 50 ms) is the core's share of what the ticket pane asks for when a ticket opens, through
 * the core's RPC entry point, beside a raw floor measured in the same run.
 *
 * The cache is the real agent's (signed in through the real server, so it is encrypted and
 * sealed as the app keeps it), filled through the cache's writer with 100,000 tickets held
 * by the agent (10,000 in a quick run), each with one customer message. Among them, 50
 * "large" tickets with 200 messages (one in ten with attachments metadata, calls and e-mail
 * among them), 20 notes, routing facts, and a customer with 5 other tickets whose history
 * page is kept in the cache (what the customer panel reads offline). Then the server stops
 * and the core is started again over that cache, as after a restart without a network.
 *
 * One open is what the renderer store runs when `openTicketId` changes
 * (renderer/src/store): `ticket.get`, then `ticket.markRead` since the ticket has new
 * customer messages; `ticket.audit` (routing history) and `ticket.presence` (collision) at the
 * same time; `customer.history` and `customer.matches` once the detail names the customer.
 * Offline, the server's three answer at once with `offline`, and the history comes from the
 * cache: what is left is the core's own work. Online those three are server round trips,
 * which the `rtt` phase measures.
 *
 * Figures: `open_ticket_ms_p95` / `_p50` (every call of one open settled), `open_ticket_get_ms_p95`
 * (`ticket.get` alone), `open_ticket_cpu_ms_p50/p95` (the CPU time this process spent on one open:
 * what other processes on a busy machine disturb least, so the figure to compare between runs), `open_ticket_detail_kb` (the JSON size of one detail, what crosses to
 * the renderer), `open_ticket_count`, `open_ticket_cache_tickets`. Floor:
 * `raw_open_ticket_selects_ms_p95`, the bare SELECTs of the ticket's rows (ticket, customer,
 * messages, notes) on their own connection to the same file, no decoding.
 * Run alone with `npx tsx bench/openTicket.ts`; `runOpenTicketBench()` is what bench/run.ts calls.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { applyCacheKey, openCache } from '../main/core/cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from '../main/core/index.js';
import { call, connectionOf, waitUntil } from '../main/core/testing/coreCalls.js';
import { indexSearchNow } from '../main/core/testing/searchIndex.js';
import type { WorkstationCore } from '../main/core/api.js';
import { CUSTOMER_HISTORY_MESSAGES_PER_TICKET, type CustomerHistoryEntry } from '../shared/customers.js';
import {
  CHANNELS,
  PRIORITIES,
  defaultTicketRouting,
  type Customer,
  type Message,
  type Note,
  type Ticket,
  type TicketBundle,
  type User,
} from '../shared/domain.js';
import type { RpcMethod, RpcParams, RpcResults } from '../shared/rpc.js';
import { RESOLUTION_SLA_MS } from '../shared/sla.js';
import type { Change } from '../shared/sync.js';
import { makeBenchDir, percentile, progress, removeDir, reportMetric, scaled, startBenchChild } from './benchSupport.js';

interface ServerInfo {
  url: string;
  password: string;
}

const BASE = Date.UTC(2024, 10, 8, 2, 0, 0);
const MESSAGES_PER_LARGE_TICKET = 200;
const NOTES_PER_LARGE_TICKET = 20;
const OTHER_TICKETS_PER_CUSTOMER = 5;
const FILL_PAGE = 1000;
/** Tickets opened, each once (≥ 40 for a p95). */
const OPENS = 50;

function ticketIdOf(index: number): string {
  return `GD20241108${String(index).padStart(7, '0')}`;
}

function customerIdOf(index: number): string {
  return `CUS20241108${String(index).padStart(7, '0')}`;
}

function ticketOf(index: number, customerId: string, agent: User, messages: number): Ticket {
  const priority = PRIORITIES[index % PRIORITIES.length]!;
  const createdAt = BASE + index * 60_000;
  const lastMessageAt = createdAt + messages * 30_000;
  return {
    id: ticketIdOf(index),
    customerId,
    channel: CHANNELS[index % CHANNELS.length]!,
    type: 'consult',
    subject: `订单物流查询 ${String(index)}`,
    priority,
    status: index % 3 === 0 ? 'awaiting_customer' : 'in_progress',
    assigneeId: agent.id,
    assigneeName: agent.displayName,
    assignmentReason: { code: 'least_loaded', channel: CHANNELS[index % CHANNELS.length]!, openTickets: 3, tieBreak: 'none' },
    createdAt,
    updatedAt: lastMessageAt,
    assignedAt: createdAt + 5_000,
    firstResponseAt: createdAt + 60_000,
    dueAt: createdAt + RESOLUTION_SLA_MS[priority],
    completedAt: null,
    lastMessagePreview: '您好，我的快递三天没有更新了',
    lastMessageAt,
    followUpAt: null,
    subCategory: null,
    tags: index % 4 === 0 ? ['物流', '催单'] : [],
    result: null,
    handover: null,
    routing: { ...defaultTicketRouting(), group: 'orders', language: 'zh' },
  };
}

function messageOf(ticket: Ticket, agent: User, customer: Customer, k: number): Message {
  const inbound = k % 2 === 0;
  const createdAt = ticket.createdAt + k * 30_000;
  const withFiles = k % 10 === 3;
  return {
    id: `m-${ticket.id}-${String(k)}`,
    ticketId: ticket.id,
    direction: inbound ? 'inbound' : 'outbound',
    channel: ticket.channel,
    authorId: inbound ? null : agent.id,
    authorName: inbound ? customer.name : agent.displayName,
    text: inbound
      ? `您好，我的订单 ${String(k)} 号包裹三天没有更新了，快递单号 SF1234****，麻烦帮忙查一下什么时候能到，谢谢！`
      : `您好，已为您联系快递公司核实，预计明天送达，如有问题请随时联系我们。`,
    externalMessageId: inbound ? `ext-${ticket.id}-${String(k)}` : null,
    deliveryStatus: inbound ? 'received' : 'sent',
    createdAt,
    attachments: withFiles
      ? [
          { id: `a-${ticket.id}-${String(k)}-1`, fileName: `截图${String(k)}.png`, contentType: 'image/png', size: 182_344 },
          { id: `a-${ticket.id}-${String(k)}-2`, fileName: '订单详情.pdf', contentType: 'application/pdf', size: 48_120 },
        ]
      : [],
    source: ticket.channel === 'email' ? 'email' : ticket.channel === 'chat' ? 'webchat:demo' : ticket.channel === 'phone' ? 'cti' : 'wechat:gh_demo',
    call: null,
    deliveryError: null,
  };
}

function customerOf(index: number): Customer {
  return {
    id: customerIdOf(index),
    name: `客户${String(index)}`,
    phone: '138****8000',
    email: `c${String(index)}@example.com`,
    socialId: null,
    vipTier: index % 7 === 0 ? 1 : 0,
    createdAt: BASE,
    identities: [],
  };
}

/** The cache's content: how many tickets, and which of them are large (the ones opened). */
interface Layout {
  tickets: number;
  large: number[];
}

function layoutOf(tickets: number, opens: number): Layout {
  const stride = Math.floor(tickets / opens);
  return { tickets, large: Array.from({ length: opens }, (_, i) => i * stride + Math.floor(stride / 2)) };
}

function bundleOf(index: number, largeOf: ReadonlySet<number>, agent: User): TicketBundle {
  // A large ticket's customer also owns the OTHER_TICKETS_PER_CUSTOMER tickets just before it.
  let owner = index;
  for (let k = 1; k <= OTHER_TICKETS_PER_CUSTOMER; k++) if (largeOf.has(index + k)) owner = index + k;
  const customer = customerOf(owner);
  const messageCount = largeOf.has(index) ? MESSAGES_PER_LARGE_TICKET : 1;
  const ticket = ticketOf(index, customer.id, agent, messageCount);
  const messages = Array.from({ length: messageCount }, (_, k) => messageOf(ticket, agent, customer, k));
  const notes: Note[] = largeOf.has(index)
    ? Array.from({ length: NOTES_PER_LARGE_TICKET }, (_, k) => ({
        id: `n-${ticket.id}-${String(k)}`,
        ticketId: ticket.id,
        authorId: agent.id,
        authorName: agent.displayName,
        text: `内部备注 ${String(k)}：已联系仓库，等待回复`,
        createdAt: ticket.createdAt + k * 90_000,
      }))
    : [];
  return { ticket, customer, messages, notes };
}

/**
 * The agent's cache filled through the writer as sync would (changes of held tickets, one
 * transaction per batch), and each large customer's history kept. A large ticket's messages
 * arrive spread over the whole fill, between the other tickets' (a conversation of days), so
 * its rows lie on many pages as in a cache that has lived, not packed together.
 */
function fillCache(file: string, key: Buffer, agent: User, layout: Layout): void {
  const cache = openCache(file, key);
  try {
    // The sign-in's bootstrap leaves a search walk (cache migration 023) the closed core may not have finished:
    // finished here, the fill's changes are indexed as they come, as live changes are.
    indexSearchNow(cache);
    const largeOf = new Set(layout.large);
    // The fill stays at the sync position the sign-in reached: it is not a change the server logged.
    const upTo = cache.reader.syncState().lastSeq;
    const large = layout.large.map((index) => bundleOf(index, largeOf, agent));
    const batches = Math.ceil(layout.tickets / FILL_PAGE);
    for (let batch = 0; batch < batches; batch++) {
      const changes: Change[] = [];
      if (batch === 0) for (const bundle of large) changes.push({ seq: upTo, kind: 'bundle', bundle: { ...bundle, messages: [] } });
      const from = batch * FILL_PAGE;
      for (let index = from; index < Math.min(layout.tickets, from + FILL_PAGE); index++) {
        if (!largeOf.has(index)) changes.push({ seq: upTo, kind: 'bundle', bundle: bundleOf(index, largeOf, agent) });
      }
      for (const bundle of large) {
        for (const message of bundle.messages.filter((_, k) => k % batches === batch))
          changes.push({ seq: upTo, kind: 'message', ticket: bundle.ticket, message });
      }
      cache.writer.applyChanges(changes, upTo, agent);
    }
    for (const index of layout.large) {
      const customer = customerOf(index);
      const entries: CustomerHistoryEntry[] = [];
      for (let k = 0; k <= OTHER_TICKETS_PER_CUSTOMER; k++) {
        const bundle = bundleOf(index - k, largeOf, agent);
        entries.push({
          ticket: bundle.ticket,
          messages: bundle.messages.slice(-CUSTOMER_HISTORY_MESSAGES_PER_TICKET),
          messageCount: bundle.messages.length,
          mayOpen: true,
          csat: null,
        });
      }
      cache.writer.keepCustomerHistory(customer.id, { before: null }, { customerId: customer.id, entries, next: null, total: entries.length }, Date.now());
    }
  } finally {
    cache.close();
  }
}

/** Milliseconds each method spent in the core (its synchronous part: the core is one thread), per call. */
type CallTimes = Map<string, number[]>;

/** A call as the renderer makes it, timed; an `offline` answer (the server's part, offline) is a settled result, not a failure. */
async function invokeTimed<M extends RpcMethod>(core: WorkstationCore, times: CallTimes, method: M, params: RpcParams<M>): Promise<RpcResults[M] | null> {
  const start = performance.now();
  const pending = core.invoke(method, params);
  const spent = performance.now() - start;
  times.set(method, [...(times.get(method) ?? []), spent]);
  const outcome = await pending;
  if (outcome.ok) return outcome.result as RpcResults[M];
  if (outcome.error.code === 'offline') return null;
  throw new Error(`${method} failed: ${outcome.error.code} ${outcome.error.message}`);
}

/** One open as the renderer store does it; returns [whole open ms, ticket.get ms, detail JSON bytes, CPU ms of this process]. */
async function openOnce(core: WorkstationCore, times: CallTimes, ticketId: string): Promise<[number, number, number, number]> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const besides = [invokeTimed(core, times, 'ticket.audit', { ticketId }), invokeTimed(core, times, 'ticket.presence', { ticketId, typing: false })];
  const detail = await invokeTimed(core, times, 'ticket.get', { ticketId });
  const got = performance.now() - start;
  if (detail?.messages.length !== MESSAGES_PER_LARGE_TICKET) throw new Error(`${ticketId} opened with ${String(detail?.messages.length)} messages`);
  const after: Array<Promise<unknown>> = [
    invokeTimed(core, times, 'customer.matches', { customerId: detail.customer.id }),
    invokeTimed(core, times, 'customer.history', { customerId: detail.customer.id }).then((page) => {
      if (page?.entries.length !== OTHER_TICKETS_PER_CUSTOMER + 1)
        throw new Error(`${ticketId}: the customer history has ${String(page?.entries.length)} entries`);
    }),
  ];
  if (detail.unread) after.push(invokeTimed(core, times, 'ticket.markRead', { ticketId }));
  await Promise.all([...besides, ...after]);
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return [elapsed, got, Buffer.byteLength(JSON.stringify(detail)), (used.user + used.system) / 1000];
}

function measureRawFloor(file: string, key: Buffer, ticketIds: readonly string[]): number[] {
  const db = new Database(file, { readonly: true });
  try {
    applyCacheKey(db, key);
    const ticket = db.prepare('SELECT * FROM tickets WHERE id = ?').raw();
    const customer = db.prepare('SELECT * FROM customers WHERE id = ?').raw();
    const messages = db.prepare('SELECT * FROM messages WHERE ticket_id = ? ORDER BY created_at, rid').raw();
    const notes = db.prepare('SELECT * FROM notes WHERE ticket_id = ? ORDER BY created_at, id').raw();
    const customerIdColumn = ticket.columns().findIndex((column) => column.name === 'customer_id');
    // Warmed up like the core (statements, the connection's first pages) on tickets it does not measure.
    for (const index of [1, 2, 3, 4, 5]) {
      ticket.get(ticketIdOf(index));
      messages.all(ticketIdOf(index));
    }
    return ticketIds.map((ticketId) => {
      const start = performance.now();
      const row = ticket.get(ticketId) as unknown[];
      customer.get(row[customerIdColumn]);
      messages.all(ticketId);
      notes.all(ticketId);
      return performance.now() - start;
    });
  } finally {
    db.close();
  }
}

export async function runOpenTicketBench(): Promise<Array<[string, number]>> {
  const layout = layoutOf(scaled(100_000, 1000), OPENS);
  const dir = makeBenchDir('open-ticket');
  const server = startBenchChild('offlineServer.ts');
  const coreDir = path.join(dir, 'agent1');
  try {
    server.send({ cmd: 'start' });
    const info = await server.next<ServerInfo & { ticketIds: string[] }>();
    const options = { dataDir: coreDir, serverUrl: info.url, reconnectDelayMs: 50, reconnectDelayMaxMs: 500 };
    let agent: User;
    const first = await createWorkstationCore(options);
    try {
      agent = (await call(first, 'session.signIn', { username: 'agent1', password: info.password })).user!;
      await waitUntil(first, 'online', async () => (await connectionOf(first)).status === 'online', 60_000);
    } finally {
      await first.close();
    }
    server.send({ cmd: 'stop' });
    await server.next();

    const file = userCacheFile(coreDir, agent.id);
    const key = (await unlockCacheKey(coreDir, agent.id, info.password))!;
    progress(
      `open_ticket: filling the agent's cache with ${String(layout.tickets)} tickets (${String(layout.large.length)} of ${String(MESSAGES_PER_LARGE_TICKET)} messages)`,
    );
    const fillStart = performance.now();
    fillCache(file, key, agent, layout);
    progress(`open_ticket: filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);

    // Started again over the filled cache with the server gone: the stored session opens it, as after a restart.
    const core = await createWorkstationCore(options);
    const whole: number[] = [];
    const got: number[] = [];
    const cpu: number[] = [];
    const times: CallTimes = new Map();
    let detailBytes = 0;
    try {
      const session = await call(core, 'session.get', {});
      if (session.user?.id !== agent.id) throw new Error('the core did not reopen the agent’s session');
      await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline', 30_000);
      // Warm-up on small tickets (JIT, statement caches), never on a measured one.
      for (let i = 0; i < 5; i++) await call(core, 'ticket.get', { ticketId: ticketIdOf(layout.large[0]! + 1 + i) });
      progress(`open_ticket: opening ${String(layout.large.length)} different tickets`);
      for (const index of layout.large) {
        const [all, get, bytes, cpuMs] = await openOnce(core, times, ticketIdOf(index));
        whole.push(all);
        cpu.push(cpuMs);
        got.push(get);
        detailBytes = bytes;
      }
    } finally {
      await core.close();
    }
    const perCall = [...times].map(([method, spent]) => `${method} ${percentile(spent, 50).toFixed(2)} / ${percentile(spent, 95).toFixed(2)}`);
    progress(`open_ticket: ms in the core per call, p50 / p95: ${perCall.join(', ')}`);
    const raw = measureRawFloor(file, key, layout.large.map(ticketIdOf));
    return [
      ['open_ticket_cache_tickets', layout.tickets],
      ['open_ticket_count', whole.length],
      ['open_ticket_ms_p50', percentile(whole, 50)],
      ['open_ticket_ms_p95', percentile(whole, 95)],
      ['open_ticket_get_ms_p95', percentile(got, 95)],
      ['open_ticket_cpu_ms_p50', percentile(cpu, 50)],
      ['open_ticket_cpu_ms_p95', percentile(cpu, 95)],
      ['open_ticket_detail_kb', detailBytes / 1024],
      ['raw_open_ticket_selects_ms_p95', percentile(raw, 95)],
    ];
  } finally {
    await server.stop();
    removeDir(dir);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, value] of await runOpenTicketBench()) reportMetric(name, value);
  process.exit(0);
}
