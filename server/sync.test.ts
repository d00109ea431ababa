import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboundContact, InboundResponse } from '../shared/httpApi.js';
import {
  SYNC_PROTOCOL_VERSION,
  workstationHandshakeAuth,
  type Ack,
  type BootstrapPage,
  type ClientToServerEvents,
  type LiveChanges,
  type Mutation,
  type PullResult,
  type PushResult,
  type ServerToClientEvents,
} from '../shared/sync.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, login, postJson, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer;
const sockets: ClientSocket[] = [];

function openSocket(auth: unknown): ClientSocket {
  const socket: ClientSocket = connect(t.url, { auth: auth as Record<string, unknown>, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  return socket;
}

async function connectAs(username: string, clientId = `client-${username}`): Promise<{ socket: ClientSocket; batches: LiveChanges[] }> {
  const { token } = await login(t.url, username);
  const socket = openSocket(workstationHandshakeAuth(token, clientId));
  const batches: LiveChanges[] = [];
  socket.on('sync:changes', (batch) => batches.push(batch));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  // Signing in routes (this agent may take queued work): what follows sees the outcome.
  await t.server.routing.idle();
  return { socket, batches };
}

async function connectError(auth: unknown): Promise<string> {
  const socket = openSocket(auth);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected but should not have')));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

function pull(socket: ClientSocket, since: number): Promise<Ack<PullResult>> {
  return socket.timeout(5000).emitWithAck('sync:pull', { since });
}

function bootstrap(socket: ClientSocket, after: string | null, limit: number): Promise<Ack<BootstrapPage>> {
  return socket.timeout(5000).emitWithAck('sync:bootstrap', { after, limit });
}

function push(socket: ClientSocket, mutations: Mutation[]): Promise<Ack<PushResult>> {
  return socket.timeout(5000).emitWithAck('sync:push', { mutations });
}

function result<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`ack failed: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

async function goLive(socket: ClientSocket): Promise<number> {
  const pulled = result(await pull(socket, 0));
  if (pulled.mustRefetch || pulled.more) throw new Error('expected a complete pull');
  return pulled.upTo;
}

async function inbound(contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)} ${JSON.stringify(response.body)}`);
  return response.body as InboundResponse;
}

function chat(name: string, phone: string, text: string): InboundContact {
  return { channel: 'chat', customer: { name, phone }, text };
}

for (const backend of TEST_BACKENDS) {
  describe(`on ${backend}`, () => {
    beforeEach(async () => {
      // Auto-accept: these tests are about the change log and fan-out, not about offers (server/routing/ tests those).
      t = await startTestServer({
        backend,
        tokenTtlMs: 60 * 60 * 1000,
        routing: { autoAccept: true },
      });
      await seedTestOrganisation(t.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['phone', 'chat'] },
        { username: 'agent2', displayName: '张强', channels: ['chat'] },
        { username: 'agent3', displayName: '刘洋', channels: ['email'] },
      ]);
    });

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await t.stop();
    });

    describe('handshake', () => {
      it('refuses a missing, wrong, expired or integration token with "unauthorized"', async () => {
        const protocol = SYNC_PROTOCOL_VERSION;
        expect(await connectError({ protocol })).toBe('unauthorized');
        expect(await connectError({ token: 'wrong', clientId: 'c1', protocol })).toBe('unauthorized');
        expect(await connectError({ token: TEST_INTEGRATION_TOKEN, clientId: 'c1', protocol })).toBe('unauthorized');
        const { token } = await login(t.url, 'agent1');
        expect(await connectError({ token, clientId: 'bad id with spaces', protocol })).toBe('unauthorized');
        // A version that is not a number is a malformed handshake, not an outdated one.
        expect(await connectError({ token, clientId: 'c1', protocol: '2' })).toBe('unauthorized');
        t.clock.advance(60 * 60 * 1000);
        expect(await connectError({ token, clientId: 'c1', protocol })).toBe('unauthorized');
      });

      it('refuses a core without a protocol version, or an older one, with "client_outdated", whatever its token, and leaves the token usable', async () => {
        const { token } = await login(t.url, 'agent1');
        // A core from before versions: its handshake is {token, clientId}. Another client id
        // too, so a token accepted here would be bound to it and refused to its owner below.
        expect(await connectError({ token, clientId: 'ws-before-versions' })).toBe('client_outdated');
        expect(await connectError({ token, clientId: 'ws-before-versions', protocol: 1 })).toBe('client_outdated');
        // Told before the token is looked at: a wrong one, or none, hears the same.
        expect(await connectError({ token: 'wrong', clientId: 'c1' })).toBe('client_outdated');
        expect(await connectError({})).toBe('client_outdated');

        const socket = openSocket(workstationHandshakeAuth(token, 'client-agent1'));
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
        expect(socket.connected).toBe(true);
        await goLive(socket);
        // One line per outdated client however often it knocks: the admin learns which workstations to update.
        expect(t.logLines.filter((line) => line.includes('speaks sync protocol'))).toEqual([
          expect.stringContaining('client ws-before-versions at'),
          expect.stringContaining('client c1 at'),
          expect.stringContaining('client (unreadable id) at'),
        ]);
      });

      it('answers "unauthorized" to a request once the token has expired', async () => {
        const { socket } = await connectAs('agent1');
        t.clock.advance(60 * 60 * 1000);
        const ack = await pull(socket, 0);
        expect(ack).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      });
    });

    describe('clocks (clock-1)', () => {
      it('tells its time in every pull and push answer, and never dates a mutation at or before the entry it follows', async () => {
        const agent = await connectAs('agent1');
        const pulled = result(await pull(agent.socket, 0));
        expect(pulled.serverTime).toBe(t.clock.now());
        const { ticketId } = await inbound(chat('张伟', '13800138000', '订单物流查询延迟，三天没更新'));
        const question = (await t.store.getTicketBundle(ticketId))!.messages[0]!;
        t.clock.advance(1_000);
        // A workstation ten minutes behind, writing right after the question it saw.
        const behind = question.createdAt - 10 * 60_000;
        const note = (id: string, follows?: string): Mutation => ({
          mutationId: id,
          kind: 'note',
          ticketId,
          noteId: id,
          text: `备注 ${id}`,
          createdAt: behind,
          ...(follows === undefined ? {} : { follows }),
        });
        const pushed = result(
          await push(agent.socket, [note('n-follows', question.id), note('n-follows-note', 'n-follows'), note('n-alone'), note('n-elsewhere', 'x-not-here')]),
        );
        expect(pushed.results.every((entry) => entry.ok)).toBe(true);
        expect(pushed.serverTime).toBe(t.clock.now());
        const notes = new Map((await t.store.getTicketBundle(ticketId))!.notes.map((entry) => [entry.id, entry.createdAt]));
        expect(notes.get('n-follows')).toBe(question.createdAt + 1);
        // A note follows a note the same way.
        expect(notes.get('n-follows-note')).toBe(question.createdAt + 2);
        // Naming nothing (a core from before), or an entry not on this ticket: its own plausible time, but
        // never before the ticket was created (attack-8: no note or reply before the contact that opened it).
        const opened = (await t.store.getTicket(ticketId))!.createdAt;
        expect(behind).toBeLessThan(opened);
        expect(notes.get('n-alone')).toBe(opened);
        expect(notes.get('n-elsewhere')).toBe(opened);
        // The entry named is where it goes, not what it is: the same note sent again naming another is a retry.
        const again = result(await push(agent.socket, [note('n-alone', question.id)]));
        expect(again.results).toEqual([expect.objectContaining({ mutationId: 'n-alone', ok: true })]);
      });

      it('never dates a mutation after its receipt by chaining follows (attack-8: each entry named by the next was 1 ms later)', async () => {
        const agent = await connectAs('agent1');
        const { ticketId } = await inbound(chat('张伟', '13800138000', '订单物流查询延迟，三天没更新'));
        const question = (await t.store.getTicketBundle(ticketId))!.messages[0]!;
        t.clock.advance(1_000);
        const receivedAt = t.clock.now();
        // One push of notes, each naming the one before: the floor (followed entry + 1 ms) climbed
        // past the receipt, 1 ms per note, without bound over repeated pushes.
        const chain: Mutation[] = [];
        let follows = question.id;
        for (let i = 0; i < 50; i++) {
          chain.push({
            mutationId: `chain-${String(i)}`,
            kind: 'note',
            ticketId,
            noteId: `chain-${String(i)}`,
            text: `备注 ${String(i)}`,
            createdAt: receivedAt,
            follows,
          });
          follows = `chain-${String(i)}`;
        }
        const pushed = result(await push(agent.socket, chain));
        expect(pushed.results.filter((entry) => !entry.ok)).toEqual([]);
        const bundle = (await t.store.getTicketBundle(ticketId))!;
        const latest = Math.max(...bundle.notes.map((entry) => entry.createdAt), ...bundle.messages.map((entry) => entry.createdAt));
        // At most 1 ms after the receipt (an entry stored in that same millisecond is still followed).
        expect(latest).toBeLessThanOrEqual(receivedAt + 1);
        // The customer's next message, a moment later, sorts after everything the agent wrote before it.
        t.clock.advance(2);
        await inbound(chat('张伟', '13800138000', '还在吗？'));
        const after = (await t.store.getTicketBundle(ticketId))!;
        const customerNext = after.messages.find((entry) => entry.text === '还在吗？')!;
        expect(customerNext.createdAt).toBeGreaterThan(latest);
      });
    });

    describe('routing and live fan-out', () => {
      it('routes to the least-loaded online agent with the skill and pushes the bundle to that agent only', async () => {
        const a1 = await connectAs('agent1');
        const a2 = await connectAs('agent2');
        await goLive(a1.socket);
        await goLive(a2.socket);

        const first = await inbound({ ...chat('张伟', '13800138000', '订单物流查询延迟，三天没更新'), subject: '订单物流查询延迟' });
        const ticket1 = (await t.store.getTicket(first.ticketId))!;
        expect(ticket1).toMatchObject({ status: 'in_progress', assigneeId: 'agent1', assigneeName: '王芳' });
        expect(ticket1.assignmentReason).toEqual({ code: 'least_loaded', channel: 'chat', openTickets: 0, tieBreak: 'username' });
        await vi.waitFor(() => expect(a1.batches).toHaveLength(1));
        const change = a1.batches[0]!.changes[0]!;
        expect(change.kind).toBe('bundle');
        if (change.kind === 'bundle') {
          expect(change.bundle.ticket.id).toBe(first.ticketId);
          expect(change.bundle.customer.name).toBe('张伟');
          expect(change.bundle.messages[0]!.text).toBe('订单物流查询延迟，三天没更新');
        }

        t.clock.advance(60_000);
        const second = await inbound(chat('李娜', '13912340002', '申请退款'));
        expect(await t.store.getTicket(second.ticketId)).toMatchObject({ assigneeId: 'agent2' });
        expect((await t.store.getTicket(second.ticketId))!.assignmentReason).toEqual({
          code: 'least_loaded',
          channel: 'chat',
          openTickets: 0,
          tieBreak: 'none',
        });

        t.clock.advance(60_000);
        const third = await inbound(chat('陈晓燕', '15800158003', '售后维修进度查询'));
        expect((await t.store.getTicket(third.ticketId))!.assignmentReason).toEqual({
          code: 'least_loaded',
          channel: 'chat',
          openTickets: 1,
          tieBreak: 'idle_longest',
        });
        expect((await t.store.listRoutingAudit(third.ticketId)).at(-1)!.reason).toBe('Routed to 王芳: chat skill, fewest open tickets (1), idle longest');

        await vi.waitFor(() => expect(a1.batches).toHaveLength(2));
        await vi.waitFor(() => expect(a2.batches).toHaveLength(1));
        const seenBy2 = a2.batches.flatMap((b) => b.changes).map((c) => (c.kind === 'bundle' ? c.bundle.ticket.id : c.kind));
        expect(seenBy2).toEqual([second.ticketId]);
        expect(await t.store.listRoutingAudit(third.ticketId)).toEqual([
          expect.objectContaining({ decision: 'assigned', assigneeId: 'agent1', reason: expect.stringContaining('idle longest') as string }),
        ]);
      });

      it('leaves the ticket queued when no agent with the skill is online; it reaches an agent once routed to them', async () => {
        const a3 = await connectAs('agent3');
        await goLive(a3.socket);
        const queued = await inbound(chat('何静', '13100131008', '你好，我想查一下订单什么时候能到？'));
        const ticket = (await t.store.getTicket(queued.ticketId))!;
        expect(ticket).toMatchObject({
          status: 'unassigned',
          assigneeId: null,
          assignmentReason: { code: 'queued', channel: 'chat', cause: 'no_agent_online' },
        });
        expect(await t.store.listRoutingAudit(queued.ticketId)).toEqual([expect.objectContaining({ decision: 'queued', assigneeId: null })]);

        const a2 = await connectAs('agent2');
        const pulled = result(await pull(a2.socket, 0));
        expect(pulled.mustRefetch).toBe(false);
        // Agents are sent what they hold or are offered, not their channels' queues: coming online
        // drains the queue, and the queued ticket arrives once, as the bundle routed to agent2.
        if (!pulled.mustRefetch)
          expect(pulled.changes.map((c) => (c.kind === 'bundle' ? `${c.bundle.ticket.id} ${String(c.bundle.ticket.assigneeId)}` : c.kind))).toEqual([
            `${queued.ticketId} agent2`,
          ]);
        const nothing = result(await pull(a3.socket, 0));
        if (!nothing.mustRefetch) expect(nothing.changes).toEqual([]);
        expect(a3.batches).toEqual([]);
      });

      it('chains live batches with after/upTo from the pull, one batch per transaction', async () => {
        const lead = await connectAs('lead1');
        const a3 = await connectAs('agent3');
        const start = await goLive(lead.socket);
        await goLive(a3.socket);
        const one = await inbound(chat('张伟', '13800138000', '第一条'));
        await inbound(chat('张伟', '13800138000', '第二条'));
        const mail = await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票抬头填错了' });
        await vi.waitFor(() => expect(lead.batches).toHaveLength(3));
        expect(lead.batches[0]!.after).toBe(start);
        expect(lead.batches[1]!.after).toBe(lead.batches[0]!.upTo);
        expect(lead.batches[2]!.after).toBe(lead.batches[1]!.upTo);
        expect(lead.batches[1]!.changes.map((c) => c.kind)).toEqual(['message']);
        await vi.waitFor(() => expect(a3.batches).toHaveLength(1));
        expect(a3.batches[0]!.after).toBe(start);
        const mailChange = a3.batches[0]!.changes[0]!;
        expect(mailChange.kind === 'bundle' && mailChange.bundle.ticket.id).toBe(mail.ticketId);

        const replay = result(await pull(lead.socket, start));
        expect(replay.mustRefetch).toBe(false);
        if (!replay.mustRefetch) {
          expect(replay.changes.map((c) => c.seq)).toEqual(lead.batches.flatMap((b) => b.changes.map((c) => c.seq)));
          expect(replay.upTo).toBe(lead.batches[2]!.upTo);
          expect(replay.changes[0]!.kind === 'bundle' && replay.changes[0]!.bundle.ticket.id).toBe(one.ticketId);
        }
      });

      it('pages a long pull with "more" and goes live only at the end', async () => {
        await t.store.withTransaction(async () => {
          for (let i = 0; i < 1005; i++) {
            await t.store.ingestInbound(
              { channel: 'email', customer: { name: `客户${String(i)}`, email: `c${String(i)}@example.cn` }, text: `第${String(i)}封邮件` },
              { now: t.clock.now() },
            );
          }
        });
        const lead = await connectAs('lead1');
        const first = result(await pull(lead.socket, 0));
        expect(first).toMatchObject({ mustRefetch: false, more: true, upTo: 1000 });
        await inbound(chat('张伟', '13800138000', '你好'));
        const second = result(await pull(lead.socket, 1000));
        expect(second).toMatchObject({ mustRefetch: false, more: false, upTo: 1006 });
        if (!second.mustRefetch) expect(second.changes).toHaveLength(6);
        expect(lead.batches).toEqual([]);
        await inbound(chat('李娜', '13912340002', '在吗'));
        await vi.waitFor(() => expect(lead.batches).toEqual([expect.objectContaining({ after: 1006, upTo: 1007 })]));
      }, 120_000); // 1,005 ingests before the pulls: on a loaded CI machine they alone took 39 s

      it('answers mustRefetch beyond the log end and below the retained range', async () => {
        for (let i = 0; i < 6; i++) await inbound(chat(`客户${String(i)}`, `1380013800${String(i)}`, `消息${String(i)}`));
        const lead = await connectAs('lead1');
        expect(result(await pull(lead.socket, 99))).toEqual({ mustRefetch: true, upTo: 6, serverTime: t.clock.now() });
        expect(await t.store.pruneChangesBefore(4)).toBe(3);
        expect(result(await pull(lead.socket, 2))).toEqual({ mustRefetch: true, upTo: 6, serverTime: t.clock.now() });
        const fromThree = result(await pull(lead.socket, 3));
        expect(fromThree.mustRefetch).toBe(false);
        if (!fromThree.mustRefetch) expect(fromThree.changes.map((c) => c.seq)).toEqual([4, 5, 6]);
        expect(await t.store.pruneChangesBefore(100)).toBe(3);
        expect(await t.store.changeLogBounds()).toEqual({ maxSeq: 6, firstRetainedSeq: 7 });
        expect(result(await pull(lead.socket, 6))).toMatchObject({ mustRefetch: false, changes: [], upTo: 6 });
        expect(result(await pull(lead.socket, 5))).toEqual({ mustRefetch: true, upTo: 6, serverTime: t.clock.now() });
        const next = await inbound(chat('张伟', '13800138009', '新消息'));
        expect(await t.store.getTicket(next.ticketId)).not.toBeNull();
        expect((await t.store.changeLogBounds()).maxSeq).toBe(7);
      });
    });

    describe('bootstrap', () => {
      it('pages the bundles in scope by ticket id with the total and the log position; an agent gets only what they hold', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push((await inbound(chat(`客户${String(i)}`, `1380013800${String(i)}`, `你好 ${String(i)}`))).ticketId);
        ids.push((await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票' })).ticketId);
        const lead = await connectAs('lead1');
        const note: Mutation = { mutationId: 'n-1', kind: 'note', ticketId: ids[1]!, noteId: 'note-1', text: '客户是老用户', createdAt: t.clock.now() };
        result(await push(lead.socket, [note]));

        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const page: BootstrapPage = result(await bootstrap(lead.socket, after, 3));
          expect(page.total).toBe(8);
          expect(page.seq).toBe((await t.store.changeLogBounds()).maxSeq);
          for (const bundle of page.bundles) {
            expect(bundle.messages.length).toBe(1);
            expect(bundle.customer.id).toBe(bundle.ticket.customerId);
          }
          seen.push(...page.bundles.map((b) => b.ticket.id));
          after = page.next;
          pages++;
        } while (after);
        expect(pages).toBe(3);
        expect(seen).toEqual([...ids].sort());
        const withNote = result(await bootstrap(lead.socket, ids[0]!, 1));
        expect(withNote.bundles[0]!.notes.map((n) => n.text)).toEqual(['客户是老用户']);

        // agent1 (phone, chat) connecting drains part of the chat queue to them: those, and no queued one, are theirs to bootstrap.
        const agent = await connectAs('agent1');
        const page = result(await bootstrap(agent.socket, null, 100));
        expect(page.bundles.length).toBeGreaterThan(0);
        expect(page.total).toBe(page.bundles.length);
        expect(page.bundles.map((b) => b.ticket.assigneeId)).toEqual(page.bundles.map(() => 'agent1'));
        expect((await Promise.all(ids.map((id) => t.store.getTicket(id)))).some((ticket) => ticket!.assigneeId === null)).toBe(true);
      });

      it('counts the total once per walk: the next page keeps the first page count, a new or resumed walk counts again', async () => {
        for (let i = 0; i < 4; i++) await inbound(chat(`客户${String(i)}`, `1380013800${String(i)}`, `你好 ${String(i)}`));
        const lead = await connectAs('lead1');
        const first = result(await bootstrap(lead.socket, null, 2));
        expect(first.total).toBe(4);
        await inbound(chat('新客户', '13800138099', '又来一单'));
        // The walk goes on: its progress bar's total is not counted again (the new ticket still comes, on this last page).
        const second = result(await bootstrap(lead.socket, first.next, 2));
        expect(second.total).toBe(4);
        expect(second.bundles).toHaveLength(2);
        const third = result(await bootstrap(lead.socket, second.next, 2));
        expect(third).toMatchObject({ total: 4, next: null });
        expect(third.bundles).toHaveLength(1);
        // A walk from the start, or one resumed on another connection, counts.
        expect(result(await bootstrap(lead.socket, null, 2)).total).toBe(5);
        const resumed = await connectAs('lead1', 'client-lead1-again');
        expect(result(await bootstrap(resumed.socket, first.next, 2)).total).toBe(5);
        // So does a request that is not the page after the last one sent.
        expect(result(await bootstrap(lead.socket, second.next, 2)).total).toBe(5);
      });
    });

    describe('push', () => {
      it('applies a mutation once: a repeat returns the stored result and adds nothing', async () => {
        const created = await inbound(chat('张伟', '13800138000', '订单物流查询延迟'));
        const agent = await connectAs('agent1');
        const lead = await connectAs('lead1');
        await goLive(lead.socket);
        const note: Mutation = {
          mutationId: '0190f0a1-0000-7000-8000-000000000001',
          kind: 'note',
          ticketId: created.ticketId,
          noteId: 'note-a',
          text: '已催顺丰',
          createdAt: t.clock.now(),
        };
        const first = result(await push(agent.socket, [note]));
        const seqAfterFirst = (await t.store.changeLogBounds()).maxSeq;
        const again = result(await push(agent.socket, [note]));
        expect(again).toEqual(first);
        expect(first.results[0]).toEqual({ mutationId: note.mutationId, ok: true, seq: seqAfterFirst });
        expect((await t.store.changeLogBounds()).maxSeq).toBe(seqAfterFirst);
        expect((await t.store.getTicketBundle(created.ticketId))!.notes.map((n) => n.text)).toEqual(['已催顺丰']);
        await vi.waitFor(() => expect(lead.batches).toHaveLength(1));
        expect(lead.batches[0]!.changes.map((c) => c.kind)).toEqual(['note']);
      });

      it('takes a queued ticket on reply and refuses an invalid transition with the ticket and a reason', async () => {
        // With an address the reply has a way to the customer (e-mail); this server runs no mail sender, so the message says why it waits.
        const created = await inbound({
          ...chat('张伟', '13800138000', '你好'),
          customer: { name: '张伟', phone: '13800138000', email: 'zhangwei@example.cn' },
        });
        // Busy: connected but not routed to, so the ticket stays in the queue for them to take.
        await t.store.routing.saveAgentSettings(
          'agent1',
          {
            presence: 'busy',
            presenceCause: 'self',
            presenceSince: t.clock.now(),
            awayReason: null,
            capacity: { phone: 1, chat: 3, social: 5, email: 10 },
            phoneBlocksChat: true,
          },
          t.clock.now(),
        );
        const agent = await connectAs('agent1');
        const now = t.clock.now();
        const refused = result(
          await push(agent.socket, [{ mutationId: 'm-1', kind: 'setStatus', ticketId: created.ticketId, status: 'completed', createdAt: now }]),
        );
        expect(refused.results[0]).toMatchObject({ ok: false, code: 'invalid_transition', ticket: { id: created.ticketId, status: 'unassigned' } });
        const first = refused.results[0]!;
        expect(!first.ok && first.reason).toMatch(/unassigned.*completed/);

        const replied = result(
          await push(agent.socket, [
            { mutationId: 'm-2', kind: 'reply', ticketId: created.ticketId, messageId: 'msg-2', text: '您好，请问有什么可以帮您？', createdAt: now },
          ]),
        );
        expect(replied.results[0]).toMatchObject({ ok: true });
        expect(await t.store.getTicket(created.ticketId)).toMatchObject({ status: 'in_progress', assigneeId: 'agent1', firstResponseAt: now });
        const message = async () => (await t.store.getTicketBundle(created.ticketId))!.messages[1]!;
        expect(await message()).toMatchObject({ id: 'msg-2', direction: 'outbound', channel: 'email', source: 'email', authorName: '王芳' });
        await vi.waitFor(async () =>
          expect(await message()).toMatchObject({ deliveryStatus: 'queued', deliveryError: expect.stringMatching(/^no_sender\(email\): /) as string }),
        );

        const other = await connectAs('agent3');
        const hidden = result(
          await push(other.socket, [{ mutationId: 'm-3', kind: 'note', ticketId: created.ticketId, noteId: 'n-3', text: '偷看', createdAt: now }]),
        );
        expect(hidden.results[0]).toMatchObject({ ok: false, code: 'not_found', ticket: null });
      });

      it('answers invalid_request to a malformed payload and changes nothing; ignores a request without ack', async () => {
        const created = await inbound(chat('张伟', '13800138000', '你好'));
        const agent = await connectAs('agent1');
        const before = (await t.store.changeLogBounds()).maxSeq;
        const badPush = (await agent.socket.timeout(5000).emitWithAck('sync:push', {
          mutations: [{ mutationId: 'x', kind: 'note', ticketId: created.ticketId, noteId: 'n', text: '', createdAt: 1 }],
        } as never)) as Ack<PushResult>;
        expect(badPush).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
        if (!badPush.ok) expect(badPush.error.message).toMatch(/mutations\.0\.text/);
        const badPull: unknown = await agent.socket.timeout(5000).emitWithAck('sync:pull', { since: 'zero' } as never);
        expect(badPull).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
        const badBootstrap: unknown = await agent.socket.timeout(5000).emitWithAck('sync:bootstrap', { after: 'GD1', limit: 10 });
        expect(badBootstrap).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
        (agent.socket.emit as (event: string, payload: unknown) => void)('sync:push', {
          mutations: [{ mutationId: 'no-ack', kind: 'note', ticketId: created.ticketId, noteId: 'n-no-ack', text: '没有回执', createdAt: 1 }],
        });
        expect(result(await pull(agent.socket, 0)).upTo).toBe(before);
        expect((await t.store.changeLogBounds()).maxSeq).toBe(before);
        expect((await t.store.getTicketBundle(created.ticketId))!.notes).toEqual([]);
      });
    });
  });
}
