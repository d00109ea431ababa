import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultTicketRouting, type Customer, type Message, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { maskBundle } from '../../../shared/masking.js';
import type { Mutation } from '../../../shared/sync.js';
import { indexSearchNow } from '../testing/searchIndex.js';
import { TEST_AGENT as agent } from '../testing/cacheFixtures.js';
import { CACHE_KEY_BYTES, applyCacheKey, openCache, type Cache } from './cache.js';

function customer(id: string, name: string, phone: string | null = null): Customer {
  return { id, name, phone, email: null, socialId: null, vipTier: 0, createdAt: 1_000, identities: phone ? [{ kind: 'phone', value: phone }] : [] };
}

function ticket(id: string, overrides: Partial<Ticket> = {}): Ticket {
  return {
    id,
    customerId: 'CUS20240501001',
    channel: 'phone',
    type: 'complaint',
    subject: '订单物流查询延迟',
    priority: 'normal',
    status: 'in_progress',
    assigneeId: 'agent1',
    assigneeName: '李娜',
    assignmentReason: null,
    createdAt: 1_000,
    updatedAt: 1_000,
    assignedAt: 1_000,
    firstResponseAt: null,
    dueAt: 1_000 + 4 * 3_600_000,
    completedAt: null,
    lastMessagePreview: '快递三天没动了',
    lastMessageAt: 1_000,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: defaultTicketRouting(),
    ...overrides,
  };
}

function inbound(id: string, ticketId: string, text: string, createdAt = 1_000): Message {
  return {
    id,
    ticketId,
    direction: 'inbound',
    channel: 'phone',
    authorId: null,
    authorName: '张伟',
    text,
    externalMessageId: null,
    deliveryStatus: 'received',
    createdAt,
    attachments: [{ id: `${id}-a`, fileName: '发票.pdf', contentType: 'application/pdf', size: 2048 }],
    source: 'email',
    call: null,
    deliveryError: null,
  };
}

function bundle(t: Ticket, c: Customer, messages: Message[] = []): TicketBundle {
  return { ticket: t, customer: c, messages, notes: [] };
}

describe('the per-user cache', () => {
  let dir: string;
  let key: Buffer;
  let cache: Cache;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-cache-'));
    key = randomBytes(CACHE_KEY_BYTES);
    cache = openCache(path.join(dir, 'users', 'agent1.sqlite'), key);
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(
      {
        seq: 10,
        total: 3,
        next: null,
        bundles: [
          bundle(ticket('GD20240501001', { lastMessageAt: 3_000 }), customer('CUS20240501001', '张伟', '13800138000'), [
            inbound('m1', 'GD20240501001', '快递三天没动了'),
          ]),
          bundle(
            ticket('GD20240501002', { customerId: 'CUS20240501002', channel: 'chat', subject: '发票开具', lastMessageAt: 2_000 }),
            customer('CUS20240501002', '王芳'),
            [inbound('m2', 'GD20240501002', '发票开具')],
          ),
          // Queued and offered to agent1: an agent is sent what they hold and what they are offered.
          bundle(
            ticket('GD20240501003', {
              status: 'unassigned',
              assigneeId: null,
              assigneeName: null,
              subject: '退款申请',
              lastMessageAt: 1_000,
              routing: { ...defaultTicketRouting(), offer: { agentId: 'agent1', agentName: '李娜', offeredAt: 1_000, expiresAt: 31_000 } },
            }),
            customer('CUS20240501001', '张伟', '13800138000'),
          ),
        ],
      },
      agent,
    );
    indexSearchNow(cache);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the WAL frames a checkpoint would copy, and copies them', () => {
    for (let i = 0; i < 5; i++) {
      const note: Mutation = {
        mutationId: `wal-${String(i)}`,
        kind: 'note',
        ticketId: 'GD20240501001',
        noteId: `wal-${String(i)}`,
        text: '回访记录',
        createdAt: 7_000 + i,
      };
      expect(cache.writer.recordMutation(note, agent).ok).toBe(true);
    }
    const uncopied = cache.walFramesUncopied();
    // Each commit appends at least the pages it changed (note, outbox, their indexes, the ticket row).
    expect(uncopied).toBeGreaterThanOrEqual(5 * 4);
    cache.checkpoint();
    expect(cache.walFramesUncopied()).toBe(0);
  });
  it('has a local write follow the newest entry of its ticket, the first one cached at that time when several share it, and never dates it at or before it', () => {
    type NoteMutation = Extract<Mutation, { kind: 'note' }>;
    const followsOf = (mutationId: string) =>
      (cache.reader.outbox(100).find((entry) => entry.mutation.mutationId === mutationId)!.mutation as NoteMutation).follows;
    const note = (id: string, createdAt: number): NoteMutation => ({
      mutationId: id,
      kind: 'note',
      ticketId: 'GD20240501001',
      noteId: id,
      text: '回访记录',
      createdAt,
    });
    // Notes only at the newest time (m1 is older): the lowest id of those at 5,000, whatever order they came in.
    cache.writer.applyChanges(
      [
        {
          seq: 11,
          kind: 'note',
          ticket: ticket('GD20240501001'),
          note: { id: 'n-b', ticketId: 'GD20240501001', authorId: 'agent1', authorName: '李娜', text: '一', createdAt: 5_000 },
        },
        {
          seq: 12,
          kind: 'note',
          ticket: ticket('GD20240501001'),
          note: { id: 'n-a', ticketId: 'GD20240501001', authorId: 'agent1', authorName: '李娜', text: '二', createdAt: 5_000 },
        },
        {
          seq: 13,
          kind: 'note',
          ticket: ticket('GD20240501001'),
          note: { id: 'n-0', ticketId: 'GD20240501001', authorId: 'agent1', authorName: '李娜', text: '三', createdAt: 4_000 },
        },
      ],
      13,
      agent,
    );
    expect(cache.writer.recordMutation(note('w-1', 3_000), agent).ok).toBe(true);
    expect(followsOf('w-1')).toBe('n-a');
    // Dated after what it follows, not at its own earlier time.
    expect(cache.reader.note('w-1')?.createdAt).toBe(5_001);
    // Messages at the newest time too: the first message cached at it goes before any note.
    cache.writer.applyChanges(
      [
        { seq: 14, kind: 'message', ticket: ticket('GD20240501001'), message: { ...inbound('m-late-2', 'GD20240501001', '还在吗'), createdAt: 5_001 } },
        { seq: 15, kind: 'message', ticket: ticket('GD20240501001'), message: { ...inbound('m-late-1', 'GD20240501001', '在吗'), createdAt: 5_001 } },
      ],
      15,
      agent,
    );
    expect(cache.writer.recordMutation(note('w-2', 9_000), agent).ok).toBe(true);
    expect(followsOf('w-2')).toBe('m-late-2');
    expect(cache.reader.note('w-2')?.createdAt).toBe(9_000);
    // Named by the caller: kept, and its time looked up (the outbox's replay after a restart).
    expect(cache.writer.recordMutation({ ...note('w-3', 1_000), follows: 'n-0' }, agent).ok).toBe(true);
    expect(followsOf('w-3')).toBe('n-0');
    expect(cache.reader.note('w-3')?.createdAt).toBe(4_001);
  });
  it('keeps the file in WAL mode and records the bootstrap position', () => {
    const probe = new Database(cache.file, { readonly: true });
    applyCacheKey(probe, key);
    expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
    probe.close();
    expect(cache.reader.syncState()).toMatchObject({ bootstrapped: true, lastSeq: 10, bootstrapSeq: null, bootstrapAfter: null });
  });

  it('keeps what the channel said about a message: attachments, source and delivery error', () => {
    const [message] = cache.reader.ticketDetail('GD20240501001')!.messages;
    expect(message).toEqual({ ...inbound('m1', 'GD20240501001', '快递三天没动了'), pending: false });
  });

  it('lists the inbox newest activity first with per-channel and per-status counts', () => {
    const all = cache.reader.inbox({ channel: null, status: null, query: '' });
    expect(all.rows.map((r) => r.id)).toEqual(['GD20240501001', 'GD20240501002', 'GD20240501003']);
    expect(all.rows[0]).toMatchObject({ customerName: '张伟', pending: false });
    expect(all.channelCounts).toEqual({ phone: 2, chat: 1, social: 0, email: 0 });

    const phoneOnly = cache.reader.inbox({ channel: 'phone', status: null, query: '' });
    expect(phoneOnly.rows).toHaveLength(2);
    expect(phoneOnly.channelCounts.chat).toBe(1); // the channel filter does not narrow channel counts
    expect(phoneOnly.statusCounts).toEqual({ unassigned: 1, in_progress: 1, awaiting_customer: 0, completed: 0, closed: 0 });
  });

  it('searches with LIKE below three characters and with the trigram index from three', () => {
    const names = (query: string) => cache.reader.inbox({ channel: null, status: null, query }).rows.map((r) => r.id);
    expect(cache.reader.searchIndexProgress()).toBeNull();
    expect(names('张伟')).toEqual(['GD20240501001', 'GD20240501003']);
    expect(names('发票')).toEqual(['GD20240501002']);
    expect(names('快递三天')).toEqual(['GD20240501001']);
    expect(names('13800')).toEqual(['GD20240501001', 'GD20240501003']);
    expect(names('张伟 退款')).toEqual(['GD20240501003']);
    expect(names('%')).toEqual([]);
    expect(names('"引号')).toEqual([]);
  });

  it('finds what a bootstrap in progress has stored, and indexes it all when the bootstrap ends', () => {
    const names = (query: string) => cache.reader.inbox({ channel: null, status: null, query }).rows.map((r) => r.id);
    cache.writer.beginBootstrap();
    const refund = bundle(ticket('GD20240501004', { subject: '退款申请处理', lastMessageAt: 4_000 }), customer('CUS20240501001', '张伟', '13800138000'), [
      inbound('m4', 'GD20240501004', '申请退款到原账户'),
    ]);
    cache.writer.applyBootstrapPage({ seq: 20, total: 2, next: 'GD20240501004', bundles: [refund] }, agent);
    expect(names('退款到原账户')).toEqual(['GD20240501004']);
    cache.writer.applyBootstrapPage(
      { seq: 20, total: 2, next: null, bundles: [bundle(ticket('GD20240501001'), customer('CUS20240501001', '张伟', '13800138000'))] },
      agent,
    );
    expect(names('退款到原账户')).toEqual(['GD20240501004']);
    expect(names('物流查询')).toEqual(['GD20240501001']);
    // The same answers once the walk after the bootstrap has indexed them.
    expect(cache.reader.searchIndexProgress()?.done).toBe(0);
    indexSearchNow(cache);
    expect(cache.reader.searchIndexProgress()).toBeNull();
    expect(names('退款到原账户')).toEqual(['GD20240501004']);
    expect(names('物流查询')).toEqual(['GD20240501001']);
  });

  it("drops a ticket that leaves the agent's sight, with its messages", () => {
    const touched = cache.writer.applyChanges(
      [{ seq: 11, kind: 'ticket', ticket: ticket('GD20240501001', { assigneeId: 'agent2', assigneeName: '赵强' }) }],
      11,
      agent,
    );
    expect(touched).toEqual(['GD20240501001']);
    expect(cache.reader.ticket('GD20240501001')).toBeNull();
    expect(cache.reader.syncState().lastSeq).toBe(11);
    // An offer that moves on to someone else leaves the agent's sight too, though the ticket stays queued on their channel.
    const offeredOn = ticket('GD20240501003', {
      status: 'unassigned',
      assigneeId: null,
      assigneeName: null,
      routing: { ...defaultTicketRouting(), offer: { agentId: 'agent2', agentName: '赵强', offeredAt: 2_000, expiresAt: 32_000 } },
    });
    cache.writer.applyChanges([{ seq: 12, kind: 'ticket', ticket: offeredOn }], 12, agent);
    expect(cache.reader.ticket('GD20240501003')).toBeNull();
  });

  it('keeps a queued ticket fetched for the queue view out of the inbox, lets the agent take it, and drops it at the next refresh unless taken', () => {
    const queued = (id: string) =>
      ticket(id, { channel: 'chat', status: 'unassigned', assigneeId: null, assigneeName: null, subject: `排队 ${id}`, lastMessageAt: 5_000 });
    // Not theirs to open (another channel): not stored.
    expect(cache.writer.storeFetchedBundle(bundle({ ...queued('GD20240501008'), channel: 'email' }, customer('CUS20240501008', '赵敏')), agent)).toBe(false);
    expect(cache.writer.storeFetchedBundle(bundle(queued('GD20240501009'), customer('CUS20240501009', '孙丽')), agent)).toBe(true);
    expect(cache.writer.storeFetchedBundle(bundle(queued('GD20240501010'), customer('CUS20240501010', '周杰')), agent)).toBe(true);
    expect(cache.reader.ticketDetail('GD20240501009')?.ticket.status).toBe('unassigned');
    // The agent's inbox is what they hold or are offered; without a holder every cached ticket is listed (leads).
    const held = cache.reader.inbox({ channel: null, status: null, query: '' }, { userId: 'agent1', heldOnly: true, now: 1_000 });
    expect(held.rows.map((r) => r.id)).toEqual(['GD20240501001', 'GD20240501002', 'GD20240501003']);
    expect(held.statusCounts.unassigned).toBe(1);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows).toHaveLength(5);

    // Taking one (in progress) makes it theirs at once, with a change waiting for the server.
    expect(
      cache.writer.recordMutation({ mutationId: 'take-9', kind: 'setStatus', ticketId: 'GD20240501009', status: 'in_progress', createdAt: 6_000 }, agent).ok,
    ).toBe(true);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }, { userId: 'agent1', heldOnly: true, now: 1_000 }).rows.map((r) => r.id)).toContain(
      'GD20240501009',
    );
    // A refresh keeps what is taken and what the listing shows unchanged, drops the rest; leads keep everything.
    expect(cache.writer.dropFetched({ ...agent, role: 'lead' })).toEqual([]);
    expect(cache.writer.dropFetched(agent, ['GD20240501010'])).toEqual([]);
    expect(cache.writer.dropFetched(agent)).toEqual(['GD20240501010']);
    expect(cache.reader.ticket('GD20240501010')).toBeNull();
    expect(cache.reader.ticket('GD20240501009')?.assigneeId).toBe('agent1');
    expect(cache.reader.ticket('GD20240501003')).not.toBeNull();
  });

  it('writes a reply optimistically with its outbox row, and refuses an impossible status change without writing', () => {
    const reply: Mutation = {
      mutationId: 'mut-1',
      kind: 'reply',
      ticketId: 'GD20240501003',
      messageId: 'msg-1',
      text: '您好，正在为您处理退款',
      createdAt: 5_000,
    };
    const outcome = cache.writer.recordMutation(reply, agent);
    expect(outcome.ok).toBe(true);
    const detail = cache.reader.ticketDetail('GD20240501003');
    expect(detail?.pending).toBe(true);
    expect(detail?.ticket).toMatchObject({ status: 'in_progress', assigneeId: 'agent1', firstResponseAt: 5_000, lastMessagePreview: '您好，正在为您处理退款' });
    expect(detail?.messages.at(-1)).toMatchObject({ id: 'msg-1', pending: true, deliveryStatus: 'queued', direction: 'outbound' });
    expect(cache.reader.outboxCount()).toBe(1);

    const refused = cache.writer.recordMutation(
      { mutationId: 'mut-2', kind: 'setStatus', ticketId: 'GD20240501003', status: 'unassigned', createdAt: 5_001 },
      agent,
    );
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'invalid_transition' } });
    const missing = cache.writer.recordMutation(
      { mutationId: 'mut-3', kind: 'note', ticketId: 'GD20240501999', noteId: 'n', text: '备注', createdAt: 5_002 },
      agent,
    );
    expect(missing).toMatchObject({ ok: false, refusal: { code: 'not_found' } });
    expect(cache.reader.outboxCount()).toBe(1);
  });

  it('refuses a mutation whose id another queued mutation holds, writing nothing (the outbox keeps one row per id)', () => {
    const note: Mutation = { mutationId: 'act-1', kind: 'note', ticketId: 'GD20240501003', noteId: 'act-1', text: '客户要求退款', createdAt: 5_000 };
    expect(cache.writer.recordMutation(note, agent).ok).toBe(true);
    const reply: Mutation = { mutationId: 'act-1', kind: 'reply', ticketId: 'GD20240501003', messageId: 'act-1', text: '您好，退款已受理', createdAt: 5_001 };
    expect(cache.writer.recordMutation(reply, agent)).toEqual({
      ok: false,
      refusal: { code: 'mutation_id_reused', ticketId: 'GD20240501003', id: 'act-1' },
    });
    expect(cache.reader.message('act-1')).toBeNull();
    expect(cache.reader.outboxCount()).toBe(1);
  });

  it('rebases a pending status change onto a newer server snapshot', () => {
    cache.writer.recordMutation({ mutationId: 'mut-1', kind: 'setStatus', ticketId: 'GD20240501001', status: 'awaiting_customer', createdAt: 5_000 }, agent);
    cache.writer.applyChanges([{ seq: 11, kind: 'ticket', ticket: ticket('GD20240501001', { priority: 'urgent', updatedAt: 4_000 }) }], 11, agent);
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ priority: 'urgent', status: 'awaiting_customer' });
  });

  it('clears pending flags on an ok ack and reverts a refused mutation into the attention list', () => {
    cache.writer.recordMutation(
      { mutationId: 'mut-1', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-1', text: '客户要求加急', createdAt: 5_000 },
      agent,
    );
    cache.writer.recordMutation(
      { mutationId: 'mut-2', kind: 'reply', ticketId: 'GD20240501002', messageId: 'msg-2', text: '发票已寄出', createdAt: 5_001 },
      agent,
    );
    const server = ticket('GD20240501002', { customerId: 'CUS20240501002', channel: 'chat', subject: '发票开具', status: 'closed', lastMessageAt: 2_000 });
    const outcome = cache.writer.applyPushResults(
      [
        { mutationId: 'mut-1', ok: true, seq: 12 },
        { mutationId: 'mut-2', ok: false, code: 'forbidden', reason: '工单已被组长关闭', ticket: server },
      ],
      agent,
      6_000,
    );
    expect(outcome.attention).toEqual([{ ticketId: 'GD20240501002', reason: '工单已被组长关闭', refusal: null }]);
    expect(cache.reader.outboxCount()).toBe(0);
    expect(cache.reader.ticketDetail('GD20240501001')?.notes).toMatchObject([{ id: 'note-1', pending: false }]);
    const reverted = cache.reader.ticketDetail('GD20240501002');
    expect(reverted?.messages.map((m) => m.id)).toEqual(['m2']);
    expect(reverted?.ticket.status).toBe('closed');
    expect(cache.reader.attention()).toMatchObject([{ ticketId: 'GD20240501002', mutationId: 'mut-2', code: 'forbidden' }]);
  });

  it('keeps the outbox count true through a write that rolls back and acks', () => {
    const note = (mutationId: string, noteId: string) =>
      cache.writer.recordMutation({ mutationId, kind: 'note', ticketId: 'GD20240501001', noteId, text: '客户要求加急', createdAt: 5_000 }, agent);
    note('mut-1', 'note-1');
    note('mut-2', 'note-2');
    expect(cache.reader.outboxCount()).toBe(2);
    // The same mutation id again: refused before anything is written, so no note-3 either.
    expect(note('mut-2', 'note-3')).toMatchObject({ ok: false, refusal: { code: 'mutation_id_reused', id: 'mut-2' } });
    expect(cache.reader.outboxCount()).toBe(2);
    expect(cache.reader.ticketDetail('GD20240501001')?.notes.map((n) => n.id)).toEqual(['note-1', 'note-2']);
    cache.writer.applyPushResults(
      [
        { mutationId: 'mut-1', ok: true, seq: 12 },
        { mutationId: 'mut-unknown', ok: true, seq: 13 },
      ],
      agent,
      6_000,
    );
    expect(cache.reader.outboxCount()).toBe(1);
    note('mut-4', 'note-4');
    expect(cache.reader.outboxCount()).toBe(2);
  });

  it('counts the outbox again when a push batch rolls back after it deleted an outbox row', () => {
    const note = (mutationId: string, noteId: string) =>
      cache.writer.recordMutation({ mutationId, kind: 'note', ticketId: 'GD20240501001', noteId, text: '客户要求加急', createdAt: 5_000 }, agent);
    note('mut-1', 'note-1');
    note('mut-2', 'note-2');
    expect(cache.reader.outboxCount()).toBe(2);
    // mut-1's row is deleted first; then storing mut-2's refusal fails (a ticket the cache cannot store,
    // standing in for any statement that fails later in the batch), so the whole batch rolls back.
    const unstorable = { ...ticket('GD20240501001'), subject: null as unknown as string };
    expect(() =>
      cache.writer.applyPushResults(
        [
          { mutationId: 'mut-1', ok: true, seq: 12 },
          { mutationId: 'mut-2', ok: false, code: 'invalid', reason: 'refused', ticket: unstorable },
        ],
        agent,
        6_000,
      ),
    ).toThrow();
    expect(cache.reader.outbox(10).map((entry) => entry.mutation.mutationId)).toEqual(['mut-1', 'mut-2']);
    expect(cache.reader.outboxCount()).toBe(2);
  });

  it('sweeps tickets a re-bootstrap no longer returns but keeps the outbox', () => {
    cache.writer.recordMutation({ mutationId: 'mut-1', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-1', text: '离线备注', createdAt: 5_000 }, agent);
    cache.writer.requireRefetch();
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(
      { seq: 50, total: 1, next: null, bundles: [bundle(ticket('GD20240501001'), { ...customer('CUS20240501001', '张伟'), email: 'z***@example.cn' })] },
      agent,
    );
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows.map((r) => r.id)).toEqual(['GD20240501001']);
    expect(cache.reader.syncState()).toMatchObject({ bootstrapped: true, lastSeq: 50 });
    expect(cache.reader.outboxCount()).toBe(1);
    expect(cache.reader.ticketDetail('GD20240501001')?.notes).toMatchObject([{ id: 'note-1', pending: true }]);
  });
  it('sets priority (recomputing the SLA) and a follow-up optimistically, and rebases both onto a server snapshot', () => {
    cache.writer.recordMutation({ mutationId: 'mut-p', kind: 'setPriority', ticketId: 'GD20240501001', priority: 'urgent', createdAt: 5_000 }, agent);
    const followUpAt = Date.UTC(2024, 4, 2, 2);
    cache.writer.recordMutation({ mutationId: 'mut-f', kind: 'setFollowUp', ticketId: 'GD20240501001', followUpAt, createdAt: 5_001 }, agent);
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ priority: 'urgent', dueAt: 1_000 + 2 * 3_600_000, followUpAt });
    cache.writer.applyChanges([{ seq: 11, kind: 'ticket', ticket: ticket('GD20240501001', { subject: '物流延迟（已催）', updatedAt: 4_000 }) }], 11, agent);
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ subject: '物流延迟（已催）', priority: 'urgent', followUpAt });
    // A follow-up "in 1970" is a broken clock, refused at once, as the server would.
    expect(
      cache.writer.recordMutation({ mutationId: 'mut-f0', kind: 'setFollowUp', ticketId: 'GD20240501001', followUpAt: 90_000, createdAt: 5_002 }, agent),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'invalid_date', field: 'followUpAt' },
    });
    // A queued ticket is not the agent's to re-prioritise.
    const refused = cache.writer.recordMutation(
      { mutationId: 'mut-q', kind: 'setPriority', ticketId: 'GD20240501003', priority: 'low', createdAt: 5_002 },
      agent,
    );
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'not_owner', action: 'setPriority', assigneeName: null } });
    expect(cache.reader.outboxCount()).toBe(2);
  });

  it('rewrites only the ticket columns a local change alters: a note leaves the inbox columns (and their indexes) alone', () => {
    // A trigger on the inbox columns tells whether an UPDATE wrote any of them, even with the same value.
    const probe = new Database(cache.file);
    applyCacheKey(probe, key);
    probe.exec(`CREATE TABLE probe_log (what TEXT NOT NULL);
      CREATE TRIGGER probe_inbox AFTER UPDATE OF last_message_at, status, channel, priority, assignee_id, due_at, created_at ON tickets
      BEGIN INSERT INTO probe_log (what) VALUES (new.id || ' ' || new.status); END;`);
    const written = () => probe.prepare('SELECT what FROM probe_log ORDER BY rowid').pluck().all();
    const before = cache.reader.ticket('GD20240501001')!;

    const note = cache.writer.recordMutation(
      { mutationId: 'mut-n', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-n', text: '已催', createdAt: 5_000 },
      agent,
    );
    expect(note.ok && note.effect.ticket).toEqual({ ...before, updatedAt: 5_000 });
    expect(cache.reader.ticket('GD20240501001')).toEqual({ ...before, updatedAt: 5_000 });
    expect(written()).toEqual([]);

    cache.writer.recordMutation({ mutationId: 'mut-s', kind: 'setStatus', ticketId: 'GD20240501001', status: 'awaiting_customer', createdAt: 6_000 }, agent);
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ status: 'awaiting_customer', lastMessageAt: 3_000, priority: 'normal' });
    expect(written()).toEqual(['GD20240501001 awaiting_customer']);
    // Already there: queued for the server as before, and nothing in the row changes.
    const same = cache.writer.recordMutation(
      { mutationId: 'mut-s2', kind: 'setStatus', ticketId: 'GD20240501001', status: 'awaiting_customer', createdAt: 7_000 },
      agent,
    );
    expect(same.ok).toBe(true);
    expect(written()).toEqual(['GD20240501001 awaiting_customer']);
    expect(cache.reader.outboxCount()).toBe(3);

    // A rebase onto a server snapshot writes the pending changes again, column by column as well.
    cache.writer.applyChanges(
      [{ seq: 11, kind: 'ticket', ticket: ticket('GD20240501001', { subject: '物流延迟（已催）', updatedAt: 4_000, lastMessageAt: 3_000 }) }],
      11,
      agent,
    );
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ subject: '物流延迟（已催）', status: 'awaiting_customer', updatedAt: 6_000 });
    probe.close();
  });

  it("reads a ticket's reach from its own messages and the customer's other cached tickets", () => {
    cache.writer.applyChanges(
      [
        {
          seq: 11,
          kind: 'message',
          ticket: ticket('GD20240501003', {
            status: 'unassigned',
            assigneeId: null,
            assigneeName: null,
            subject: '退款申请',
            lastMessageAt: 9_000,
            routing: { ...defaultTicketRouting(), offer: { agentId: 'agent1', agentName: '李娜', offeredAt: 1_000, expiresAt: 31_000 } },
          }),
          message: { ...inbound('m3', 'GD20240501003', '退款进度？', 9_000), source: 'webchat:demo', attachments: [] },
        },
      ],
      11,
      agent,
    );
    expect(cache.reader.ticketDetail('GD20240501001')?.reach).toEqual({
      routes: ['webchat:demo', 'email'],
      ticketSource: 'email',
      hasPhone: true,
      hasEmail: false,
    });
    expect(cache.reader.ticketDetail('GD20240501003')?.reach).toEqual({
      routes: ['webchat:demo', 'email'],
      ticketSource: 'webchat:demo',
      hasPhone: true,
      hasEmail: false,
    });
    // The other customer's ticket sees none of these.
    expect(cache.reader.ticketDetail('GD20240501002')?.reach.routes).toEqual(['email']);
  });

  it('keeps drafts out of the outbox, sends one as a reply in one step, and discards another', () => {
    expect(cache.writer.saveDraft({ id: 'd-1', ticketId: 'GD20240501001', text: '您好，包裹已在派送中', createdAt: 5_000 }, agent)).toMatchObject({
      ok: true,
      draft: { id: 'd-1', ticketId: 'GD20240501001' },
    });
    expect(cache.writer.saveDraft({ id: 'd-2', ticketId: 'GD20240501001', text: '稍后电话联系您', createdAt: 5_001 }, agent)).toMatchObject({
      ok: true,
      draft: { id: 'd-2' },
    });
    expect(cache.writer.saveDraft({ id: 'd-3', ticketId: 'GD20240501999', text: '不存在的工单', createdAt: 5_002 }, agent)).toMatchObject({
      ok: false,
      refusal: { code: 'not_found' },
    });
    expect(cache.reader.outboxCount()).toBe(0);
    expect(cache.reader.ticketDetail('GD20240501001')?.drafts.map((d) => d.id)).toEqual(['d-1', 'd-2']);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows.find((r) => r.id === 'GD20240501001')).toMatchObject({
      hasDraft: true,
      pending: false,
    });

    const sent = cache.writer.sendDraft(
      'd-1',
      (draft) => ({ mutationId: 'mut-d', kind: 'reply', ticketId: draft.ticketId, messageId: 'msg-d', text: draft.text, createdAt: 6_000 }),
      agent,
    );
    expect(sent).toMatchObject({ ok: true, effect: { message: { id: 'msg-d', text: '您好，包裹已在派送中' } } });
    expect(cache.reader.outbox(10).map((e) => e.mutation.mutationId)).toEqual(['mut-d']);
    expect(cache.reader.draft('d-1')).toBeNull();
    expect(
      cache.writer.sendDraft(
        'd-1',
        () => {
          throw new Error('must not be called');
        },
        agent,
      ),
    ).toBeNull();
    expect(cache.writer.discardDraft('d-2')).toBe(true);
    expect(cache.writer.discardDraft('d-2')).toBe(false);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows.find((r) => r.id === 'GD20240501001')).toMatchObject({
      hasDraft: false,
      pending: true,
    });
  });

  it('keeps a draft when its reply cannot be recorded (nothing half-done)', () => {
    cache.writer.saveDraft({ id: 'd-1', ticketId: 'GD20240501001', text: '您好', createdAt: 5_000 }, agent);
    cache.writer.applyChanges([{ seq: 11, kind: 'ticket', ticket: ticket('GD20240501001', { assigneeId: 'agent2', assigneeName: '赵强' }) }], 11, agent);
    const outcome = cache.writer.sendDraft(
      'd-1',
      (draft) => ({ mutationId: 'mut-d', kind: 'reply', ticketId: draft.ticketId, messageId: 'msg-d', text: draft.text, createdAt: 6_000 }),
      agent,
    );
    // The ticket stays cached with its draft (as the server has it now), so the refusal says who has it.
    expect(outcome).toMatchObject({ ok: false, refusal: { code: 'reassigned' } });
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ assigneeId: 'agent2' });
    expect(cache.reader.draft('d-1')).not.toBeNull();
    expect(cache.reader.outboxCount()).toBe(0);
  });

  it('lists refusals newest first until they are dismissed', () => {
    cache.writer.recordMutation({ mutationId: 'mut-1', kind: 'setStatus', ticketId: 'GD20240501001', status: 'awaiting_customer', createdAt: 5_000 }, agent);
    cache.writer.recordMutation({ mutationId: 'mut-2', kind: 'setPriority', ticketId: 'GD20240501001', priority: 'low', createdAt: 5_001 }, agent);
    const server = ticket('GD20240501001', { status: 'closed' });
    cache.writer.applyPushResults(
      [
        { mutationId: 'mut-1', ok: false, code: 'invalid_transition', reason: '工单已关闭', ticket: server },
        { mutationId: 'mut-2', ok: false, code: 'forbidden', reason: '工单已改派', ticket: server },
      ],
      agent,
      6_000,
    );
    expect(cache.reader.ticket('GD20240501001')).toMatchObject({ status: 'closed', priority: 'normal' });
    const listed = cache.reader.attention();
    expect(listed.map((a) => a.reason)).toEqual(['工单已改派', '工单已关闭']);
    expect(cache.reader.attentionCount()).toBe(2);
    expect(cache.writer.dismissAttention(listed[0]!.id)).toBe(true);
    expect(cache.writer.dismissAttention(listed[0]!.id)).toBe(false);
    expect(cache.reader.attention().map((a) => a.reason)).toEqual(['工单已关闭']);
    expect(cache.reader.attentionCount()).toBe(1);
  });

  it('keeps the needs-attention count right through refusals, a rolled-back push, dismissals and a reopen', () => {
    const count = () => cache.reader.attentionCount();
    const unread = () => cache.reader.attention().length;
    expect(count()).toBe(0);
    cache.writer.recordMutation({ mutationId: 'mut-1', kind: 'setStatus', ticketId: 'GD20240501001', status: 'awaiting_customer', createdAt: 5_000 }, agent);
    cache.writer.recordMutation({ mutationId: 'mut-2', kind: 'setPriority', ticketId: 'GD20240501001', priority: 'low', createdAt: 5_001 }, agent);
    cache.writer.recordMutation({ mutationId: 'mut-3', kind: 'setStatus', ticketId: 'GD20240501002', status: 'awaiting_customer', createdAt: 5_002 }, agent);
    expect(count()).toBe(0);
    cache.writer.applyPushResults([{ mutationId: 'mut-1', ok: false, code: 'invalid_transition', reason: '工单已关闭', ticket: null }], agent, 6_000);
    expect([count(), unread()]).toEqual([1, 1]);
    // A push whose second result cannot be stored rolls back, the first refusal's row with it.
    const broken = { ...ticket('GD20240501001'), subject: null, customerId: null, createdAt: null } as unknown as Ticket;
    expect(() =>
      cache.writer.applyPushResults(
        [
          { mutationId: 'mut-3', ok: false, code: 'forbidden', reason: '工单已改派', ticket: null },
          { mutationId: 'mut-2', ok: false, code: 'forbidden', reason: '工单已改派', ticket: broken },
        ],
        agent,
        6_001,
      ),
    ).toThrow();
    expect([count(), unread()]).toEqual([1, 1]);
    cache.writer.applyPushResults([{ mutationId: 'mut-3', ok: false, code: 'forbidden', reason: '工单已改派', ticket: null }], agent, 6_002);
    expect([count(), unread()]).toEqual([2, 2]);
    expect(cache.writer.dismissAttention(cache.reader.attention()[0]!.id)).toBe(true);
    expect([count(), unread()]).toEqual([1, 1]);
    cache.writer.pruneBookkeeping(6_003);
    expect(count()).toBe(1);
    cache.close();
    cache = openCache(path.join(dir, 'users', 'agent1.sqlite'), key);
    expect([count(), unread()]).toEqual([1, 1]);
  });

  it('tells whether an action id names a note, a message, a draft or a refusal already', () => {
    const used = (id: string) => cache.reader.actionIdInUse(id);
    expect(used('act-note')).toBe(false);
    cache.writer.recordMutation(
      { mutationId: 'act-note', kind: 'note', ticketId: 'GD20240501001', noteId: 'act-note', text: '已联系物流', createdAt: 5_000 },
      agent,
    );
    cache.writer.recordMutation(
      { mutationId: 'act-reply', kind: 'reply', ticketId: 'GD20240501001', messageId: 'act-reply', text: '您好', createdAt: 5_001 },
      agent,
    );
    cache.writer.saveDraft({ id: 'act-draft', ticketId: 'GD20240501002', text: '您好', createdAt: 5_002 }, agent);
    cache.writer.recordMutation(
      { mutationId: 'act-status', kind: 'setStatus', ticketId: 'GD20240501002', status: 'awaiting_customer', createdAt: 5_003 },
      agent,
    );
    // Only the outbox names it: the writer refuses it there (mutation_id_reused), not this look-up.
    expect(used('act-status')).toBe(false);
    cache.writer.applyPushResults([{ mutationId: 'act-status', ok: false, code: 'invalid_transition', reason: '工单已关闭', ticket: null }], agent, 6_000);
    expect(['act-note', 'act-reply', 'act-draft', 'act-status', 'act-other'].map(used)).toEqual([true, true, true, true, false]);
    // As the look-ups by kind answer.
    expect([
      cache.reader.note('act-note'),
      cache.reader.message('act-reply'),
      cache.reader.draft('act-draft'),
      cache.reader.refusal('act-status'),
    ]).not.toContain(null);
  });

  it('records a new action in one transaction with its id look-up, and writes nothing for an id in use', () => {
    const note = (id: string, ticketId = 'GD20240501001'): Mutation => ({
      mutationId: id,
      kind: 'note',
      ticketId,
      noteId: id,
      text: '已联系物流',
      createdAt: 5_000,
    });
    expect(cache.writer.recordNewAction(note('act-1'), agent)).toMatchObject({ ok: true, effect: { note: { id: 'act-1' } } });
    expect(cache.reader.outboxCount()).toBe(1);
    // The same id again, even on another ticket: nothing written, the caller says what it was.
    expect(cache.writer.recordNewAction(note('act-1', 'GD20240501002'), agent)).toBeNull();
    cache.writer.saveDraft({ id: 'act-2', ticketId: 'GD20240501002', text: '您好', createdAt: 5_001 }, agent);
    expect(cache.writer.recordNewAction(note('act-2'), agent)).toBeNull();
    expect(cache.reader.outboxCount()).toBe(1);
    expect(cache.reader.ticketDetail('GD20240501002')?.notes ?? []).toEqual([]);
    // Queued under another kind (only the outbox names it): refused as the server would.
    cache.writer.recordMutation({ mutationId: 'act-3', kind: 'setStatus', ticketId: 'GD20240501002', status: 'awaiting_customer', createdAt: 5_002 }, agent);
    expect(cache.writer.recordNewAction(note('act-3'), agent)).toMatchObject({ ok: false, refusal: { code: 'mutation_id_reused' } });
    expect(cache.reader.note('act-3')).toBeNull();
    // A rule's refusal is the writer's, as recordMutation's.
    expect(cache.writer.recordNewAction(note('act-4', 'GD20249999001'), agent)).toMatchObject({ ok: false });
  });
});

describe("an agent's cache holds personal data masked", () => {
  let dir: string;
  let cache: Cache;
  const zhangWei: Customer = {
    ...customer('CUS20240501001', '张伟', '+8613800138000'),
    email: 'zhang.wei@example.cn',
    identities: [
      { kind: 'phone', value: '+8613800138000' },
      { kind: 'email', value: 'zhang.wei@example.cn' },
    ],
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-cache-masked-'));
    cache = openCache(path.join(dir, 'users', 'agent1.sqlite'), null);
    cache.writer.adoptPiiView('masked');
    cache.writer.beginBootstrap();
    // What the server sends an agent.
    const sent = maskBundle(
      bundle(ticket('GD20240501001', { subject: '来电 13800138000' }), zhangWei, [
        inbound('m1', 'GD20240501001', '我的手机13800138000，卡号6222 0212 3456 7890 123'),
      ]),
    );
    cache.writer.applyBootstrapPage({ seq: 10, total: 1, next: null, bundles: [sent] }, agent);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('still finds a customer by the full number or address, by its last 4 digits and by its prefix', () => {
    const inbox = (query: string) => cache.reader.inbox({ channel: null, status: null, query }).rows.map((r) => r.id);
    for (const query of ['13800138000', '138-0013-8000', '+86 138 0013 8000', '8000', '138', 'zhang.wei@example.cn']) {
      expect(inbox(query), query).toEqual(['GD20240501001']);
    }
    expect(inbox('13900139000')).toEqual([]);
    const customers = (query: string) => cache.reader.searchCustomers(query, null, 10).map((hit) => hit.customer.id);
    for (const query of ['13800138000', '+86 138-0013-8000', '8000', 'zhang.wei@example.cn', 'example.cn']) {
      expect(customers(query), query).toEqual(['CUS20240501001']);
    }
    expect(customers('13900139000')).toEqual([]);
  });

  it("masks the agent's own reply and note in the cache; the outbox keeps what goes to the customer", () => {
    cache.writer.recordMutation(
      { mutationId: 'mut-r', kind: 'reply', ticketId: 'GD20240501001', messageId: 'msg-r', text: '已登记您的手机13800138000', createdAt: 5_000 },
      agent,
    );
    cache.writer.recordMutation(
      { mutationId: 'mut-n', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-n', text: '客户备用号13900139000', createdAt: 5_001 },
      agent,
    );
    const detail = cache.reader.ticketDetail('GD20240501001')!;
    expect(detail.messages.find((m) => m.id === 'msg-r')?.text).toBe('已登记您的手机138****8000');
    expect(detail.notes.find((n) => n.id === 'note-n')?.text).toBe('客户备用号139****9000');
    expect(detail.ticket.lastMessagePreview).toBe('已登记您的手机138****8000');
    expect(cache.reader.outbox(10).map((entry) => entry.mutation)).toMatchObject([{ text: '已登记您的手机13800138000' }, { text: '客户备用号13900139000' }]);
    // Nothing in the cached content has a number in clear.
    const probe = new Database(cache.file, { readonly: true });
    const content = probe.prepare("SELECT group_concat(subject || last_message_preview, ' ') FROM tickets").pluck().get() as string;
    const texts = probe.prepare("SELECT group_concat(text, ' ') FROM messages").pluck().get() as string;
    const customers = probe
      .prepare("SELECT group_concat(name || coalesce(phone, '') || coalesce(email, '') || identities_json, ' ') FROM customers")
      .pluck()
      .get() as string;
    probe.close();
    expect(`${content} ${texts} ${customers}`).not.toMatch(/13800138000|13900139000|zhang\.wei|6222 0212 3456 7890/);
  });

  it('drops the content and the sync position when the view changes, keeping the outbox, drafts and attention', () => {
    cache.writer.recordMutation({ mutationId: 'mut-n', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-n', text: '已回电', createdAt: 5_000 }, agent);
    cache.writer.saveDraft({ id: 'd-1', ticketId: 'GD20240501001', text: '您好', createdAt: 5_001 }, agent);
    expect(cache.writer.adoptPiiView('masked')).toBe(false);
    expect(cache.reader.ticket('GD20240501001')).not.toBeNull();

    expect(cache.writer.adoptPiiView('clear')).toBe(true);
    expect(cache.reader.ticket('GD20240501001')).toBeNull();
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows).toEqual([]);
    expect(cache.reader.syncState()).toMatchObject({ lastSeq: 0, bootstrapped: false, bootstrapSeq: null });
    expect(cache.reader.outboxCount()).toBe(1);
    expect(cache.reader.draft('d-1')).not.toBeNull();
    expect(cache.writer.adoptPiiView('clear')).toBe(false);
  });
});

describe('the cache at rest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-cache-rest-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The database file and its WAL, as a thief copying the disk gets them. */
  function bytesOnDisk(file: string): Buffer {
    return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
  }

  it('encrypts a plaintext cache left by the previous version (killed, WAL not checkpointed) and keeps its outbox, drafts and attention items', () => {
    const subject = '增值税专用发票抬头错误';
    const written = path.join(dir, 'written', 'agent1.sqlite');
    // A customer a written reply (the draft below) can reach.
    const zhangWeiByMail: Customer = { ...customer('CUS20240501001', '张伟'), email: 'z***@example.cn' };
    // The previous version wrote exactly this: the same schema, WAL, no key.
    const old = openCache(written, null);
    old.writer.beginBootstrap();
    old.writer.applyBootstrapPage(
      {
        seq: 3,
        total: 2,
        next: null,
        bundles: [bundle(ticket('GD20240501001', { subject }), zhangWeiByMail), bundle(ticket('GD20240501002'), zhangWeiByMail)],
      },
      agent,
    );
    old.writer.recordMutation({ mutationId: 'mut-refused', kind: 'setPriority', ticketId: 'GD20240501002', priority: 'urgent', createdAt: 4_000 }, agent);
    old.writer.applyPushResults(
      [{ mutationId: 'mut-refused', ok: false, code: 'forbidden', reason: '工单已改派给赵强', ticket: ticket('GD20240501002') }],
      agent,
      4_500,
    );
    old.writer.recordMutation(
      { mutationId: 'mut-note', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-1', text: '客户要求重开发票', createdAt: 5_000 },
      agent,
    );
    expect(old.writer.saveDraft({ id: 'draft-1', ticketId: 'GD20240501001', text: '您好，发票已重新开具', createdAt: 5_001 }, agent)).toMatchObject({
      ok: true,
    });
    // kill -9: the files as they are on disk while the old version still has them open.
    const file = path.join(dir, 'users', 'agent1.sqlite');
    mkdirSync(path.dirname(file));
    for (const suffix of ['', '-wal', '-shm']) copyFileSync(`${written}${suffix}`, `${file}${suffix}`);
    old.close();
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(bytesOnDisk(file).includes(Buffer.from(subject))).toBe(true);

    const key = randomBytes(CACHE_KEY_BYTES);
    const upgraded = openCache(file, key);
    try {
      expect(upgraded.reader.outbox(10).map((e) => e.mutation.mutationId)).toEqual(['mut-note']);
      expect(upgraded.reader.draft('draft-1')).toMatchObject({ text: '您好，发票已重新开具' });
      expect(upgraded.reader.attention()).toEqual([expect.objectContaining({ mutationId: 'mut-refused', reason: '工单已改派给赵强' })]);
      expect(upgraded.reader.ticketDetail('GD20240501001')!.notes).toEqual([expect.objectContaining({ id: 'note-1', pending: true })]);
    } finally {
      upgraded.close();
    }
    const onDisk = bytesOnDisk(file);
    expect(onDisk.includes(Buffer.from(subject))).toBe(false);
    expect(onDisk.includes(Buffer.from('GD20240501001'))).toBe(false);
    expect(readdirSync(path.dirname(file)).filter((name) => name.includes('encrypting'))).toEqual([]);
    const withoutKey = new Database(file, { readonly: true });
    expect(() => withoutKey.prepare('SELECT count(*) FROM tickets').get()).toThrow(/not a database/);
    withoutKey.close();
    const again = openCache(file, key);
    expect(again.reader.outboxCount()).toBe(1);
    again.close();
  });
  /** Whether `cipher` with `key` reads the file, as SQLite3 Multiple Ciphers' shell would try it. */
  function readsWith(file: string, key: Buffer, cipher: string): boolean {
    const db = new Database(file, { readonly: true });
    try {
      applyCacheKey(db, key, cipher);
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      return true;
    } catch {
      return false;
    } finally {
      db.close();
    }
  }

  it('re-encrypts a ChaCha20 cache left by the previous version (killed, WAL not checkpointed) with AEGIS, keeping its outbox, draft and the WAL-only edit', () => {
    const key = randomBytes(CACHE_KEY_BYTES);
    const file = path.join(dir, 'users', 'agent1.sqlite');
    mkdirSync(path.dirname(file));
    const written = openCache(file, null);
    written.writer.beginBootstrap();
    written.writer.applyBootstrapPage(
      { seq: 3, total: 1, next: null, bundles: [bundle(ticket('GD20240501001'), { ...customer('CUS20240501001', '张伟'), email: 'z***@example.cn' })] },
      agent,
    );
    written.writer.recordMutation(
      { mutationId: 'mut-note', kind: 'note', ticketId: 'GD20240501001', noteId: 'note-1', text: '客户要求重开发票', createdAt: 5_000 },
      agent,
    );
    expect(written.writer.saveDraft({ id: 'draft-1', ticketId: 'GD20240501001', text: '您好，发票已重新开具', createdAt: 5_001 }, agent)).toMatchObject({
      ok: true,
    });
    written.close();
    // The previous version's file: ChaCha20 with this key, in WAL mode, killed with an edit only in its WAL.
    const previous = new Database(file);
    previous.pragma('journal_mode = DELETE');
    previous.pragma("cipher = 'chacha20'");
    previous.pragma(`rekey = "x'${key.toString('hex')}'"`);
    previous.pragma('journal_mode = WAL');
    previous.pragma('wal_autocheckpoint = 0');
    previous.prepare("UPDATE notes SET text = '客户要求重开发票（已核实）' WHERE id = 'note-1'").run();
    const killed = path.join(dir, 'killed.sqlite');
    for (const suffix of ['', '-wal', '-shm']) copyFileSync(`${file}${suffix}`, `${killed}${suffix}`);
    previous.close();
    for (const suffix of ['', '-wal', '-shm']) copyFileSync(`${killed}${suffix}`, `${file}${suffix}`);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(readsWith(file, key, 'chacha20')).toBe(true);

    // Another key opens nothing and changes nothing.
    const before = readFileSync(file);
    expect(() => openCache(file, randomBytes(CACHE_KEY_BYTES))).toThrow(/not a database/);
    expect(readFileSync(file).equals(before)).toBe(true);

    const upgraded = openCache(file, key);
    try {
      expect(upgraded.reader.outbox(10).map((e) => e.mutation.mutationId)).toEqual(['mut-note']);
      expect(upgraded.reader.draft('draft-1')).toMatchObject({ text: '您好，发票已重新开具' });
      expect(upgraded.reader.ticketDetail('GD20240501001')!.notes).toEqual([
        expect.objectContaining({ id: 'note-1', text: '客户要求重开发票（已核实）', pending: true }),
      ]);
    } finally {
      upgraded.close();
    }
    expect(readsWith(file, key, 'chacha20')).toBe(false);
    expect(readsWith(file, key, 'aegis')).toBe(true);
    expect(readdirSync(path.dirname(file)).filter((name) => name.includes('encrypting'))).toEqual([]);
    const again = openCache(file, key);
    expect(again.reader.outboxCount()).toBe(1);
    again.close();
  });
});
