import { afterEach, describe, expect, it } from 'vitest';
import { seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';
import { createGroupCommit } from './groupCommit.js';
import type { ChannelContact } from './store.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('group commit of inbound contacts', () => {
  it('stores the contacts of one turn in one commit, and a failing one alone rolls back', async () => {
    server = await startTestServer();
    await seedTestOrganisation(server.store, []);
    const store = server.store;
    const commits: number[] = [];
    store.onDidCommitChanges((batch) => commits.push(batch.length));
    const ingest = createGroupCommit(
      (fn) => store.withTransaction(fn),
      // Atomic on its own, as group commit requires: it writes, then fails, in its own transaction.
      (contact: ChannelContact) =>
        store.withTransaction(async () => {
          const outcome = await store.ingestInbound(contact, { now: server!.clock.now() });
          if (contact.text === '坏') throw new Error('refused inside the batch, after writing');
          return outcome;
        }),
    );
    const contact = (name: string, text: string): ChannelContact => ({ channel: 'email', customer: { name, email: `${name}@example.cn` }, text });

    const outcomes = await Promise.allSettled([
      ingest(contact('zhangwei', '订单物流查询延迟')),
      ingest(contact('lina', '坏')),
      ingest(contact('wangfang', '申请退款')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commits).toEqual([2]);
    const stored = (await store.listTickets({ id: 'lead', role: 'lead', channels: [] }, { limit: 10 })).tickets.map((t) => t.lastMessagePreview);
    expect(stored.sort()).toEqual(['申请退款', '订单物流查询延迟']);

    // Alone in its turn, a contact commits by itself.
    await ingest(contact('zhaolei', '发票'));
    expect(commits).toEqual([2, 1]);
  });
});
