/**
 * A reply drafted offline on a ticket the lead gives to someone else meanwhile, with the real
 * server and the real SQLite cache: once back online the ticket leaves the agent's view, but the
 * draft must not stay behind in the cache for good, shown nowhere. The ticket stays (as the
 * server has it now) with its draft until the agent copies or discards it; then it goes. The
 * same when the workstation cannot catch up and downloads everything again (the server pruned
 * its change log), where the ticket is not: the draft stays with it until discarded, then both go;
 * or until sent, which the server refuses into "needs attention" (naming who has the ticket now,
 * the text kept there), and the ticket goes.
 */
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { openServerStore } from '../../server/store.js';
import { assignByLead, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import type { ConnectionState } from '../../shared/rpc.js';
import type { WorkstationCore } from './api.js';
import { openCache } from './cache/cache.js';
import { unlockCacheKey, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture } from './testing/seededServer.js';

const AGENT1 = { username: 'agent1', displayName: '王芳' };
const AGENT2 = { username: 'agent2', displayName: '张强' };

describe('a reply drafted offline on a ticket that went to a colleague', () => {
  const fixture = seededServerFixture('orphan-draft', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));
  let ticketId: string;

  beforeEach(async () => {
    const { store } = fixture.server();
    await seedTestOrganisation(store, [
      { ...AGENT1, channels: ['email'] },
      { ...AGENT2, channels: ['email'] },
    ]);
    ({ ticketId } = await store.ingestInbound(
      { channel: 'email', customer: { name: '张伟', email: 'zhang.wei@example.cn' }, subject: '退款进度', text: '退款什么时候到账？' },
      { now: Date.now() },
    ));
    await assignByLead(store, ticketId, AGENT1);
  });

  /** agent1 online, then offline with a reply drafted on the ticket. */
  async function draftOffline(text: string): Promise<{ core: WorkstationCore; draftId: string }> {
    const core = await fixture.newCore();
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    await fixture.stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    const replied = await call(core, 'ticket.reply', { ticketId, text });
    if (replied.kind !== 'draft') throw new Error('offline, a reply is a draft');
    return { core, draftId: replied.draft.id };
  }

  /** Discards the draft; the next catch-up takes the ticket, and nothing of either is left in the cache file. */
  async function discardAndCheckGone(core: WorkstationCore, draftId: string): Promise<void> {
    await call(core, 'draft.discard', { draftId });
    await fixture.stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    await fixture.restartServer();
    await waitUntil(core, 'online after discarding', onlineAndIdle(core));
    expect((await core.invoke('ticket.get', { ticketId })).ok).toBe(false);
    await fixture.closeCore(core);
    const cache = openCache(userCacheFile(fixture.dataDir(), 'agent1'), await unlockCacheKey(fixture.dataDir(), 'agent1', TEST_PASSWORD));
    try {
      expect(cache.reader.draft(draftId)).toBeNull();
      expect(cache.reader.ticket(ticketId)).toBeNull();
    } finally {
      cache.close();
    }
  }

  it('keeps the ticket with its draft in view until the draft is discarded, then drops both', async () => {
    const text = '您好，退款已经提交，预计三个工作日内原路退回。';
    const { core, draftId } = await draftOffline(text);

    // Meanwhile the lead gives the ticket to 张强; the workstation hears it when it is back.
    const back = await fixture.restartServer();
    await assignByLead(back.store, ticketId, AGENT2);
    await waitUntil(core, 'online again', onlineAndIdle(core));
    await waitUntil(core, 'the reassignment is heard', async () => {
      const shown = await core.invoke('ticket.get', { ticketId });
      return !shown.ok || (shown.result as { ticket: { assigneeId: string | null } }).ticket.assigneeId === 'agent2';
    });

    // The draft is still where the agent can see it, on the ticket as it is now.
    const detail = await call(core, 'ticket.get', { ticketId });
    expect(detail.ticket.assigneeId).toBe('agent2');
    expect(detail.drafts.map((draft) => [draft.id, draft.text])).toEqual([[draftId, text]]);
    // Heard as the server has it now: no notice that it is stale.
    expect(detail.leftOutOfDownload).toBe(false);
    // It cannot be sent any more: refused, and still there to copy.
    expect((await core.invoke('draft.send', { draftId })).ok).toBe(false);
    expect((await call(core, 'ticket.get', { ticketId })).drafts).toHaveLength(1);

    // Discarded, the ticket goes with the next catch-up, and nothing of the draft is left in the file.
    await discardAndCheckGone(core, draftId);
  });

  it('keeps the ticket with its draft through a full download again (the server forgot the changes meanwhile), until the draft is discarded', async () => {
    const text = '您好，退款已经提交，请留意银行短信。';
    const { core, draftId } = await draftOffline(text);
    const downloads: number[] = [];
    core.onEvent((event, payload) => {
      if (event === 'connection' && (payload as ConnectionState).progress) downloads.push((payload as ConnectionState).progress!.done);
    });

    // While the server is down the lead gives the ticket to 张强 and the change log is pruned:
    // the workstation cannot catch up and downloads everything again, in which the ticket is not.
    const store = openServerStore({ filePath: path.join(fixture.serverDir(), 'server.sqlite') });
    await assignByLead(store, ticketId, AGENT2);
    const { maxSeq } = await store.changeLogBounds();
    expect(await store.pruneChangesBefore(maxSeq + 1)).toBeGreaterThan(0);
    await store.close();
    await fixture.restartServer();
    await waitUntil(core, 'online again', onlineAndIdle(core));
    expect(downloads.length).toBeGreaterThan(0);

    // The draft is still where the agent can see it, with its ticket.
    const kept = await call(core, 'ticket.get', { ticketId });
    expect(kept.drafts.map((draft) => [draft.id, draft.text])).toEqual([[draftId, text]]);
    // Its row still names agent1 (nothing about it comes any more): the pane is told it is no longer confirmed theirs.
    expect(kept.ticket.assigneeId).toBe('agent1');
    expect(kept.leftOutOfDownload).toBe(true);
    await discardAndCheckGone(core, draftId);
  });
});

describe('sending a reply drafted offline on a ticket a full download left out', () => {
  const fixture = seededServerFixture('orphan-draft-send', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));

  it('is refused by the server into "needs attention", saying who has the ticket now, with the text kept there; then the ticket goes', async () => {
    const { store } = fixture.server();
    await seedTestOrganisation(store, [
      { ...AGENT1, channels: ['email'] },
      { ...AGENT2, channels: ['email'] },
    ]);
    const { ticketId } = await store.ingestInbound(
      { channel: 'email', customer: { name: '张伟', email: 'zhang.wei@example.cn' }, subject: '退款进度', text: '退款什么时候到账？' },
      { now: Date.now() },
    );
    await assignByLead(store, ticketId, AGENT1);
    const core = await fixture.newCore();
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    await fixture.stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    const text = '您好，退款已经提交，请留意银行短信。';
    const replied = await call(core, 'ticket.reply', { ticketId, text });
    if (replied.kind !== 'draft') throw new Error('offline, a reply is a draft');

    const down = openServerStore({ filePath: path.join(fixture.serverDir(), 'server.sqlite') });
    await assignByLead(down, ticketId, AGENT2);
    const { maxSeq } = await down.changeLogBounds();
    expect(await down.pruneChangesBefore(maxSeq + 1)).toBeGreaterThan(0);
    await down.close();
    await fixture.restartServer();
    await waitUntil(core, 'online again', onlineAndIdle(core));

    // Nothing told the workstation about the ticket since (the download left it out): its row still says it is 王芳's, so the send is taken locally.
    const sent = await call(core, 'draft.send', { draftId: replied.draft.id });
    expect(sent.pending).toBe(true);
    await waitUntil(core, 'the send is answered', onlineAndIdle(core));

    // The server refuses it; "needs attention" says who has the ticket now and keeps the text to copy.
    const attention = await call(core, 'attention.list', {});
    expect(attention.items).toHaveLength(1);
    expect(attention.items[0]).toMatchObject({
      ticketId,
      kind: 'reply',
      refusal: { code: 'reassigned', ticketId, assigneeName: '张强' },
      content: { text },
      ticketAvailable: false,
    });
    // Neither the draft nor the ticket stays behind; the customer got nothing.
    expect((await core.invoke('ticket.get', { ticketId })).ok).toBe(false);
    const onServer = await fixture.server().store.getTicketBundle(ticketId);
    expect(onServer!.messages.map((message) => message.text)).not.toContain(text);
    await fixture.closeCore(core);
  });
});
