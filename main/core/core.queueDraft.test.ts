/**
 * A reply drafted offline on a queued ticket the agent opened from the queue view (review-7).
 * A fetched ticket is dropped after each catch-up unless unsent work names it; a draft is
 * unsent work like an outbox row (the agent's words, waiting for their confirmation), so the
 * ticket and its draft must still be there once the server is back, and the draft sent once.
 * Before, the catch-up dropped the ticket: the draft was shown nowhere and `draft.send` said
 * `not_found`.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { call, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture } from './testing/offlineAgent.js';

describe('a reply drafted offline on a ticket opened from the queue', () => {
  const fixture = offlineAgentFixture('queue-draft', ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} }));

  it('keeps the ticket and its draft through the catch-up, and the confirmed draft reaches the customer once', async () => {
    const active = await fixture.signInAgent();
    // Busy: routing offers agent1 nothing, so the contact waits in the queue, outside their cache.
    await call(active, 'presence.set', { presence: 'busy' });
    const { ticketId } = await fixture
      .server()
      .store.ingestInbound(
        { channel: 'chat', customer: { name: '武松', phone: '13755550177', email: 'wusong@example.cn' }, text: '发票什么时候开？', proven: ['phone'] },
        { now: Date.now() },
      );
    await call(active, 'ticket.fetch', { ticketId });

    await fixture.goOffline(active);
    const written = await call(active, 'ticket.reply', { ticketId, text: '您好，发票三个工作日内开出。' });
    expect(written.kind).toBe('draft');

    const back = await fixture.restartServer();
    await waitUntil(active, 'online again', onlineAndIdle(active));

    // The catch-up kept the ticket: the pane still shows it with the draft waiting for confirmation.
    const detail = await call(active, 'ticket.get', { ticketId });
    expect(detail.drafts.map((draft) => draft.text)).toEqual(['您好，发票三个工作日内开出。']);
    // So does a queue listing, which drops the fetched tickets it does not show unchanged.
    await call(active, 'queue.list', { limit: 50 });
    expect((await call(active, 'ticket.get', { ticketId })).drafts).toHaveLength(1);

    const draftId = detail.drafts[0]!.id;
    await call(active, 'draft.send', { draftId });
    await waitUntil(active, 'the reply is acknowledged', onlineAndIdle(active));
    const onServer = (await back.store.getTicketBundle(ticketId))!;
    expect(onServer.messages.filter((message) => message.text === '您好，发票三个工作日内开出。')).toHaveLength(1);
    expect(onServer.ticket).toMatchObject({ assigneeId: 'agent1' });
  });
});
