/**
 * One customer across channels on the server: the normalisation table, then the real server
 * recognising a customer by phone in any Chinese format and by email in any case (through
 * one integration's scoped identities), and 张伟 across phone, email and WeChat by what each
 * channel proves, with what he only claims offered as "possibly the same customer".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundResponse } from '../shared/httpApi.js';
import { identitiesOf, normaliseEmail, normalisePhone } from './customers.js';
import type { ChannelContact } from './store.js';
import { TEST_INTEGRATION_TOKEN, postJson, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

describe('identity normalisation', () => {
  it.each([
    // Chinese mobiles, however they are written.
    ['13800138000', '+8613800138000'],
    ['138 0013 8000', '+8613800138000'],
    ['+86 138-0013-8000', '+8613800138000'],
    ['+86(138)00138000', '+8613800138000'],
    ['(+86)13800138000', '+8613800138000'],
    ['0086 138 0013 8000', '+8613800138000'],
    ['008613800138000', '+8613800138000'],
    ['86 13800138000', '+8613800138000'],
    ['8613800138000', '+8613800138000'],
    ['19212345678', '+8619212345678'],
    // Landlines: the trunk 0 goes, the area code stays.
    ['010-12345678', '+861012345678'],
    ['01012345678', '+861012345678'],
    ['+86 10 1234 5678', '+861012345678'],
    ['021 6888 8888', '+862168888888'],
    ['0755-12345678', '+8675512345678'],
    ['400-820-8820', '+864008208820'],
    // Foreign numbers keep their country.
    ['+1 (415) 555-0100', '+14155550100'],
    ['001 415 555 0100', '+14155550100'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+852 9123 4567', '+85291234567'],
    // Not a possible number (a bank's short service number): the digits as given.
    ['95588', '95588'],
  ])('%s → %s', (raw, e164) => {
    expect(normalisePhone(raw)).toBe(e164);
  });

  it('compares emails without case and social ids exactly', () => {
    expect(normaliseEmail(' Zhang.Wei@Example.CN ')).toBe('zhang.wei@example.cn');
    expect(identitiesOf({ phone: '138-0013-8000', email: 'Zhang.Wei@Example.CN', socialId: ' wechat:gh_demo:oZhangWei ' })).toEqual([
      { kind: 'phone', value: '+8613800138000' },
      { kind: 'email', value: 'zhang.wei@example.cn' },
      { kind: 'social', value: 'wechat:gh_demo:oZhangWei' },
    ]);
    // An openid differs by case from another one: never folded.
    expect(identitiesOf({ socialId: 'wechat:gh_demo:oZHANGWEI' })).toEqual([{ kind: 'social', value: 'wechat:gh_demo:oZHANGWEI' }]);
    expect(identitiesOf({})).toEqual([]);
  });
});

describe('matching customers on the real server', () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startTestServer();
    await seedTestOrganisation(t.store, [{ username: 'lead1', displayName: '李主管', role: 'lead', channels: [] }]);
  });

  afterEach(async () => {
    await t.stop();
  });

  async function inbound(body: unknown): Promise<InboundResponse> {
    const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(body), TEST_INTEGRATION_TOKEN);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as InboundResponse;
  }

  async function customerOf(ticketId: string) {
    return (await t.store.getCustomer((await t.store.getTicket(ticketId))!.customerId))!;
  }

  it('recognises one Chinese mobile in every format through the same integration, and keeps landlines and foreign numbers apart', async () => {
    const first = await inbound({ channel: 'phone', customer: { name: '张伟', phone: '13800138000' }, text: '订单物流查询延迟' });
    const customer = await customerOf(first.ticketId);
    // The integration's phone is its claim: known again as its own scoped identity, shown unverified.
    expect(customer).toMatchObject({ name: '张伟', phone: '+8613800138000', identities: [{ kind: 'social', value: 'api:tests:phone:+8613800138000' }] });
    for (const phone of ['+86 138-0013-8000', '0086 138 0013 8000', '86 13800138000', '138 0013 8000']) {
      const again = await inbound({ channel: 'chat', customer: { phone }, text: `还是我，${phone}` });
      expect((await customerOf(again.ticketId)).id, phone).toBe(customer.id);
    }

    const landline = await inbound({ channel: 'phone', customer: { name: '北京办公室', phone: '010-12345678' }, text: '发票开错了' });
    const landlineCustomer = await customerOf(landline.ticketId);
    expect(landlineCustomer.phone).toBe('+861012345678');
    expect((await customerOf((await inbound({ channel: 'email', customer: { phone: '+86 10 1234 5678' }, text: '补充发票抬头' })).ticketId)).id).toBe(
      landlineCustomer.id,
    );

    const foreign = await inbound({ channel: 'phone', customer: { name: 'Emily Watson', phone: '+1 (415) 555-0100' }, text: 'Where is my parcel?' });
    expect(await customerOf(foreign.ticketId)).toMatchObject({ phone: '+14155550100' });
    expect(new Set([customer.id, landlineCustomer.id, (await customerOf(foreign.ticketId)).id]).size).toBe(3);
  });

  it('matches email without regard to case', async () => {
    const first = await inbound({ channel: 'email', customer: { name: '李娜', email: 'Li.Na@Example.CN' }, text: '退款什么时候到账？' });
    const second = await inbound({ channel: 'chat', customer: { email: 'li.na@example.cn' }, text: '我在网页上再问一次' });
    expect((await customerOf(second.ticketId)).id).toBe((await customerOf(first.ticketId)).id);
    expect(await customerOf(first.ticketId)).toMatchObject({
      email: 'li.na@example.cn',
      identities: [{ kind: 'social', value: 'api:tests:email:li.na@example.cn' }],
    });
    // A proven mail from the same address is another matter: the integration only claimed it.
    const mail = await t.store.ingestInbound(
      { channel: 'email', customer: { email: 'LI.NA@example.cn' }, text: '邮件', proven: ['email'], source: 'email' },
      { now: t.clock.now() },
    );
    expect((await customerOf(mail.ticketId)).id).not.toBe((await customerOf(first.ticketId)).id);
  });

  it('recognises 张伟 by what each channel proves; what he only claims is suggested, and one merge joins him up', async () => {
    const lead = (await t.store.getUserByUsername('lead1'))!;
    const ingest = async (contact: ChannelContact) => await t.store.ingestInbound(contact, { now: t.clock.now() });
    // His call proves his number.
    const call = await ingest({
      channel: 'phone',
      customer: { name: '张伟', phone: '+86 138-0013-8000' },
      text: '来电：订单物流查询延迟',
      proven: ['phone'],
      source: 'cti',
    });
    // His mail proves his address; the mobile in its signature is only what the mail says.
    const mail = await ingest({
      channel: 'email',
      customer: { name: '张伟', email: 'Zhang.Wei@Example.CN', phone: '138 0013 8000' },
      subject: '订单物流查询延迟',
      text: '快递三天没动了',
      proven: ['email'],
      source: 'email',
    });
    expect(mail.ticket.customerId).not.toBe(call.ticket.customerId);
    // The agent is offered the caller as possibly the same customer (same phone, claimed by the mail), and merges.
    expect((await t.store.listCustomerMatches(lead, mail.ticket.customerId, 10))!.map((match) => [match.customer.id, match.shared])).toEqual([
      [call.ticket.customerId, [{ kind: 'phone', value: '+8613800138000', oursProven: false, theirsProven: true }]],
    ]);
    await t.store.mergeCustomers({ keepId: call.ticket.customerId, mergeId: mail.ticket.customerId, actor: lead, now: t.clock.now() });
    // WeChat proves the openid; the email bound to it in the payload is a claim, so a third record, suggested by that email.
    const wechat = await ingest({
      channel: 'social',
      customer: { socialId: 'wechat:gh_demo:oZhangWei', email: 'zhang.wei@example.cn' },
      text: '公众号留言：物流还没更新',
      proven: ['socialId'],
      source: 'wechat:gh_demo',
    });
    expect((await t.store.listCustomerMatches(lead, wechat.ticket.customerId, 10))!.map((match) => match.customer.id)).toEqual([call.ticket.customerId]);
    await t.store.mergeCustomers({ keepId: call.ticket.customerId, mergeId: wechat.ticket.customerId, actor: lead, now: t.clock.now() });
    // From then on each proven identity alone is enough.
    const later = await ingest({
      channel: 'social',
      customer: { socialId: 'wechat:gh_demo:oZhangWei' },
      text: '在吗？',
      proven: ['socialId'],
      source: 'wechat:gh_demo',
    });
    const nextMail = await ingest({
      channel: 'email',
      customer: { email: 'zhang.wei@example.cn' },
      text: '还有一个问题',
      proven: ['email'],
      source: 'email',
      newConversation: true,
    });

    const customer = await customerOf(call.ticketId);
    expect(await Promise.all([mail.ticketId, wechat.ticketId, later.ticketId, nextMail.ticketId].map(async (id) => (await customerOf(id)).id))).toEqual([
      customer.id,
      customer.id,
      customer.id,
      customer.id,
    ]);
    expect(later.ticketId).toBe(wechat.ticketId);
    expect(customer).toMatchObject({ name: '张伟', phone: '+8613800138000', email: 'zhang.wei@example.cn', socialId: 'wechat:gh_demo:oZhangWei' });
    expect(customer.identities).toEqual([
      { kind: 'phone', value: '+8613800138000' },
      { kind: 'email', value: 'zhang.wei@example.cn' },
      { kind: 'social', value: 'wechat:gh_demo:oZhangWei' },
    ]);
    // Nothing is left to suggest: every claim is now his own proven identity.
    expect(await t.store.listCustomerMatches(lead, customer.id, 10)).toEqual([]);
    const tickets = (await t.store.listTickets(lead, { customer: customer.id, limit: 10 })).tickets;
    expect(tickets.map((ticket) => ticket.channel).sort()).toEqual(['email', 'email', 'phone', 'social']);
  });

  it('does not move an identity that another customer owns', async () => {
    const ingest = async (contact: ChannelContact) => await t.store.ingestInbound(contact, { now: t.clock.now() });
    const zhang = await ingest({ channel: 'phone', customer: { name: '张伟', phone: '13800138000' }, text: '查物流', proven: ['phone'], source: 'cti' });
    const li = await ingest({ channel: 'email', customer: { name: '李娜', email: 'li.na@example.cn' }, text: '查退款', proven: ['email'], source: 'email' });
    // A contact proving his phone and her email belongs to the phone's owner; her email stays hers.
    const mixed = await ingest({
      channel: 'chat',
      customer: { phone: '13800138000', email: 'li.na@example.cn' },
      text: '帮家人问一下',
      proven: ['phone', 'email'],
    });
    expect((await customerOf(mixed.ticketId)).id).toBe((await customerOf(zhang.ticketId)).id);
    expect(await customerOf(zhang.ticketId)).toMatchObject({ email: null, identities: [{ kind: 'phone', value: '+8613800138000' }] });
    expect((await customerOf(li.ticketId)).identities).toEqual([{ kind: 'email', value: 'li.na@example.cn' }]);
  });
});
