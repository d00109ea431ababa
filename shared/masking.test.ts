import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Customer, Message, Ticket } from './domain.js';
import { defaultTicketRouting } from './domain.js';
import {
  findPii,
  looksMasked,
  maskBundle,
  maskCustomer,
  maskEmail,
  maskMessage,
  maskPhone,
  maskPiiInText,
  maskPreview,
  maskTicket,
  passesLuhn,
  piiViewOf,
} from './masking.js';

describe('masking personal data in free text', () => {
  it.each([
    // Chinese mobiles, in every way customers write them, inside Chinese text without spaces.
    ['我的手机13800138000谢谢', '我的手机138****8000谢谢'],
    ['手机号：138 0013 8000，白天打', '手机号：138 **** 8000，白天打'],
    ['电话 138-0013-8000', '电话 138-****-8000'],
    ['+86 138-0013-8000', '+86 138-****-8000'],
    ['+8613800138000', '+86138****8000'],
    ['0086 13800138000', '0086 138****8000'],
    ['(+86)13800138000', '(+86)138****8000'],
    ['联系：19912345678、15011112222', '联系：199****5678、150****2222'],
    ['tel13800138000', 'tel138****8000'],
    ['全角１３８００１３８０００也算', '全角１３８****８０００也算'],
    // Landlines with their area code.
    ['座机010-12345678', '座机010-****5678'],
    ['(0755)8888 1234', '(0755)**** 1234'],
    ['021 6234 5678', '021 **** 5678'],
    ['01065529988', '010****9988'],
    ['075588881234', '0755****1234'],
    ['+86 10 6552 9988', '+86 10 **** 9988'],
    // International numbers.
    ['call +44 20 7946 0958', 'call +44 ** **** 0958'],
    ['+1 (415) 555-2671', '+1 (4**) ***-2671'],
    // ID cards: 18 digits (trailing X too), 15-digit old ones.
    ['身份证110101199003077777', '身份证110***********7777'],
    ['身份证号11010119900307777X。', '身份证号110***********777X。'],
    ['证件 110101 19900307 777x', '证件 110*** ******** 777x'],
    ['旧身份证110101900307777', '旧身份证110********7777'],
    // Bank cards: Luhn-valid, or after a card word.
    ['卡号6222 0212 3456 7890 123', '卡号**** **** **** ***0 123'],
    ['信用卡 4111 1111 1111 1111', '信用卡 **** **** **** 1111'],
    ['退到4111111111111111吧', '退到************1111吧'],
    ['card no. 6222-0212-3456-7890', 'card no. ****-****-****-7890'],
    // E-mail addresses.
    ['邮箱zhang.wei@example.cn谢谢', '邮箱z***@example.cn谢谢'],
    ['Li.Na+orders@mail.example.com.cn', 'L***@mail.example.com.cn'],
    ['ab@qq.com', 'a*@qq.com'],
    ['a@x.cn', '*@x.cn'],
  ])('%s → %s', (text, masked) => {
    expect(maskPiiInText(text)).toBe(masked);
  });

  it.each([
    '工单GD20231001001，客户CUS20240501001',
    '工单 GD202310011234 已转交',
    '订单号 2035432109876543210 已发货',
    '订单SO2024050112345678',
    '淘宝订单 3125847396012345678',
    '客服热线400-820-8820，或拨95588',
    '金额 ¥1380.00，2023-10-01 10:30 下单，数量 12',
    '快递单号 SF1234567890123',
    '邮编100080，房间号 1203',
    '138****8000 已经是打码的',
    'z***@example.cn',
  ])('leaves %s alone', (text) => {
    expect(maskPiiInText(text)).toBe(text);
  });

  it('names what it found, in order', () => {
    expect(findPii('张伟 13800138000 zhang.wei@example.cn 110101199003077777 4111 1111 1111 1111 010-12345678 +44 20 7946 0958').map((m) => m.kind)).toEqual([
      'mobile',
      'email',
      'id_card',
      'bank_card',
      'landline',
      'phone',
    ]);
  });

  it('checks cards with Luhn', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('')).toBe(false);
  });

  it('never lengthens a text, masks the same text the same way twice, and leaves no mobile in clear', () => {
    const mobile = fc.tuple(fc.constantFrom('13', '15', '17', '18', '19'), fc.stringMatching(/^\d{9}$/)).map(([a, b]) => a + b);
    const filler = fc.constantFrom('您好', '订单', ' ', '，', '谢谢', 'GD20231001001', '¥12.5', '\n', 'abc');
    const text = fc.array(fc.oneof(mobile, filler), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (sample) => {
        const masked = maskPiiInText(sample);
        expect(masked.length).toBeLessThanOrEqual(sample.length);
        expect(maskPiiInText(masked)).toBe(masked);
        expect(masked).not.toMatch(/(?<![0-9A-Z])1[3-9]\d{9}(?!\d)/);
      }),
    );
  });
});

describe('masking structured values', () => {
  it('masks phones as phones, keeping short service numbers', () => {
    expect(maskPhone('+8613800138000')).toBe('+86138****8000');
    expect(maskPhone('+861065529988')).toBe('+8610****9988');
    expect(maskPhone('+14155550100')).toBe('+14*****0100');
    expect(maskPhone('62345678')).toBe('****5678');
    expect(maskPhone('95588')).toBe('95588');
    expect(maskPhone('4008001234')).toBe('4008001234');
    expect(maskPhone('800-820-8820')).toBe('800-820-8820');
    expect(maskPhone('13655550123')).toBe('136****0123');
  });

  it('masks e-mail addresses by their name', () => {
    expect(maskEmail('zhang.wei@example.cn')).toBe('z***@example.cn');
    expect(maskEmail('not an address')).toBe('not an address');
  });

  it('says whether a text shows something masked', () => {
    expect(looksMasked('138****8000')).toBe(true);
    expect(looksMasked('a*@qq.com')).toBe(true);
    expect(looksMasked('打5*星好评')).toBe(false);
  });

  it('masks agents only', () => {
    expect(piiViewOf('agent')).toBe('masked');
    expect(piiViewOf('lead')).toBe('clear');
    expect(piiViewOf('admin')).toBe('clear');
  });

  const customer: Customer = {
    id: 'CUS20240501001',
    name: '13800138000',
    phone: '+8613800138000',
    email: 'zhang.wei@example.cn',
    socialId: 'wechat:gh_demo:oZhangWei',
    vipTier: 2,
    createdAt: 1,
    identities: [
      { kind: 'phone', value: '+8613800138000' },
      { kind: 'email', value: 'zw@example.cn' },
      { kind: 'social', value: 'wechat:gh_demo:oZhangWei' },
    ],
  };

  it('masks every contact field of a customer, including fields added later', () => {
    const withClaims = { ...customer, claims: [{ kind: 'email', value: 'zhang.wei@gmail.com', via: 'webchat' }], note: '备用 13900139000' };
    const masked = maskCustomer(withClaims);
    expect(masked).toEqual({
      ...withClaims,
      name: '138****8000',
      phone: '+86138****8000',
      email: 'z***@example.cn',
      identities: [
        { kind: 'phone', value: '+86138****8000' },
        { kind: 'email', value: 'z*@example.cn' },
        { kind: 'social', value: 'wechat:gh_demo:oZhangWei' },
      ],
      claims: [{ kind: 'email', value: 'z***@gmail.com', via: 'webchat' }],
      note: '备用 139****9000',
    });
    expect(JSON.stringify(masked)).not.toMatch(/13800138000|zhang\.wei|13900139000/);
  });

  const ticket: Ticket = {
    id: 'GD20241108001',
    customerId: 'CUS20240501001',
    channel: 'phone',
    type: 'consult',
    subject: '来电 13800138000',
    priority: 'normal',
    status: 'in_progress',
    assigneeId: 'agent1',
    assigneeName: '王芳',
    assignmentReason: null,
    createdAt: 1,
    updatedAt: 1,
    assignedAt: 1,
    firstResponseAt: null,
    dueAt: 2,
    completedAt: null,
    lastMessagePreview: '卡号6222 0212 3456 7890 123',
    lastMessageAt: 1,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: { ...defaultTicketRouting(), escalation: { reason: '客户要求回拨13800138000', byId: 'agent1', byName: '王芳', at: 1, dueAt: 2 } },
  };

  const message: Message = {
    id: 'm1',
    ticketId: 'GD20241108001',
    direction: 'inbound',
    channel: 'phone',
    authorId: null,
    authorName: 'zhang.wei@example.cn',
    text: '身份证110101199003077777',
    externalMessageId: '<abc@mail.example.cn>',
    deliveryStatus: 'received',
    createdAt: 1,
    attachments: [{ id: 'a1', fileName: '身份证110101199003077777.jpg', contentType: 'image/jpeg', size: 1 }],
    source: 'cti',
    call: {
      callId: 'c1',
      outcome: 'answered',
      from: '13800138000',
      to: '4008001234',
      agentExtension: '8001',
      startedAt: 1,
      answeredAt: 1,
      durationSec: 1,
      endedAt: 2,
    },
    deliveryError: null,
  };

  it('masks the subject, preview and escalation reason of a ticket, and nothing else', () => {
    expect(maskTicket(ticket)).toEqual({
      ...ticket,
      subject: '来电 138****8000',
      lastMessagePreview: '卡号**** **** **** ***0 123',
      routing: { ...ticket.routing, escalation: { ...ticket.routing.escalation!, reason: '客户要求回拨138****8000' } },
    });
  });

  it('masks a message: text, author, call numbers, file names', () => {
    expect(maskMessage(message)).toEqual({
      ...message,
      authorName: 'z***@example.cn',
      text: '身份证110***********7777',
      attachments: [{ ...message.attachments[0]!, fileName: '身份证110***********7777.jpg' }],
      call: { ...message.call!, from: '138****8000' },
    });
    // An agent-written email subject (issue 12) is free text like the body.
    expect(maskMessage({ ...message, subject: '回拨13800138000' }).subject).toBe('回拨138****8000');
  });

  it('masks a whole bundle', () => {
    const bundle = maskBundle({
      ticket,
      customer,
      messages: [message],
      notes: [{ id: 'n1', ticketId: ticket.id, authorId: 'agent1', authorName: '王芳', text: '客户说备用号13900139000', createdAt: 1 }],
    });
    expect(JSON.stringify(bundle)).not.toMatch(/13800138000|13900139000|110101199003077777|zhang\.wei|3456 7890/);
    expect(bundle.notes[0]!.text).toBe('客户说备用号139****9000');
  });
});

describe('masking previews cut short', () => {
  it('stars the first digits of a number cut off by the preview, and nothing else', () => {
    expect(maskPreview('请回电 1380013…')).toBe('请回电 *******…');
    expect(maskPreview('请回电 13800138000 谢谢')).toBe('请回电 138****8000 谢谢');
    expect(maskPreview('订单 12…')).toBe('订单 12…');
    expect(maskPreview('工单 GD2024110800…')).toBe('工单 GD2024110800…');
  });
});
