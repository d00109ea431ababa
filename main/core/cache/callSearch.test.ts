/**
 * A call's message is stored as a code (`call_answered(192): Call 3:12`, issue 12) that the
 * screens say as "通话 3分12秒" in Chinese: the inbox search finds calls by the Chinese words the
 * screens say them in ("通话", "通话中", "未接来电"), as it did when the text held them, and by the
 * English after the code, on a real cache file, through the indexes and through the LIKE fallback
 * (a bootstrap's indexes off) alike. Other tickets are not found by those words.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answeredCallSubject, callMessageText } from '../../../shared/cti.js';
import type { Customer, Message, TicketBundle } from '../../../shared/domain.js';
import { heldTicket, inboundMessage, SEARCH_TEST_LEAD } from '../testing/cacheFixtures.js';
import { indexSearchNow } from '../testing/searchIndex.js';
import { CACHE_KEY_BYTES, openCache, type Cache } from './cache.js';

const lead = SEARCH_TEST_LEAD;

function customerOf(index: number): Customer {
  return {
    id: `CUS20240501${String(index).padStart(3, '0')}`,
    name: '张伟',
    phone: null,
    email: null,
    socialId: null,
    vipTier: 0,
    createdAt: 1_000,
    identities: [],
  };
}

/** A phone ticket with a subject that names no call, and one message. */
function bundleOf(index: number, text: string): TicketBundle {
  const ticket = heldTicket(index, customerOf(index).id, '订单物流查询', { channel: 'phone' });
  const message: Message = inboundMessage(`m${String(index)}`, ticket.id, text);
  return { ticket, customer: customerOf(index), messages: [message], notes: [] };
}

const ANSWERED = bundleOf(1, callMessageText({ outcome: 'answered', from: '13800138000', durationSec: 192, endedAt: 5_000 }));
const IN_PROGRESS = bundleOf(2, callMessageText({ outcome: 'answered', from: '13800138000', durationSec: 0, endedAt: null }));
const MISSED = bundleOf(3, callMessageText({ outcome: 'missed', from: '13655550123', durationSec: 0, endedAt: 5_000 }));
const CHAT = bundleOf(4, '你好，我的快递三天没有更新了。');
/** An answered call's ticket as the server names it (`来电 张伟`, shown "Call from 张伟" in English); its message names no call. */
const ANSWERED_SUBJECT: TicketBundle = (() => {
  const bundle = bundleOf(5, '客户询问退款进度');
  return { ...bundle, ticket: { ...bundle.ticket, subject: answeredCallSubject('张伟') } };
})();

describe('searching calls by the words the screens say them in', () => {
  let dir: string;
  let cache: Cache;
  const ids = (query: string) =>
    cache.reader
      .inbox({ channel: null, status: null, query, limit: 500 })
      .rows.map((row) => row.id)
      .sort();

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-call-search-'));
    cache = openCache(path.join(dir, 'lead1.sqlite'), randomBytes(CACHE_KEY_BYTES));
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage({ seq: 1, total: 5, next: null, bundles: [ANSWERED, IN_PROGRESS, MISSED, CHAT, ANSWERED_SUBJECT] }, lead);
    indexSearchNow(cache);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds answered calls by 通话, live ones by 通话中, missed ones by 未接来电, all of them by "call"; through the indexes and LIKE alike', () => {
    expect(cache.reader.searchIndexProgress()).toBeNull();
    const expected = {
      通话: [ANSWERED.ticket.id, IN_PROGRESS.ticket.id].sort(),
      通话中: [IN_PROGRESS.ticket.id],
      未接来电: [MISSED.ticket.id],
      未接: [MISSED.ticket.id],
      请回拨: [MISSED.ticket.id],
      call: [ANSWERED.ticket.id, IN_PROGRESS.ticket.id, MISSED.ticket.id, ANSWERED_SUBJECT.ticket.id].sort(),
      // The English inbox shows `来电 张伟` as "Call from 张伟": its words find it (the missed call's text says "Missed call from").
      'Call from': [MISSED.ticket.id, ANSWERED_SUBJECT.ticket.id].sort(),
      'call fr': [MISSED.ticket.id, ANSWERED_SUBJECT.ticket.id].sort(),
      from: [MISSED.ticket.id, ANSWERED_SUBJECT.ticket.id].sort(),
      来电: [MISSED.ticket.id, ANSWERED_SUBJECT.ticket.id].sort(),
      退款: [ANSWERED_SUBJECT.ticket.id],
      'missed call': [MISSED.ticket.id],
      '通话 张伟': [ANSWERED.ticket.id, IN_PROGRESS.ticket.id].sort(),
      // The words name calls only: the chat about a parcel is found by its own words, no call by them.
      快递: [CHAT.ticket.id],
      话: [],
    };
    for (const [query, found] of Object.entries(expected)) expect({ query, ids: ids(query) }).toEqual({ query, ids: found });
    // A bootstrap switches the indexes off: the same answers through LIKE.
    cache.writer.beginBootstrap();
    for (const [query, found] of Object.entries(expected)) expect({ query, ids: ids(query), like: true }).toEqual({ query, ids: found, like: true });
  });
});
