/**
 * The 2-character search index (migration 018) on a real, encrypted cache file: 2-character
 * Chinese words found in subjects, customer names and messages; live changes (new messages,
 * edits, renamed customers, tickets leaving) keep it right; and every query answers exactly
 * what the LIKE fallback (the path taken while a bootstrap has the indexes off) answers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Customer, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { heldTicket, inboundMessage, SEARCH_TEST_LEAD } from '../testing/cacheFixtures.js';
import { CACHE_KEY_BYTES, openCache, type Cache } from './cache.js';
import { indexSearchNow } from '../testing/searchIndex.js';
import { isBigramTerm, searchBigrams } from './searchBigrams.js';

const lead = SEARCH_TEST_LEAD;

const SUBJECTS = ['订单物流查询延迟', '退款进度咨询', '发票开具申请', 'Refund for order', 'Fwd: 发票抬头修改 / invoice', '会员积分未到账'];
const NAMES = ['张伟', '王芳', '李秀英', 'Wang Lei', '陈建华', '赵敏'];
const TEXTS = [
  '您好，我的快递三天没有更新了，麻烦查一下物流。',
  '请问退款什么时候到账？银行说没有收到。',
  'Please send the VAT invoice (增值税发票) to my e-mail.',
  '收到的杯子碎了，希望换货或者退款。',
  '地址填错了，能改成公司地址吗？电话13800138000',
  '好的，谢谢！',
];

function customerOf(index: number): Customer {
  return {
    id: `CUS20240501${String(index).padStart(3, '0')}`,
    name: NAMES[index % NAMES.length]!,
    phone: index % 3 === 0 ? `1380013${String(8000 + index)}` : null,
    email: index % 3 === 1 ? `c${String(index)}@example.cn` : null,
    socialId: null,
    vipTier: 0,
    createdAt: 1_000,
    identities: [],
  };
}

function ticketOf(index: number, overrides: Partial<Ticket> = {}): Ticket {
  return heldTicket(index, customerOf(index).id, SUBJECTS[index % SUBJECTS.length]!, overrides);
}

const messageOf = inboundMessage;

function bundleOf(index: number): TicketBundle {
  const ticket = ticketOf(index);
  const messages = [TEXTS[index % TEXTS.length]!, TEXTS[(index * 5 + 1) % TEXTS.length]!].map((text, k) =>
    messageOf(`m${String(index)}-${String(k)}`, ticket.id, text),
  );
  return { ticket, customer: customerOf(index), messages, notes: [] };
}

/** Queries that exercise every path: 2-character Chinese (common, in names only, in messages only, absent), mixed, longer, ASCII, numbers. */
const QUERIES = [
  '退款',
  '发票',
  '物流',
  '张伟',
  '秀英',
  '杯子',
  '地址',
  '鳄鱼',
  '款到',
  '退款 发票',
  '发票 invoice',
  '退款进度',
  '发票开具',
  'VAT',
  'in',
  '13800138000',
  '1380',
  '快递三天 物流',
  '。',
  '）',
];

describe('the 2-character search index', () => {
  let dir: string;
  let cache: Cache;
  const ids = (query: string) => cache.reader.inbox({ channel: null, status: null, query, limit: 500 }).rows.map((row) => row.id);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-bigrams-'));
    cache = openCache(path.join(dir, 'lead1.sqlite'), randomBytes(CACHE_KEY_BYTES));
    cache.writer.beginBootstrap();
    const bundles = Array.from({ length: 60 }, (_, i) => bundleOf(i));
    cache.writer.applyBootstrapPage({ seq: 1, total: bundles.length, next: 'GD20240501029', bundles: bundles.slice(0, 30) }, lead);
    cache.writer.applyBootstrapPage({ seq: 1, total: bundles.length, next: null, bundles: bundles.slice(30) }, lead);
    indexSearchNow(cache, 7);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the pairs of adjacent non-ASCII characters, once each, and answers only 2-character non-ASCII terms', () => {
    expect(searchBigrams('退款退款, 发票 a发b')).toBe('退款 款退 发票');
    expect(searchBigrams('Fwd: 发票抬头')).toBe('发票 票抬 抬头');
    expect(searchBigrams('（客户）')).toBe('（客 客户 户）');
    expect(searchBigrams(null)).toBe('');
    expect(isBigramTerm('退款')).toBe(true);
    expect(isBigramTerm('退')).toBe(false);
    expect(isBigramTerm('退款进')).toBe(false);
    expect(isBigramTerm('A货')).toBe(false);
    expect(isBigramTerm('ab')).toBe(false);
  });

  it('finds a 2-character word in the subject, the customer name or a message', () => {
    const bySubject = ticketOf(100, { subject: '咨询鳄鱼皮包' });
    const byName = ticketOf(101, { subject: 'Hello' });
    const byMessage = ticketOf(102, { subject: 'Hello' });
    cache.writer.applyChanges(
      [
        { seq: 2, kind: 'bundle', bundle: { ticket: bySubject, customer: customerOf(100), messages: [], notes: [] } },
        { seq: 3, kind: 'bundle', bundle: { ticket: byName, customer: { ...customerOf(101), name: '鳄鱼先生' }, messages: [], notes: [] } },
        {
          seq: 4,
          kind: 'bundle',
          bundle: { ticket: byMessage, customer: customerOf(102), messages: [messageOf('m102', byMessage.id, '我想买鳄鱼')], notes: [] },
        },
      ],
      4,
      lead,
    );
    expect(ids('鳄鱼').sort()).toEqual([bySubject.id, byName.id, byMessage.id].sort());
    expect(ids('皮包')).toEqual([bySubject.id]);
    expect(ids('先生')).toEqual([byName.id]);
  });

  it('follows new and edited messages, renamed customers, changed subjects and tickets that leave', () => {
    const first = ticketOf(0);
    expect(ids('熊猫')).toEqual([]);
    cache.writer.applyChanges([{ seq: 2, kind: 'message', message: messageOf('m-new', first.id, '熊猫玩具坏了'), ticket: first }], 2, lead);
    expect(ids('熊猫')).toEqual([first.id]);
    // The same message again, changed: the old words go, the new ones come.
    cache.writer.applyChanges([{ seq: 3, kind: 'message', message: messageOf('m-new', first.id, '老虎玩具坏了'), ticket: first }], 3, lead);
    expect(ids('熊猫')).toEqual([]);
    expect(ids('老虎')).toEqual([first.id]);

    cache.writer.applyChanges([{ seq: 4, kind: 'customer', customer: { ...customerOf(0), name: '欧阳娜娜' } }], 4, lead);
    expect(ids('欧阳')).toEqual([first.id]);
    expect(ids('老虎')).toEqual([first.id]);

    cache.writer.applyChanges([{ seq: 5, kind: 'ticket', ticket: { ...first, subject: '长颈鹿' } }], 5, lead);
    expect(ids('颈鹿')).toEqual([first.id]);
    expect(ids('欧阳')).toEqual([first.id]);

    // A reply written here (optimistic, before the server has it; an e-mail ticket, so it has a route) is found at once.
    const emailTicket = ticketOf(7);
    expect(emailTicket.channel).toBe('email');
    expect(
      cache.writer.recordMutation(
        { mutationId: 'r1', kind: 'reply', ticketId: emailTicket.id, messageId: 'm-reply', text: '已为您登记斑马', createdAt: 3_000 },
        lead,
      ),
    ).toMatchObject({ ok: true });
    expect(ids('斑马')).toEqual([emailTicket.id]);

    // A bootstrap again that no longer returns the ticket sweeps it, and its words with it.
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage({ seq: 6, total: 1, next: null, bundles: [bundleOf(1)] }, lead);
    indexSearchNow(cache);
    expect(ids('老虎')).toEqual([]);
    expect(ids('颈鹿')).toEqual([]);
    expect(ids('斑马')).toEqual([]);
    expect(ids('退款').length).toBeGreaterThan(0);
  });

  it('keeps the counts every query shares (views, unread, assignees) right across writes', () => {
    const viewer = { userId: 'lead1', heldOnly: false, now: 5_000 };
    const counts = (query: string) => {
      const { viewCounts, unreadCount, assignees, exists } = cache.reader.inbox({ channel: null, status: null, query }, viewer);
      return { viewCounts, unreadCount, assignees, exists };
    };
    const before = counts('');
    expect(counts('退款')).toEqual(before);
    expect(before.viewCounts).toEqual({ mine: 60, unassigned: 0, all: 60 });
    const first = ticketOf(0);
    cache.writer.applyChanges(
      [
        { seq: 2, kind: 'ticket', ticket: { ...first, assigneeId: null, assigneeName: null, status: 'unassigned' } },
        { seq: 3, kind: 'message', message: messageOf('m-unread', ticketOf(1).id, '还没到'), ticket: ticketOf(1) },
      ],
      3,
      lead,
    );
    const after = counts('退款');
    expect(after.viewCounts).toEqual({ mine: 59, unassigned: 1, all: 60 });
    expect(after.unreadCount).toBe(before.unreadCount + 1);
    expect(after.assignees).toEqual([{ id: 'lead1', name: '王组长', count: 59 }]);
    expect(counts('')).toEqual(after);
  });

  it('gives the same first window and counts as the whole list, whichever way a window is found', () => {
    const viewer = { userId: 'lead1', heldOnly: false, now: 5_000 };
    // Some tickets out of the default views and out of the insertion order, so the walk and the sort by activity differ from rowid order.
    cache.writer.applyChanges(
      [0, 7, 13, 22, 41].map((index, k) => ({
        seq: 2 + k,
        kind: 'ticket' as const,
        ticket: { ...ticketOf(index), status: k % 2 === 0 ? ('completed' as const) : ('in_progress' as const), lastMessageAt: 90_000 + k },
      })),
      6,
      lead,
    );
    const agree = () => {
      for (const query of [...QUERIES, '']) {
        for (const status of [null, 'open'] as const) {
          for (const sort of ['activity', 'sla', 'priority'] as const) {
            const filter = { channel: null, status, query, sort };
            const whole = cache.reader.inbox({ ...filter, limit: 500 }, viewer);
            const { rows, offset, ...counts } = whole;
            // Windows small and large, at the top and deeper: a few hits start from the hits, many walk the list (windowPlan).
            for (const [windowOffset, limit] of [
              [0, 1],
              [0, 5],
              [0, 10],
              [0, 50],
              [3, 7],
              [20, 20],
            ] as const) {
              const first = cache.reader.inboxRows({ ...filter, offset: windowOffset, limit }, viewer);
              const expected = rows.slice(windowOffset, windowOffset + limit);
              expect({ query, status, sort, windowOffset, limit, ids: first.rows.map((row) => row.id) }).toEqual({
                query,
                status,
                sort,
                windowOffset,
                limit,
                ids: expected.map((row) => row.id),
              });
              expect(first.rows).toEqual(expected);
              expect(first.more).toBe(whole.total > windowOffset + limit);
              expect(cache.reader.inboxWindow({ ...filter, offset: windowOffset, limit }, viewer)).toEqual({
                rows: expected,
                offset: windowOffset,
                total: whole.total,
              });
            }
            expect(offset).toBe(0);
            expect(cache.reader.inboxCounts(filter, viewer)).toEqual(counts);
            expect(whole.total).toBe(rows.length);
          }
        }
      }
    };
    agree();
    // While a bootstrap has the indexes off every term is looked for with LIKE: the same agreement.
    cache.writer.beginBootstrap();
    agree();
  });

  it('answers every query exactly as the LIKE fallback does', () => {
    expect(cache.reader.searchIndexProgress()).toBeNull();
    const indexed = new Map(QUERIES.map((query) => [query, ids(query)]));
    // A bootstrap switches the indexes off: the same rows are then searched with LIKE.
    cache.writer.beginBootstrap();
    for (const query of QUERIES) expect({ query, ids: ids(query) }).toEqual({ query, ids: indexed.get(query) });
    // And the queries are not vacuous: each common word finds some tickets but not all.
    for (const query of ['退款', '发票', '物流', '秀英', '杯子', '地址']) expect(indexed.get(query)!.length).toBeGreaterThan(0);
    expect(indexed.get('退款')!.length).toBeLessThan(60);
    expect(indexed.get('鳄鱼')).toEqual([]);
  });
});
