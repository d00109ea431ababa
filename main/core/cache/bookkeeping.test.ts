/**
 * What the cache would otherwise keep forever: dismissed needs-attention rows and the renames
 * of tickets made offline. `pruneBookkeeping` (run when a session opens the cache) drops the
 * old ones and never a row the agent still has to see or a rename something still needs.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../../shared/domain.js';
import { provisionalIdsOf, type CreateTicketMutation } from '../../../shared/manualTicket.js';
import { DISMISSED_ATTENTION_KEPT_MAX, DISMISSED_ATTENTION_KEPT_MS, TICKET_RENAMES_KEPT_MS, openCache, type Cache } from './cache.js';

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
const DAY = 24 * 60 * 60 * 1000;

describe('pruning the cache’s bookkeeping', () => {
  let dir: string;
  let file: string;
  let cache: Cache;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cache-bookkeeping-'));
    file = path.join(dir, 'cache.sqlite');
    cache = openCache(file, null);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function listUnreadable(ticketId: string | null, at: number, count = 1): void {
    const unreadable = Array.from({ length: count }, (_, i) => ({ seq: null, ticketId, issue: `unreadable ${String(i)}`, at }));
    cache.writer.applyChanges([], 0, lead, unreadable);
  }

  function attentionRows(): Array<{ id: number; dismissed: number; at: number }> {
    const raw = new Database(file, { readonly: true });
    try {
      return raw.prepare<[], { id: number; dismissed: number; at: number }>('SELECT id, dismissed, at FROM attention ORDER BY id').all();
    } finally {
      raw.close();
    }
  }

  it('drops dismissed needs-attention rows older than the kept time, never an undismissed one however old', () => {
    listUnreadable('GD20241108001', AT, 3);
    listUnreadable('GD20241108002', AT + 20 * DAY);
    const [oldDismissed, oldKept, oldAlsoDismissed, recent] = cache.reader.attention().reverse();
    cache.writer.dismissAttention(oldDismissed!.id);
    cache.writer.dismissAttention(oldAlsoDismissed!.id);
    cache.writer.dismissAttention(recent!.id);

    expect(cache.writer.pruneBookkeeping(AT + DISMISSED_ATTENTION_KEPT_MS + 1)).toEqual({ attention: 2, renames: 0 });
    // The undismissed row stays (the agent has not seen it yet), so does the recent dismissed one.
    expect(attentionRows().map((row) => [row.id, row.dismissed])).toEqual([
      [oldKept!.id, 0],
      [recent!.id, 1],
    ]);
    expect(cache.reader.attention().map((entry) => entry.id)).toEqual([oldKept!.id]);
    // A retry of the refused action still finds the recent dismissed refusal; nothing more to prune.
    expect(cache.writer.pruneBookkeeping(AT + DISMISSED_ATTENTION_KEPT_MS + 1)).toEqual({ attention: 0, renames: 0 });
  });

  it('keeps at most the cap of dismissed rows, the newest, whatever their age', () => {
    listUnreadable(null, AT, DISMISSED_ATTENTION_KEPT_MAX + 5);
    listUnreadable(null, AT, 2);
    const all = cache.reader.attention();
    // The two newest stay undismissed; every other row is dismissed.
    for (const entry of all.slice(2)) cache.writer.dismissAttention(entry.id);

    expect(cache.writer.pruneBookkeeping(AT + DAY)).toEqual({ attention: 5, renames: 0 });
    const rows = attentionRows();
    expect(rows.filter((row) => row.dismissed === 1)).toHaveLength(DISMISSED_ATTENTION_KEPT_MAX);
    expect(rows.filter((row) => row.dismissed === 0).map((row) => row.id)).toEqual(
      all
        .slice(0, 2)
        .map((entry) => entry.id)
        .reverse(),
    );
    // The oldest five went.
    expect(rows[0]!.id).toBe(all.at(-6)!.id);
  });

  describe('renames of tickets made offline', () => {
    const ids = provisionalIdsOf(AT, '000000000042');
    const GD = 'GD20241108007';
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

    beforeEach(() => {
      expect(cache.writer.createTicket(creation, lead)).toMatchObject({ ok: true });
      cache.writer.applyPushResults([{ mutationId: 'm-create', ok: true, seq: 5, created: { ticketId: GD, customerId: 'CUS20241108003' } }], lead, AT + 10);
      expect(cache.reader.currentTicketId(ids.ticketId)).toBe(GD);
    });

    function writeRaw(sql: string): void {
      const raw = new Database(file);
      try {
        raw.prepare(sql).run();
      } finally {
        raw.close();
      }
    }

    it('keeps a rename for the kept time, then drops it', () => {
      expect(cache.writer.pruneBookkeeping(AT + 10 + TICKET_RENAMES_KEPT_MS)).toEqual({ attention: 0, renames: 0 });
      expect(cache.reader.currentTicketId(ids.ticketId)).toBe(GD);
      expect(cache.writer.pruneBookkeeping(AT + 11 + TICKET_RENAMES_KEPT_MS)).toEqual({ attention: 0, renames: 1 });
      expect(cache.reader.currentTicketId(ids.ticketId)).toBe(ids.ticketId);
    });

    it('keeps an old rename while a needs-attention row, an outbox entry or a draft still names the provisional id', () => {
      const later = AT + 11 + TICKET_RENAMES_KEPT_MS;
      listUnreadable(ids.ticketId, AT);
      writeRaw(`INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES ('m-old', '${ids.ticketId}', 'note', '{}', ${String(AT)})`);
      writeRaw(`INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d-old', '${ids.ticketId}', '草稿', ${String(AT)})`);

      expect(cache.writer.pruneBookkeeping(later)).toEqual({ attention: 0, renames: 0 });
      const [named] = cache.reader.attention();
      cache.writer.dismissAttention(named!.id);
      // Dismissed and old, the row goes; the outbox entry still holds the rename.
      expect(cache.writer.pruneBookkeeping(later)).toEqual({ attention: 1, renames: 0 });
      writeRaw("DELETE FROM outbox WHERE mutation_id = 'm-old'");
      expect(cache.writer.pruneBookkeeping(later)).toEqual({ attention: 0, renames: 0 });
      writeRaw("DELETE FROM drafts WHERE id = 'd-old'");
      expect(cache.writer.pruneBookkeeping(later)).toEqual({ attention: 0, renames: 1 });
      expect(cache.reader.currentTicketId(ids.ticketId)).toBe(ids.ticketId);
    });
  });
});
