import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../shared/admin.js';
import { auditChangeText, auditChanges, type AuditWording } from './auditChanges.js';
import { translate, type Language, type Translate } from './i18n.js';

function translator(language: Language): Translate {
  return (key, vars) => translate(language, key, vars);
}

const wording: AuditWording = { userName: (id) => (id === 'lead1' ? '李主管' : undefined), dateTime: () => 'then' };

describe('auditChanges', () => {
  it('lists only the leaves that differ, by their dotted path', () => {
    const after = { ...DEFAULT_POLICIES, slaMinutes: { ...DEFAULT_POLICIES.slaMinutes, urgent: 90 }, offerTimeoutSeconds: 12 };
    expect(auditChanges(DEFAULT_POLICIES, after)).toEqual([
      { field: 'slaMinutes.urgent', before: 120, after: 90 },
      { field: 'offerTimeoutSeconds', before: 15, after: 12 },
    ]);
    expect(auditChanges({ a: { b: [1] } }, { a: { b: [1] } })).toEqual([]);
  });
});

describe('auditChangeText', () => {
  it('says a policy change by its fields in the UI language, not the whole document nor its keys', () => {
    const after = { ...DEFAULT_POLICIES, slaMinutes: { ...DEFAULT_POLICIES.slaMinutes, urgent: 90 }, complaintSlaMinutes: 60 };
    expect(auditChangeText(translator('en'), wording, DEFAULT_POLICIES, after)).toBe(
      'Resolution target (min) · Urgent: 120 → 90; Complaint target (min): — → 60',
    );
    expect(auditChangeText(translator('zh-CN'), wording, DEFAULT_POLICIES, after)).toBe('解决时限（分钟） · 紧急：120 → 90；投诉解决时限（分钟）：— → 60');
  });

  it('says how many sessions a password reset signed out, and nothing when there were none', () => {
    expect(auditChangeText(translator('en'), wording, null, { sessionsEnded: 2 })).toBe('2 sessions signed out');
    expect(auditChangeText(translator('en'), wording, null, { sessionsEnded: 1 })).toBe('1 session signed out');
    expect(auditChangeText(translator('zh-CN'), wording, null, { sessionsEnded: 2 })).toBe('已结束 2 个登录会话');
    expect(auditChangeText(translator('en'), wording, null, { sessionsEnded: 0 })).toBe('');
    expect(auditChangeText(translator('zh-CN'), wording, null, { sessionsEnded: 0 })).toBe('');
  });

  it("names a user's channels, groups, role and flags rather than their codes", () => {
    const before = { username: 'agent2', role: 'agent', channels: ['phone', 'chat'], groups: ['orders'], senior: false, extension: '8002' };
    const after = { username: 'agent2', role: 'lead', channels: ['phone', 'chat', 'email'], groups: ['orders', 'billing'], senior: true, extension: null };
    expect(auditChangeText(translator('en'), wording, before, after)).toBe(
      'Role: Agent → Shift lead; Channels: Phone, Chat → Phone, Chat, Email; Groups: Orders → Orders, Billing; Senior: no → yes; Extension: 8002 → —',
    );
    expect(auditChangeText(translator('zh-CN'), wording, before, after)).toContain('渠道：电话、在线客服 → 电话、在线客服、邮件');
  });

  it("says a channel's owner by name and a day's hours as periods", () => {
    const before = { channel: 'social', enabled: true, ownerId: null, hours: { weekly: { mon: [{ start: '09:00', end: '18:00' }], sat: [] } } };
    const after = {
      channel: 'social',
      enabled: false,
      ownerId: 'lead1',
      hours: {
        weekly: {
          mon: [
            { start: '09:00', end: '12:00' },
            { start: '13:00', end: '18:00' },
          ],
          sat: [],
        },
      },
    };
    expect(auditChangeText(translator('zh-CN'), wording, before, after)).toBe(
      '启用：是 → 否；负责人：— → 李主管；工作时间 · 周一：09:00-18:00 → 09:00-12:00, 13:00-18:00',
    );
  });
});
