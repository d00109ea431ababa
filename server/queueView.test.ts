import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answeredCallSubject, callMessageText, readCallMessageText } from '../shared/cti.js';
import type { InboundContact, InboundResponse } from '../shared/httpApi.js';
import type { QueueSummary } from '../shared/queue.js';
import { type Ack, type Change, type ClientToServerEvents, type LiveChanges, type ServerToClientEvents } from '../shared/sync.js';
import type { ServerOptions } from './app.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, seedTestOrganisation, startTestServer, type TestBackend, type TestServer } from './testHarness.js';
import { openTestSocket } from './testing/sockets.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer;
const sockets: ClientSocket[] = [];

async function start(options: Partial<ServerOptions> & { backend?: TestBackend } = {}): Promise<void> {
  t = await startTestServer({ tokenTtlMs: 60 * 60 * 1000, queueSummaryIntervalMs: 20, ...options });
  await seedTestOrganisation(t.store, [
    { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
    { username: 'agent1', displayName: '王芳', channels: ['phone', 'chat'] },
    { username: 'agent2', displayName: '张强', channels: ['chat'] },
    { username: 'agent3', displayName: '刘洋', channels: ['email'] },
  ]);
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

interface Connected {
  socket: ClientSocket;
  batches: LiveChanges[];
  summaries: QueueSummary[];
}

async function connectAs(username: string): Promise<Connected> {
  const batches: LiveChanges[] = [];
  const summaries: QueueSummary[] = [];
  const socket = await openTestSocket(t.url, username, {
    listen: (opening) => {
      opening.on('sync:changes', (batch) => batches.push(batch));
      opening.on('queue:summary', (summary) => summaries.push(summary));
    },
  });
  sockets.push(socket);
  const pulled = result(await ask(socket, 'sync:pull', { since: 0 }));
  if (pulled.mustRefetch || pulled.more) throw new Error('expected a complete pull');
  return { socket, batches, summaries };
}

type AckEvent = {
  [E in keyof ClientToServerEvents]: Parameters<ClientToServerEvents[E]> extends [unknown, (response: never) => void] ? E : never;
}[keyof ClientToServerEvents];
type AnswerOf<E extends AckEvent> = Parameters<ClientToServerEvents[E]> extends [unknown, (response: infer R) => void] ? R : never;

/** One acknowledged request, typed by its event. */
async function ask<E extends AckEvent>(socket: ClientSocket, event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<AnswerOf<E>> {
  const emitter = socket.timeout(5000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  return (await emitter.emitWithAck(event, payload)) as AnswerOf<E>;
}

function result<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`ack failed: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

async function inbound(contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)} ${JSON.stringify(response.body)}`);
  return response.body as InboundResponse;
}

function ticketIdsOf(batches: readonly LiveChanges[]): string[] {
  return batches
    .flatMap((batch) => batch.changes)
    .map((change: Change) => (change.kind === 'bundle' ? change.bundle.ticket.id : change.kind === 'customer' ? change.customer.id : change.ticket.id));
}

function chatWaiting(summaries: readonly QueueSummary[]): number | undefined {
  const last = summaries.filter((summary) => summary.channels.includes('chat')).at(-1);
  return last ? last.entries.filter((entry) => entry.channel === 'chat').reduce((sum, entry) => sum + entry.waiting, 0) : undefined;
}

describe('what an agent is sent', () => {
  it('sends a queued contact to leads only; agents of its channel get the summary and can list and fetch it, masked', async () => {
    await start({ routing: { autoAccept: true } });
    const lead = await connectAs('lead1');
    const agent2 = await connectAs('agent2');
    const agent3 = await connectAs('agent3');
    // Busy: agent2 keeps their tickets and gets nothing new, so the contact stays queued.
    expect(result(await ask(agent2.socket, 'presence:set', { presence: 'busy' }))).toBeTruthy();
    await vi.waitFor(() => expect(chatWaiting(agent2.summaries)).toBe(0));
    expect(agent3.summaries.every((summary) => !summary.channels.includes('chat'))).toBe(true);

    const queued = await inbound({ channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '我的手机是13100131008，订单什么时候到？' });
    expect(await t.store.getTicket(queued.ticketId)).toMatchObject({ assigneeId: null, status: 'unassigned' });

    await vi.waitFor(() => expect(ticketIdsOf(lead.batches)).toContain(queued.ticketId));
    await vi.waitFor(() => expect(chatWaiting(agent2.summaries)).toBe(1));
    const summary = agent2.summaries.at(-1)!;
    expect(summary.entries).toEqual([
      expect.objectContaining({ channel: 'chat', waiting: 1, oldestSince: (await t.store.getTicket(queued.ticketId))!.createdAt, breaching: 0 }),
    ]);
    expect(ticketIdsOf(agent2.batches)).toEqual([]);
    expect(ticketIdsOf(agent3.batches)).toEqual([]);
    // Nor on a pull or a bootstrap.
    const pulled = result(await ask(agent2.socket, 'sync:pull', { since: 0 }));
    expect(pulled.mustRefetch === false && pulled.changes).toEqual([]);
    expect(result(await ask(agent2.socket, 'sync:bootstrap', { after: null, limit: 100 })).total).toBe(0);

    const listed = result(await ask(agent2.socket, 'queue:list', { limit: 50 }));
    expect(listed.rows.map((row) => row.ticket.id)).toEqual([queued.ticketId]);
    expect(listed.rows[0]!.ticket.lastMessagePreview).not.toContain('13100131008');
    expect(listed.next).toBeNull();
    const fetched = result(await ask(agent2.socket, 'ticket:fetch', { ticketId: queued.ticketId }));
    expect(fetched.bundle.ticket.id).toBe(queued.ticketId);
    expect(JSON.stringify(fetched.bundle)).not.toContain('13100131008');
    const leadFetched = result(await ask(lead.socket, 'ticket:fetch', { ticketId: queued.ticketId }));
    expect(leadFetched.bundle.customer.phone).toContain('13100131008');

    // A stranger to the channel: nothing listed, and the same not_found as for a ticket that does not exist.
    expect(result(await ask(agent3.socket, 'queue:list', { limit: 50 })).rows).toEqual([]);
    expect(result(await ask(agent3.socket, 'queue:list', { channel: 'chat', limit: 50 })).rows).toEqual([]);
    const refused = await ask(agent3.socket, 'ticket:fetch', { ticketId: queued.ticketId });
    expect(refused).toEqual({ ok: false, error: { code: 'not_found', message: `No ticket ${queued.ticketId}.` } });
    const unknown = await ask(agent3.socket, 'ticket:fetch', { ticketId: 'GD20241108999' });
    expect(unknown).toEqual({ ok: false, error: { code: 'not_found', message: 'No ticket GD20241108999.' } });
    expect(await ask(agent2.socket, 'queue:list', { limit: 0 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

    // Taking it (a reply) brings it into agent2's view as a bundle, and the queue empties.
    const take = await ask(agent2.socket, 'sync:push', {
      mutations: [{ mutationId: 'take-1', kind: 'setStatus', ticketId: queued.ticketId, status: 'in_progress', createdAt: t.clock.now() }],
    });
    expect(result(take).results[0]).toMatchObject({ ok: true });
    await vi.waitFor(() =>
      expect(agent2.batches.flatMap((b) => b.changes).some((c) => c.kind === 'bundle' && c.bundle.ticket.assigneeId === 'agent2')).toBe(true),
    );
    await vi.waitFor(() => expect(chatWaiting(agent2.summaries)).toBe(0));
  });

  it('searches only the queued tickets the caller could take, as they read them (issue 12)', async () => {
    await start({ routing: { autoAccept: true } });
    const lead = await connectAs('lead1');
    const agent2 = await connectAs('agent2');
    const agent3 = await connectAs('agent3');
    // Busy: routing gives them nothing, so every contact waits.
    for (const agent of [agent2, agent3]) expect(result(await ask(agent.socket, 'presence:set', { presence: 'busy' }))).toBeTruthy();
    const chat = await inbound({ channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '你好' });
    await inbound({ channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '我要退款，手机13100131008' });
    const mail = await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '退款什么时候到' });
    const held = await inbound({ channel: 'chat', customer: { name: '孔亮', phone: '13100131009' }, text: '退款申请' });
    const assignee = { id: 'agent1', username: 'agent1', displayName: '王芳' };
    await t.store.assignTicket({ ticketId: held.ticketId, assignee, reason: { code: 'assigned_by_lead', byName: '李主管' }, now: t.clock.now() });
    const search = async (who: Connected, request: { query: string; channel?: 'chat' | 'email' }) =>
      result(await ask(who.socket, 'queue:list', { limit: 50, ...request })).rows.map((row) => row.ticket.id);

    expect(await search(agent2, { query: '退款' })).toEqual([chat.ticketId]);
    expect(await search(agent3, { query: '退款' })).toEqual([mail.ticketId]);
    expect(await search(lead, { query: '退款' })).toEqual([chat.ticketId, mail.ticketId]);
    // Asking for another channel, or for a ticket someone holds by its id, finds nothing.
    expect(await search(agent2, { query: '退款', channel: 'email' })).toEqual([]);
    expect(await search(agent3, { query: chat.ticketId })).toEqual([]);
    expect(await search(agent2, { query: held.ticketId })).toEqual([]);
    expect(await search(agent2, { query: '孔亮' })).toEqual([]);
    // The phone number an agent reads masked is no search key for them; the excerpt they get is masked too.
    expect(await search(agent2, { query: '13100131008' })).toEqual([]);
    const row = result(await ask(agent2.socket, 'queue:list', { limit: 50, query: '退款' })).rows[0]!;
    expect(row.excerpt).toContain('退款');
    expect(JSON.stringify(row)).not.toContain('13100131008');
    expect(await search(lead, { query: '13100131008' })).toEqual([chat.ticketId]);
    // Bounded: a longer search text is refused.
    expect(await ask(agent2.socket, 'queue:list', { limit: 50, query: '退'.repeat(101) })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('finds a queued call by the Chinese word the screens say it in (通话), though its text is a code', async () => {
    await start({ routing: { autoAccept: true } });
    const lead = await connectAs('lead1');
    // A call an IVR answered, queued (nobody of the phone channel is connected); its text as the CTI stores it.
    const call = await inbound({
      channel: 'phone',
      customer: { name: '宋江', phone: '13100131010' },
      text: callMessageText({ outcome: 'answered', from: '13100131010', durationSec: 192, endedAt: t.clock.now() }),
    });
    await inbound({ channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '通知我一下' });
    const search = async (query: string) => result(await ask(lead.socket, 'queue:list', { limit: 50, query })).rows;
    const rows = await search('通话');
    expect(rows.map((row) => row.ticket.id)).toEqual([call.ticketId]);
    // The excerpt is the call's text from its start, so the window says it in the agent's language.
    expect(readCallMessageText(rows[0]!.excerpt!)).toEqual({ code: 'call_answered', durationSec: 192 });
    expect((await search('通话中')).map((row) => row.ticket.id)).toEqual([]);
    expect((await search('通话 宋江')).map((row) => row.ticket.id)).toEqual([call.ticketId]);
    expect((await search('call')).map((row) => row.ticket.id)).toEqual([call.ticketId]);
  });

  it.each(TEST_BACKENDS)(
    'finds a queued answered call by the words its subject is shown in ("Call from"), though it is stored 来电 …, on %s',
    async (backend) => {
      await start({ backend, routing: { autoAccept: true } });
      const lead = await connectAs('lead1');
      const agent1 = await connectAs('agent1');
      // Busy: routing gives agent1 nothing, so the call waits in the phone queue.
      expect(result(await ask(agent1.socket, 'presence:set', { presence: 'busy' }))).toBeTruthy();
      const call = await inbound({
        channel: 'phone',
        customer: { name: '宋江', phone: '13100131010' },
        subject: answeredCallSubject('宋江'),
        text: callMessageText({ outcome: 'answered', from: '13100131010', durationSec: 192, endedAt: t.clock.now() }),
      });
      await inbound({ channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '我打过电话了' });
      // The English inbox lists it as "Call from 宋江": each word of that finds it, for a lead and (masked) for an agent.
      for (const who of [lead, agent1]) {
        for (const query of ['Call from', 'from', 'Call from 宋江']) {
          const rows = result(await ask(who.socket, 'queue:list', { limit: 50, query })).rows;
          expect(
            rows.map((row) => row.ticket.id),
            `${query}`,
          ).toEqual([call.ticketId]);
        }
        expect(result(await ask(who.socket, 'queue:list', { limit: 50, query: 'from 何静' })).rows).toEqual([]);
      }
    },
  );

  it('computes the queue summary only while an agent of this node listens, and greets one with what committed meanwhile', async () => {
    await start();
    await connectAs('lead1');
    await inbound({ channel: 'chat', customer: { name: '何静' }, text: '在吗' });
    await inbound({ channel: 'chat', customer: { name: '孔亮' }, text: '你好' });
    // A lead does not get the summary: with no agent listening nothing is computed, however much commits.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.server.queueSummary.computations()).toBe(0);

    const agent2 = await connectAs('agent2');
    await vi.waitFor(() => expect(chatWaiting(agent2.summaries)).toBe(2));
    const computed = t.server.queueSummary.computations();
    expect(computed).toBeGreaterThan(0);
    agent2.socket.disconnect();
    await vi.waitFor(() => expect(agent2.socket.connected).toBe(false));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const afterLeaving = t.server.queueSummary.computations();
    await inbound({ channel: 'chat', customer: { name: '苗青' }, text: '请问' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.server.queueSummary.computations()).toBe(afterLeaving);

    // Back: the figures include the contact that came while nobody listened.
    const again = await connectAs('agent2');
    await vi.waitFor(() => expect(chatWaiting(again.summaries)).toBe(3));
  });

  it('greets an agent with the queue summary once, whether or not the greeting had to compute it', async () => {
    // A long interval: no scheduled run comes between the greetings; only the greetings compute.
    await start({ queueSummaryIntervalMs: 60 * 60 * 1000 });
    await inbound({ channel: 'chat', customer: { name: '何静' }, text: '在吗' });
    // The first agent of the node: their greeting computes the figures (nothing was computed yet).
    const agent2 = await connectAs('agent2');
    await vi.waitFor(() => expect(agent2.summaries.length).toBeGreaterThan(0));
    // A round trip after the first push: a second one sent with it would have arrived before the answer.
    result(await ask(agent2.socket, 'sync:pull', { since: 0 }));
    expect(agent2.summaries).toEqual([expect.objectContaining({ channels: ['chat'] })]);
    expect(chatWaiting(agent2.summaries)).toBe(1);

    // A contact commits, then a second agent arrives: their greeting computes again, which also
    // pushes the changed chat figures to the agent already listening (once), and greets the new one once.
    await inbound({ channel: 'chat', customer: { name: '孔亮' }, text: '你好' });
    const computed = t.server.queueSummary.computations();
    const agent1 = await connectAs('agent1');
    await vi.waitFor(() => expect(agent1.summaries.length).toBeGreaterThan(0));
    expect(t.server.queueSummary.computations()).toBe(computed + 1);
    result(await ask(agent1.socket, 'sync:pull', { since: 0 }));
    result(await ask(agent2.socket, 'sync:pull', { since: 0 }));
    expect(agent1.summaries).toEqual([expect.objectContaining({ channels: ['phone', 'chat'] })]);
    expect(chatWaiting(agent1.summaries)).toBe(2);
    expect(agent2.summaries).toHaveLength(2);
    expect(chatWaiting(agent2.summaries)).toBe(2);

    // The figures are fresh now: a third socket is greeted with them without computing, once.
    const again = await connectAs('agent2');
    await vi.waitFor(() => expect(again.summaries.length).toBeGreaterThan(0));
    result(await ask(again.socket, 'sync:pull', { since: 0 }));
    expect(again.summaries).toHaveLength(1);
    expect(t.server.queueSummary.computations()).toBe(computed + 1);
  });

  it('pages the queue longest waiting first, by channel and group', async () => {
    await start({ routing: { autoAccept: true } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await inbound({ channel: 'chat', customer: { name: `客户${String(i)}`, phone: `1380013800${String(i)}` }, text: `你好 ${String(i)}` })).ticketId,
      );
      t.clock.advance(1000);
    }
    const mail = (await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票' })).ticketId;
    const lead = await connectAs('lead1');
    const first = result(await ask(lead.socket, 'queue:list', { channel: 'chat', limit: 2 }));
    expect(first.rows.map((row) => row.ticket.id)).toEqual(ids.slice(0, 2));
    const second = result(await ask(lead.socket, 'queue:list', { channel: 'chat', limit: 10, after: first.next! }));
    expect(second.rows.map((row) => row.ticket.id)).toEqual(ids.slice(2));
    expect(second.next).toBeNull();
    expect(result(await ask(lead.socket, 'queue:list', { limit: 10 })).rows.map((row) => row.ticket.id)).toEqual([...ids, mail]);
    const group = (await t.store.getTicket(ids[0]!))!.routing.group;
    const byGroup = result(await ask(lead.socket, 'queue:list', { channel: 'chat', group, limit: 10 }));
    expect(byGroup.rows.length).toBeGreaterThan(0);
    expect(byGroup.rows.every((row) => row.ticket.routing.group === group)).toBe(true);
    expect(byGroup.rows[0]!.customerName).toBe('客户0');
    const summary = await t.store.queue.summary(t.clock.now());
    expect(summary.reduce((sum, entry) => sum + entry.waiting, 0)).toBe(6);
    expect(summary.filter((entry) => entry.channel === 'email')).toEqual([expect.objectContaining({ waiting: 1, breaching: 0 })]);
    // Four hours later every one of them is at risk or past due.
    expect((await t.store.queue.summary(t.clock.now() + 4 * 60 * 60 * 1000)).every((entry) => entry.breaching === entry.waiting)).toBe(true);
  });

  it('sends an offered ticket to the agent it is offered to only, and tells them when the offer moves on', async () => {
    await start();
    const agent1 = await connectAs('agent1');
    const agent2 = await connectAs('agent2');
    const offered = await inbound({ channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '在吗？' });
    const offerOf = async () => (await t.store.getTicket(offered.ticketId))!.routing.offer?.agentId ?? null;
    await vi.waitFor(async () => expect(await offerOf()).not.toBeNull());
    const first = (await offerOf())!;
    const [offeredTo, other] = first === 'agent1' ? [agent1, agent2] : [agent2, agent1];
    await vi.waitFor(() =>
      expect(offeredTo.batches.flatMap((b) => b.changes).some((c) => c.kind === 'bundle' && c.bundle.ticket.routing.offer?.agentId === first)).toBe(true),
    );
    expect(ticketIdsOf(other.batches)).toEqual([]);

    const declined = await ask(offeredTo.socket, 'offer:respond', { ticketId: offered.ticketId, accept: false });
    expect(result(declined)).toMatchObject({ outcome: 'declined' });
    await vi.waitFor(async () => expect(await offerOf()).not.toBe(first));
    // The first agent is told it left their view (a change whose offer is not theirs); the other gets the bundle.
    await vi.waitFor(() =>
      expect(
        offeredTo.batches
          .flatMap((b) => b.changes)
          .some((c) => c.kind === 'ticket' && c.ticket.id === offered.ticketId && c.ticket.routing.offer?.agentId !== first),
      ).toBe(true),
    );
    if ((await offerOf()) !== null) {
      await vi.waitFor(() =>
        expect(other.batches.flatMap((b) => b.changes).some((c) => c.kind === 'bundle' && c.bundle.ticket.id === offered.ticketId)).toBe(true),
      );
    }
  });
});
