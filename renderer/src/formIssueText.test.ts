/**
 * The admin forms' "check the form" line in the UI language: real issues from the real
 * shared schemas, worded by the field's label and the issue's code and facts.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICIES,
  adminCreateUserRequestSchema,
  channelSettingsSchema,
  defaultChannelSettings,
  newPasswordSchema,
  policiesSchema,
  userSkillsSchema,
} from '../../shared/admin.js';
import { capacitySchema } from '../../shared/routing.js';
import { firstFormIssueText, formIssueText, type FormIssue } from './formIssueText.js';
import { translate, type Language, type Translate } from './i18n.js';

const LANGUAGES: Language[] = ['zh-CN', 'en'];
const tr =
  (language: Language): Translate =>
  (key, vars) =>
    translate(language, key, vars);

/** Every issue of a failed parse, as each language says it. */
function said(result: { success: boolean; error?: { issues: readonly FormIssue[] } }, at: string[] = []): Record<Language, string[]> {
  expect(result.success).toBe(false);
  const issues = result.error?.issues ?? [];
  return { 'zh-CN': issues.map((i) => formIssueText(tr('zh-CN'), i, at)), en: issues.map((i) => formIssueText(tr('en'), i, at)) };
}

const user = {
  username: 'wang.fang',
  password: 'correct-horse',
  displayName: '王芳',
  role: 'agent',
  channels: ['phone'],
  groups: [],
  tier: 1,
  senior: false,
  languages: ['zh'],
  extension: '8001',
};
const { username: _u, password: _p, ...skills } = user;

describe('a zod issue in the UI language', () => {
  it('says a short password by its label and the number of characters, not zod’s English or the path', () => {
    const text = said(adminCreateUserRequestSchema.safeParse({ ...user, password: 'short' }));
    expect(text['zh-CN']).toEqual(['初始密码：至少 8 个字符']);
    expect(text.en).toEqual(['Initial password: must have at least 8 characters']);
  });

  it('names the reset form’s bare password by the label the form shows', () => {
    const parsed = newPasswordSchema.safeParse('x'.repeat(201));
    expect(said(parsed, ['newPassword'])).toEqual({ 'zh-CN': ['新密码：最多 200 个字符'], en: ['New password: must have at most 200 characters'] });
    // Without the field's name the line still reads as a sentence.
    expect(said(newPasswordSchema.safeParse('1234'))['zh-CN']).toEqual(['此项：至少 8 个字符']);
    expect(said(newPasswordSchema.safeParse('1234')).en).toEqual(['This field: must have at least 8 characters']);
  });

  it('words a refinement by the code the shared schema gives it', () => {
    const text = said(adminCreateUserRequestSchema.safeParse({ ...user, username: 'Wang.Fang', password: 'wang.fang' }));
    expect(text['zh-CN']).toEqual(['初始密码：不能与用户名相同']);
    expect(text.en).toEqual(['Initial password: must not be the same as the username']);
  });

  it('says what a regex wants for the fields whose format it knows, and a plain "format" otherwise', () => {
    const text = said(userSkillsSchema.safeParse({ ...skills, languages: ['zh', 'ENG'], extension: '1' }));
    expect(text['zh-CN']).toEqual(['语言第 2 项：须为两到三个小写字母的语言代码', '分机号：须为 2 到 8 位数字']);
    expect(text.en).toEqual([
      'Languages, item 2: must be language codes of two or three lowercase letters, such as zh or en',
      'Extension: must be 2 to 8 digits',
    ]);
    expect(said(adminCreateUserRequestSchema.safeParse({ ...user, username: '王 芳' }))['zh-CN']).toEqual([
      '用户名：只能包含字母、数字、点（.）、连字符（-）和下划线（_）',
    ]);
    expect(said(channelSettingsSchema.safeParse({ ...defaultChannelSettings(), ownerId: 'no such id!' })).en).toEqual(['Owner: is not in the expected format']);
  });

  it('says empty text, an empty list and too many items in words', () => {
    const text = said(userSkillsSchema.safeParse({ ...skills, displayName: '   ', languages: [], groups: Array.from({ length: 11 }, () => 'billing') }));
    expect(text['zh-CN']).toEqual(['显示名称：不能为空', '技能组：最多 10 项', '语言：至少填写或选择一项']);
    expect(text.en).toEqual(['Display name: must not be empty', 'Groups: must have at most 10 items', 'Languages: needs at least one entry']);
  });

  it('lists allowed values by the names the form shows them with, and never an English code in Chinese', () => {
    const text = said(userSkillsSchema.safeParse({ ...skills, role: 'boss', channels: ['fax'], tier: 3 }));
    expect(text['zh-CN']).toEqual([
      '角色：须为以下之一：客服、渠道主管、系统管理员',
      '渠道第 1 项：须为以下之一：电话、在线客服、社交媒体、邮件',
      '级别：须为以下之一：1、2',
    ]);
    expect(text.en).toEqual([
      'Role: must be one of: Agent, Shift lead, Administrator',
      'Channels, item 1: must be one of: Phone, Chat, Social, Email',
      'Tier: must be one of: 1, 2',
    ]);
  });

  it('says a policy number out of range by its label, sub-label and the bound', () => {
    const negative = policiesSchema.safeParse({ ...DEFAULT_POLICIES, slaMinutes: { ...DEFAULT_POLICIES.slaMinutes, urgent: -5 } });
    expect(said(negative)).toEqual({ 'zh-CN': ['解决时限 · 紧急：不能小于 1'], en: ['Resolution target · Urgent: must be at least 1'] });

    const many = policiesSchema.safeParse({
      ...DEFAULT_POLICIES,
      complaintSlaMinutes: 50_000,
      firstResponseMinutes: { ...DEFAULT_POLICIES.firstResponseMinutes, chat: 0 },
      offerTimeoutSeconds: 7.5,
      wrapUpSeconds: { ...DEFAULT_POLICIES.wrapUpSeconds, phone: 601 },
    });
    expect(said(many)['zh-CN']).toEqual([
      '投诉：不能大于 43,200',
      '各渠道首次响应时限 · 在线客服：不能小于 1',
      '分配应答时限：须为整数',
      '话后处理时长 · 电话：不能大于 600',
    ]);
    expect(said(many).en).toEqual([
      'Complaints: must be at most 43,200',
      'First-response target per channel · Chat: must be at least 1',
      'Offer timeout: must be a whole number',
      'Wrap-up after a call / completed contact · Phone: must be at most 600',
    ]);
    expect(said(policiesSchema.safeParse({ ...DEFAULT_POLICIES, offerTimeoutSeconds: '15' }))['zh-CN']).toEqual(['分配应答时限：须为数字']);
  });

  it('names a capacity by the channel', () => {
    const text = said(capacitySchema.safeParse({ phone: 1, chat: 3, social: 5, email: 201 }), ['capacity']);
    expect(text).toEqual({ 'zh-CN': ['各渠道接待上限 · 邮件：不能大于 200'], en: ['Capacity per channel · Email: must be at most 200'] });
  });

  it('says a channel’s hours by the day, and its holidays by the list position', () => {
    const settings = defaultChannelSettings();
    const parsed = channelSettingsSchema.safeParse({
      ...settings,
      expectedDailyVolume: -1,
      customerGroup: '客'.repeat(101),
      hours: {
        ...settings.hours,
        weekly: {
          ...settings.hours.weekly,
          mon: [{ start: '10:00', end: '09:00' }],
          tue: [
            { start: '09:00', end: '12:00' },
            { start: '11:00', end: '13:00' },
          ],
          wed: [{ start: '25:00', end: '26:00' }],
        },
        holidays: ['2026-02-30', '2026-10-01', '2026-10-01'],
      },
    });
    expect(said(parsed)['zh-CN']).toEqual([
      '预计日均量：不能小于 0',
      '客户群体：最多 100 个字符',
      '工作时间 · 周一：每个时段的结束时间须晚于开始时间',
      '工作时间 · 周二：各时段须按先后顺序排列，且不能重叠',
      '工作时间 · 周三：时间须写作 09:00 这样的格式（00:00–24:00）',
      '工作时间 · 周三：时间须写作 09:00 这样的格式（00:00–24:00）',
      '节假日第 1 项：不是日历上存在的日期',
      '节假日：有重复的日期',
    ]);
    expect(said(parsed).en).toEqual([
      'Expected contacts per day: must be at least 0',
      'Customer group: must have at most 100 characters',
      'Business hours · Monday: each period must end after it starts',
      'Business hours · Tuesday: periods must be in order and must not overlap',
      'Business hours · Wednesday: times must be written like 09:00 (00:00–24:00)',
      'Business hours · Wednesday: times must be written like 09:00 (00:00–24:00)',
      'Holidays, closed all day, item 1: is not a date on the calendar',
      'Holidays, closed all day: lists a date twice',
    ]);
  });

  it('falls back to "this field" and "is not valid" for what it does not know, never to zod’s words', () => {
    const stray = said(userSkillsSchema.safeParse({ ...user }));
    expect(stray).toEqual({ 'zh-CN': ['此项：填写有误'], en: ['This field: is not valid'] });
    const unknownCustom: FormIssue = { code: 'custom', path: ['somethingNew'], message: 'English words', params: { code: 'not_mapped' } };
    for (const language of LANGUAGES) expect(formIssueText(tr(language), unknownCustom)).not.toContain('English');
    expect(formIssueText(tr('zh-CN'), unknownCustom)).toBe('此项：填写有误');
  });

  it('takes the first issue of a failed parse, and says nothing for none', () => {
    const parsed = adminCreateUserRequestSchema.safeParse({ ...user, password: 'short', displayName: '' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(firstFormIssueText(tr('zh-CN'), parsed.error)).toBe('初始密码：至少 8 个字符');
    expect(firstFormIssueText(tr('en'), { issues: [] })).toBe('');
  });

  it('leaves no English word of zod in a Chinese line', () => {
    const parsed = userSkillsSchema.safeParse({
      displayName: 5,
      role: 'x',
      channels: null,
      groups: [],
      tier: 1,
      senior: 'yes',
      languages: ['zh'],
      extension: null,
    });
    const zh = said(parsed)['zh-CN'];
    expect(zh.length).toBeGreaterThan(0);
    for (const line of zh) expect(line).not.toMatch(/[A-Za-z]{2,}/);
    expect(zh).toEqual(['显示名称：须为文字', '角色：须为以下之一：客服、渠道主管、系统管理员', '渠道：须为列表', '资深：须为“是”或“否”']);
  });
});
