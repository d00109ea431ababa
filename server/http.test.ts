import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TicketBundle } from '../shared/domain.js';
import type { ApiErrorBody, InboundResponse, TicketListResponse } from '../shared/httpApi.js';
import { RESOLUTION_SLA_MS } from '../shared/sla.js';
import { TEST_INTEGRATION_TOKEN, getJson, login, postJson, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

let t: TestServer;

beforeEach(async () => {
  t = await startTestServer({ tokenTtlMs: 60 * 60 * 1000 });
  await seedTestOrganisation(t.store, [
    { username: 'lead1', displayName: '李主管', role: 'lead', channels: ['phone', 'chat', 'social', 'email'] },
    { username: 'agent1', displayName: '王芳', channels: ['phone', 'chat'] },
    { username: 'agent3', displayName: '刘洋', channels: ['email'] },
  ]);
});

afterEach(async () => {
  await t.stop();
});

function inbound(body: unknown, token: string = TEST_INTEGRATION_TOKEN) {
  return postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(body), token);
}

function fieldPaths(body: unknown): string[] {
  return ((body as ApiErrorBody).error.fields ?? []).map((f) => f.path).sort();
}

const zhangWei = { name: '张伟', phone: '138-0013-8000' };

describe('health and sign-in', () => {
  it('reports health with the change-log position', async () => {
    const before = await getJson<{ ok: boolean; seq: number; uptimeMs: number }>(`${t.url}/healthz`);
    expect(before.status).toBe(200);
    // One node: it routes, and has no Redis to depend on.
    expect(before.body).toMatchObject({ ok: true, seq: 0, routingLeader: true, redis: null });
    await inbound({ channel: 'chat', customer: zhangWei, text: '你好，我想查询订单物流' });
    const after = await getJson<{ seq: number }>(`${t.url}/healthz`);
    expect((after.body as { seq: number }).seq).toBeGreaterThan(0);
  });

  it('signs in with the right password and refuses a wrong one or an unknown user', async () => {
    const ok = await login(t.url, 'agent1');
    expect(ok.user).toMatchObject({ id: 'agent1', displayName: '王芳', role: 'agent', channels: ['phone', 'chat'] });
    expect(ok.expiresAt).toBe(t.clock.now() + 60 * 60 * 1000);
    expect(ok.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const wrong = await postJson(`${t.url}/api/v1/auth/login`, JSON.stringify({ username: 'agent1', password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect((wrong.body as ApiErrorBody).error.code).toBe('unauthorized');
    const unknown = await postJson(`${t.url}/api/v1/auth/login`, JSON.stringify({ username: '不存在', password: 'nope' }));
    expect(unknown.status).toBe(401);
    const malformed = await postJson(`${t.url}/api/v1/auth/login`, JSON.stringify({ username: '' }));
    expect(malformed.status).toBe(400);
    expect(fieldPaths(malformed.body)).toEqual(['password', 'username']);
  });

  it('refuses an expired user token, saying it expired', async () => {
    const { token } = await login(t.url, 'lead1');
    expect((await getJson(`${t.url}/api/v1/tickets`, token)).status).toBe(200);
    t.clock.advance(60 * 60 * 1000 + 1);
    const expired = await getJson(`${t.url}/api/v1/tickets`, token);
    expect(expired.status).toBe(401);
    expect((expired.body as ApiErrorBody).error.message).toMatch(/expired/);
  });
});

describe('POST /api/v1/inbound', () => {
  it('opens a ticket with a GD id, a new customer and the SLA due time, queued when nobody is online', async () => {
    const response = await inbound({
      channel: 'phone',
      customer: zhangWei,
      subject: '订单物流查询延迟',
      text: '我的订单三天没有物流更新了',
      externalMessageId: 'call-1',
    });
    expect(response.status).toBe(201);
    const created = response.body as InboundResponse;
    expect(created).toMatchObject({ ticketId: 'GD20241108001', created: true, duplicate: false });

    const { token } = await login(t.url, 'lead1');
    const detail = await getJson<TicketBundle>(`${t.url}/api/v1/tickets/${created.ticketId}`, token);
    expect(detail.status).toBe(200);
    const bundle = detail.body as TicketBundle;
    expect(bundle.ticket).toMatchObject({
      channel: 'phone',
      status: 'unassigned',
      assigneeId: null,
      priority: 'normal',
      type: 'consult',
      subject: '订单物流查询延迟',
      dueAt: t.clock.now() + RESOLUTION_SLA_MS.normal,
    });
    expect(bundle.customer).toMatchObject({ id: 'CUS20241108001', name: '张伟', phone: '+8613800138000' });
    expect(bundle.messages).toHaveLength(1);
    expect(bundle.messages[0]).toMatchObject({ id: created.messageId, direction: 'inbound', text: '我的订单三天没有物流更新了', deliveryStatus: 'received' });
    expect(await t.store.listRoutingAudit(created.ticketId)).toEqual([expect.objectContaining({ decision: 'queued' })]);
  });

  it('stores a repeated externalMessageId once and answers with the same ticket and message', async () => {
    const body = { channel: 'social', customer: { name: '王磊', socialId: 'wx_wanglei' }, text: '退款什么时候到账？', externalMessageId: 'wx-msg-42' };
    const first = await inbound(body);
    const second = await inbound(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    const a = first.body as InboundResponse;
    expect(second.body).toEqual({ ticketId: a.ticketId, messageId: a.messageId, created: false, duplicate: true });
    expect((await t.store.getTicketBundle(a.ticketId))!.messages).toHaveLength(1);
  });

  it('refuses an externalMessageId of the web chat form (the server’s own ids) with reserved_external_id, storing nothing; other ids are the integration’s', async () => {
    // A visitor's message id as web chat stores it: not the integration's to send (told so, not stored under its scope).
    const visitorId = 'webchat:demo:v-Vh1pJ8Q2C2Lr0m6aQk3lC5mYl1rJc0l9mB0Xn4xQJzE#cmsg-0001';
    for (const externalMessageId of [visitorId, '  webchat:demo:user:u1#c-1']) {
      const refused = await inbound({ channel: 'chat', customer: zhangWei, text: '你好', externalMessageId });
      expect(refused.status, externalMessageId).toBe(400);
      expect((refused.body as ApiErrorBody).error.code).toBe('reserved_external_id');
      expect(fieldPaths(refused.body)).toEqual(['externalMessageId']);
    }
    expect((await getJson<{ seq: number }>(`${t.url}/healthz`)).body).toMatchObject({ seq: 0 });
    // Only the prefix `webchat:` is reserved: the word elsewhere is an id like any other.
    for (const externalMessageId of ['crm-webchat:1', 'webchat-2'])
      expect((await inbound({ channel: 'chat', customer: zhangWei, text: '你好', externalMessageId })).status).toBe(201);
  });

  it('joins a follow-up to the open ticket of the same customer and channel, matching +86 and lower-case email', async () => {
    const first = (await inbound({ channel: 'chat', customer: zhangWei, text: '你好' })).body as InboundResponse;
    const follow = await inbound({ channel: 'chat', customer: { phone: '+86 138 0013 8000' }, text: '请问有人吗？' });
    expect(follow.status).toBe(201);
    expect(follow.body).toMatchObject({ ticketId: first.ticketId, created: false, duplicate: false });
    expect((await t.store.getTicketBundle(first.ticketId))!.messages.map((m) => m.text)).toEqual(['你好', '请问有人吗？']);

    const otherChannel = (await inbound({ channel: 'email', customer: { phone: '008613800138000', email: 'Zhang.Wei@Example.CN' }, text: '邮件补充说明' }))
      .body as InboundResponse;
    expect(otherChannel.created).toBe(true);
    const emailTicket = (await t.store.getTicket(otherChannel.ticketId))!;
    expect(emailTicket.customerId).toBe((await t.store.getTicket(first.ticketId))!.customerId);
    expect((await t.store.getCustomer(emailTicket.customerId))!.email).toBe('zhang.wei@example.cn');
  });

  it('moves an awaiting_customer ticket back to in_progress when the customer answers', async () => {
    const first = (await inbound({ channel: 'chat', customer: zhangWei, text: '发票怎么开？' })).body as InboundResponse;
    const lead = (await t.store.getUser('lead1'))!;
    expect(
      (
        await t.store.applyMutation(
          lead,
          'c1',
          { mutationId: 'm1', kind: 'setStatus', ticketId: first.ticketId, status: 'in_progress', createdAt: t.clock.now() },
          t.clock.now(),
        )
      ).ok,
    ).toBe(true);
    expect(
      (
        await t.store.applyMutation(
          lead,
          'c1',
          { mutationId: 'm2', kind: 'setStatus', ticketId: first.ticketId, status: 'awaiting_customer', createdAt: t.clock.now() },
          t.clock.now(),
        )
      ).ok,
    ).toBe(true);
    await inbound({ channel: 'chat', customer: zhangWei, text: '抬头是杭州云帆科技有限公司' });
    expect((await t.store.getTicket(first.ticketId))!.status).toBe('in_progress');
  });

  it('marks complaints urgent', async () => {
    const created = (await inbound({ channel: 'phone', customer: { name: '刘芳', phone: '13912345678' }, text: '我要投诉！快递丢件了' }))
      .body as InboundResponse;
    const ticket = (await t.store.getTicket(created.ticketId))!;
    expect(ticket).toMatchObject({ priority: 'urgent', type: 'complaint', dueAt: ticket.createdAt + RESOLUTION_SLA_MS.urgent });
  });

  it('names each bad field', async () => {
    const both = await inbound({ channel: 'fax', customer: zhangWei, text: '   ' });
    expect(both.status).toBe(400);
    expect((both.body as ApiErrorBody).error.code).toBe('invalid_request');
    expect(fieldPaths(both.body)).toEqual(['channel', 'text']);

    const noIdentity = await inbound({ channel: 'chat', customer: {}, text: '你好' });
    expect(noIdentity.status).toBe(400);
    expect(fieldPaths(noIdentity.body)).toEqual(['customer']);

    const badEmail = await inbound({ channel: 'email', customer: { email: 'not-an-email' }, text: '你好' });
    expect(fieldPaths(badEmail.body)).toEqual(['customer.email']);

    const huge = await inbound({ channel: 'chat', customer: zhangWei, text: '长'.repeat((1024 * 1024) / 3) });
    expect(huge.status).toBe(400);
    expect(fieldPaths(huge.body)).toEqual(['text']);
    expect((await getJson<{ seq: number }>(`${t.url}/healthz`)).body).toMatchObject({ seq: 0 });
  });

  it('refuses a receivedAt no clock could have given (before 2000, or ahead of ours) with 400 naming it, and keeps a believable one', async () => {
    for (const receivedAt of ['0001-01-01T00:00:00Z', '1999-12-31T23:59:59Z', new Date(t.clock.now() + 10 * 60_000).toISOString()]) {
      const refused = await inbound({ channel: 'chat', customer: zhangWei, text: '你好', receivedAt });
      expect(refused.status, receivedAt).toBe(400);
      expect(fieldPaths(refused.body), receivedAt).toEqual(['receivedAt']);
      expect((refused.body as ApiErrorBody).error.fields![0]!.message).toMatch(/between 2000-01-01T00:00:00Z and 5 minutes after/);
    }
    expect((await getJson<{ seq: number }>(`${t.url}/healthz`)).body).toMatchObject({ seq: 0 });

    const anHourAgo = t.clock.now() - 3_600_000;
    const kept = await inbound({ channel: 'chat', customer: zhangWei, text: '你好', receivedAt: new Date(anHourAgo).toISOString() });
    expect(kept.status).toBe(201);
    const { ticketId } = kept.body as InboundResponse;
    expect((await t.store.getTicketBundle(ticketId))!.messages[0]!.createdAt).toBe(anHourAgo);
  });

  it('refuses invalid UTF-8, non-JSON and oversized bodies', async () => {
    const valid = Buffer.from(JSON.stringify({ channel: 'chat', customer: zhangWei, text: '你好' }), 'utf8');
    const broken = Buffer.concat([valid.subarray(0, valid.length - 6), Buffer.from([0xe4, 0xbd]), valid.subarray(valid.length - 3)]);
    const utf8 = await postJson(`${t.url}/api/v1/inbound`, broken, TEST_INTEGRATION_TOKEN);
    expect(utf8.status).toBe(400);
    expect((utf8.body as ApiErrorBody).error.message).toMatch(/UTF-8/);

    const notJson = await postJson(`${t.url}/api/v1/inbound`, '{"channel": "chat",', TEST_INTEGRATION_TOKEN);
    expect(notJson.status).toBe(400);
    expect((notJson.body as ApiErrorBody).error.message).toMatch(/JSON/);

    const tooBig = await postJson(`${t.url}/api/v1/inbound`, 'x'.repeat(3 * 1024 * 1024), TEST_INTEGRATION_TOKEN);
    expect(tooBig.status).toBe(413);
    expect((tooBig.body as ApiErrorBody).error.code).toBe('payload_too_large');

    // Without a Content-Length the server counts while reading and stops at the limit.
    const chunk = new Uint8Array(256 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 12) controller.close();
        else {
          sent++;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${t.url}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_INTEGRATION_TOKEN}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
    expect((await t.store.changeLogBounds()).maxSeq).toBe(0);
  });

  it('needs the integration token', async () => {
    const body = { channel: 'chat', customer: zhangWei, text: '你好' };
    const wrong = await inbound(body, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect((wrong.body as ApiErrorBody).error.code).toBe('unauthorized');
    const missing = await postJson(`${t.url}/api/v1/inbound`, JSON.stringify(body));
    expect(missing.status).toBe(401);
    const { token } = await login(t.url, 'agent1');
    expect((await inbound(body, token)).status).toBe(403);
    expect((await t.store.changeLogBounds()).maxSeq).toBe(0);
  });
});

describe('routes', () => {
  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const missing = await getJson(`${t.url}/api/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect((missing.body as ApiErrorBody).error.code).toBe('not_found');
    const wrongMethod = await fetch(`${t.url}/api/v1/inbound`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('GET /api/v1/tickets', () => {
  async function seedTickets(): Promise<string[]> {
    const ids: string[] = [];
    const contacts = [
      { channel: 'phone', customer: zhangWei, text: '订单物流查询延迟' },
      { channel: 'chat', customer: { name: '李娜', email: 'li.na@example.cn' }, text: '申请退款' },
      { channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票抬头填错了' },
      { channel: 'chat', customer: { name: '陈晓燕', phone: '15800158003' }, text: '售后维修进度' },
      { channel: 'social', customer: { name: '王磊', socialId: 'wx_wanglei' }, text: '公众号留言' },
    ];
    for (const contact of contacts) {
      t.clock.advance(1000);
      ids.push(((await inbound(contact)).body as InboundResponse).ticketId);
    }
    return ids;
  }

  it('lists newest first with filters and cursor paging', async () => {
    const ids = await seedTickets();
    const { token } = await login(t.url, 'lead1');
    const all = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets`, token)).body as TicketListResponse;
    expect(all.tickets.map((x) => x.id)).toEqual([...ids].reverse());
    expect(all.next).toBeNull();

    const chat = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets?channel=chat`, token)).body as TicketListResponse;
    expect(chat.tickets.map((x) => x.id)).toEqual([ids[3], ids[1]]);
    const byName = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets?customer=${encodeURIComponent('赵敏')}`, token)).body as TicketListResponse;
    expect(byName.tickets.map((x) => x.id)).toEqual([ids[2]]);
    const byPhone = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets?customer=0013800`, token)).body as TicketListResponse;
    expect(byPhone.tickets.map((x) => x.id)).toEqual([ids[0]]);
    const closed = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets?status=closed`, token)).body as TicketListResponse;
    expect(closed.tickets).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets${query}`, token)).body as TicketListResponse;
      expect(page.tickets.length).toBeLessThanOrEqual(2);
      seen.push(...page.tickets.map((x) => x.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('shows an agent only their tickets and their channel queues', async () => {
    const ids = await seedTickets();
    const { token } = await login(t.url, 'agent1');
    const list = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets`, token)).body as TicketListResponse;
    expect(list.tickets.map((x) => x.id)).toEqual([ids[3], ids[1], ids[0]]);
    const email = await login(t.url, 'agent3');
    const mine = (await getJson<TicketListResponse>(`${t.url}/api/v1/tickets`, email.token)).body as TicketListResponse;
    expect(mine.tickets.map((x) => x.id)).toEqual([ids[2]]);
  });

  it('refuses a bad query naming the fields, and a missing token', async () => {
    const { token } = await login(t.url, 'lead1');
    const bad = await getJson(`${t.url}/api/v1/tickets?status=done&limit=0`, token);
    expect(bad.status).toBe(400);
    expect(fieldPaths(bad.body)).toEqual(['limit', 'status']);
    const badCursor = await getJson(`${t.url}/api/v1/tickets?cursor=abc`, token);
    expect(fieldPaths(badCursor.body)).toEqual(['cursor']);
    const twice = await getJson(`${t.url}/api/v1/tickets?channel=chat&channel=email`, token);
    expect(fieldPaths(twice.body)).toEqual(['channel']);
    expect((await getJson(`${t.url}/api/v1/tickets`)).status).toBe(401);
  });
});

describe('GET /api/v1/tickets/:ticketId', () => {
  it('answers 404 for a missing or invisible ticket and 400 for a malformed id', async () => {
    const emailTicket = (
      (await inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票抬头填错了' })).body as InboundResponse
    ).ticketId;
    const agent = await login(t.url, 'agent1');
    const invisible = await getJson(`${t.url}/api/v1/tickets/${emailTicket}`, agent.token);
    expect(invisible.status).toBe(404);
    const missing = await getJson(`${t.url}/api/v1/tickets/GD20241108999`, agent.token);
    expect(missing.status).toBe(404);
    expect(invisible.body).toEqual({ error: { code: 'not_found', message: `No ticket ${emailTicket}.` } });
    const malformed = await getJson(`${t.url}/api/v1/tickets/%E5%B7%A5%E5%8D%95`, agent.token);
    expect(malformed.status).toBe(400);
    expect(fieldPaths(malformed.body)).toEqual(['ticketId']);
    const other = await login(t.url, 'agent3');
    expect((await getJson(`${t.url}/api/v1/tickets/${emailTicket}`, other.token)).status).toBe(200);
  });
});
