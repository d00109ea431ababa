/**
 * A reply the workstation accepted locally (it sits in the outbox) that the server refuses once
 * the connection is back, with the real server and the real encrypted SQLite cache: the
 * optimistic message goes, but what the agent wrote stays with its "needs attention" item,
 * across a restart of the workstation, until they dismiss it; it never shows in another
 * user's core on the same machine.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { openServerStore } from '../../server/store.js';
import { ATTENTION_PAGE_SIZE, ATTENTION_PREVIEW_CHARS, type AttentionItem } from '../../shared/rpc.js';
import { assignByLead, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import { openCache } from './cache/cache.js';
import { unlockCacheKey, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture } from './testing/seededServer.js';

const AGENT1 = { username: 'agent1', displayName: '王芳' };
const AGENT2 = { username: 'agent2', displayName: '张强' };

describe('the text of a refused reply', () => {
  const fixture = seededServerFixture('attention-content', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));
  const { newCore, closeCore, stopServer, restartServer } = fixture;
  let dataDir: string;
  let ticketA: string;

  beforeEach(async () => {
    dataDir = fixture.dataDir();
    const { store } = fixture.server();
    await seedTestOrganisation(store, [
      { ...AGENT1, channels: ['chat'] },
      { ...AGENT2, channels: ['chat'] },
    ]);
    ({ ticketId: ticketA } = await store.ingestInbound(
      {
        channel: 'chat',
        customer: { name: '张伟', phone: '13800138000', email: '13800138000@example.cn' },
        subject: '订单物流查询延迟',
        text: '订单物流查询延迟，麻烦尽快回复',
      },
      { now: Date.now() },
    ));
    await assignByLead(store, ticketA, AGENT1);
  });

  it('keeps the reply text with its attention item across a restart, drops it on dismissal, and never shows it to another user', async () => {
    const first = await newCore();
    await call(first, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(first, 'online', onlineAndIdle(first));
    const agent1 = (await call(first, 'session.get', {})).user!;
    await stopServer();
    await waitUntil(first, 'offline', async () => (await connectionOf(first)).status === 'offline');
    await closeCore(first);

    // The long answer the workstation accepted into its outbox just as the connection went
    // (`recordMutation` is what `ticket.reply` does online; offline it would be a draft, kept anyway).
    const replyText = `您好，关于您的订单物流：${'包裹已到达上海转运中心，预计明天送达。'.repeat(150)}如有疑问请随时联系。`;
    const key = await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD);
    if (!key) throw new Error("agent1's password must open their cache key");
    const cache = openCache(userCacheFile(dataDir, 'agent1'), key);
    const mutationId = randomUUID();
    const recorded = cache.writer.recordMutation(
      { mutationId, kind: 'reply', ticketId: ticketA, messageId: randomUUID(), text: replyText, createdAt: Date.now() },
      agent1,
    );
    expect(recorded.ok).toBe(true);
    cache.close();

    // Meanwhile the lead gives the ticket to 张强.
    const store = openServerStore({ filePath: path.join(fixture.serverDir(), 'server.sqlite') });
    await assignByLead(store, ticketA, AGENT2);
    await store.close();
    const server = await restartServer();

    const second = await newCore();
    await waitUntil(second, 'the refused reply is settled', onlineAndIdle(second));
    expect((await server.store.getTicketBundle(ticketA))!.messages.filter((m) => m.text === replyText)).toEqual([]);
    const {
      items: [item, ...others],
      total,
      next,
    } = await call(second, 'attention.list', {});
    expect(others).toEqual([]);
    expect([total, next]).toEqual([1, null]);
    expect(item).toMatchObject({ ticketId: ticketA, kind: 'reply', refusal: { code: 'reassigned', assigneeName: '张强' }, ticketAvailable: false });
    // The list carries what the dialog shows before "show all"; the whole text comes on request.
    expect(item!.content).toEqual({ text: [...replyText].slice(0, ATTENTION_PREVIEW_CHARS).join(''), textChars: [...replyText].length });
    expect(await call(second, 'attention.content', { id: item!.id })).toEqual({ content: { text: replyText } });

    // A restart of the workstation: the same SQLite file still holds it.
    await closeCore(second);
    const third = await newCore();
    await waitUntil(third, 'online', onlineAndIdle(third));
    const kept = (await call(third, 'attention.list', {})).items;
    expect(kept.map((entry) => [entry.id, entry.content?.textChars])).toEqual([[item!.id, [...replyText].length]]);
    expect(await call(third, 'attention.content', { id: item!.id })).toEqual({ content: { text: replyText } });

    // Another user on this machine (their own core and cache) sees none of it, though the ticket is now theirs.
    await call(third, 'session.signOut', {});
    await call(third, 'session.signIn', { username: 'agent2', password: TEST_PASSWORD });
    await waitUntil(third, 'agent2 online', onlineAndIdle(third));
    expect(await call(third, 'attention.list', {})).toEqual({ items: [], total: 0, next: null });
    await expect(call(third, 'attention.content', { id: item!.id })).rejects.toThrow(/not_found/);
    expect((await call(third, 'ticket.get', { ticketId: ticketA })).messages.map((m) => m.text)).not.toContain(replyText);
    await call(third, 'session.signOut', {});

    // Dismissed: the item goes, and the text with it (the row stays a while for retries, without what was written).
    await call(third, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(third, 'agent1 online again', onlineAndIdle(third));
    await call(third, 'attention.dismiss', { id: item!.id });
    expect(await call(third, 'attention.list', {})).toEqual({ items: [], total: 0, next: null });
    await expect(call(third, 'attention.content', { id: item!.id })).rejects.toThrow(/not_found/);
    await closeCore(third);
    const reopened = openCache(userCacheFile(dataDir, 'agent1'), await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD));
    try {
      expect(reopened.reader.refusal(mutationId)).toMatchObject({ id: item!.id, code: item!.code, content: null });
    } finally {
      reopened.close();
    }
  });

  it('lists hundreds of refused replies a page at a time, each with a preview, the whole text on request', async () => {
    const first = await newCore();
    await call(first, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(first, 'online', onlineAndIdle(first));
    const agent1 = (await call(first, 'session.get', {})).user!;
    await stopServer();
    await waitUntil(first, 'offline', async () => (await connectionOf(first)).status === 'offline');
    await closeCore(first);

    // A long shift's replies waiting in the outbox, each long; then the ticket goes to 张强.
    const refused = 260;
    const textOf = (n: number) => `第${String(n).padStart(4, '0')}条回复：${'包裹已到达上海转运中心，预计明天送达。'.repeat(40)}`;
    const cache = openCache(userCacheFile(dataDir, 'agent1'), await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD));
    for (let n = 0; n < refused; n += 1) {
      const mutation = { mutationId: randomUUID(), kind: 'reply' as const, ticketId: ticketA, messageId: randomUUID(), text: textOf(n), createdAt: Date.now() };
      expect(cache.writer.recordMutation(mutation, agent1).ok).toBe(true);
    }
    cache.close();
    const store = openServerStore({ filePath: path.join(fixture.serverDir(), 'server.sqlite') });
    await assignByLead(store, ticketA, AGENT2);
    await store.close();
    await restartServer();
    const second = await newCore();
    await waitUntil(second, 'every reply refused', onlineAndIdle(second), 150_000);
    expect((await connectionOf(second)).attentionCount).toBe(refused);

    // The first page: a page of items, each text cut to what the dialog shows, and the count of all.
    const firstPage = await call(second, 'attention.list', {});
    expect(firstPage.total).toBe(refused);
    expect(firstPage.items).toHaveLength(ATTENTION_PAGE_SIZE);
    for (const item of firstPage.items) {
      expect([...item.content!.text].length).toBe(ATTENTION_PREVIEW_CHARS);
      expect(item.content!.textChars).toBe([...textOf(0)].length);
    }
    // What one reload sends is a page of previews, not every text kept (here 260 × ~800 characters).
    expect(JSON.stringify(firstPage).length).toBeLessThan(ATTENTION_PAGE_SIZE * 2_000);

    // The rest on demand, newest first, each item once.
    const seen: AttentionItem[] = [...firstPage.items];
    let next = firstPage.next;
    while (next !== null) {
      const page = await call(second, 'attention.list', { before: next, limit: 100 });
      expect(page.items.every((item) => item.id < next!)).toBe(true);
      seen.push(...page.items);
      next = page.next;
    }
    expect(new Set(seen.map((item) => item.id)).size).toBe(refused);
    expect(seen.map((item) => item.id)).toEqual([...seen.map((item) => item.id)].sort((a, b) => b - a));
    // The oldest refusal is the first reply written; its whole text is there when asked for.
    expect(await call(second, 'attention.content', { id: seen.at(-1)!.id })).toEqual({ content: { text: textOf(0) } });
    expect(await call(second, 'attention.content', { id: seen[0]!.id })).toEqual({ content: { text: textOf(refused - 1) } });
  }, 180_000);
});
