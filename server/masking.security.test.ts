/**
 * Personal data masking, as a table of attacks and the refusal each must meet (issue 9 item 9;
 * docs/technical/security.md). Every row runs against a real server (real SQLite, real sockets,
 * real HTTP; the last row a real workstation core and its cache file). Add a row for each new
 * way data leaves the server.
 *
 * 张伟's phone, e-mail address, ID card and bank card are in his customer record, his ticket's
 * subject and his message; an agent must never receive one of them in clear unless they ask
 * for it (and that is audited), a lead always does.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CtiCall } from '../shared/cti.js';
import type { InboundContact, InboundResponse, TicketListResponse } from '../shared/httpApi.js';
import type { PiiAuditEntry } from '../shared/pii.js';
import type { RoutingOffer } from '../shared/routing.js';
import { type Ack, type ClientToServerEvents, type LiveChanges, type ServerToClientEvents } from '../shared/sync.js';
import { createWorkstationCore } from '../main/core/index.js';
import { call as callCore, onlineAndIdle, waitUntil } from '../main/core/testing/coreCalls.js';
import { signedWebhookHeaders } from './channels/signature.js';
import { ctiChannel } from './channels/cti/ctiChannel.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, getJson, login, postJson, startTestServer, type TestServer } from './testHarness.js';
import { openTestSocket } from './testing/sockets.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type UntypedEmitter = { emitWithAck(event: string, request: unknown): Promise<unknown> };

/** 张伟's personal data as he gave it. */
const CLEAR = { phone: '13800138000', email: 'zhang.wei@example.cn', idCard: '110101199003077777', card: '6222 0212 3456 7890' } as const;
type ClearName = keyof typeof CLEAR;
const CTI_SECRET = 'cti-secret-for-masking-tests';

/** Which of 张伟's clear values appear anywhere in what was received. */
function leaked(received: unknown): ClearName[] {
  const text = typeof received === 'string' ? received : JSON.stringify(received);
  return (Object.keys(CLEAR) as ClearName[]).filter((name) => text.includes(CLEAR[name]));
}

interface Client {
  socket: ClientSocket;
  batches: LiveChanges[];
  offers: RoutingOffer[];
  calls: CtiCall[];
}

let t: TestServer;
let emailTicket: string;
const sockets: ClientSocket[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

async function inbound(contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)} ${JSON.stringify(response.body)}`);
  return response.body as InboundResponse;
}

async function connectAs(username: string): Promise<Client> {
  const heard: Omit<Client, 'socket'> = { batches: [], offers: [], calls: [] };
  const socket = await openTestSocket(t.url, username, {
    listen: (opening) => {
      opening.on('sync:changes', (batch) => heard.batches.push(batch));
      opening.on('routing:offer', (offer) => heard.offers.push(offer));
      opening.on('cti:call', (popped) => heard.calls.push(popped));
    },
  });
  sockets.push(socket);
  const client: Client = { socket, ...heard };
  return client;
}

function ask(client: Client, event: string, request: unknown): Promise<Ack<unknown>> {
  return (client.socket.timeout(5000) as unknown as UntypedEmitter).emitWithAck(event, request) as Promise<Ack<unknown>>;
}

function resultOf<T>(ack: Ack<unknown>): T {
  if (!ack.ok) throw new Error(`ack failed: ${ack.error.code} ${ack.error.message}`);
  return ack.result as T;
}

function refusalOf(ack: Ack<unknown>): string {
  return ack.ok ? 'answered' : ack.error.code;
}

async function auditOf(ticketId: string): Promise<PiiAuditEntry[]> {
  const lead = await connectAs('lead1');
  return resultOf<{ entries: PiiAuditEntry[] }>(await ask(lead, 'pii:audit', { ticketId })).entries;
}

async function ring(callId: string, extension: string): Promise<void> {
  const body = JSON.stringify({ callId, event: 'offered', at: t.clock.now(), from: '+86 138-0013-8000', to: '4008001234', agentExtension: extension });
  const response = await fetch(`${t.url}/channels/cti/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(CTI_SECRET, body, t.clock.now()) },
    body,
  });
  if (response.status !== 200) throw new Error(`call event refused: ${String(response.status)}`);
}

beforeEach(async () => {
  t = await startTestServer({ channels: [ctiChannel({ secret: CTI_SECRET, twilio: null })] });
  const user = async (id: string, displayName: string, role: 'agent' | 'lead', channels: Array<'phone' | 'chat' | 'email'>, extension: string | null = null) =>
    await t.store.createUser({ id, username: id, password: TEST_PASSWORD, displayName, role, channels, extension });
  await user('lead1', '李主管', 'lead', []);
  await user('agent1', '王芳', 'agent', ['phone', 'chat', 'email'], '8001');
  await user('agent2', '张强', 'agent', ['chat'], '8002');
  await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
  // The organisation's own record of 张伟 (a call from his number recognises him), as a channel that proves his phone and address would store it.
  emailTicket = (
    await t.store.ingestInbound(
      {
        channel: 'email',
        customer: { name: '张伟', phone: '+86 138-0013-8000', email: 'zhang.wei@example.cn' },
        proven: ['phone', 'email'],
        source: 'email',
        subject: '请回电 13800138000',
        text: '身份证110101199003077777，退款到卡号6222 0212 3456 7890 123，邮箱 zhang.wei@example.cn',
      },
      { now: t.clock.now() },
    )
  ).ticketId;
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await t.stop();
});

interface AttackRow {
  attack: string;
  run: () => Promise<unknown>;
  expect: unknown;
}

const ROWS: AttackRow[] = [
  {
    attack: 'an agent bootstraps the inbox',
    run: async () => {
      const page = resultOf<{ bundles: unknown[] }>(await ask(await connectAs('agent1'), 'sync:bootstrap', { after: null, limit: 100 }));
      return { tickets: page.bundles.length, leaked: leaked(page) };
    },
    expect: { tickets: 1, leaked: [] },
  },
  {
    attack: 'an agent pulls the change log from the start',
    run: async () => {
      const pulled = resultOf<{ changes: unknown[] }>(await ask(await connectAs('agent1'), 'sync:pull', { since: 0 }));
      return { changes: pulled.changes.length > 0, leaked: leaked(pulled) };
    },
    expect: { changes: true, leaked: [] },
  },
  {
    attack: 'an agent receives the live batch of a new message',
    run: async () => {
      const agent = await connectAs('agent1');
      resultOf(await ask(agent, 'sync:pull', { since: 0 }));
      await inbound({
        channel: 'email',
        customer: { name: '张伟', email: 'zhang.wei@example.cn' },
        text: '再说一遍：手机13800138000，卡号6222 0212 3456 7890 123',
      });
      await vi.waitFor(() => expect(agent.batches.length).toBeGreaterThan(0));
      return { leaked: leaked(agent.batches) };
    },
    expect: { leaked: [] },
  },
  {
    attack: 'an agent lists and opens tickets over the HTTP API',
    run: async () => {
      const { token } = await login(t.url, 'agent1');
      const list = await getJson(`${t.url}/api/v1/tickets`, token);
      const detail = await getJson(`${t.url}/api/v1/tickets/${emailTicket}`, token);
      return { status: [list.status, detail.status], leaked: leaked([list.body, detail.body]) };
    },
    expect: { status: [200, 200], leaked: [] },
  },
  {
    attack: 'an agent probes the hidden digits of the phone and the hidden part of the address through the ticket list’s customer filter',
    run: async () => {
      const found = async (username: string, customer: string) => {
        const { token } = await login(t.url, username);
        const list = await getJson<TicketListResponse>(`${t.url}/api/v1/tickets?customer=${encodeURIComponent(customer)}`, token);
        return (list.body as TicketListResponse).tickets.some((ticket) => ticket.id === emailTicket);
      };
      const agent: Record<string, boolean> = {};
      // Hidden (138****8000, z***@example.cn): each answer would tell a digit or a letter without a reveal, unaudited.
      for (const probe of ['0013', '13800138000', 'zhang', 'zhang.wei@example.cn']) agent[`hidden ${probe}`] = await found('agent1', probe);
      // What the agent is shown still finds the ticket.
      for (const probe of ['张伟', '8000', 'example.cn', '138']) agent[`shown ${probe}`] = await found('agent1', probe);
      return { agent, lead: await found('lead1', '0013') };
    },
    expect: {
      agent: {
        'hidden 0013': false,
        'hidden 13800138000': false,
        'hidden zhang': false,
        'hidden zhang.wei@example.cn': false,
        'shown 张伟': true,
        'shown 8000': true,
        'shown example.cn': true,
        'shown 138': true,
      },
      lead: true,
    },
  },
  {
    // attack-8: the rows the masked check dropped still decided `next`, and `next` named the last of them.
    attack: 'an agent probes the hidden digits through the paging of the ticket list and of the queue search, with two of the customer’s tickets in view',
    run: async () => {
      // Away, so routing leaves the queue alone: the two new tickets wait in agent1's email queue.
      const agent = await connectAs('agent1');
      resultOf(await ask(agent, 'presence:set', { presence: 'away' }));
      await t.server.routing.idle();
      for (const subject of ['还没有回电', '第三次来信']) {
        await t.store.ingestInbound(
          {
            channel: 'email',
            customer: { name: '张伟', phone: '+86 138-0013-8000', email: 'zhang.wei@example.cn' },
            proven: ['phone', 'email'],
            source: 'email',
            subject,
            text: '我的手机13800138000，请尽快联系',
            newConversation: true,
          },
          { now: t.clock.now() },
        );
      }
      const { token } = await login(t.url, 'agent1');
      const listed = async (customer: string) => {
        const body = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets?limit=1&customer=${encodeURIComponent(customer)}`, token))
          .body as TicketListResponse;
        return { tickets: body.tickets.length, more: body.next !== null };
      };
      const searched = async (query: string) => {
        const page = resultOf<{ rows: unknown[]; next: unknown }>(await ask(agent, 'queue:list', { query, limit: 1 }));
        return { rows: page.rows.length, more: page.next !== null };
      };
      const all = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets`, token)).body as TicketListResponse;
      const queued = resultOf<{ rows: unknown[] }>(await ask(agent, 'queue:list', { limit: 50 })).rows.length;
      return {
        inView: { list: all.tickets.length, queue: queued },
        // The right digits and wrong ones must read alike.
        list: { right: await listed('13800138000'), wrong: await listed('13900139000'), part: await listed('0013'), shown: await listed('8000') },
        queue: { right: await searched('13800138000'), wrong: await searched('13900139000'), part: await searched('0013'), shown: await searched('8000') },
      };
    },
    expect: {
      inView: { list: 3, queue: 2 },
      list: {
        right: { tickets: 0, more: false },
        wrong: { tickets: 0, more: false },
        part: { tickets: 0, more: false },
        shown: { tickets: 1, more: true },
      },
      queue: {
        right: { rows: 0, more: false },
        wrong: { rows: 0, more: false },
        part: { rows: 0, more: false },
        shown: { rows: 1, more: true },
      },
    },
  },
  {
    attack: "an agent's phone pops a call from the customer",
    run: async () => {
      const agent = await connectAs('agent1');
      await ring('call-1', '8001');
      await vi.waitFor(() => expect(agent.calls).toHaveLength(1));
      return { known: agent.calls[0]!.customer !== null, from: agent.calls[0]!.from, leaked: leaked(agent.calls) };
    },
    expect: { known: true, from: '+86 138-****-8000', leaked: [] },
  },
  {
    attack: "an agent's workstation reconnects while a call rings: the replayed screen pop",
    run: async () => {
      await ring('call-3', '8001');
      const agent = await connectAs('agent1');
      await vi.waitFor(() => expect(agent.calls).toHaveLength(1));
      return { replayed: agent.calls[0]!.callId, leaked: leaked(agent.calls) };
    },
    expect: { replayed: 'call-3', leaked: [] },
  },
  {
    attack: 'an agent signs in on a second device while an offer waits: the replayed offer',
    run: async () => {
      const first = await connectAs('agent2');
      await inbound({ channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '卡号6222 0212 3456 7890 123' });
      await vi.waitFor(() => expect(first.offers).toHaveLength(1));
      const second = await connectAs('agent2');
      await vi.waitFor(() => expect(second.offers).toHaveLength(1));
      return { leaked: leaked(second.offers) };
    },
    expect: { leaked: [] },
  },
  {
    attack: 'an agent is offered a chat from the customer, and accepts it',
    run: async () => {
      const agent = await connectAs('agent2');
      // A chat whose number the channel proved: the same 张伟, another channel, another agent.
      const chat = await t.store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, proven: ['phone'], text: '我的身份证110101199003077777，手机13800138000' },
        { now: t.clock.now() },
      );
      await vi.waitFor(() => expect(agent.offers).toHaveLength(1));
      const accepted = await ask(agent, 'offer:respond', { ticketId: chat.ticketId, accept: true });
      return { accepted: refusalOf(accepted), leaked: leaked([agent.offers, accepted]) };
    },
    expect: { accepted: 'answered', leaked: [] },
  },
  {
    attack: 'an agent merges the customer with another one and reads the answer',
    run: async () => {
      const other = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw.work@example.cn' }, text: '工作邮箱' });
      const agent = await connectAs('agent1');
      const keepId = (await t.store.getTicket(emailTicket))!.customerId;
      const merged = await ask(agent, 'customer:merge', { keepId, mergeId: (await t.store.getTicket(other.ticketId))!.customerId });
      return { merged: refusalOf(merged), leaked: leaked(merged) };
    },
    expect: { merged: 'answered', leaked: [] },
  },
  {
    attack: 'an agent asks who is possibly the same customer (a claimant of his phone and address)',
    run: async () => {
      await inbound({ channel: 'chat', customer: { name: '张伟', phone: '13800138000', email: 'zhang.wei@example.cn' }, text: '我是张伟' });
      const agent = await connectAs('agent1');
      const answer = resultOf<{ matches: unknown[] }>(await ask(agent, 'customer:matches', { customerId: (await t.store.getTicket(emailTicket))!.customerId }));
      return { matches: answer.matches.length, leaked: leaked(answer) };
    },
    expect: { matches: 1, leaked: [] },
  },
  {
    attack: "an agent reads the customer's whole history, another agent's ticket on another channel included",
    run: async () => {
      // A chat whose number the channel proved: the same 张伟, another channel, another agent.
      const chat = await t.store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, proven: ['phone'], text: '我的身份证110101199003077777，手机13800138000' },
        { now: t.clock.now() },
      );
      const held = (await t.store.getTicket(emailTicket))!;
      await t.store.assignTicket({
        ticketId: chat.ticketId,
        assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: t.clock.now(),
      });
      if (held.assigneeId !== 'agent1')
        await t.store.assignTicket({
          ticketId: emailTicket,
          assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
          reason: { code: 'assigned_by_lead', byName: '李主管' },
          now: t.clock.now(),
        });
      const page = resultOf<{ entries: Array<{ ticket: { id: string } }> }>(
        await ask(await connectAs('agent1'), 'customer:history', { customerId: held.customerId }),
      );
      return { othersChat: page.entries.some((entry) => entry.ticket.id === chat.ticketId), leaked: leaked(page) };
    },
    expect: { othersChat: true, leaked: [] },
  },
  {
    attack: "an agent's refused change comes back with the ticket",
    run: async () => {
      const agent = await connectAs('agent1');
      const pushed = resultOf<{ results: Array<{ ok: boolean; ticket?: unknown }> }>(
        await ask(agent, 'sync:push', {
          mutations: [{ mutationId: 'm-1', kind: 'setStatus', ticketId: emailTicket, status: 'unassigned', createdAt: t.clock.now() }],
        }),
      );
      return { ok: pushed.results[0]!.ok, carriesTicket: pushed.results[0]!.ticket != null, leaked: leaked(pushed) };
    },
    expect: { ok: false, carriesTicket: true, leaked: [] },
  },
  {
    attack: 'an agent escalates and reads the ticket in the answer',
    run: async () => {
      const agent = await connectAs('agent1');
      const escalated = await ask(agent, 'ticket:escalate', { ticketId: emailTicket, reason: '客户要求回拨13800138000' });
      return { escalated: refusalOf(escalated), leaked: leaked(escalated) };
    },
    expect: { escalated: 'answered', leaked: [] },
  },
  {
    attack: 'a lead bootstraps and opens the ticket over HTTP (leads see everything clear)',
    run: async () => {
      const page = resultOf(await ask(await connectAs('lead1'), 'sync:bootstrap', { after: null, limit: 100 }));
      const { token } = await login(t.url, 'lead1');
      const detail = await getJson(`${t.url}/api/v1/tickets/${emailTicket}`, token);
      return { bootstrap: leaked(page), http: leaked(detail.body) };
    },
    expect: { bootstrap: ['phone', 'email', 'idCard', 'card'], http: ['phone', 'email', 'idCard', 'card'] },
  },
  {
    attack: "an agent reveals the customer's phone with one click: answered clear, audited with who, role, what and when",
    run: async () => {
      const revealed = resultOf<{ value: string }>(await ask(await connectAs('agent1'), 'pii:reveal', { field: 'customerPhone', ticketId: emailTicket }));
      const customerId = (await t.store.getTicket(emailTicket))!.customerId;
      const audit = (await auditOf(emailTicket)).map(({ userId, userName, role, field, ticketId, customerId: customer, at }) => ({
        userId,
        userName,
        role,
        field,
        ticketId,
        customer,
        at,
      }));
      return {
        value: revealed.value,
        audit,
        loggedWithoutValue: t.logLines.some((l) => l.includes('revealed customerPhone') && !l.includes(CLEAR.phone)),
        customerId,
      };
    },
    expect: {
      value: '+8613800138000',
      audit: [
        {
          userId: 'agent1',
          userName: '王芳',
          role: 'agent',
          field: 'customerPhone',
          ticketId: expect.stringMatching(/^GD/) as string,
          customer: expect.stringMatching(/^CUS/) as string,
          at: expect.any(Number) as number,
        },
      ],
      loggedWithoutValue: true,
      customerId: expect.stringMatching(/^CUS/) as string,
    },
  },
  {
    attack: 'an agent reveals a message of their own ticket: the clear text comes back, audited with the message',
    run: async () => {
      const agent = await connectAs('agent1');
      const messageId = (await t.store.getTicketBundle(emailTicket))!.messages[0]!.id;
      const revealed = resultOf<{ message: { text: string } }>(await ask(agent, 'pii:reveal', { field: 'message', ticketId: emailTicket, messageId }));
      return { clear: leaked(revealed.message.text), audited: (await auditOf(emailTicket)).map((e) => [e.field, e.targetId === messageId]) };
    },
    expect: { clear: ['email', 'idCard', 'card'], audited: [['message', true]] },
  },
  {
    attack: 'an agent reveals on a ticket outside their view (another channel), and on a ticket that does not exist',
    run: async () => {
      const agent = await connectAs('agent2');
      const outside = await ask(agent, 'pii:reveal', { field: 'customerPhone', ticketId: emailTicket });
      const missing = await ask(agent, 'pii:reveal', { field: 'customerPhone', ticketId: 'GD20991231001' });
      return { outside: refusalOf(outside), missing: refusalOf(missing), leaked: leaked([outside, missing]), audited: (await auditOf(emailTicket)).length };
    },
    expect: { outside: 'not_found', missing: 'not_found', leaked: [], audited: 0 },
  },
  {
    attack: "an agent reveals another ticket's message through a ticket they may see",
    run: async () => {
      const agent = await connectAs('agent2');
      const mine = await inbound({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '你好' });
      const foreignMessage = (await t.store.getTicketBundle(emailTicket))!.messages[0]!.id;
      const answer = await ask(agent, 'pii:reveal', { field: 'message', ticketId: mine.ticketId, messageId: foreignMessage });
      return { answer: refusalOf(answer), leaked: leaked(answer) };
    },
    expect: { answer: 'not_found', leaked: [] },
  },
  {
    attack: "an agent reveals the number of a call that rang at another agent's phone",
    run: async () => {
      await connectAs('agent2');
      await ring('call-2', '8002');
      const answer = await ask(await connectAs('agent1'), 'pii:reveal', { field: 'call', callId: 'call-2' });
      return { answer: refusalOf(answer), leaked: leaked(answer) };
    },
    expect: { answer: 'not_found', leaked: [] },
  },
  {
    attack: 'an agent asks who revealed what',
    run: async () => refusalOf(await ask(await connectAs('agent1'), 'pii:audit', { ticketId: emailTicket })),
    expect: 'forbidden',
  },
  {
    attack: 'an agent sends a malformed reveal (no ticket, an unknown field)',
    run: async () => {
      const agent = await connectAs('agent1');
      const noTicket = await ask(agent, 'pii:reveal', { field: 'customerPhone' });
      const unknownField = await ask(agent, 'pii:reveal', { field: 'password', ticketId: emailTicket });
      return { noTicket: refusalOf(noTicket), unknownField: refusalOf(unknownField), audited: (await auditOf(emailTicket)).length };
    },
    expect: { noTicket: 'invalid_request', unknownField: 'invalid_request', audited: 0 },
  },
  {
    attack: 'an agent floods reveals: every single one is audited',
    run: async () => {
      const agent = await connectAs('agent1');
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => ask(agent, 'pii:reveal', { field: i % 2 === 0 ? 'customerPhone' : 'customerEmail', ticketId: emailTicket })),
      );
      return { answered: answers.filter((a) => a.ok).length, audited: (await auditOf(emailTicket)).length };
    },
    expect: { answered: 60, audited: 60 },
  },
  {
    attack: "an agent's workstation syncs the customer: its cache file holds no clear number or address",
    run: async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'masking-core-'));
      cleanups.push(() => rmSync(root, { recursive: true, force: true }));
      const core = await createWorkstationCore({ dataDir: root, serverUrl: t.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
      let closed = false;
      cleanups.push(async () => {
        if (!closed) await core.close();
      });
      await callCore(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
      await waitUntil(core, 'agent1 is online', onlineAndIdle(core));
      const detail = await callCore(core, 'ticket.get', { ticketId: emailTicket });
      await core.close();
      closed = true;
      const file = path.join(root, 'users', 'agent1.sqlite');
      const bytes = [file, `${file}-wal`]
        .filter(existsSync)
        .map((f) => readFileSync(f).toString('latin1'))
        .join('');
      return { shown: detail.customer.phone, leakedInDetail: leaked(detail), leakedOnDisk: leaked(bytes) };
    },
    expect: { shown: '+86138****8000', leakedInDetail: [], leakedOnDisk: [] },
  },
];

describe('masking personal data: attacks and refusals', () => {
  it.each(ROWS)('$attack', async (row) => {
    expect(await row.run()).toEqual(row.expect);
  });
});
