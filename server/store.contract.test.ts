/**
 * The store's contract, run on both backends: the embedded SQLite file and a real PostgreSQL
 * database made for each test. Every case goes through the public `ServerStore`, so a query
 * that one dialect reads differently (JSON fields, upserts, byte order, camelCase aliases,
 * booleans and bigints coming back) fails here. The last block runs two stores on one
 * PostgreSQL database, as two server nodes would, and races them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { queueListResultSchema } from '../shared/queue.js';
import type { Mutation } from '../shared/sync.js';
import { type ChannelContact, type CommittedChange, type ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { createUserCache } from './userCache.js';
import { openStoreOn, type OpenedStore } from './testing/stores.js';

/** A chat contact whose phone the channel proved (as a call's caller number would be). */
const contact = (text: string, phone = '13800138000'): ChannelContact => ({ channel: 'chat', customer: { name: '张伟', phone }, text, proven: ['phone'] });

/** Opens a store on the backend; `another()` opens a second store on the same database (a second node). */
for (const backend of TEST_BACKENDS) {
  describe(`the server store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let opened: OpenedStore;
    let lead: User;
    let agent: User;

    beforeEach(async () => {
      opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      lead = await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
      agent = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const reply = (ticketId: string, id: string, text: string, at = TEST_EPOCH + 10): Mutation => ({
      mutationId: `m-${id}`,
      kind: 'reply',
      ticketId,
      messageId: id,
      text,
      createdAt: at,
    });

    it('reads users back as they were written: lists, booleans, languages, extension', async () => {
      await store.createUser({
        id: 'agent2',
        username: 'agent2',
        password: 'pw',
        displayName: '赵磊',
        role: 'agent',
        channels: ['email', 'social'],
        groups: ['after_sales'],
        tier: 2,
        senior: true,
        languages: ['zh', 'en'],
        extension: '8002',
      });
      expect(await store.getUser('agent2')).toEqual({
        id: 'agent2',
        username: 'agent2',
        displayName: '赵磊',
        role: 'agent',
        channels: ['email', 'social'],
        groups: ['after_sales'],
        tier: 2,
        senior: true,
        languages: ['zh', 'en'],
        extension: '8002',
      });
      expect(await store.countUsers()).toBe(3);
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['agent1', 'agent2', 'lead1']);
      expect((await store.getCredentials('agent2'))?.passwordHash).toMatch(/^scrypt/);
      expect(await store.cti.userIdByExtension('8002')).toBe('agent2');
    });

    it('numbers tickets and customers per Beijing day', async () => {
      const first = await store.ingestInbound(contact('第一单', '13800000001'), { now: TEST_EPOCH });
      const second = await store.ingestInbound(contact('第二单', '13800000002'), { now: TEST_EPOCH + 1 });
      // 2024-11-09 00:00 in Beijing is 16:00 UTC on the 8th.
      const nextDay = await store.ingestInbound(contact('第二天', '13800000003'), { now: Date.UTC(2024, 10, 8, 16, 0, 0) });
      expect([first.ticketId, second.ticketId, nextDay.ticketId]).toEqual(['GD20241108001', 'GD20241108002', 'GD20241109001']);
      expect(nextDay.ticket.customerId).toBe('CUS20241109001');
    });

    it('notifies listeners once per outermost commit and nothing for a rolled-back transaction', async () => {
      const batches: CommittedChange[][] = [];
      store.onDidCommitChanges((batch) => batches.push(batch));
      await store.withTransaction(async () => {
        await store.ingestInbound(contact('一', '13800000001'), { now: TEST_EPOCH });
        await store.ingestInbound(contact('二', '13800000002'), { now: TEST_EPOCH });
      });
      expect(batches).toHaveLength(1);
      expect(batches[0]!.map((c) => c.change.seq)).toEqual([1, 2]);
      expect(batches[0]![0]!.audience).toEqual(['queue:chat']);
      await expect(
        store.withTransaction(async () => {
          await store.ingestInbound(contact('三', '13800000003'), { now: TEST_EPOCH });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(batches).toHaveLength(1);
      // The rolled-back seq and ticket number are handed out again: the log has no gap.
      expect((await store.changeLogBounds()).maxSeq).toBe(2);
      expect((await store.ingestInbound(contact('四', '13800000004'), { now: TEST_EPOCH })).ticketId).toBe('GD20241108003');
      expect(batches.at(-1)!.map((c) => c.change.seq)).toEqual([3]);
    });

    it('gives the audience before and after an assignment, as a bundle, and pulls what each viewer may see', async () => {
      const { ticketId } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      await store.ingestInbound({ channel: 'email', customer: { email: 'a@example.cn' }, text: '邮件', proven: ['email'] }, { now: TEST_EPOCH });
      const batches: CommittedChange[][] = [];
      store.onDidCommitChanges((batch) => batches.push(batch));
      await store.assignTicket({
        ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: TEST_EPOCH + 1,
      });
      const [assigned] = batches[0]!;
      expect(assigned!.audience.sort()).toEqual(['agent:agent1', 'queue:chat']);
      expect(assigned!.change.kind).toBe('bundle');
      expect(await store.getTicket(ticketId)).toMatchObject({ status: 'in_progress', assigneeId: 'agent1' });
      // The agent sees the assignment only; the lead every change.
      const agentPull = await store.pullChanges(agent, 0);
      expect(!agentPull.mustRefetch && agentPull.changes.map((c) => c.seq)).toEqual([3]);
      const leadPull = await store.pullChanges(lead, 0);
      expect(!leadPull.mustRefetch && leadPull.changes.map((c) => c.seq)).toEqual([1, 2, 3]);
      expect((await store.listRoutingAudit(ticketId)).map((e) => [e.decision, e.assigneeId])).toEqual([['assigned', 'agent1']]);
    });

    it('applies status changes, replays a mutation once, and refuses a message id already used', async () => {
      const { ticketId, messageId } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      const status = (mutationId: string, to: 'in_progress' | 'completed', now: number) =>
        store.applyMutation(agent, 'client-1', { mutationId, kind: 'setStatus', ticketId, status: to, createdAt: now }, now);
      expect(await status('s1', 'in_progress', TEST_EPOCH + 10)).toMatchObject({ ok: true, seq: 2 });
      expect(await store.getTicket(ticketId)).toMatchObject({ assigneeId: 'agent1', assignmentReason: { code: 'taken_from_queue' } });
      expect(await status('s2', 'in_progress', TEST_EPOCH + 20)).toEqual({ mutationId: 's2', ok: true, seq: 2 });
      // Completing needs the result (处理结果) recorded first.
      const result = { mutationId: 'f1', kind: 'setFields', ticketId, result: '已解答', createdAt: TEST_EPOCH + 25 } as const;
      expect(await store.applyMutation(agent, 'client-1', result, TEST_EPOCH + 25)).toMatchObject({ ok: true, seq: 3 });
      expect(await status('s3', 'completed', TEST_EPOCH + 30)).toMatchObject({ ok: true, seq: 4 });
      expect((await store.getTicket(ticketId))!.completedAt).toBe(TEST_EPOCH + 30);
      // The same mutation again answers as the first time and changes nothing.
      expect(await status('s3', 'completed', TEST_EPOCH + 40)).toMatchObject({ ok: true, seq: 4 });
      expect((await store.changeLogBounds()).maxSeq).toBe(4);
      expect(await store.applyMutation(lead, 'c', reply(ticketId, messageId, '您好'), TEST_EPOCH)).toMatchObject({ ok: false, code: 'invalid' });
    });

    it('answers a used mutation id with its stored result only for the same mutation: another one under it is refused, nothing stored', async () => {
      const { ticketId } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      const other = await store.ingestInbound(contact('另一个问题', '13900139000'), { now: TEST_EPOCH + 1 });
      await store.applyMutation(
        agent,
        'client-1',
        { mutationId: 'take', kind: 'setStatus', ticketId, status: 'in_progress', createdAt: TEST_EPOCH + 2 },
        TEST_EPOCH + 2,
      );
      const note: Mutation = { mutationId: 'act-1', kind: 'note', ticketId, noteId: 'act-1', text: '客户来电两次', createdAt: TEST_EPOCH + 3 };
      const applied = await store.applyMutation(agent, 'client-1', note, TEST_EPOCH + 3);
      expect(applied).toMatchObject({ ok: true });
      const seqAfterNote = (await store.changeLogBounds()).maxSeq;

      // The note's id reused as a reply's: refused with the ticket as it is, the reply never stored.
      const reused = await store.applyMutation(agent, 'client-1', { ...reply(ticketId, 'act-1', '您好，已为您处理'), mutationId: 'act-1' }, TEST_EPOCH + 4);
      expect(reused).toMatchObject({
        mutationId: 'act-1',
        ok: false,
        code: 'invalid',
        refusal: { code: 'mutation_id_reused', ticketId, id: 'act-1' },
        ticket: { id: ticketId, assigneeId: 'agent1' },
      });
      // Another ticket, or other text, under the same id: refused too, with that ticket as it is (queued on the agent's channel).
      expect(await store.applyMutation(agent, 'client-1', { ...note, ticketId: other.ticketId }, TEST_EPOCH + 5)).toMatchObject({
        ok: false,
        refusal: { code: 'mutation_id_reused', ticketId: other.ticketId },
        ticket: { id: other.ticketId, status: 'unassigned' },
      });
      expect(await store.applyMutation(agent, 'client-1', { ...note, text: '另一条备注' }, TEST_EPOCH + 5)).toMatchObject({
        ok: false,
        refusal: { code: 'mutation_id_reused' },
      });
      const bundle = (await store.getTicketBundle(ticketId))!;
      expect(bundle.messages.map((m) => m.direction)).toEqual(['inbound']);
      expect(bundle.notes.map((n) => n.text)).toEqual(['客户来电两次']);
      expect((await store.changeLogBounds()).maxSeq).toBe(seqAfterNote);

      // The same note again (its ack lost) is a retry: the stored result, whenever it is sent, in whatever key order.
      expect(await store.applyMutation(agent, 'client-1', note, TEST_EPOCH + 6)).toEqual(applied);
      const reordered = { text: note.text, noteId: 'act-1', createdAt: TEST_EPOCH + 9, ticketId, kind: 'note', mutationId: 'act-1' } as const;
      expect(await store.applyMutation(agent, 'client-1', reordered, TEST_EPOCH + 9)).toEqual(applied);

      // A record an older server made (no fingerprint) answers its stored result as before (migration 034).
      await opened.exec("UPDATE applied_mutations SET fingerprint = NULL WHERE mutation_id = 'act-1'");
      expect(await store.applyMutation(agent, 'client-1', { ...note, text: '另一条备注' }, TEST_EPOCH + 10)).toEqual(applied);
    });

    it('issues, binds, looks up and revokes tokens', async () => {
      const issued = await store.issueUserToken('agent1', TEST_EPOCH, 1000);
      expect(await store.lookupToken(issued.token, TEST_EPOCH + 999)).toMatchObject({ status: 'valid', kind: 'user', user: { id: 'agent1' } });
      expect(await store.lookupToken(issued.token, TEST_EPOCH + 1000)).toEqual({ status: 'expired', expiredAt: TEST_EPOCH + 1000 });
      expect(await store.bindTokenToClient(issued.token, 'client-a')).toBe(true);
      expect(await store.bindTokenToClient(issued.token, 'client-b')).toBe(false);
      expect(await store.revokeUserToken(issued.token)).toBe(true);
      expect(await store.lookupToken(issued.token, TEST_EPOCH)).toEqual({ status: 'unknown' });
      await store.createIntegrationToken('微信公众号', 'wx-token');
      expect(await store.lookupToken('wx-token', TEST_EPOCH)).toMatchObject({ status: 'valid', kind: 'integration', name: '微信公众号' });
    });

    it('matches customers by proven identities only and suggests the claimed ones', async () => {
      const proven = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      await store.ingestInbound(
        { channel: 'email', customer: { phone: '+86 13800138000', email: 'ZW@Example.cn' }, text: '邮件', proven: ['phone', 'email'] },
        { now: TEST_EPOCH + 1 },
      );
      expect(await store.getCustomer(proven.ticket.customerId)).toMatchObject({ phone: '+8613800138000', email: 'zw@example.cn' });
      const claimed = await store.ingestInbound(
        {
          channel: 'chat',
          customer: { name: '自称张伟', phone: '138 0013 8000', socialId: 'webchat:demo:visitor-claims-01' },
          text: '我是张伟',
          proven: ['socialId'],
          source: 'webchat:demo',
        },
        { now: TEST_EPOCH + 2 },
      );
      expect(claimed.ticket.customerId).not.toBe(proven.ticket.customerId);
      expect((await store.findCustomerByPhone('13800138000'))?.id).toBe(proven.ticket.customerId);
      expect(
        (await store.listCustomerMatches(lead, claimed.ticket.customerId, 10))!.map((match) => [
          match.customer.id,
          match.shared,
          match.ticketCount,
          match.channels,
        ]),
      ).toEqual([[proven.ticket.customerId, [{ kind: 'phone', value: '+8613800138000', oursProven: false, theirsProven: true }], 2, ['chat', 'email']]]);
      expect(await store.listCustomerMatches(lead, 'CUS20991231001', 10)).toBeNull();
    });

    it('merges customers: identities, claims once, tickets and the audience move to the kept one', async () => {
      const kept = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      const merged = await store.ingestInbound(
        {
          channel: 'chat',
          customer: { name: '张先生', socialId: 'wx:openid-1', phone: '13800138000' },
          text: '微信',
          proven: ['socialId'],
          source: 'webhook:wechat',
        },
        { now: TEST_EPOCH + 1 },
      );
      // The kept customer claims the same phone too: after the merge it is there once.
      await store.ingestInbound(
        {
          channel: 'chat',
          customer: { name: '张伟', phone: '13800138000', socialId: 'wx:openid-2' },
          text: '再来',
          proven: ['socialId'],
          source: 'webhook:wechat',
        },
        { now: TEST_EPOCH + 2 },
      );
      const outcome = await store.mergeCustomers({ keepId: kept.ticket.customerId, mergeId: merged.ticket.customerId, actor: lead, now: TEST_EPOCH + 3 });
      expect(outcome.ticketIds).toEqual([merged.ticketId]);
      expect((await store.getTicket(merged.ticketId))!.customerId).toBe(kept.ticket.customerId);
      expect((await store.getCustomer(kept.ticket.customerId))!.identities.map((i) => i.value)).toEqual(['+8613800138000', 'wx:openid-1']);
      await expect(
        store.mergeCustomers({ keepId: kept.ticket.customerId, mergeId: merged.ticket.customerId, actor: lead, now: TEST_EPOCH + 4 }),
      ).rejects.toThrow('already merged');
      expect(await store.listCustomerMatches(lead, merged.ticket.customerId, 10)).toBeNull();
    });

    it('queues replies by source prefix, records their delivery, and dedupes inbound by external id', async () => {
      const inbound = await store.ingestInbound(
        {
          channel: 'social',
          customer: { socialId: 'weibo:u1', name: '微博用户' },
          text: '在吗',
          proven: ['socialId'],
          source: 'webhook:weibo',
          externalMessageId: 'wb-1',
        },
        { now: TEST_EPOCH },
      );
      const again = await store.ingestInbound(
        { channel: 'social', customer: { socialId: 'weibo:u1' }, text: '在吗', proven: ['socialId'], source: 'webhook:weibo', externalMessageId: 'wb-1' },
        { now: TEST_EPOCH + 1 },
      );
      expect(again).toMatchObject({ duplicate: true, ticketId: inbound.ticketId, messageId: inbound.messageId });
      expect(await store.findTicketByExternalMessageIds('social', ['nope', 'wb-1'])).toBe(inbound.ticketId);
      expect(await store.listTicketIdsByExternalIdPrefix(['social'], 'wb-', 10)).toEqual([inbound.ticketId]);
      expect(await store.listTicketIdsByExternalIdPrefix(['social'], 'wb-2', 10)).toEqual([]);

      expect(await store.applyMutation(lead, 'c', reply(inbound.ticketId, 'out-1', '您好，在的'), TEST_EPOCH + 2)).toMatchObject({ ok: true });
      const queued = await store.listQueuedDeliveries(['webhook'], 10);
      expect(queued.map((q) => [q.message.id, q.message.source, q.customer.name])).toEqual([['out-1', 'webhook:weibo', '微博用户']]);
      expect(await store.listQueuedDeliveries(['email'], 10)).toEqual([]);
      expect((await store.listUndeliverable(['email'], 10)).map((q) => q.message.id)).toEqual(['out-1']);
      expect(await store.setDeliveryStatus('out-1', { status: 'sent', externalMessageId: 'wb-out-1' }, TEST_EPOCH + 3)).toMatchObject({
        deliveryStatus: 'sent',
        externalMessageId: 'wb-out-1',
        deliveryError: null,
      });
      expect(await store.listQueuedDeliveries(['webhook'], 10)).toEqual([]);
      expect(await store.setDeliveryStatus(inbound.messageId, { status: 'sent' }, TEST_EPOCH + 3)).toBeNull();
    });

    it('keeps attachments and raw sources byte for byte', async () => {
      const bytes = Buffer.from([0, 255, 1, 254, 0xe4, 0xbd, 0xa0]);
      const raw = Buffer.from('From: 客户 <c@example.cn>\r\nSubject: 发票\r\n\r\n附件', 'utf8');
      const { messageId, ticketId } = await store.ingestInbound(
        {
          channel: 'email',
          customer: { email: 'c@example.cn' },
          subject: '发票',
          text: '附件',
          proven: ['email'],
          source: 'email',
          attachments: [{ fileName: '发票.pdf', contentType: 'application/pdf', data: bytes }],
          rawSource: raw,
        },
        { now: TEST_EPOCH },
      );
      const bundle = (await store.getTicketBundle(ticketId))!;
      const [attachment] = bundle.messages[0]!.attachments;
      const stored = (await store.getAttachment(attachment!.id))!;
      expect(stored).toMatchObject({ attachment: { fileName: '发票.pdf', size: bytes.length }, messageId, ticketId });
      expect(Buffer.compare(stored.data, bytes)).toBe(0);
      expect(Buffer.compare((await store.getMessageSource(messageId))!, raw)).toBe(0);
      expect(await store.getAttachment('missing')).toBeNull();
    });

    it('bootstraps an agent with what they hold or are offered, pages by id, and prunes the log', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await store.ingestInbound(contact(`第${String(i)}单`, `1380000000${String(i)}`), { now: TEST_EPOCH + i })).ticketId);
      await store.assignTicket({
        ticketId: ids[0]!,
        assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: TEST_EPOCH + 10,
      });
      // An offer lives in the routing JSON: the agent's bootstrap reads it there.
      const offered = (await store.getTicket(ids[3]!))!;
      await store.routing.applyTicketRouting({
        ticketId: offered.id,
        assignee: null,
        reason: null,
        routing: { ...offered.routing, offer: { agentId: 'agent1', agentName: '王芳', offeredAt: TEST_EPOCH + 11, expiresAt: TEST_EPOCH + 31 } },
        audit: { decision: 'offered', reason: null, actorName: null, agentId: 'agent1', agentName: '王芳' },
        now: TEST_EPOCH + 11,
      });
      const page = await store.bootstrapPage(agent, null, 1);
      expect(page).toMatchObject({ total: 2, next: ids[0] });
      expect(page.bundles.map((b) => [b.ticket.id, b.messages.length, b.customer.identities.length])).toEqual([[ids[0], 1, 1]]);
      expect((await store.bootstrapPage(agent, page.next, 10)).bundles.map((b) => b.ticket.id)).toEqual([ids[3]]);
      expect((await store.bootstrapPage(lead, null, 10)).total).toBe(5);
      // A later page of the same walk is given the first page's count (server/sync.ts) and does not count again.
      expect((await store.bootstrapPage(lead, ids[1]!, 10, 42)).total).toBe(42);
      // The page reads its rows as arrays: each bundle is what the ticket's own read gives, field for field.
      const leadPage = await store.bootstrapPage(lead, null, 10);
      expect(leadPage.bundles).toHaveLength(5);
      for (const bundle of leadPage.bundles) expect(bundle).toEqual(await store.getTicketBundle(bundle.ticket.id));

      const { maxSeq } = await store.changeLogBounds();
      expect(await store.pruneChangesBefore(maxSeq)).toBe(maxSeq - 1);
      expect(await store.pullChanges(lead, 0)).toEqual({ mustRefetch: true, upTo: maxSeq });
      const kept = await store.pullChanges(lead, maxSeq - 1);
      expect(!kept.mustRefetch && kept.changes.map((c) => c.seq)).toEqual([maxSeq]);
    });

    it('gives every ticket of a bootstrap page longer than one IN list its messages, notes and identities', async () => {
      // 501 tickets: the page's messages, notes and identities are read by its ids, 500 at a time.
      const ids: string[] = [];
      await store.withTransaction(async () => {
        for (let n = 0; n < 501; n++) {
          const phone = `139${String(n).padStart(8, '0')}`;
          const ticketId = (await store.ingestInbound(contact(`第${String(n)}单`, phone), { now: TEST_EPOCH + n })).ticketId;
          ids.push(ticketId);
          if (n % 250 === 0) await store.ingestInbound(contact(`第${String(n)}单又一条`, phone), { now: TEST_EPOCH + n + 1 });
        }
      });
      await store.applyMutation(
        lead,
        'client-lead',
        { mutationId: 'm-note-last', kind: 'note', ticketId: ids[500]!, noteId: 'note-last', text: '最后一单', createdAt: TEST_EPOCH + 600 },
        TEST_EPOCH + 600,
      );
      const page = await store.bootstrapPage(lead, null, 1000);
      expect(page.bundles.map((bundle) => bundle.ticket.id)).toEqual([...ids].sort());
      expect(page.bundles.map((bundle) => bundle.messages.length).reduce((sum, n) => sum + n, 0)).toBe(504);
      for (const bundle of page.bundles) expect(bundle).toEqual(await store.getTicketBundle(bundle.ticket.id));
      expect(page.bundles.find((bundle) => bundle.ticket.id === ids[500])!.notes.map((note) => note.text)).toEqual(['最后一单']);
    });

    it('reads tickets by id in batches: the ones that exist, each once, whatever the number of ids', async () => {
      const ids: string[] = [];
      for (let n = 0; n < 3; n++)
        ids.push((await store.ingestInbound(contact(`第${String(n)}条`, `1380000000${String(n)}`), { now: TEST_EPOCH + n })).ticketId);
      expect(await store.getTickets([])).toEqual([]);
      expect((await store.getTickets([ids[1]!, 'GD-none'])).map((t) => t.id)).toEqual([ids[1]]);
      // Past one batch (500), the existing ones spread over both, one given twice.
      const many = [ids[0]!, ...Array.from({ length: 600 }, (_, n) => `GD-gone-${String(n)}`), ids[1]!, ids[2]!, ids[2]!];
      const found = await store.getTickets(many);
      expect(found.map((t) => t.id).sort()).toEqual([...ids].sort());
      expect(found[0]).toEqual(await store.getTicket(found[0]!.id));
    });

    it('lists tickets by Chinese customer text, with LIKE wildcards taken literally, newest first by cursor', async () => {
      await store.ingestInbound({ channel: 'chat', customer: { name: '张伟', phone: '13800000001' }, text: '一', proven: ['phone'] }, { now: TEST_EPOCH });
      await store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟伟', phone: '13800000002' }, text: '二', proven: ['phone'] },
        { now: TEST_EPOCH + 1 },
      );
      await store.ingestInbound(
        { channel: 'chat', customer: { name: '100%满意', phone: '13800000003' }, text: '三', proven: ['phone'] },
        { now: TEST_EPOCH + 2 },
      );
      const first = await store.listTickets(lead, { limit: 1, customer: '张伟' });
      expect(first.tickets.map((t) => t.subject)).toEqual(['二']);
      expect((await store.listTickets(lead, { limit: 5, customer: '张伟', cursor: first.next! })).tickets.map((t) => t.subject)).toEqual(['一']);
      expect((await store.listTickets(lead, { limit: 5, customer: '0%满' })).tickets.map((t) => t.subject)).toEqual(['三']);
      expect((await store.listTickets(lead, { limit: 5, customer: '%' })).tickets.map((t) => t.subject)).toEqual(['三']);
      expect((await store.listTickets(agent, { limit: 5, status: 'unassigned' })).tickets).toHaveLength(3);
    });

    it('keeps routing settings, VIP tiers, the last agent and the audit', async () => {
      const settings = {
        presence: 'available',
        presenceCause: 'self',
        presenceSince: TEST_EPOCH,
        awayReason: null,
        capacity: { phone: 1, chat: 4, social: 5, email: 10 },
        phoneBlocksChat: false,
      } as const;
      await store.routing.saveAgentSettings('agent1', settings, TEST_EPOCH);
      await store.routing.saveAgentSettings('agent1', { ...settings, presence: 'away', awayReason: 'meal' }, TEST_EPOCH + 1);
      expect((await store.routing.loadAgentSettings()).get('agent1')).toEqual({ ...settings, presence: 'away', awayReason: 'meal' });
      const a = await store.ingestInbound(contact('一'), { now: TEST_EPOCH });
      await store.routing.setCustomerVipTier(a.ticket.customerId, 2, TEST_EPOCH + 2);
      expect(await store.routing.vipTierOf(a.ticket.customerId)).toBe(2);
      await store.assignTicket({
        ticketId: a.ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: TEST_EPOCH + 3,
      });
      const b = await store.ingestInbound({ ...contact('二'), newConversation: true }, { now: TEST_EPOCH + 4 });
      expect(await store.routing.lastAgentOf(a.ticket.customerId, b.ticketId)).toEqual({ agentId: 'agent1', ticketId: a.ticketId, at: TEST_EPOCH + 3 });
      expect((await store.routing.openTicketsForRouting()).map((o) => [o.ticket.id, o.vipTier])).toEqual([
        [a.ticketId, 2],
        [b.ticketId, 2],
      ]);
      expect((await store.routing.listAudit(a.ticketId)).map((e) => [e.decision, e.assigneeId])).toEqual([['assigned', 'agent1']]);
    });

    it('summarises the queues per channel and group (JSON fields) and lists them oldest first', async () => {
      const now = TEST_EPOCH + 60 * 60 * 1000;
      await store.ingestInbound(contact('我要投诉，快递员态度很差', '13800000001'), { now: TEST_EPOCH });
      await store.ingestInbound(contact('请问营业时间', '13800000002'), { now: TEST_EPOCH + 1 });
      const summary = await store.queue.summary(now);
      expect(summary.reduce((sum, e) => sum + e.waiting, 0)).toBe(2);
      expect(summary.every((e) => e.channel === 'chat' && e.oldestSince >= TEST_EPOCH && typeof e.breaching === 'number')).toBe(true);
      const page = await store.queue.list(agent, { limit: 1 });
      expect(page.rows.map((r) => [r.ticket.subject, r.customerName])).toEqual([['我要投诉，快递员态度很差', '张伟']]);
      expect((await store.queue.list(agent, { limit: 5, after: page.next! })).rows.map((r) => r.ticket.subject)).toEqual(['请问营业时间']);
    });

    it('counts among the queued tickets at risk those already breached apart (issue 11: about to breach vs breached)', async () => {
      const first = await store.ingestInbound(contact('请问营业时间', '13800000001'), { now: TEST_EPOCH });
      const second = await store.ingestInbound(contact('请问营业时间', '13800000002'), { now: TEST_EPOCH + 10 * 60 * 1000 });
      const dueFirst = (await store.getTicket(first.ticketId))!.dueAt;
      const dueSecond = (await store.getTicket(second.ticketId))!.dueAt;
      expect(dueFirst).toBeLessThan(dueSecond - 1);
      // One millisecond before the second is due: the first is past due, the second at risk only.
      const now = dueSecond - 1;
      // A third, just in: neither at risk nor breached.
      await store.ingestInbound(contact('请问营业时间', '13800000003'), { now: now - 1 });
      const summary = await store.queue.summary(now);
      const total = (figure: (entry: (typeof summary)[number]) => number) => summary.reduce((sum, entry) => sum + figure(entry), 0);
      expect([total((e) => e.waiting), total((e) => e.breaching), total((e) => e.breached)]).toEqual([3, 2, 1]);
      // Exactly at its due time a ticket is not yet breached (shared/sla.ts: remaining < 0).
      const atDue = await store.queue.summary(dueFirst);
      expect(atDue.reduce((sum, entry) => sum + entry.breached, 0)).toBe(0);
    });

    it('searches the queued tickets the viewer could take by id, subject, customer name and message text (issue 12)', async () => {
      const hour = 60 * 60 * 1000;
      const a = await store.ingestInbound(contact('请问营业时间', '13800000001'), { now: TEST_EPOCH });
      // The same customer writes again: the open ticket gets the message, its subject stays.
      await store.ingestInbound(contact('另外我的退款还没到账，电话13912345678', '13800000001'), { now: TEST_EPOCH + 1 });
      const b = await store.ingestInbound(
        { channel: 'chat', customer: { name: '100%满意', phone: '13800000002' }, text: 'My iPhone is broken', proven: ['phone'] },
        { now: TEST_EPOCH + 2 },
      );
      // Not the agent's to take: another channel, and a ticket someone holds.
      const mail = await store.ingestInbound(
        { channel: 'email', customer: { name: '赵六', email: 'zl@example.com' }, text: '退款什么时候到', proven: ['email'] },
        { now: TEST_EPOCH + 3 },
      );
      const held = await store.ingestInbound(contact('退款申请', '13800000003'), { now: TEST_EPOCH + 4 });
      const assignee = { id: 'lead1', username: 'lead1', displayName: '李主管' };
      await store.assignTicket({ ticketId: held.ticketId, assignee, reason: { code: 'assigned_by_lead', byName: '李主管' }, now: TEST_EPOCH + hour });
      const found = async (viewer: User, query: string) => (await store.queue.list(viewer, { limit: 50, query })).rows.map((row) => row.ticket.id);

      // Two Chinese characters only in a later message: found, with the text around the hit as the agent reads it (masked).
      const refund = await store.queue.list(agent, { limit: 50, query: '退款' });
      expect(refund.rows.map((row) => [row.ticket.id, row.ticket.subject, row.excerpt])).toEqual([
        [a.ticketId, '请问营业时间', '另外我的退款还没到账，电话139****5678'],
      ]);
      expect(await found(lead, '退款')).toEqual([a.ticketId, mail.ticketId]);
      // Every term must match, each anywhere; ids and ASCII case-insensitively.
      expect(await found(agent, '营业 退款')).toEqual([a.ticketId]);
      expect(await found(agent, '营业 发票')).toEqual([]);
      expect(await found(agent, b.ticketId.toLowerCase())).toEqual([b.ticketId]);
      expect(await found(agent, 'IPHONE')).toEqual([b.ticketId]);
      expect((await store.queue.list(agent, { limit: 50, query: 'iphone' })).rows[0]).not.toHaveProperty('excerpt');
      // LIKE's wildcards are taken literally.
      expect(await found(agent, '0%满')).toEqual([b.ticketId]);
      expect(await found(agent, '%')).toEqual([b.ticketId]);
      expect(await found(agent, '_')).toEqual([]);
      // The agent reads the phone number masked, so searching for it finds nothing; a lead reads it clear.
      expect(await found(agent, '13912345678')).toEqual([]);
      expect(await found(lead, '13912345678')).toEqual([a.ticketId]);
      // An excerpt is cut by characters (an emoji is one), and fits the schema the workstation checks.
      const emoji = await store.ingestInbound(contact('你好', '13800000009'), { now: TEST_EPOCH + 5 });
      await store.ingestInbound(contact(`${'😀'.repeat(100)}鲸鱼${'😀'.repeat(100)}`, '13800000009'), { now: TEST_EPOCH + 6 });
      const withEmoji = await store.queue.list(agent, { limit: 50, query: '鲸鱼' });
      expect(withEmoji.rows.map((row) => [row.ticket.id, Array.from(row.excerpt ?? '').length])).toEqual([[emoji.ticketId, 82]]);
      expect(queueListResultSchema.safeParse(withEmoji).success).toBe(true);
      // Paging goes on through a search.
      const first = await store.queue.list(lead, { limit: 1, query: '退款' });
      expect(first.rows.map((row) => row.ticket.id)).toEqual([a.ticketId]);
      expect((await store.queue.list(lead, { limit: 5, query: '退款', after: first.next! })).rows.map((row) => row.ticket.id)).toEqual([mail.ticketId]);
    });

    it('lines a channel up in routing’s order (overdue first, then priority) and counts the tickets taken lately', async () => {
      const hour = 60 * 60 * 1000;
      const older = await store.ingestInbound(contact('请问营业时间', '13800000002'), { now: TEST_EPOCH });
      const taken = await store.ingestInbound(contact('请问营业时间', '13800000004'), { now: TEST_EPOCH + 2 });
      const assignee = { id: 'agent1', username: 'agent1', displayName: '王芳' };
      await store.assignTicket({ ticketId: taken.ticketId, assignee, reason: { code: 'assigned_by_lead', byName: '李主管' }, now: TEST_EPOCH + 3 });
      const urgent = await store.ingestInbound(contact('请问营业时间', '13800000003'), { now: TEST_EPOCH + 3 * hour });
      const raise: Mutation = { mutationId: 'm-urgent', kind: 'setPriority', ticketId: urgent.ticketId, priority: 'urgent', createdAt: TEST_EPOCH + 3 * hour };
      expect(await store.applyMutation(lead, 'desk-lead1', raise, TEST_EPOCH + 3 * hour)).toMatchObject({ ok: true });

      const now = TEST_EPOCH + 3 * hour + 10;
      expect(await store.queue.waitingLine('chat', now, TEST_EPOCH, 10)).toEqual({ ids: [urgent.ticketId, older.ticketId], served: 1 });
      expect(await store.queue.waitingLine('chat', now, TEST_EPOCH + 4, 1)).toEqual({ ids: [urgent.ticketId], served: 0 });
      // Past the normal ticket's due time (the urgent one is not due yet) it goes first: an overdue ticket is never starved.
      const due = (await store.getTicket(older.ticketId))!.dueAt;
      expect((await store.queue.waitingLine('chat', due, TEST_EPOCH, 10)).ids).toEqual([older.ticketId, urgent.ticketId]);
      expect(await store.queue.waitingLine('email', now, TEST_EPOCH, 10)).toEqual({ ids: [], served: 0 });
    });

    it('records CTI events once per call and event, and the calls live on an extension', async () => {
      expect(await store.cti.recordEvent('call-1', 'ringing', TEST_EPOCH, TEST_EPOCH, 'pbx')).toBe(true);
      expect(await store.cti.recordEvent('call-1', 'ringing', TEST_EPOCH, TEST_EPOCH, 'pbx')).toBe(false);
      const call = {
        callId: 'call-1',
        state: 'ringing' as const,
        from: '+8613800138000',
        to: '8001',
        agentExtension: '8001',
        agentId: 'agent1',
        ticketId: null,
        messageId: null,
        startedAt: TEST_EPOCH,
        answeredAt: null,
        endedAt: null,
        durationSec: null,
        updatedAt: TEST_EPOCH,
      };
      await store.cti.saveCall(call);
      await store.cti.saveCall({ ...call, state: 'answered', answeredAt: TEST_EPOCH + 5, updatedAt: TEST_EPOCH + 5 });
      expect(await store.cti.getCall('call-1')).toMatchObject({ state: 'answered', answeredAt: TEST_EPOCH + 5 });
      expect((await store.cti.liveCallsOf('agent1', TEST_EPOCH)).map((c) => c.callId)).toEqual(['call-1']);
      await store.cti.setExtension('agent1', '8001');
      expect(await store.cti.userIdByExtension('8001')).toBe('agent1');
    });

    it('announces a changed extension as a user change, so a node’s copy of the user and its sockets follow it', async () => {
      // This node's copy of the users, kept an hour: only the change's notice can refresh it (as server/sync.ts wires it).
      const users = createUserCache({ read: (id) => store.getUser(id), now: () => TEST_EPOCH, ttlMs: 60 * 60 * 1000 });
      const heard: Array<string | null> = [];
      const stop = store.onDidChangeUser((userId) => {
        heard.push(userId);
        users.invalidate(userId);
      });
      try {
        expect((await users.get('agent1'))!.extension).toBeNull();
        await store.cti.setExtension('agent1', '8009');
        expect(heard).toEqual(['agent1']);
        expect((await users.get('agent1'))!.extension).toBe('8009');
        // Inside a caller's transaction it is heard on commit, not before.
        await store.withTransaction(async () => {
          await store.cti.setExtension('agent1', null);
          expect(heard).toEqual(['agent1']);
        });
        expect(heard).toEqual(['agent1', 'agent1']);
        expect((await users.get('agent1'))!.extension).toBeNull();
      } finally {
        stop();
      }
    });

    it('records who revealed personal data, outside or inside a transaction', async () => {
      const { ticketId, ticket } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      const entry = await store.pii.recordReveal({
        at: TEST_EPOCH,
        userId: 'agent1',
        userName: '王芳',
        role: 'agent',
        ticketId,
        customerId: ticket.customerId,
        field: 'customerPhone',
        targetId: null,
      });
      expect(entry).toMatchObject({ id: expect.any(Number) as number, field: 'customerPhone', userName: '王芳' });
      await store.withTransaction(() =>
        store.pii.recordReveal({
          at: TEST_EPOCH + 1,
          userId: 'lead1',
          userName: '李主管',
          role: 'lead',
          ticketId,
          customerId: ticket.customerId,
          field: 'customerEmail',
          targetId: null,
        }),
      );
      expect((await store.pii.revealsOfTicket(ticketId, ticket.customerId)).map((e) => e.field)).toEqual(['customerEmail', 'customerPhone']);
    });

    it('refuses writes through the read-only SQL it lends to repositories', async () => {
      expect(await store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM users')).toEqual({ n: 2 });
      await expect(store.sql.run('DELETE FROM users')).rejects.toThrow('read-only');
      expect(await store.countUsers()).toBe(2);
    });
  });
}

describe('two server nodes on one PostgreSQL database', () => {
  let nodes: ServerStore[];
  let cleanup: () => Promise<void>;
  let agents: User[];

  beforeEach(async () => {
    const opened = await openStoreOn('postgres');
    nodes = [opened.store, await opened.another()];
    cleanup = opened.cleanup;
    agents = [];
    for (const id of ['agent1', 'agent2']) {
      agents.push(
        await nodes[0]!.createUser({ id, username: id, password: 'pw', displayName: id === 'agent1' ? '王芳' : '刘洋', role: 'agent', channels: ['chat'] }),
      );
    }
  });

  afterEach(async () => {
    for (const node of nodes) await node.close();
    await cleanup();
  });

  it('stores the first contacts of one new customer, racing on both nodes, as one customer and one ticket; the log has no gap', async () => {
    const heard: number[][] = [[], []];
    nodes.forEach((node, i) => node.onDidCommitChanges((batch) => heard[i]!.push(...batch.map((c) => c.change.seq))));
    const contacts = Array.from({ length: 20 }, (_, i) => nodes[i % 2]!.ingestInbound(contact(`消息${String(i)}`), { now: TEST_EPOCH + i }));
    const outcomes = await Promise.all(contacts);
    expect(new Set(outcomes.map((o) => o.ticket.customerId)).size).toBe(1);
    expect(new Set(outcomes.map((o) => o.ticketId))).toEqual(new Set(['GD20241108001']));
    expect((await nodes[0]!.getTicketBundle('GD20241108001'))!.messages).toHaveLength(20);
    // Each node heard its own commits in seq order; together they are every seq once.
    for (const seqs of heard) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const all = [...heard[0]!, ...heard[1]!].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect((await nodes[1]!.changeLogBounds()).maxSeq).toBe(all.length);
  });

  it('applies a mutation sent to both nodes at once exactly once', async () => {
    const { ticketId } = await nodes[0]!.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    const note: Mutation = { mutationId: 'note-1', kind: 'note', ticketId, noteId: 'n-1', text: '客户来电两次', createdAt: TEST_EPOCH + 1 };
    const results = await Promise.all(nodes.map((node) => node.applyMutation(agents[0]!, 'client-1', note, TEST_EPOCH + 1)));
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({ ok: true });
    expect((await nodes[0]!.getTicketBundle(ticketId))!.notes).toHaveLength(1);
  });

  it('gives a queued ticket to one of two agents taking it on different nodes at once', async () => {
    const { ticketId } = await nodes[0]!.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    const take = (i: number) =>
      nodes[i]!.applyMutation(
        agents[i]!,
        `client-${String(i)}`,
        { mutationId: `take-${String(i)}`, kind: 'setStatus', ticketId, status: 'in_progress', createdAt: TEST_EPOCH + 1 },
        TEST_EPOCH + 1,
      );
    const results = await Promise.all([take(0), take(1)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const winner = results[0].ok ? 'agent1' : 'agent2';
    expect((await nodes[1]!.getTicket(ticketId))!.assigneeId).toBe(winner);
    expect((await nodes[0]!.listRoutingAudit(ticketId)).map((e) => e.assigneeId)).toEqual([winner]);
  });
});
