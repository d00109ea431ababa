import { describe, expect, it } from 'vitest';
import { canWriteScript, fillScript, findPlaceholders, scriptInputSchema, scriptTextFor, scriptVariablesOf, type Script } from './scripts.js';

const AT = Date.UTC(2024, 10, 8, 1, 30); // 2024-11-08 09:30 in Beijing

describe('fillScript', () => {
  it('fills dotted variables in Chinese text', () => {
    const filled = fillScript(
      '您好，{customer.name}，我是客服{agent.name}，您的工单号是{ticket.id}。',
      {
        'customer.name': '张伟',
        'agent.name': '王芳',
        'ticket.id': 'GD20241108001',
      },
      'zh-CN',
    );
    expect(filled).toEqual({ text: '您好，张伟，我是客服王芳，您的工单号是GD20241108001。', placeholders: [] });
  });

  it('leaves a variable with no value as its placeholder, listed with its position', () => {
    const filled = fillScript('{customer.name}您好，关于{ticket.subject}：', { 'customer.name': null }, 'zh-CN');
    expect(filled.text).toBe('{customer.name}您好，关于{ticket.subject}：');
    expect(filled.placeholders).toEqual([
      { name: 'customer.name', start: 0, end: 15 },
      { name: 'ticket.subject', start: 20, end: 36 },
    ]);
    expect(filled.text.slice(20, 36)).toBe('{ticket.subject}');
  });

  it('formats with ICU: plurals, select and dates in Beijing time', () => {
    const template =
      'You have {count, plural, one {# open ticket} other {# open tickets}}; {customer.vipTier, select, gold {gold member} other {member}}; opened {ticket.createdAt, date, medium} at {ticket.createdAt, time, short}.';
    const en = fillScript(template, { count: 1, 'customer.vipTier': 'gold', 'ticket.createdAt': AT }, 'en');
    expect(en.text).toMatch(/^You have 1 open ticket; gold member; opened Nov 8, 2024 at 9:30\sAM\.$/);
    expect(fillScript(template, { count: 3, 'customer.vipTier': 'none', 'ticket.createdAt': AT }, 'en').text).toContain('3 open tickets; member;');
    expect(fillScript('创建于{ticket.createdAt, date, long}', { 'ticket.createdAt': AT }, 'zh-CN').text).toBe('创建于2024年11月8日');
  });

  it('gives a bare date variable date and time in the organisation time zone', () => {
    expect(fillScript('{ticket.createdAt}', { 'ticket.createdAt': AT }, 'zh-CN').text).toBe('2024年11月8日 09:30');
  });

  it('keeps a formatted argument without a value as a bare placeholder', () => {
    const filled = fillScript('截止{ticket.dueAt, date, medium}，共{n, plural, other {#件}}', {}, 'zh-CN');
    expect(filled.text).toBe('截止{ticket.dueAt}，共{n}');
    expect(filled.placeholders.map((p) => p.name)).toEqual(['ticket.dueAt', 'n']);
  });

  it('never refuses a template ICU cannot read: plain substitution instead', () => {
    const filled = fillScript('您好 {customer.name}，{ 未闭合', { 'customer.name': '李娜' }, 'zh-CN');
    expect(filled.text).toBe('您好 李娜，{ 未闭合');
  });

  it('keeps apostrophes of English text', () => {
    expect(fillScript("We're sorry, {customer.name}. Don't worry.", { 'customer.name': 'Ann' }, 'en').text).toBe("We're sorry, Ann. Don't worry.");
  });

  it('lists variables and placeholders', () => {
    expect(scriptVariablesOf('{a.b} {c, plural, other {#}} {a.b}')).toEqual(['a.b', 'c']);
    expect(findPlaceholders('x {agent.name} y')).toEqual([{ name: 'agent.name', start: 2, end: 14 }]);
  });
});

describe('scripts', () => {
  const script: Pick<Script, 'body' | 'variants'> = {
    body: '正文',
    variants: { phone: { text: '朗读' }, email: { subject: '主题', body: '邮件正文' }, chat: null },
  };

  it('chooses the variant of the channel, the body otherwise', () => {
    expect(scriptTextFor(script, 'phone')).toEqual({ subject: null, text: '朗读' });
    expect(scriptTextFor(script, 'email')).toEqual({ subject: '主题', text: '邮件正文' });
    expect(scriptTextFor(script, 'chat')).toEqual({ subject: null, text: '正文' });
    expect(scriptTextFor({ ...script, variants: { ...script.variants, chat: { text: '短句' } } }, 'social').text).toBe('短句');
  });

  it('lets leads and admins write the team library, each user only their own personal scripts', () => {
    expect(canWriteScript({ id: 'a1', role: 'agent' }, 'team', null)).toBe(false);
    expect(canWriteScript({ id: 'l1', role: 'lead' }, 'team', null)).toBe(true);
    expect(canWriteScript({ id: 'x', role: 'admin' }, 'team', null)).toBe(true);
    expect(canWriteScript({ id: 'a1', role: 'agent' }, 'personal', 'a1')).toBe(true);
    expect(canWriteScript({ id: 'l1', role: 'lead' }, 'personal', 'a1')).toBe(false);
  });

  it('trims input and refuses blank titles, long bodies and spaced keywords', () => {
    const base = {
      scope: 'team',
      language: 'zh',
      title: ' 问候 ',
      body: '您好',
      category: '',
      keyword: 'greet',
      variants: { phone: null, email: null, chat: null },
    };
    expect(scriptInputSchema.parse(base).title).toBe('问候');
    expect(scriptInputSchema.safeParse({ ...base, title: '  ' }).success).toBe(false);
    expect(scriptInputSchema.safeParse({ ...base, body: 'x'.repeat(4001) }).success).toBe(false);
    expect(scriptInputSchema.safeParse({ ...base, keyword: 'two words' }).success).toBe(false);
  });
});
