/**
 * The inbox over a 100,000-ticket cache (encrypted, as the app keeps it): how long the core
 * takes to answer one window with every count (`inbox.list`, what a filter change or a
 * change event costs) and one window alone (`inbox.window`, what scrolling costs), deep in
 * the list and in the SLA order, beside a raw floor: counting the tickets in the index the
 * inbox reads, with nothing else. Prints `inbox_*` metrics.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { openCache, type Cache, type InboxFilter } from '../main/core/cache/cache.js';
import { indexSearchNow } from '../main/core/testing/searchIndex.js';
import { CHANNELS, PRIORITIES, defaultTicketRouting, type Ticket, type TicketBundle, type TicketStatus, type User } from '../shared/domain.js';
import { RESOLUTION_SLA_MS } from '../shared/sla.js';
import { makeBenchDir, percentile, progress, removeDir, reportMetric, scaled } from './benchSupport.js';

const STATUSES: TicketStatus[] = ['in_progress', 'unassigned', 'awaiting_customer', 'completed', 'in_progress', 'closed', 'in_progress', 'unassigned'];
const BASE = Date.UTC(2024, 10, 8, 2, 0, 0);

/** The lead whose cache the inbox benches fill: a lead sees every ticket. */
export const BENCH_LEAD: User = {
  id: 'lead1',
  username: 'lead1',
  displayName: '王组长',
  role: 'lead',
  channels: [...CHANNELS],
  groups: [],
  tier: 2,
  senior: true,
  languages: ['zh'],
  extension: null,
};

/** Ticket `index` of the inbox benches (statuses, priorities, channels and assignees in rotation), with its customer and no messages. */
export function inboxBundle(index: number): TicketBundle {
  const status = STATUSES[index % STATUSES.length]!;
  const priority = PRIORITIES[index % PRIORITIES.length]!;
  const createdAt = BASE + index * 60_000;
  const assigneeId = status === 'unassigned' ? null : `agent${String((index % 20) + 1)}`;
  const ticket: Ticket = {
    id: `GD20241108${String(index).padStart(6, '0')}`,
    customerId: `CUS20241108${String(index).padStart(6, '0')}`,
    channel: CHANNELS[index % CHANNELS.length]!,
    type: 'consult',
    subject: `订单物流查询 ${String(index)}`,
    priority,
    status,
    assigneeId,
    assigneeName: assigneeId,
    assignmentReason: null,
    createdAt,
    updatedAt: createdAt,
    assignedAt: null,
    firstResponseAt: null,
    dueAt: createdAt + RESOLUTION_SLA_MS[priority],
    completedAt: null,
    lastMessagePreview: '您好，我的快递三天没有更新了',
    lastMessageAt: createdAt,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: defaultTicketRouting(),
  };
  const customer = { id: ticket.customerId, name: `客户${String(index)}`, phone: null, email: null, socialId: null, vipTier: 0, createdAt, identities: [] };
  return { ticket, customer, messages: [], notes: [] };
}

/** Fills `cache` with `tickets` bundles through the writer, as a bootstrap does (pages of 5,000; the last one indexes search in bulk). */
export function fillBenchCache(cache: Cache, tickets: number, bundleOf: (index: number) => TicketBundle): void {
  cache.writer.beginBootstrap();
  const pageSize = 5000;
  for (let from = 0; from < tickets; from += pageSize) {
    const bundles = Array.from({ length: Math.min(pageSize, tickets - from) }, (_, i) => bundleOf(from + i));
    cache.writer.applyBootstrapPage({ seq: 1, total: tickets, next: from + pageSize >= tickets ? null : bundles.at(-1)!.ticket.id, bundles }, BENCH_LEAD);
  }
  // The search indexes are built after the bootstrap, as the core does once it is online (cache migration 023).
  indexSearchNow(cache);
}

export function runInboxBench(): void {
  const tickets = scaled(100_000, 1000);
  const dir = makeBenchDir('inbox');
  try {
    const cache = openCache(path.join(dir, 'lead1.sqlite'), randomBytes(32));
    progress(`inbox: filling a cache with ${String(tickets)} tickets`);
    fillBenchCache(cache, tickets, inboxBundle);
    const viewer = { userId: 'agent3', heldOnly: false, now: BASE + (tickets / 2) * 60_000 };
    const base: InboxFilter = { channel: null, status: 'open', query: '', limit: 200 };
    const rounds = scaled(40, 5);
    const time = (run: () => unknown): number[] =>
      Array.from({ length: rounds }, () => {
        const start = performance.now();
        run();
        return performance.now() - start;
      });
    const deep = () => Math.floor(Math.random() * tickets * 0.7);
    progress(`inbox: ${String(rounds)} requests of each kind`);
    const raw = time(() => cache.reader.inboxWindow({ ...base, status: null, limit: 1 }, null));
    const list = time(() => cache.reader.inbox({ ...base, offset: deep() }, viewer));
    const window = time(() => cache.reader.inboxWindow({ ...base, offset: deep() }, viewer));
    const slaWindow = time(() => cache.reader.inboxWindow({ ...base, sort: 'sla', offset: deep() }, viewer));
    const filtered = time(() => cache.reader.inbox({ ...base, channel: 'email', priority: 'urgent', sla: 'breached', offset: 0 }, viewer));
    cache.close();
    reportMetric('inbox_tickets', tickets);
    reportMetric('inbox_list_ms_p95', percentile(list, 95));
    reportMetric('inbox_list_filtered_ms_p95', percentile(filtered, 95));
    reportMetric('inbox_window_ms_p95', percentile(window, 95));
    reportMetric('inbox_window_sla_ms_p95', percentile(slaWindow, 95));
    reportMetric('raw_inbox_count_ms_p95', percentile(raw, 95));
  } finally {
    removeDir(dir);
  }
}
