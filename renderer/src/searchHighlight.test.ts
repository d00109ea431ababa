import { describe, expect, it } from 'vitest';
import { highlightParts } from './searchHighlight.js';

describe('the inbox search highlight', () => {
  it('marks every term, case-insensitive, longer terms first, and leaves other text as it is', () => {
    expect(highlightParts('电子发票下载失败，发票抬头错了', '发票')).toEqual([
      { text: '电子', hit: false },
      { text: '发票', hit: true },
      { text: '下载失败，', hit: false },
      { text: '发票', hit: true },
      { text: '抬头错了', hit: false },
    ]);
    expect(highlightParts('Refund not received for order', 'ORDER refund')).toEqual([
      { text: 'Refund', hit: true },
      { text: ' not received for ', hit: false },
      { text: 'order', hit: true },
    ]);
    expect(highlightParts('退款单号 GD20231001001', '退款 退款单')).toEqual([
      { text: '退款单', hit: true },
      { text: '号 GD20231001001', hit: false },
    ]);
  });

  it('treats the search as text, not a pattern, and marks nothing without a query or a match', () => {
    expect(highlightParts('订单 (DD2024) 已发货', '(DD2024)')).toEqual([
      { text: '订单 ', hit: false },
      { text: '(DD2024)', hit: true },
      { text: ' 已发货', hit: false },
    ]);
    expect(highlightParts('物流信息', '  ')).toEqual([{ text: '物流信息', hit: false }]);
    expect(highlightParts('物流信息', '发票')).toEqual([{ text: '物流信息', hit: false }]);
    expect(highlightParts('', '发票')).toEqual([{ text: '', hit: false }]);
  });
});
