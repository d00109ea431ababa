import { describe, expect, it } from 'vitest';
import { normaliseEmail, normalisePhone, triageContact } from './inbound.js';

describe('inbound rules', () => {
  it('normalises Chinese mobiles with or without +86/0086 and keeps other numbers', () => {
    for (const raw of ['13800138000', '+86 138-0013-8000', '0086 138 0013 8000', '(+86)13800138000']) expect(normalisePhone(raw)).toBe('13800138000');
    expect(normalisePhone('+1 (415) 555-0100')).toBe('+14155550100');
    expect(normalisePhone('010-6552 9988')).toBe('01065529988');
  });

  it('lower-cases email', () => {
    expect(normaliseEmail(' Li.Na@Example.CN ')).toBe('li.na@example.cn');
  });

  it('triages complaints and urgency from keywords', () => {
    expect(triageContact('快递丢件投诉', '包裹没收到')).toEqual({ priority: 'urgent', type: 'complaint' });
    expect(triageContact(undefined, '紧急！重复扣款')).toEqual({ priority: 'urgent', type: 'consult' });
    expect(triageContact(undefined, 'URGENT: order missing')).toEqual({ priority: 'urgent', type: 'consult' });
    expect(triageContact('订单物流查询延迟', '请帮我查一下')).toEqual({ priority: 'normal', type: 'consult' });
  });
});
