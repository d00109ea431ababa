/**
 * The customer's whole history over a real server's sockets (shared/customers.ts
 * `customer:history`), on SQLite and on PostgreSQL: pages newest first across every channel
 * and every agent, read-only (only the asker's own tickets may be opened), masked for agents
 * and clear for leads, merged customers read as one, a stranger refused like an unknown id,
 * satisfaction answers carried with their tickets (comment masked for agents), and the
 * request rate limited per user.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerHistoryPage } from '../shared/customers.js';
import type { Channel } from '../shared/domain.js';
import { workstationHandshakeAuth, type Ack, type ClientToServerEvents, type ServerToClientEvents } from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { login, startTestServer, TEST_BACKENDS, TEST_PASSWORD, type TestServer } from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type UntypedEmitter = { emitWithAck(event: string, request: unknown): Promise<unknown> };

const USERS = [
  { id: 'lead1', displayName: '李主管', role: 'lead' as const, channels: [] as Channel[] },
  { id: 'agent1', displayName: '王芳', role: 'agent' as const, channels: ['chat', 'email'] as Channel[] },
  { id: 'agent2', displayName: '张强', role: 'agent' as const, channels: ['chat', 'phone', 'email'] as Channel[] },
  // Sees the chat queue, holds none of 张伟's tickets: a stranger to his history.
  { id: 'agent3', displayName: '赵敏', role: 'agent' as const, channels: ['chat'] as Channel[] },
];
const CHANNELS_IN_TURN: Channel[] = ['phone', 'email', 'chat', 'social'];
/** 张伟's tickets: the first is agent1's (a chat), the others agent2's, on every channel. */
const TICKETS = 23;

async function socketOf(t: TestServer, username: string): Promise<ClientSocket> {
  const { token } = await login(t.url, username);
  const socket: ClientSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `client-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function history(socket: ClientSocket, request: unknown): Promise<Ack<CustomerHistoryPage>> {
  return (await (socket.timeout(5000) as unknown as UntypedEmitter).emitWithAck('customer:history', request)) as Ack<CustomerHistoryPage>;
}

function pageOf(ack: Ack<CustomerHistoryPage>): CustomerHistoryPage {
  if (!ack.ok) throw new Error(`history refused: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

describe.each(TEST_BACKENDS)('customer history over the socket (%s)', (backend) => {
  let t: TestServer;
  const sockets: ClientSocket[] = [];
  let customerId: string;
  let agent1Ticket: string;
  let mergedAwayId: string;
  const ticketIds: string[] = [];

  beforeAll(async () => {
    t = await startTestServer({ backend });
    for (const user of USERS) await t.store.createUser({ ...user, username: user.id, password: TEST_PASSWORD });
    for (let i = 0; i < TICKETS; i++) {
      t.clock.advance(60_000);
      const channel = i === 0 ? 'chat' : CHANNELS_IN_TURN[i % CHANNELS_IN_TURN.length]!;
      const { ticketId } = await t.store.ingestInbound(
        {
          channel,
          customer: { name: '张伟', phone: '13800138000', ...(channel === 'social' ? { socialId: 'wechat:demo:o-zhangwei' } : {}) },
          proven: ['phone'],
          subject: `第${String(i + 1)}次联系`,
          text: i === 1 ? '请回电 13800138000，卡号 6222 0212 3456 7890' : `问题 ${String(i + 1)}`,
          newConversation: true,
        },
        { now: t.clock.now() },
      );
      const assignee = USERS.find((user) => user.id === (i === 0 ? 'agent1' : 'agent2'))!;
      await t.store.assignTicket({
        ticketId,
        assignee: { id: assignee.id, username: assignee.id, displayName: assignee.displayName },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: t.clock.now(),
      });
      ticketIds.push(ticketId);
    }
    agent1Ticket = ticketIds[0]!;
    customerId = (await t.store.getTicket(agent1Ticket))!.customerId;
    // A second record of him (another address, no shared phone), merged into the first by a lead: his history is one.
    t.clock.advance(60_000);
    const other = await t.store.ingestInbound(
      { channel: 'email', customer: { name: '张伟', email: 'zw.work@example.cn' }, subject: '工作邮箱', text: '换个邮箱联系', newConversation: true },
      { now: t.clock.now() },
    );
    mergedAwayId = (await t.store.getTicket(other.ticketId))!.customerId;
    // Left unassigned in the email queue, which agent1 could take from.
    ticketIds.push(other.ticketId);
    const lead = (await t.store.getCredentials('lead1'))!.user;
    await t.store.mergeCustomers({ keepId: customerId, mergeId: mergedAwayId, actor: lead, now: t.clock.now() });
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await t.stop();
  });

  async function as(username: string): Promise<ClientSocket> {
    const socket = await socketOf(t, username);
    sockets.push(socket);
    return socket;
  }

  it('pages the whole history newest first across channels and agents; only the asker’s own ticket (and a queued one of their channels) may be opened', async () => {
    const agent = await as('agent1');
    const seen: string[] = [];
    const pages: number[] = [];
    let before: CustomerHistoryPage['next'] = null;
    let total = -1;
    do {
      const page = pageOf(await history(agent, { customerId, before, limit: 10 }));
      pages.push(page.entries.length);
      total = page.total;
      for (const entry of page.entries) {
        seen.push(entry.ticket.id);
        expect(entry.mayOpen).toBe(entry.ticket.id === agent1Ticket || entry.ticket.id === ticketIds.at(-1));
      }
      before = page.next;
    } while (before !== null);
    expect({ pages, total }).toEqual({ pages: [10, 10, 4], total: TICKETS + 1 });
    expect(seen).toEqual([...ticketIds].reverse());

    const first = pageOf(await history(agent, { customerId }));
    expect(first.entries).toHaveLength(20);
    const channels = new Set(first.entries.map((entry) => entry.ticket.channel));
    expect([...channels].sort()).toEqual(['chat', 'email', 'phone', 'social']);
    // Each ticket carries its messages (one each here) and their count.
    expect(first.entries.every((entry) => entry.messages.length === 1 && entry.messageCount === 1)).toBe(true);
  });

  it('masks the personal data of every earlier ticket for an agent and leaves it clear for a lead', async () => {
    const second = ticketIds[1]!;
    const find = (page: CustomerHistoryPage) => page.entries.find((entry) => entry.ticket.id === second)!;
    const agentPage = pageOf(await history(await as('agent1'), { customerId, limit: 50 }));
    const leadPage = pageOf(await history(await as('lead1'), { customerId, limit: 50 }));
    expect(find(agentPage).messages[0]!.text).toBe('请回电 138****8000，卡号 **** **** **** 7890');
    expect(JSON.stringify(agentPage)).not.toContain('13800138000');
    expect(find(leadPage).messages[0]!.text).toBe('请回电 13800138000，卡号 6222 0212 3456 7890');
    // A lead may act on every ticket anyway.
    expect(leadPage.entries.every((entry) => entry.mayOpen)).toBe(true);
  });

  it('reads a merged-away customer as the one it went into, with both histories', async () => {
    const page = pageOf(await history(await as('agent1'), { customerId: mergedAwayId, limit: 5 }));
    expect(page.customerId).toBe(customerId);
    expect(page.total).toBe(TICKETS + 1);
    expect(page.entries[0]!.ticket.subject).toBe('工作邮箱');
  });

  it('refuses a stranger exactly like an unknown customer, and logs who tried', async () => {
    const stranger = await as('agent3');
    const refused = await history(stranger, { customerId });
    const unknown = await history(stranger, { customerId: 'CUS20991231999' });
    expect([refused, unknown].map((ack) => (ack.ok ? 'answered' : ack.error.code))).toEqual(['not_found', 'not_found']);
    expect(!refused.ok && !unknown.ok && refused.error.message.replace(customerId, 'X') === unknown.error.message.replace('CUS20991231999', 'X')).toBe(true);
    expect(t.logLines.some((line) => line.includes(`customer:history by agent3 refused: customer ${customerId}`))).toBe(true);
  });

  it('answers a malformed request with invalid_request', async () => {
    const agent = await as('agent1');
    const answers = await Promise.all([
      history(agent, { customerId: 'not-a-customer' }),
      history(agent, { customerId, limit: 500 }),
      history(agent, { customerId, before: { createdAt: -1, id: agent1Ticket } }),
    ]);
    expect(answers.map((ack) => (ack.ok ? 'answered' : ack.error.code))).toEqual(['invalid_request', 'invalid_request', 'invalid_request']);
  });

  it('carries the customer’s satisfaction answers to whoever may read the history: ratings, date and ticket, the comment masked for agents', async () => {
    // A new email ticket of 张伟's, handled by agent2 and completed: the survey goes out by email and he answers it.
    // Nobody is online meanwhile, so routing offers it to no one and the lead's assignment stands.
    for (const socket of sockets.splice(0)) socket.disconnect();
    t.clock.advance(60_000);
    const { ticketId } = await t.store.ingestInbound(
      {
        channel: 'email',
        customer: { name: '张伟', phone: '13800138000', email: 'zw.csat@example.cn' },
        proven: ['phone'],
        text: '发票开错了',
        source: 'email',
        newConversation: true,
      },
      { now: t.clock.now() },
    );
    await t.store.assignTicket({
      ticketId,
      assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: t.clock.now(),
    });
    const agent2 = (await t.store.getCredentials('agent2'))!.user;
    for (const [n, body] of [
      { kind: 'setFields', result: '已重开发票' },
      { kind: 'setStatus', status: 'completed' },
    ].entries()) {
      const now = t.clock.now() + n + 1;
      const outcome = await t.store.applyMutation(
        agent2,
        'client-agent2',
        { mutationId: `csat-${String(n)}`, ticketId, createdAt: now, ...body } as never,
        now,
      );
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
    }
    const survey = (await t.store.csat.forTicket(ticketId))!;
    const minted = await t.store.csat.mintToken(survey.inviteMessageId!, t.clock.now() + 5);
    if (typeof minted === 'string') throw new Error(`no token: ${minted}`);
    const answered = await t.store.csat.answer(
      minted.token,
      { attitude: 5, speed: 4, resolution: 3, professionalism: 4, comment: '有事打 13800138000' },
      t.clock.now() + 6,
    );
    if (!answered.ok) throw new Error(`not answered: ${answered.refusal}`);

    const entryOf = (page: CustomerHistoryPage) => page.entries.find((entry) => entry.ticket.id === ticketId)!;
    const leadPage = pageOf(await history(await as('lead1'), { customerId, limit: 5 }));
    expect(entryOf(leadPage).csat).toEqual({
      feedbackId: answered.result.feedbackId,
      ticketId,
      ratings: { attitude: 5, speed: 4, resolution: 3, professionalism: 4 },
      score: 4,
      comment: '有事打 13800138000',
      answeredAt: t.clock.now() + 6,
    });
    // agent1 holds another of his tickets, so reads his history (this ticket read-only), the comment masked.
    const agentEntry = entryOf(pageOf(await history(await as('agent1'), { customerId, limit: 5 })));
    expect(agentEntry.mayOpen).toBe(false);
    expect(agentEntry.csat).toMatchObject({ ratings: { attitude: 5, speed: 4, resolution: 3, professionalism: 4 }, comment: '有事打 138****8000' });
    // Tickets nobody rated carry none; a stranger gets no history at all, so no answers either.
    expect(leadPage.entries.filter((entry) => entry.ticket.id !== ticketId).every((entry) => entry.csat === null)).toBe(true);
    const stranger = await history(await as('agent3'), { customerId });
    expect(stranger.ok ? 'answered' : stranger.error.code).toBe('not_found');
  });
});

describe('customer history rate limit', () => {
  let t: TestServer;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    t = await startTestServer({ rateLimits: { ...DEFAULT_RATE_LIMITS, customerHistoryPerUser: { points: 3, durationSec: 60 } } });
    for (const user of USERS) await t.store.createUser({ ...user, username: user.id, password: TEST_PASSWORD });
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await t.stop();
  });

  it('stops one user walking customer ids after the budget, logs it once, and leaves other users alone', async () => {
    const walker = await socketOf(t, 'agent3');
    const other = await socketOf(t, 'lead1');
    sockets.push(walker, other);
    const codes: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const ack = await history(walker, { customerId: `CUS20241108${String(n).padStart(3, '0')}` });
      codes.push(ack.ok ? 'answered' : ack.error.code);
    }
    expect(codes).toEqual(['not_found', 'not_found', 'not_found', 'rate_limited', 'rate_limited']);
    expect(t.logLines.filter((line) => line.includes('agent3 is over the history limit'))).toHaveLength(1);
    const lead = await history(other, { customerId: 'CUS20241108001' });
    expect(lead.ok ? 'answered' : lead.error.code).toBe('not_found');
  });
});
