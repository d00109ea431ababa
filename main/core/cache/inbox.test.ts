/**
 * The inbox over every cached ticket: windows, views, filters, sorts and counts on a real
 * SQLite cache holding 100,000 tickets, checked against the same rules written plainly in
 * TypeScript (shared/sla.ts for SLA states); and the unread marker across a restart.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CHANNELS,
  PRIORITIES,
  defaultTicketRouting,
  isOpenStatus,
  type Customer,
  type Message,
  type Ticket,
  type TicketBundle,
  type TicketStatus,
  type User,
} from '../../../shared/domain.js';
import type { InboxSlaFilter, InboxSort } from '../../../shared/rpc.js';
import { RESOLUTION_SLA_MS, slaCountdown } from '../../../shared/sla.js';
import { CACHE_KEY_BYTES, openCache, type Cache, type InboxFilter } from './cache.js';
import { indexSearchNow } from '../testing/searchIndex.js';

const lead: User = {
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

const agent: User = { ...lead, id: 'agent1', username: 'agent1', displayName: '李娜', role: 'agent', channels: ['phone', 'chat'], tier: 1, senior: false };

const TICKETS = 100_000;
const BASE = Date.UTC(2024, 10, 8, 2, 0, 0);
/** The inbox is judged at this moment: 40,000 contacts in (one a minute), so early open tickets are breached and late ones at risk or fine. */
const NOW = BASE + 40_000 * 60_000;
const AGENTS = ['agent1', 'agent2', 'agent3', 'agent4', 'agent5'];
const STATUS_CYCLE: TicketStatus[] = ['in_progress', 'unassigned', 'awaiting_customer', 'completed', 'in_progress', 'closed', 'in_progress', 'unassigned'];

function ticketId(index: number): string {
  return `GD20241108${String(index).padStart(6, '0')}`;
}

function customerOf(index: number): Customer {
  const id = `CUS20241108${String(index % 1000).padStart(4, '0')}`;
  return { id, name: `客户${String(index % 1000)}`, phone: null, email: null, socialId: null, vipTier: 0, createdAt: BASE, identities: [] };
}

/** A varied but reproducible ticket: every channel, priority and status, five assignees, contacts a minute apart (some out of order). */
function makeTicket(index: number): Ticket {
  const status = STATUS_CYCLE[index % STATUS_CYCLE.length]!;
  const priority = PRIORITIES[index % PRIORITIES.length]!;
  const createdAt = BASE + index * 60_000;
  const assigneeId = status === 'unassigned' ? null : AGENTS[index % AGENTS.length]!;
  return {
    id: ticketId(index),
    customerId: customerOf(index).id,
    channel: CHANNELS[index % CHANNELS.length]!,
    type: 'consult',
    subject: index % 97 === 0 ? `发票问题 ${String(index)}` : `订单咨询 ${String(index)}`,
    priority,
    status,
    assigneeId,
    assigneeName: assigneeId === null ? null : `坐席${assigneeId.slice(-1)}`,
    assignmentReason: null,
    createdAt,
    updatedAt: createdAt,
    assignedAt: assigneeId === null ? null : createdAt,
    firstResponseAt: null,
    dueAt: createdAt + RESOLUTION_SLA_MS[priority],
    completedAt: status === 'completed' || status === 'closed' ? createdAt + 3_600_000 : null,
    lastMessagePreview: '您好',
    // Activity is not creation order: every seventh ticket had a late reply.
    lastMessageAt: createdAt + (index % 7 === 0 ? 90_000_000 : 0),
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: defaultTicketRouting(),
  };
}

function seed(cache: Cache, tickets: readonly Ticket[], viewer: User): void {
  const pageSize = 5000;
  cache.writer.beginBootstrap();
  for (let from = 0; from < tickets.length; from += pageSize) {
    const bundles: TicketBundle[] = tickets
      .slice(from, from + pageSize)
      .map((t, i) => ({ ticket: t, customer: customerOf(from + i), messages: [], notes: [] }));
    const last = from + pageSize >= tickets.length;
    cache.writer.applyBootstrapPage({ seq: 1, total: tickets.length, next: last ? null : tickets[from + pageSize - 1]!.id, bundles }, viewer);
  }
  indexSearchNow(cache);
}

/** The inbox's rules, written plainly: what a view and filter select. */
function selects(t: Ticket, filter: InboxFilter, me: string): boolean {
  if (filter.view === 'mine' && t.assigneeId !== me) return false;
  if (filter.view === 'unassigned' && t.assigneeId !== null) return false;
  if (filter.channel && t.channel !== filter.channel) return false;
  if (filter.status === 'open' && !isOpenStatus(t.status)) return false;
  if (filter.status && filter.status !== 'open' && t.status !== filter.status) return false;
  if (filter.priority && t.priority !== filter.priority) return false;
  if (filter.assigneeId && t.assigneeId !== filter.assigneeId) return false;
  if (filter.sla && slaCountdown(t, NOW).state !== filter.sla) return false;
  if (filter.query && !t.subject.includes(filter.query)) return false;
  return true;
}

const SLA_RANK: Record<string, number> = { breached: 0, at_risk: 1, ok: 2, met: 3, stopped: 3 };
const PRIORITY_RANK: Record<string, number> = { urgent: 0, normal: 1, low: 2 };

function compare(sort: InboxSort): (a: Ticket, b: Ticket) => number {
  const byActivity = (a: Ticket, b: Ticket) => b.lastMessageAt - a.lastMessageAt || (a.id < b.id ? 1 : -1);
  switch (sort) {
    case 'activity':
      return byActivity;
    case 'priority':
      return (a, b) => PRIORITY_RANK[a.priority]! - PRIORITY_RANK[b.priority]! || byActivity(a, b);
    case 'sla':
      return (a, b) => SLA_RANK[slaCountdown(a, NOW).state]! - SLA_RANK[slaCountdown(b, NOW).state]! || a.dueAt - b.dueAt || (a.id < b.id ? -1 : 1);
  }
}

describe('the inbox over 100,000 cached tickets', () => {
  let dir: string;
  let cache: Cache;
  const tickets = Array.from({ length: TICKETS }, (_, index) => makeTicket(index));
  const viewer = { userId: 'agent2', heldOnly: false, now: NOW };
  const inbox = (filter: Partial<InboxFilter>) => cache.reader.inbox({ channel: null, status: null, query: '', ...filter }, viewer);
  const inboxWindow = (filter: Partial<InboxFilter>) => cache.reader.inboxWindow({ channel: null, status: null, query: '', ...filter }, viewer);

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-inbox-'));
    cache = openCache(path.join(dir, 'lead1.sqlite'), randomBytes(CACHE_KEY_BYTES));
    seed(cache, tickets, lead);
    // 100,000 tickets and their three search indexes built at the end: past the default 30 s on a loaded 2-core machine.
  }, 180_000);
  afterAll(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says how many match and how many exist; the default views leave completed and closed out', () => {
    const open = inbox({ status: 'open' });
    expect(open.exists).toBe(TICKETS);
    expect(open.total).toBe(tickets.filter((t) => isOpenStatus(t.status)).length);
    expect(open.total).toBeLessThan(TICKETS);
    expect(open.rows).toHaveLength(500);
    expect(open.rows.every((row) => isOpenStatus(row.status))).toBe(true);
    expect(inbox({}).total).toBe(TICKETS);
    expect(open.viewCounts).toEqual({
      all: open.total,
      mine: tickets.filter((t) => isOpenStatus(t.status) && t.assigneeId === 'agent2').length,
      unassigned: tickets.filter((t) => t.status === 'unassigned').length,
    });
    expect(open.statusCounts.completed).toBe(tickets.filter((t) => t.status === 'completed').length);
    expect(open.unreadCount).toBe(0);
  });

  it.each<InboxSort>(['activity', 'sla', 'priority'])('pages through every matching ticket once, in %s order, to the very last row', (sort) => {
    const filter: Partial<InboxFilter> = { channel: 'phone', status: 'open', sort };
    const expected = tickets.filter((t) => selects(t, { channel: null, status: null, query: '', ...filter }, 'agent2')).sort(compare(sort));
    const seen: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const window = inboxWindow({ ...filter, offset, limit: 500 });
      expect(window.total).toBe(expected.length);
      expect(window.offset).toBe(offset);
      if (window.rows.length === 0) break;
      seen.push(...window.rows.map((row) => row.id));
    }
    expect(seen).toEqual(expected.map((t) => t.id));
    // A window deep in the list is the same slice.
    const deep = inbox({ ...filter, offset: 12_345, limit: 40 });
    expect(deep.total).toBe(expected.length);
    expect(deep.rows.map((row) => row.id)).toEqual(expected.slice(12_345, 12_345 + 40).map((t) => t.id));
  });

  it.each<InboxSlaFilter>(['breached', 'at_risk', 'ok'])('filters by SLA state %s exactly as the countdown shows it', (sla) => {
    const result = inbox({ sla, limit: 500 });
    const expected = tickets.filter((t) => slaCountdown(t, NOW).state === sla);
    expect(expected.length).toBeGreaterThan(0);
    expect(result.total).toBe(expected.length);
    expect(result.rows.every((row) => slaCountdown(row, NOW).state === sla)).toBe(true);
  });

  it('puts breached tickets first, then those at risk, when sorting by SLA', () => {
    const states = inbox({ status: 'open', sort: 'sla', limit: 500 }).rows.map((row) => slaCountdown(row, NOW).state);
    expect(states[0]).toBe('breached');
    expect(states.indexOf('at_risk')).toBe(-1);
    const firstAtRisk = inboxWindow({ status: 'open', sort: 'sla', offset: tickets.filter((t) => slaCountdown(t, NOW).state === 'breached').length, limit: 1 });
    expect(slaCountdown(firstAtRisk.rows[0]!, NOW).state).toBe('at_risk');
  });

  it('combines views, priority, assignee, channel, status and search, with counts that ignore their own filter', () => {
    const cases: Array<Partial<InboxFilter>> = [
      { view: 'mine', status: 'open' },
      { view: 'unassigned', status: 'open', channel: 'email' },
      { view: 'all', priority: 'urgent', status: 'in_progress' },
      { assigneeId: 'agent4', sla: 'breached' },
      { query: '发票', status: 'open', sort: 'sla' },
      { view: 'mine', query: '发票', priority: 'low', channel: 'chat' },
    ];
    for (const filter of cases) {
      const full = { channel: null, status: null, query: '', ...filter };
      const expected = tickets.filter((t) => selects(t, full, 'agent2')).sort(compare(filter.sort ?? 'activity'));
      const result = inbox(filter);
      expect(result.total, JSON.stringify(filter)).toBe(expected.length);
      expect(result.rows.map((row) => row.id)).toEqual(expected.slice(0, 500).map((t) => t.id));
      for (const channel of CHANNELS) {
        expect(result.channelCounts[channel]).toBe(tickets.filter((t) => selects(t, { ...full, channel }, 'agent2')).length);
      }
    }
  });

  it('lists who holds the tickets of the view, most first', () => {
    const { assignees } = inbox({ status: 'open' });
    const expected = AGENTS.map((id) => ({ id, count: tickets.filter((t) => isOpenStatus(t.status) && t.assigneeId === id).length })).sort(
      (a, b) => b.count - a.count || a.id.localeCompare(b.id),
    );
    expect(assignees.map(({ id, count }) => ({ id, count }))).toEqual(expected);
    expect(assignees[0]?.name).toMatch(/^坐席\d$/);
  });

  it('answers a window past the end with no rows and the true counts', () => {
    const result = inboxWindow({ offset: 9_999_999, limit: 500 });
    expect(result.rows).toEqual([]);
    expect(result.total).toBe(TICKETS);
  });
});

function inboundMessage(id: string, ticketId: string, createdAt: number, direction: Message['direction'] = 'inbound'): Message {
  return {
    id,
    ticketId,
    direction,
    channel: 'chat',
    authorId: direction === 'inbound' ? null : 'agent1',
    authorName: direction === 'inbound' ? '张伟' : '李娜',
    text: direction === 'inbound' ? '请问到哪了' : '正在为您查询',
    externalMessageId: null,
    deliveryStatus: direction === 'inbound' ? 'received' : 'sent',
    createdAt,
    attachments: [],
    source: 'webchat',
    call: null,
    deliveryError: null,
  };
}

describe('the unread marker', () => {
  let dir: string;
  let file: string;
  let key: Buffer;
  let cache: Cache;
  const held = {
    ...makeTicket(0),
    id: 'GD20241108000001',
    channel: 'chat' as const,
    status: 'in_progress' as const,
    assigneeId: 'agent1',
    assigneeName: '李娜',
  };
  const other = { ...held, id: 'GD20241108000002' };
  const viewer = () => ({ userId: 'agent1', heldOnly: true, now: NOW });
  const row = (id: string) => cache.reader.inbox({ channel: null, status: null, query: '' }, viewer()).rows.find((r) => r.id === id);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-unread-'));
    file = path.join(dir, 'agent1.sqlite');
    key = randomBytes(CACHE_KEY_BYTES);
    cache = openCache(file, key);
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(
      {
        seq: 5,
        total: 2,
        next: null,
        bundles: [
          { ticket: held, customer: customerOf(0), messages: [inboundMessage('m1', held.id, BASE)], notes: [] },
          { ticket: other, customer: customerOf(0), messages: [inboundMessage('m2', other.id, BASE)], notes: [] },
        ],
      },
      agent,
    );
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks nothing unread when the first bootstrap fills the cache', () => {
    expect(row(held.id)?.unread).toBe(false);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }, viewer()).unreadCount).toBe(0);
  });

  it('marks a ticket unread on a new customer message, clears it when opened, and keeps it across a restart', () => {
    const later = { ...held, lastMessageAt: BASE + 5_000, updatedAt: BASE + 5_000 };
    cache.writer.applyChanges([{ seq: 6, kind: 'message', ticket: later, message: inboundMessage('m3', held.id, BASE + 5_000) }], 6, agent);
    // The agent's own reply is no news to them.
    cache.writer.applyChanges(
      [{ seq: 7, kind: 'message', ticket: { ...other, updatedAt: BASE + 6_000 }, message: inboundMessage('m4', other.id, BASE + 6_000, 'outbound') }],
      7,
      agent,
    );
    expect(row(held.id)?.unread).toBe(true);
    expect(row(other.id)?.unread).toBe(false);
    expect(cache.reader.ticketDetail(held.id)?.unread).toBe(true);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }, viewer()).unreadCount).toBe(1);

    cache.close();
    cache = openCache(file, key);
    expect(row(held.id)?.unread).toBe(true);

    expect(cache.writer.markRead(held.id)).toBe(true);
    expect(cache.writer.markRead(held.id)).toBe(false);
    expect(row(held.id)?.unread).toBe(false);
    // The same message sent again (a resent change) is not new.
    cache.writer.applyChanges([{ seq: 8, kind: 'message', ticket: later, message: inboundMessage('m3', held.id, BASE + 5_000) }], 8, agent);
    expect(row(held.id)?.unread).toBe(false);
  });

  it('keeps the read marker and a later note in what an app stopped without closing its cache leaves on disk', () => {
    const later = { ...held, lastMessageAt: BASE + 5_000, updatedAt: BASE + 5_000 };
    cache.writer.applyChanges([{ seq: 6, kind: 'message', ticket: later, message: inboundMessage('m3', held.id, BASE + 5_000) }], 6, agent);
    cache.writer.applyChanges(
      [{ seq: 7, kind: 'message', ticket: { ...other, updatedAt: BASE + 6_000 }, message: inboundMessage('m4', other.id, BASE + 6_000) }],
      7,
      agent,
    );
    expect(cache.writer.markRead(held.id)).toBe(true);
    // The marker's commit has no fsync of its own; the note's, durable, comes after it.
    const note = { mutationId: 'n1', kind: 'note', ticketId: other.id, noteId: 'n1', text: '已读之后写的备注', createdAt: BASE + 7_000 } as const;
    expect(cache.writer.recordMutation(note, agent).ok).toBe(true);
    expect(cache.writer.markRead(other.id)).toBe(true);

    // The files as they are while the cache is still open: the database and its WAL (no checkpoint, no close).
    const copy = path.join(dir, 'copy.sqlite');
    copyFileSync(file, copy);
    copyFileSync(`${file}-wal`, `${copy}-wal`);
    const reopened = openCache(copy, key);
    try {
      const rows = reopened.reader.inbox({ channel: null, status: null, query: '' }, viewer()).rows;
      expect(rows.find((r) => r.id === held.id)?.unread).toBe(false);
      expect(rows.find((r) => r.id === other.id)?.unread).toBe(false);
      expect(reopened.reader.note('n1')?.text).toBe(note.text);
      expect(reopened.reader.outbox(10).map((entry) => entry.mutation.mutationId)).toEqual(['n1']);
    } finally {
      reopened.close();
    }
    // The cache writes durably again after a marker: one more note commits and reads back.
    expect(cache.writer.recordMutation({ ...note, mutationId: 'n2', noteId: 'n2' }, agent).ok).toBe(true);
    expect(cache.reader.note('n2')?.text).toBe(note.text);
  });

  it('lists new customer messages on held tickets once, for the window to notify (none from the first bootstrap, none of the agent, none of a ticket held by someone else)', () => {
    expect(cache.writer.takeCustomerArrivals()).toEqual([]);
    const later = { ...held, lastMessageAt: BASE + 5_000, updatedAt: BASE + 5_000 };
    const someoneElses = { ...other, assigneeId: 'agent2', assigneeName: '王芳', updatedAt: BASE + 5_000 };
    cache.writer.applyChanges(
      [
        { seq: 6, kind: 'message', ticket: later, message: inboundMessage('m3', held.id, BASE + 5_000) },
        { seq: 7, kind: 'message', ticket: later, message: inboundMessage('m4', held.id, BASE + 5_500, 'outbound') },
        { seq: 8, kind: 'message', ticket: someoneElses, message: inboundMessage('m5', other.id, BASE + 5_600) },
      ],
      8,
      agent,
    );
    expect(cache.writer.takeCustomerArrivals()).toEqual([
      { messageId: 'm3', ticketId: held.id, channel: 'chat', authorName: '张伟', preview: '请问到哪了', createdAt: BASE + 5_000 },
    ]);
    // Taken: not listed again, and the same message resent is not new.
    expect(cache.writer.takeCustomerArrivals()).toEqual([]);
    cache.writer.applyChanges([{ seq: 9, kind: 'message', ticket: later, message: inboundMessage('m3', held.id, BASE + 5_000) }], 9, agent);
    expect(cache.writer.takeCustomerArrivals()).toEqual([]);
    // A lead's cache keeps every ticket, but only what the lead holds is theirs to hear of.
    cache.writer.applyChanges([{ seq: 10, kind: 'message', ticket: later, message: inboundMessage('m6', held.id, BASE + 6_000) }], 10, lead);
    expect(cache.writer.takeCustomerArrivals()).toEqual([]);
  });

  it('marks what a bootstrap after a must-refetch brings, and forgets the marker of a ticket that leaves', () => {
    cache.writer.requireRefetch();
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(
      {
        seq: 9,
        total: 2,
        next: null,
        bundles: [
          { ticket: held, customer: customerOf(0), messages: [inboundMessage('m1', held.id, BASE), inboundMessage('m5', held.id, BASE + 9_000)], notes: [] },
          { ticket: other, customer: customerOf(0), messages: [inboundMessage('m2', other.id, BASE)], notes: [] },
        ],
      },
      agent,
    );
    expect(row(held.id)?.unread).toBe(true);
    expect(row(other.id)?.unread).toBe(false);
    // Reassigned away: the ticket leaves the cache and takes its marker with it.
    cache.writer.applyChanges(
      [{ seq: 10, kind: 'ticket', ticket: { ...held, assigneeId: 'agent2', assigneeName: '王芳', updatedAt: BASE + 10_000 } }],
      10,
      agent,
    );
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }, viewer()).unreadCount).toBe(0);
  });
});
