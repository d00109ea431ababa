import { describe, expect, it } from 'vitest';
import { defaultReplySubject, replySubjectSchema, subjectWithTicketTag } from './replySubject.js';
import { mutationSchema } from './sync.js';

const reply = {
  mutationId: '0193f4a0-0000-7000-8000-000000000001',
  kind: 'reply',
  ticketId: 'GD20241108001',
  messageId: '0193f4a0-0000-7000-8000-000000000002',
  text: '您好',
  createdAt: 1,
} as const;

function issueOf(result: { success: boolean; error?: { issues: Array<{ message: string }> } }): string | undefined {
  return result.success ? undefined : result.error!.issues[0]!.message;
}

describe('reply subject (issue 12)', () => {
  it('takes a trimmed subject of 1..200 characters on a reply mutation; absent stays absent', () => {
    expect(mutationSchema.parse({ ...reply, subject: '  退款进度说明 ' })).toMatchObject({ subject: '退款进度说明' });
    expect(mutationSchema.parse(reply)).not.toHaveProperty('subject');
    expect(replySubjectSchema.safeParse('字'.repeat(200)).success).toBe(true);
    expect(issueOf(replySubjectSchema.safeParse('字'.repeat(201)))).toBe('subject_too_long');
    expect(issueOf(replySubjectSchema.safeParse('   '))).toBe('subject_blank');
  });

  it('refuses header injection: CR, LF, NUL, other controls and Unicode line separators, with a code', () => {
    for (const forged of ['发票\r\nBcc: everyone@example.cn', '发票\nBcc: x@example.cn', '发票\r', 'a\u0000b', 'tab\there', 'a\u0085b', 'a\u2028b']) {
      const parsed = mutationSchema.safeParse({ ...reply, subject: forged });
      expect(parsed.success, JSON.stringify(forged)).toBe(false);
      expect(JSON.stringify(parsed.error)).toContain('subject_control_chars');
    }
  });

  it("makes the default subject and keeps the ticket's [GD…] tag on the agent's own", () => {
    expect(defaultReplySubject('回复：退款咨询 [GD20241108001]', 'GD20241108001')).toBe('Re: 退款咨询 [GD20241108001]');
    expect(subjectWithTicketTag('退款进度说明', 'GD20241108001')).toBe('退款进度说明 [GD20241108001]');
    expect(subjectWithTicketTag('[GD20241108001] 退款进度说明', 'GD20241108001')).toBe('[GD20241108001] 退款进度说明');
    // Another ticket's tag does not thread this one.
    expect(subjectWithTicketTag('见 [GD20241108002]', 'GD20241108001')).toBe('见 [GD20241108002] [GD20241108001]');
  });
});
