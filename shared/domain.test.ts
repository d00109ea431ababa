import { describe, expect, it } from 'vitest';
import { canTransition, canUserSeeTicket, previewOf, textSchema, ticketIdSchema } from './domain.js';
import { inboundContactSchema } from './httpApi.js';
import { isRpcMethod, rpcParamSchemas } from './rpc.js';
import { changeSchema, mutationSchema } from './sync.js';

describe('status transitions', () => {
  it('follows the ticket model and allows reopening', () => {
    expect(canTransition('unassigned', 'in_progress')).toBe(true);
    expect(canTransition('in_progress', 'awaiting_customer')).toBe(true);
    expect(canTransition('closed', 'in_progress')).toBe(true);
    expect(canTransition('unassigned', 'completed')).toBe(false);
    expect(canTransition('closed', 'completed')).toBe(false);
  });
});

describe('visibility', () => {
  const agent = { id: 'u2', role: 'agent' as const, channels: ['chat' as const] };
  it('lets an agent see their own tickets and the queue of their channels only', () => {
    expect(canUserSeeTicket(agent, { assigneeId: 'u2', channel: 'email' })).toBe(true);
    expect(canUserSeeTicket(agent, { assigneeId: null, channel: 'chat' })).toBe(true);
    expect(canUserSeeTicket(agent, { assigneeId: null, channel: 'phone' })).toBe(false);
    expect(canUserSeeTicket(agent, { assigneeId: 'u3', channel: 'chat' })).toBe(false);
  });
  it('lets leads see everything', () => {
    expect(canUserSeeTicket({ id: 'l', role: 'lead', channels: [] }, { assigneeId: 'u3', channel: 'phone' })).toBe(true);
  });
});

describe('schemas at the boundaries', () => {
  it('refuses empty, blank and over-long text', () => {
    expect(textSchema.safeParse('').success).toBe(false);
    expect(textSchema.safeParse(' \n ').success).toBe(false);
    expect(textSchema.safeParse('x'.repeat(1_000_000)).success).toBe(false);
    expect(textSchema.safeParse('您好，我的订单还没到').success).toBe(true);
  });

  it('accepts only GD ticket ids', () => {
    expect(ticketIdSchema.safeParse('GD20231001001').success).toBe(true);
    expect(ticketIdSchema.safeParse('GD2023100101').success).toBe(false);
    expect(ticketIdSchema.safeParse("GD20231001001' OR 1=1").success).toBe(false);
  });

  it('names each bad field of an inbound contact', () => {
    const result = inboundContactSchema.safeParse({ channel: 'fax', customer: { email: 'nope' }, text: '' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['channel', 'customer.email', 'text']));
  });

  it('requires some way to identify the customer', () => {
    const result = inboundContactSchema.safeParse({ channel: 'chat', customer: {}, text: '在吗' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['customer']);
  });

  it('accepts a valid WeChat contact with a Chinese name', () => {
    const result = inboundContactSchema.safeParse({
      channel: 'social',
      customer: { name: '张伟', socialId: 'wx:o6_bmjrPTlm6_2sgVt7hMZOPfL2M' },
      text: '你好，发票什么时候开？',
      receivedAt: '2023-10-01T08:00:00+08:00',
    });
    expect(result.success).toBe(true);
  });

  it('refuses unknown mutation kinds and change kinds', () => {
    expect(mutationSchema.safeParse({ mutationId: 'm1', kind: 'delete', ticketId: 'GD20231001001' }).success).toBe(false);
    expect(changeSchema.safeParse({ seq: 1, kind: 'drop' }).success).toBe(false);
  });

  it('knows its RPC methods and nothing else', () => {
    expect(isRpcMethod('ticket.reply')).toBe(true);
    expect(isRpcMethod('constructor')).toBe(false);
    expect(isRpcMethod('__proto__')).toBe(false);
    expect(rpcParamSchemas['ticket.setStatus'].safeParse({ ticketId: 'GD20231001001', status: 'done' }).success).toBe(false);
  });
});

describe('previews', () => {
  it('takes the first line and collapses whitespace', () => {
    expect(previewOf('  您好\n第二行')).toBe('您好');
    expect(previewOf('a   b\tc')).toBe('a b c');
    expect(previewOf('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
