/**
 * Quoted history as the common clients write it (Gmail, Outlook, Foxmail, QQ Mail, NetEase,
 * Apple Mail) is cut from what the agent reads; the customer's new words stay.
 */
import { describe, expect, it } from 'vitest';
import { trimQuotedHistory } from './quotedHistory.js';

const NEW = '快递还是没有到，麻烦再催一下。\n\n张伟';

describe('trimQuotedHistory', () => {
  it.each([
    ['> lines', `${NEW}\n\n> 您好，已为您联系快递公司。\n> 客服 王芳`],
    ['Gmail "On … wrote:"', `${NEW}\n\nOn Fri, 8 Nov 2024 at 10:00, 客服中心 <support@demo.local> wrote:\n> 您好，已为您联系快递公司。`],
    ['Gmail folded over two lines', `${NEW}\n\nOn Fri, 8 Nov 2024 at 10:00, 客服中心 <support@demo.local>\nwrote:\n\n> 您好`],
    ['Gmail in Chinese "在 … 写道："', `${NEW}\n\n在 2024年11月8日周五 10:00，客服中心 <support@demo.local> 写道：\n> 您好`],
    [
      'Outlook Original Message',
      `${NEW}\n\n-----Original Message-----\nFrom: 客服中心 <support@demo.local>\nSent: Friday, November 8, 2024 10:00 AM\nSubject: Re: 订单物流查询延迟\n\n您好，已为您联系快递公司。`,
    ],
    [
      'Outlook underscore rule + From/Sent block',
      `${NEW}\n\n________________________________\nFrom: 客服中心 <support@demo.local>\nSent: 2024年11月8日 10:00\nTo: 张伟\n\n您好`,
    ],
    ['Foxmail -----原始邮件-----', `${NEW}\n\n-----原始邮件-----\n发件人: 客服中心 <support@demo.local>\n发送时间: 2024年11月8日 10:00\n\n您好`],
    [
      'QQ Mail separator',
      `${NEW}\n\n------------------ 原始邮件 ------------------\n发件人: "客服中心"<support@demo.local>;\n发送时间: 2024年11月8日(星期五) 上午10:00\n收件人: "张伟";\n\n您好`,
    ],
    [
      'NetEase 发件人： block with full-width colons',
      `${NEW}\n\n发件人：客服中心 <support@demo.local>\n日期：2024年11月8日 10:00\n主题：Re: 订单物流查询延迟\n\n您好`,
    ],
    ['Outlook Chinese 发件人:/发送时间: block', `${NEW}\n\n发件人: 客服中心\n收件人: 张伟\n发送时间: 2024年11月8日 10:00\n\n您好`],
  ])('cuts %s', (_client, text) => {
    expect(trimQuotedHistory(text)).toBe(NEW);
  });

  it('keeps a line that merely mentions "From:" without a send time', () => {
    const text = '请看下面的信息：\nFrom: 北京仓库\n到: 上海\n物流单号 SF123456';
    expect(trimQuotedHistory(text)).toBe(text);
  });

  it('keeps answers written between quoted lines and drops the quotes', () => {
    expect(trimQuotedHistory('> 请问订单号是多少？\nE20241108001\n> 收货地址呢？\n上海市浦东新区')).toBe('E20241108001\n上海市浦东新区');
  });

  it('returns the whole text when everything is quoted', () => {
    expect(trimQuotedHistory('> 只有引用')).toBe('> 只有引用');
  });
});
