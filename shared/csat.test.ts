/** The survey contract: the answer's schema, the score and the low-score rule, the note agents see (masked), FK ids. */
import { describe, expect, it } from 'vitest';
import { CSAT_COMMENT_MAX, csatAnswerSchema, csatFormSchema, csatNoteText, csatScore, csatTokenSchema, isLowCsat } from './csat.js';
import { formatFeedbackId } from './ids.js';
import { maskNote } from './masking.js';

describe('csat', () => {
  it('scores an answer as the mean of its four ratings; 2 or less is low', () => {
    expect(csatScore({ attitude: 5, speed: 4, resolution: 3, professionalism: 2 })).toBe(3.5);
    expect(isLowCsat({ attitude: 2, speed: 2, resolution: 3, professionalism: 1 })).toBe(true); // 8 / 4 = 2
    expect(isLowCsat({ attitude: 3, speed: 2, resolution: 2, professionalism: 2 })).toBe(false); // 9 / 4 = 2.25
  });

  it('takes ratings 1–5 and a comment up to the limit, markup kept as text; refuses anything else', () => {
    const answer = { attitude: 1, speed: 5, resolution: 3, professionalism: 4, comment: '  <script>alert(1)</script>  ' };
    expect(csatAnswerSchema.parse(answer).comment).toBe('<script>alert(1)</script>');
    expect(csatAnswerSchema.safeParse({ ...answer, speed: 6 }).success).toBe(false);
    expect(csatAnswerSchema.safeParse({ ...answer, speed: 2.5 }).success).toBe(false);
    expect(csatAnswerSchema.safeParse({ ...answer, comment: 'x'.repeat(CSAT_COMMENT_MAX + 1) }).success).toBe(false);
    expect(csatAnswerSchema.safeParse({ ...answer, ticketId: 'GD20261204001' }).success).toBe(false);
    expect(csatFormSchema.parse({ attitude: '5', speed: '4', resolution: '3', professionalism: '2', comment: '' })).toMatchObject({
      attitude: 5,
      professionalism: 2,
    });
    expect(csatFormSchema.safeParse({ attitude: '5', speed: 'x', resolution: '3', professionalism: '2' }).success).toBe(false);
    expect(csatTokenSchema.safeParse('a'.repeat(43)).success).toBe(true);
    expect(csatTokenSchema.safeParse('a'.repeat(42)).success).toBe(false);
  });

  it('writes FK ids like the templates, and the note agents see masks personal data in the comment', () => {
    expect(formatFeedbackId('20261204', 1)).toBe('FK20261204001');
    const text = csatNoteText('FK20261204001', { attitude: 1, speed: 1, resolution: 2, professionalism: 1, comment: '打我电话 13800138000' });
    expect(text).toContain('FK20261204001: 1.25 / 5');
    const masked = maskNote({ id: 'n1', ticketId: 'GD20261204001', authorId: 'csat', authorName: '满意度回访 / CSAT', text, createdAt: 1 });
    expect(masked.text).not.toContain('13800138000');
    expect(masked.text).toContain('FK20261204001');
  });
});
