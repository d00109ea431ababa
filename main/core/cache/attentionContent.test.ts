/**
 * What the agent wrote, kept with a needs-attention item: a refused mutation's content
 * (`attentionContentOf`) and what an outbox row this version cannot read still says
 * (`dropUnreadableOutbox`) come from the same fields, so the same change keeps the same words
 * whichever way it failed.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttentionContent } from '../../../shared/rpc.js';
import type { Mutation } from '../../../shared/sync.js';
import { TEST_AGENT as agent } from '../testing/cacheFixtures.js';
import { attentionContentOf, openCache, UNSENDABLE_CHANGE_CODE } from './cache.js';

const TICKET = 'GD20240501001';
const AT = 5_000;

/** One mutation of each kind that carries words (and some that carry none), with what is kept of it. */
const CASES: Array<{ mutation: Mutation; kept: AttentionContent | null }> = [
  {
    mutation: {
      mutationId: 'mut-reply',
      kind: 'reply',
      ticketId: TICKET,
      messageId: 'msg-reply',
      text: '发票已重新开具，请查收附件。',
      subject: '发票重开',
      attachments: [
        { id: 'upl-1', fileName: '发票.pdf', contentType: 'application/pdf', size: 1_024 },
        { id: 'upl-2', fileName: '清单.xlsx', contentType: 'application/vnd.ms-excel', size: 2_048 },
      ],
      createdAt: AT,
    },
    kept: { text: '发票已重新开具，请查收附件。', subject: '发票重开', fileNames: ['发票.pdf', '清单.xlsx'] },
  },
  {
    mutation: { mutationId: 'mut-reply-plain', kind: 'reply', ticketId: TICKET, messageId: 'msg-plain', text: '好的，马上处理。', createdAt: AT },
    kept: { text: '好的，马上处理。' },
  },
  {
    mutation: { mutationId: 'mut-note', kind: 'note', ticketId: TICKET, noteId: 'note-1', text: '客户要求周五前回电', createdAt: AT },
    kept: { text: '客户要求周五前回电' },
  },
  {
    mutation: {
      mutationId: 'mut-transfer',
      kind: 'transfer',
      ticketId: TICKET,
      to: { kind: 'group', group: 'billing' },
      note: '退款金额需财务核对',
      createdAt: AT,
    },
    kept: { text: '退款金额需财务核对' },
  },
  {
    mutation: { mutationId: 'mut-transfer-bare', kind: 'transfer', ticketId: TICKET, to: { kind: 'group', group: 'orders' }, note: '  ', createdAt: AT },
    kept: null,
  },
  {
    mutation: { mutationId: 'mut-escalate', kind: 'requestEscalation', ticketId: TICKET, reason: '客户第三次投诉', createdAt: AT },
    kept: { text: '客户第三次投诉' },
  },
  {
    mutation: {
      mutationId: 'mut-create',
      kind: 'createTicket',
      ticketId: TICKET,
      customer: { kind: 'existing', customerId: 'CUS20240501001' },
      channel: 'phone',
      type: 'consult',
      priority: 'normal',
      subject: '来电咨询保修',
      noteId: 'mut-create',
      note: '空调保修期内是否免费上门',
      toQueue: false,
      createdAt: AT,
    },
    kept: { text: '空调保修期内是否免费上门', subject: '来电咨询保修' },
  },
  { mutation: { mutationId: 'mut-status', kind: 'setStatus', ticketId: TICKET, status: 'completed', createdAt: AT }, kept: null },
  {
    mutation: { mutationId: 'mut-fields', kind: 'setFields', ticketId: TICKET, subCategory: '保修', result: '已解答', createdAt: AT },
    kept: null,
  },
];

describe('what the agent wrote in a change that failed', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cache-attention-content-'));
    file = path.join(dir, 'cache.sqlite');
    openCache(file, null).close();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Outbox rows as a version whose schema this one cannot read wrote them; their bodies as given. */
  function writeOutbox(rows: ReadonlyArray<{ mutationId: string; kind: string; body: Record<string, unknown> }>): void {
    const raw = new Database(file);
    const insert = raw.prepare('INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)');
    for (const row of rows) insert.run(row.mutationId, TICKET, row.kind, JSON.stringify(row.body), AT);
    raw.close();
  }

  it('is the same for a refused mutation and for the same mutation in an outbox row this version cannot read', () => {
    for (const { mutation, kept } of CASES) expect([mutation.mutationId, attentionContentOf(mutation)]).toEqual([mutation.mutationId, kept]);

    // Unreadable here: a creation time this version does not take; every field the agent wrote is as it was.
    writeOutbox(CASES.map(({ mutation }) => ({ mutationId: mutation.mutationId, kind: mutation.kind, body: { ...mutation, createdAt: 'soon' } })));
    const cache = openCache(file, null);
    try {
      cache.writer.dropUnreadableOutbox(agent, AT + 1);
      for (const { mutation, kept } of CASES) {
        const entry = cache.reader.refusal(mutation.mutationId);
        expect([mutation.mutationId, entry?.code, entry?.content]).toEqual([mutation.mutationId, UNSENDABLE_CHANGE_CODE, kept]);
      }
    } finally {
      cache.close();
    }
  });

  it("reads an unreadable row leniently: at its own kind's fields, a kind it does not know at any kind's, a malformed field as absent", () => {
    writeOutbox([
      // A newer version's kind: its words where some kind of this version keeps them.
      { mutationId: 'mut-newer', kind: 'forward', body: { kind: 'forward', text: '请转发给物流部', subject: '物流', createdAt: AT } },
      // A reply whose text is in no field a reply has: nothing of it counts.
      { mutationId: 'mut-odd-reply', kind: 'reply', body: { kind: 'reply', text: 42, note: '不是回复的字段' } },
      // A reply whose files are half readable: the names there are kept.
      {
        mutationId: 'mut-files',
        kind: 'reply',
        body: { kind: 'reply', text: '见附件', attachments: [{ fileName: '合同.pdf' }, { id: 'x' }, 'bad', null], createdAt: 'soon' },
      },
      // Not an object at all.
      { mutationId: 'mut-list', kind: 'note', body: ['客户来电'] as unknown as Record<string, unknown> },
    ]);
    const cache = openCache(file, null);
    try {
      cache.writer.dropUnreadableOutbox(agent, AT + 1);
      expect(cache.reader.refusal('mut-newer')?.content).toEqual({ text: '请转发给物流部', subject: '物流' });
      expect(cache.reader.refusal('mut-odd-reply')?.content).toBeNull();
      expect(cache.reader.refusal('mut-files')?.content).toEqual({ text: '见附件', fileNames: ['合同.pdf'] });
      expect(cache.reader.refusal('mut-list')?.content).toBeNull();
    } finally {
      cache.close();
    }
  });
});
