/**
 * The offline created-ticket id hand-over in the cache alone: a ticket made under a provisional
 * id, a note and a status change queued on it, then the server's ack — before or after the
 * server's own copy of the ticket arrived — renames every row to the GD id, rewrites the queued
 * outbox entries, and remembers the old id; a refused creation leaves nothing behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../../shared/domain.js';
import { provisionalIdsOf, type CreateTicketMutation } from '../../../shared/manualTicket.js';
import { decideCreateTicket } from '../../../shared/ticketRules.js';
import { openCache, type Cache } from './cache.js';

const lead: User = {
  id: 'lead1',
  username: 'lead1',
  displayName: '李主管',
  role: 'lead',
  channels: ['phone'],
  groups: [],
  tier: 2,
  senior: true,
  languages: ['zh'],
  extension: null,
};
const AT = Date.UTC(2024, 10, 8, 2, 0, 0);
const ids = provisionalIdsOf(AT, '000000000042');
const GD = 'GD20241108007';
const CUS = 'CUS20241108003';

const creation: CreateTicketMutation = {
  mutationId: 'm-create',
  kind: 'createTicket',
  ticketId: ids.ticketId,
  customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: '13900139000', email: null },
  channel: 'phone',
  type: 'consult',
  priority: 'normal',
  subject: '来电咨询',
  noteId: 'm-create',
  note: '客户来电',
  toQueue: false,
  createdAt: AT,
};

describe('the created-ticket id hand-over in the cache', () => {
  let dir: string;
  let cache: Cache;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cache-manual-'));
    cache = openCache(path.join(dir, 'cache.sqlite'), null);
    expect(cache.writer.createTicket(creation, lead)).toMatchObject({ ok: true, ticket: { id: ids.ticketId, customerId: ids.customerId } });
    expect(
      cache.writer.recordMutation(
        { mutationId: 'm-note', kind: 'note', ticketId: ids.ticketId, noteId: 'm-note', text: '约明天上门', createdAt: AT + 1 },
        lead,
      ),
    ).toMatchObject({ ok: true });
    expect(
      cache.writer.recordMutation({ mutationId: 'm-status', kind: 'setStatus', ticketId: ids.ticketId, status: 'awaiting_customer', createdAt: AT + 2 }, lead),
    ).toMatchObject({ ok: true });
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function expectRenamed(): void {
    expect(cache.reader.ticket(ids.ticketId)).toBeNull();
    expect(cache.reader.currentTicketId(ids.ticketId)).toBe(GD);
    const detail = cache.reader.ticketDetail(ids.ticketId)!;
    expect(detail.ticket).toMatchObject({ id: GD, customerId: CUS, status: 'awaiting_customer' });
    expect(detail.customer).toMatchObject({ id: CUS, name: '赵敏' });
    expect(detail.notes.map((note) => [note.id, note.ticketId, note.pending])).toEqual([
      ['m-create', GD, false],
      ['m-note', GD, true],
    ]);
    // The queued mutations now name the GD ticket.
    expect(cache.reader.outbox(10).map((entry) => [entry.mutation.kind, entry.mutation.ticketId])).toEqual([
      ['note', GD],
      ['setStatus', GD],
    ]);
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows.map((row) => row.id)).toEqual([GD]);
    // A mutation naming the old id afterwards reaches the GD ticket.
    expect(
      cache.writer.recordMutation(
        { mutationId: 'm-late', kind: 'note', ticketId: ids.ticketId, noteId: 'm-late', text: '晚到的备注', createdAt: AT + 3 },
        lead,
      ),
    ).toMatchObject({ ok: true, effect: { note: { ticketId: GD } } });
    // So does a reply saved offline as a draft from a pane still showing the pending number (the customer now has an e-mail to reply to).
    const withEmail = {
      id: CUS,
      name: '赵敏',
      phone: '+8613900139000',
      email: 'zhao.min@example.cn',
      socialId: null,
      vipTier: 0,
      createdAt: AT,
      identities: [],
    };
    cache.writer.applyChanges([{ seq: 6, kind: 'customer', customer: withEmail }], 6, lead);
    expect(cache.writer.saveDraft({ id: 'd-late', ticketId: ids.ticketId, text: '稍后回复', createdAt: AT + 4 }, lead)).toMatchObject({
      ok: true,
      draft: { id: 'd-late', ticketId: GD },
    });
    expect(cache.reader.ticketDetail(GD)!.drafts.map((draft) => [draft.id, draft.ticketId])).toEqual([['d-late', GD]]);
  }

  it('renames the ticket, its customer, its notes and the queued outbox entries when the ack comes first', () => {
    const outcome = cache.writer.applyPushResults([{ mutationId: 'm-create', ok: true, seq: 5, created: { ticketId: GD, customerId: CUS } }], lead, AT + 10);
    expect(outcome.renamed).toEqual([{ from: ids.ticketId, to: GD }]);
    expect(outcome.ticketIds).toEqual(expect.arrayContaining([ids.ticketId, GD]) as string[]);
    expectRenamed();
  });

  it('merges into the server’s copy when its change arrived before the ack (no duplicate row)', () => {
    const made = decideCreateTicket(creation, { ticketId: GD, customerId: CUS }, lead, AT + 5, { customerVisible: true });
    if (!made.ok) throw new Error('refused');
    const customer = { id: CUS, name: '赵敏', phone: '+8613900139000', email: null, socialId: null, vipTier: 0, createdAt: AT, identities: [] };
    cache.writer.applyChanges([{ seq: 5, kind: 'bundle', bundle: { ticket: made.ticket, customer, messages: [], notes: [made.note] } }], 5, lead);
    // For a moment both rows exist: the provisional one and the server's.
    expect(cache.reader.inbox({ channel: null, status: null, query: '' }).rows).toHaveLength(2);
    cache.writer.applyPushResults([{ mutationId: 'm-create', ok: true, seq: 5, created: { ticketId: GD, customerId: CUS } }], lead, AT + 10);
    expectRenamed();
  });

  it('drops the provisional ticket and its new customer when the creation is refused', () => {
    const outcome = cache.writer.applyPushResults(
      [
        {
          mutationId: 'm-create',
          ok: false,
          code: 'forbidden',
          reason: 'no',
          refusal: { code: 'create_refused', ticketId: ids.ticketId, reason: 'channel' },
          ticket: null,
        },
      ],
      lead,
      AT + 10,
    );
    expect(outcome.attention).toEqual([
      { ticketId: ids.ticketId, reason: 'no', refusal: { code: 'create_refused', ticketId: ids.ticketId, reason: 'channel' } },
    ]);
    expect(cache.reader.ticket(ids.ticketId)).toBeNull();
    expect(cache.reader.searchCustomers('赵敏', null, 5)).toEqual([]);
  });
});
