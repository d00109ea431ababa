/**
 * Merging two customers over the real socket (`customer:merge`): what moves, the audit row,
 * what each viewer's live feed receives (the kept customer before the moved tickets), and
 * every refusal with its clear error.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CustomerMergeResult } from '../shared/customers.js';
import type { InboundResponse } from '../shared/httpApi.js';
import { workstationHandshakeAuth, type Ack, type ClientToServerEvents, type LiveChanges, type PullResult, type ServerToClientEvents } from '../shared/sync.js';
import { TEST_INTEGRATION_TOKEN, login, postJson, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer;
const sockets: ClientSocket[] = [];

beforeEach(async () => {
  t = await startTestServer();
  await seedTestOrganisation(t.store, [
    { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
    { username: 'agent1', displayName: '王芳', channels: ['phone', 'email'] },
    { username: 'agent3', displayName: '刘洋', channels: ['email'] },
    { username: 'agent4', displayName: '陈静', channels: ['social'] },
  ]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

async function inbound(body: unknown): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(body), TEST_INTEGRATION_TOKEN);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as InboundResponse;
}

/** A live socket for the user: connected, pulled up to now, collecting its live batches. */
async function liveAs(username: string): Promise<{ socket: ClientSocket; batches: LiveChanges[] }> {
  const { token } = await login(t.url, username);
  // Away: connecting must not route the queued tickets to them (these tests are about merging, not routing).
  if (username.startsWith('agent')) await t.server.routing.setPresence(username, 'away', 'lead', '李主管');
  const socket: ClientSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `merge-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const batches: LiveChanges[] = [];
  socket.on('sync:changes', (batch) => batches.push(batch));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const pulled = (await socket.timeout(5000).emitWithAck('sync:pull', { since: 0 })) as Ack<PullResult>;
  if (!pulled.ok) throw new Error(pulled.error.message);
  return { socket, batches };
}

/** The kinds of the changes the socket received live, once it received some. */
async function liveKinds(live: { socket: ClientSocket; batches: LiveChanges[] }): Promise<string[]> {
  if (live.batches.length === 0) await new Promise<void>((resolve) => live.socket.once('sync:changes', () => resolve()));
  return live.batches.flatMap((batch) => batch.changes.map((change) => change.kind));
}

/** A lead hands the ticket to the agent. */
async function giveTo(username: string, ticketId: string): Promise<void> {
  const agent = (await t.store.getUserByUsername(username))!;
  await t.store.assignTicket({
    ticketId,
    assignee: { id: agent.id, username: agent.username, displayName: agent.displayName },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now: t.clock.now(),
  });
}

function merge(socket: ClientSocket, keepId: string, mergeId: string): Promise<Ack<CustomerMergeResult>> {
  return socket.timeout(5000).emitWithAck('customer:merge', { keepId, mergeId });
}

async function twoZhangWei() {
  const call = await inbound({ channel: 'phone', customer: { name: '张伟', phone: '13800138000' }, text: '来电：订单物流查询延迟' });
  const mail = await inbound({
    channel: 'email',
    customer: { name: '张伟', email: 'zhangwei.home@example.cn' },
    subject: '订单物流查询延迟',
    text: '快递三天没动了',
  });
  const keepId = (await t.store.getTicket(call.ticketId))!.customerId;
  const mergeId = (await t.store.getTicket(mail.ticketId))!.customerId;
  expect(keepId).not.toBe(mergeId);
  return { call, mail, keepId, mergeId };
}

describe('customer:merge', () => {
  it('moves tickets and identities to the kept customer, audits it, and tells each viewer the customer before the tickets', async () => {
    const { call, mail, keepId, mergeId } = await twoZhangWei();
    // agent3 holds the email ticket (an agent is sent what they hold, not their channels' queues).
    await giveTo('agent3', mail.ticketId);
    const lead = await liveAs('lead1');
    const agent3 = await liveAs('agent3');
    const agent4 = await liveAs('agent4');

    const ack = await merge(lead.socket, keepId, mergeId);
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.result.mergedId).toBe(mergeId);
    expect(ack.result.ticketIds).toEqual([mail.ticketId]);
    expect(ack.result.customer).toMatchObject({
      id: keepId,
      name: '张伟',
      phone: '+8613800138000',
      email: 'zhangwei.home@example.cn',
      // The inbound API's fields are the integration's claims: known again through its own scoped identities.
      identities: [
        { kind: 'social', value: 'api:tests:email:zhangwei.home@example.cn' },
        { kind: 'social', value: 'api:tests:phone:+8613800138000' },
      ],
    });
    // The claims moved too: the kept customer is the one suggested for both values now.
    const db0 = new Database(t.store.filePath!, { readonly: true });
    try {
      expect(db0.prepare('SELECT customer_id, kind, value FROM customer_claims ORDER BY kind').all()).toEqual([
        { customer_id: keepId, kind: 'email', value: 'zhangwei.home@example.cn' },
        { customer_id: keepId, kind: 'phone', value: '+8613800138000' },
      ]);
    } finally {
      db0.close();
    }
    expect((await t.store.getTicket(mail.ticketId))!.customerId).toBe(keepId);
    expect((await t.store.getTicket(call.ticketId))!.customerId).toBe(keepId);
    expect((await t.store.listTickets((await t.store.getUser('lead1'))!, { customer: keepId, limit: 10 })).tickets.map((ticket) => ticket.id).sort()).toEqual(
      [call.ticketId, mail.ticketId].sort(),
    );

    // The socket's live batches arrive before its ack: one batch, customer first, then the moved ticket.
    expect(await liveKinds(lead)).toEqual(['customer', 'ticket']);
    const [customerChange, ticketChange] = lead.batches[0]!.changes;
    expect(customerChange).toMatchObject({ kind: 'customer', customer: { id: keepId } });
    expect(ticketChange).toMatchObject({ kind: 'ticket', ticket: { id: mail.ticketId, customerId: keepId } });
    // agent3 holds the email ticket: the same; agent4 (social only) sees neither customer.
    expect(await liveKinds(agent3)).toEqual(['customer', 'ticket']);
    expect(agent3.batches[0]!.changes[1]).toMatchObject({ kind: 'ticket', ticket: { id: mail.ticketId, customerId: keepId } });
    // A later change reaches agent4 only after everything before it, so agent4 getting nothing of the merge is observable.
    const social = await inbound({ channel: 'social', customer: { name: '罗琳', socialId: 'wx_luolin_88' }, text: '公众号留言' });
    await giveTo('agent4', social.ticketId);
    expect(await liveKinds(agent4)).toEqual(['bundle']);

    const db = new Database(t.store.filePath!, { readonly: true });
    try {
      expect(db.prepare('SELECT kept_id, merged_id, by_user_id, by_name, tickets_moved, at FROM customer_merges').all()).toEqual([
        { kept_id: keepId, merged_id: mergeId, by_user_id: 'lead1', by_name: '李主管', tickets_moved: 1, at: t.clock.now() },
      ]);
      expect(db.prepare('SELECT merged_into FROM customers WHERE id = ?').get(mergeId)).toEqual({ merged_into: keepId });
    } finally {
      db.close();
    }

    // The merged customer's address now reaches the kept customer.
    const later = await inbound({ channel: 'email', customer: { email: 'ZhangWei.Home@example.cn' }, text: '请问有进展吗？' });
    expect((await t.store.getTicket(later.ticketId))!.customerId).toBe(keepId);
    expect(t.logLines.some((line) => line.includes(`customer ${mergeId} merged into ${keepId} by lead1: 1 ticket(s) moved`))).toBe(true);
  });

  it('refuses merging a customer into itself, into or from a merged customer, and unknown customers, each with a clear error', async () => {
    const { keepId, mergeId } = await twoZhangWei();
    const lead = await liveAs('lead1');

    expect(await merge(lead.socket, keepId, keepId)).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: `A customer cannot be merged into itself (${keepId}).` },
    });
    expect(await merge(lead.socket, keepId, 'CUS20991231999')).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'Customer CUS20991231999 does not exist or is not yours to see.' },
    });
    const bad: unknown = await lead.socket.timeout(5000).emitWithAck('customer:merge', { keepId, mergeId: '张伟' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

    expect((await merge(lead.socket, keepId, mergeId)).ok).toBe(true);
    expect(await merge(lead.socket, keepId, mergeId)).toEqual({
      ok: false,
      error: { code: 'conflict', message: `Customer ${mergeId} was already merged into ${keepId}.` },
    });
    const third = await inbound({ channel: 'phone', customer: { name: '张伟', phone: '13900139000' }, text: '另一个号码' });
    const thirdId = (await t.store.getTicket(third.ticketId))!.customerId;
    expect(await merge(lead.socket, mergeId, thirdId)).toEqual({
      ok: false,
      error: { code: 'conflict', message: `Customer ${mergeId} was already merged into ${keepId}; merge into that customer instead.` },
    });
    expect(t.logLines.filter((line) => line.includes('refused')).length).toBeGreaterThanOrEqual(4);
  });

  it('lets an agent merge only customers of tickets they can see', async () => {
    const { call, keepId, mergeId } = await twoZhangWei();
    const social = await inbound({ channel: 'social', customer: { name: '张伟', socialId: 'wechat:gh_demo:oZhangWei' }, text: '公众号留言' });
    const socialId = (await t.store.getTicket(social.ticketId))!.customerId;
    const agent1 = await liveAs('agent1');
    const agent3 = await liveAs('agent3');

    // agent3 (email) sees the email customer only.
    expect(await merge(agent3.socket, keepId, mergeId)).toEqual({
      ok: false,
      error: { code: 'not_found', message: `Customer ${keepId} does not exist or is not yours to see.` },
    });
    // agent1 (phone + email) sees both 张伟 but not the WeChat one.
    expect(await merge(agent1.socket, keepId, socialId)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const ack = await merge(agent1.socket, keepId, mergeId);
    expect(ack.ok).toBe(true);
    expect((await t.store.getTicket(call.ticketId))!.customerId).toBe(keepId);
  });
});
