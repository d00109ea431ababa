/**
 * The search indexes are built after a bootstrap by a walk, a chunk per transaction (cache
 * migration 023), while the agent already works and changes keep arriving. Whatever happens
 * around the walk, its end must leave exactly the indexes a rebuild from the rows gives: the
 * three indexes' vocabularies are compared with a full rebuild on the same file.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Customer, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { heldTicket, inboundMessage, SEARCH_TEST_LEAD } from '../testing/cacheFixtures.js';
import { indexSearchNow } from '../testing/searchIndex.js';
import { applyCacheKey, CACHE_KEY_BYTES, openCache, type Cache } from './cache.js';
import { REBUILD_SEARCH_SQL } from './migrations/008-deferred-search.js';
import { REBUILD_BIGRAMS_SQL } from './migrations/018-bigram-search.js';
import { registerSearchFunctions } from './searchBigrams.js';

const lead = SEARCH_TEST_LEAD;

const SUBJECTS = ['订单物流查询延迟', '退款进度咨询', '发票开具申请', 'Refund for order', '会员积分未到账'];
const TEXTS = ['快递三天没有更新了，麻烦查一下物流。', '请问退款什么时候到账？', 'Please send the VAT invoice (增值税发票).', '杯子碎了，希望换货。'];
const TICKETS = 40;

const idOf = (index: number) => `GD20240501${String(index).padStart(3, '0')}`;

function customerOf(index: number, name = `客户${String(index)}号`): Customer {
  return { id: `CUS${String(index)}`, name, phone: null, email: `c${String(index)}@example.cn`, socialId: null, vipTier: 0, createdAt: 1_000, identities: [] };
}

function ticketOf(index: number, overrides: Partial<Ticket> = {}): Ticket {
  return heldTicket(index, customerOf(index).id, SUBJECTS[index % SUBJECTS.length]!, overrides);
}

const messageOf = inboundMessage;

function bundleOf(index: number): TicketBundle {
  const ticket = ticketOf(index);
  const messages = [0, 1].map((k) => messageOf(`m${String(index)}-${String(k)}`, ticket.id, TEXTS[(index + k) % TEXTS.length]!));
  return { ticket, customer: customerOf(index), messages, notes: [] };
}

describe('the search walk after a bootstrap', () => {
  let dir: string;
  let key: Buffer;
  let cache: Cache;
  let seq = 1;
  const ids = (query: string) => cache.reader.inbox({ channel: null, status: null, query, limit: 500 }).rows.map((row) => row.id);
  const apply = (changes: Parameters<Cache['writer']['applyChanges']>[0]) => {
    seq += changes.length;
    cache.writer.applyChanges(changes, seq, lead);
  };

  /** Each index's terms with their row and occurrence counts (fts5vocab), as a sorted list. */
  function vocabularies(db: Database.Database): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const table of ['ticket_fts', 'message_fts', 'ticket_bigrams']) {
      db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_vocab USING fts5vocab(main, ${table}, row)`);
      result[table] = db
        .prepare<[], { term: string; doc: number; cnt: number }>(`SELECT term, doc, cnt FROM temp.${table}_vocab ORDER BY term`)
        .all()
        .map(({ term, doc, cnt }) => `${term}:${String(doc)}:${String(cnt)}`);
    }
    return result;
  }

  /** The walked indexes against a rebuild from the rows, on the closed cache's file. */
  function expectIndexesAsRebuilt(): void {
    cache.close();
    const db = new Database(path.join(dir, 'lead1.sqlite'));
    try {
      applyCacheKey(db, key);
      registerSearchFunctions(db);
      db.exec("INSERT INTO ticket_fts (ticket_fts) VALUES ('integrity-check'); INSERT INTO message_fts (message_fts) VALUES ('integrity-check');");
      const walked = vocabularies(db);
      db.exec(REBUILD_SEARCH_SQL);
      db.exec(REBUILD_BIGRAMS_SQL);
      const rebuilt = vocabularies(db);
      for (const terms of Object.values(walked)) expect(terms.length).toBeGreaterThan(10);
      expect(walked).toEqual(rebuilt);
    } finally {
      db.close();
      cache = openCache(path.join(dir, 'lead1.sqlite'), key);
    }
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-search-walk-'));
    key = randomBytes(CACHE_KEY_BYTES);
    cache = openCache(path.join(dir, 'lead1.sqlite'), key);
    cache.writer.beginBootstrap();
    const bundles = Array.from({ length: TICKETS }, (_, i) => bundleOf(i));
    cache.writer.applyBootstrapPage({ seq: 1, total: TICKETS, next: idOf(19), bundles: bundles.slice(0, 20) }, lead);
    cache.writer.applyBootstrapPage({ seq: 1, total: TICKETS, next: null, bundles: bundles.slice(20) }, lead);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the indexes to a walk: search answers at once (with LIKE), and the same once indexed', () => {
    expect(cache.reader.searchIndexProgress()).toEqual({ done: 0, total: TICKETS });
    const before = ['退款', '物流查询', 'VAT', '客户7号'].map((query) => ids(query));
    expect(before[0]!.length).toBeGreaterThan(0);
    expect(cache.writer.indexSearchChunk(10)).toEqual({ done: 10, total: TICKETS });
    indexSearchNow(cache, 10);
    expect(cache.reader.searchIndexProgress()).toBeNull();
    expect(cache.writer.indexSearchChunk(10)).toBeNull();
    expect(['退款', '物流查询', 'VAT', '客户7号'].map((query) => ids(query))).toEqual(before);
    expectIndexesAsRebuilt();
  });

  it('ends with the indexes a rebuild gives, whatever changed on either side of the walk meanwhile', () => {
    // Tickets 0–14 and messages up to the 30th indexed; the rest not yet.
    for (let chunk = 0; chunk < 3; chunk += 1) expect(cache.writer.indexSearchChunk(5)).not.toBeNull();
    const passed = ticketOf(2);
    const ahead = ticketOf(33);
    apply([
      // New messages on a ticket the walk passed and on one it has not reached.
      { seq: 0, kind: 'message', message: messageOf('new-passed', passed.id, '熊猫玩具坏了'), ticket: passed },
      { seq: 0, kind: 'message', message: messageOf('new-ahead', ahead.id, '老虎玩具坏了'), ticket: ahead },
      // An indexed message edited, one ahead edited.
      { seq: 0, kind: 'message', message: messageOf('m3-0', idOf(3), '长颈鹿的包裹'), ticket: ticketOf(3) },
      { seq: 0, kind: 'message', message: messageOf('m35-1', idOf(35), '斑马的包裹'), ticket: ticketOf(35) },
      // Customers renamed on both sides, subjects changed on both sides.
      { seq: 0, kind: 'customer', customer: customerOf(4, '欧阳娜娜') },
      { seq: 0, kind: 'customer', customer: customerOf(36, '司马相如') },
      { seq: 0, kind: 'ticket', ticket: ticketOf(5, { subject: '咨询鳄鱼皮包' }) },
      { seq: 0, kind: 'ticket', ticket: ticketOf(37, { subject: '咨询鸵鸟皮包' }) },
      // A ticket that arrives after the bootstrap: its rows come after every walked one.
      { seq: 0, kind: 'bundle', bundle: { ...bundleOf(90), messages: [messageOf('m90', idOf(90), '企鹅快递')] } },
    ]);
    expect(cache.writer.indexSearchChunk(5)).not.toBeNull();
    // A reply written here on a walked ticket (optimistic, before the server has it; an e-mail ticket).
    const emailTicket = ticketOf(7);
    expect(emailTicket.channel).toBe('email');
    expect(
      cache.writer.recordMutation(
        { mutationId: 'r1', kind: 'reply', ticketId: emailTicket.id, messageId: 'm-reply', text: '已为您登记海豚', createdAt: 3_000 },
        lead,
      ),
    ).toMatchObject({ ok: true });
    indexSearchNow(cache, 5);
    for (const [query, expected] of [
      ['熊猫', [passed.id]],
      ['老虎', [ahead.id]],
      ['颈鹿', [idOf(3)]],
      ['斑马', [idOf(35)]],
      ['欧阳', [idOf(4)]],
      ['司马相如', [idOf(36)]],
      ['鳄鱼', [idOf(5)]],
      ['鸵鸟皮包', [idOf(37)]],
      ['企鹅', [idOf(90)]],
      ['海豚', [emailTicket.id]],
    ] as const) {
      expect({ query, ids: ids(query) }).toEqual({ query, ids: expected });
    }
    expectIndexesAsRebuilt();
  });

  it('stores pages without the triggers it sets aside, and every trigger is as before after each page, stored or failed', () => {
    const triggers = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        applyCacheKey(db, key);
        return db.prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all();
      } finally {
        db.close();
      }
    };
    const fresh = openCache(path.join(dir, 'fresh.sqlite'), key);
    fresh.close();
    const expected = triggers(path.join(dir, 'fresh.sqlite'));
    expect(expected.filter((trigger) => /search_(tickets|messages)_upto/.test(trigger.sql))).toHaveLength(16);
    // The two pages of beforeEach were stored with the triggers set aside (both walk positions 0).
    expect(triggers(path.join(dir, 'lead1.sqlite'))).toEqual(expected);

    // A page that fails half-way (a ticket without a subject) rolls back with its rows and the triggers' drop.
    cache.writer.requireRefetch();
    cache.writer.beginBootstrap();
    const broken = { ...bundleOf(61), ticket: { ...ticketOf(61), subject: null as unknown as string } };
    expect(() => cache.writer.applyBootstrapPage({ seq: 9, total: 2, next: null, bundles: [bundleOf(60), broken] }, lead)).toThrow(/NOT NULL/);
    expect(cache.reader.ticket(idOf(60))).toBeNull();
    expect(triggers(path.join(dir, 'lead1.sqlite'))).toEqual(expected);
    cache.writer.applyBootstrapPage({ seq: 9, total: 1, next: null, bundles: [bundleOf(60)] }, lead);
    expect(triggers(path.join(dir, 'lead1.sqlite'))).toEqual(expected);
    indexSearchNow(cache, 5);
    expectIndexesAsRebuilt();
  });

  it('goes on where it was after the cache is closed mid-walk, and starts again from nothing after another bootstrap', () => {
    expect(cache.writer.indexSearchChunk(8)).toEqual({ done: 8, total: TICKETS });
    cache.close();
    cache = openCache(path.join(dir, 'lead1.sqlite'), key);
    expect(cache.reader.searchIndexProgress()).toEqual({ done: 8, total: TICKETS });
    indexSearchNow(cache, 8);
    expectIndexesAsRebuilt();

    // A must-refetch: while the pages come nothing is walked, and what the old indexes held goes.
    cache.writer.requireRefetch();
    cache.writer.beginBootstrap();
    expect(cache.writer.indexSearchChunk(8)).toBeNull();
    cache.writer.applyBootstrapPage({ seq: 9, total: 2, next: null, bundles: [bundleOf(1), bundleOf(2)] }, lead);
    expect(cache.reader.searchIndexProgress()?.done).toBe(0);
    indexSearchNow(cache, 1);
    expect(ids('退款').length).toBeGreaterThan(0);
    expect(ids('退款').every((id) => id === idOf(1) || id === idOf(2))).toBe(true);
    expectIndexesAsRebuilt();
  });
});
