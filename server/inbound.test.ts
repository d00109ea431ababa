import { describe, expect, it } from 'vitest';
import { triageContact } from './inbound.js';

describe('inbound rules', () => {
  it('triages complaints and urgency from keywords', () => {
    expect(triageContact('快递丢件投诉', '包裹没收到')).toEqual({ priority: 'urgent', type: 'complaint' });
    expect(triageContact(undefined, '紧急！重复扣款')).toEqual({ priority: 'urgent', type: 'consult' });
    expect(triageContact(undefined, 'URGENT: order missing')).toEqual({ priority: 'urgent', type: 'consult' });
    expect(triageContact('订单物流查询延迟', '请帮我查一下')).toEqual({ priority: 'normal', type: 'consult' });
  });
});
