/** The renderer's read marks stay as bounded as the core's (MAX_READ_MARKS): a lead's window open for days hears every chat's marks. */
import { describe, expect, it } from 'vitest';
import { MAX_READ_MARKS, type ChatReadEvent } from '../../../shared/webchat.js';
import { withReadMark } from './chatSlice.js';

const mark = (n: number, messageId = `m-${String(n)}`): ChatReadEvent => ({
  ticketId: `GD20241108${String(100_000 + n)}`,
  messageId,
  messageCreatedAt: n,
  at: n,
});

describe('read marks in the renderer store', () => {
  it('keeps the newest MAX_READ_MARKS tickets: the oldest marked go first, a ticket marked again counts as new', () => {
    let marks: Record<string, ChatReadEvent> = {};
    for (let n = 0; n < MAX_READ_MARKS + 50; n++) {
      marks = withReadMark(marks, mark(n));
      if (n === 10) marks = withReadMark(marks, mark(0, 'm-0-again'));
    }
    expect(Object.keys(marks)).toHaveLength(MAX_READ_MARKS);
    // The 50 oldest went: 1…10, then ticket 0 (marked again after them), then 11…49.
    expect(marks[mark(0).ticketId]).toBeUndefined();
    expect(marks[mark(49).ticketId]).toBeUndefined();
    expect(marks[mark(50).ticketId]).toEqual(mark(50));
    expect(marks[mark(MAX_READ_MARKS + 49).ticketId]).toEqual(mark(MAX_READ_MARKS + 49));

    marks = withReadMark(marks, mark(51, 'm-51-again'));
    marks = withReadMark(marks, mark(MAX_READ_MARKS + 50));
    expect(Object.keys(marks)).toHaveLength(MAX_READ_MARKS);
    // 51 marked again is newest now, so 50 went, not 51.
    expect(marks[mark(50).ticketId]).toBeUndefined();
    expect(marks[mark(51).ticketId]?.messageId).toBe('m-51-again');
    expect(marks[mark(52).ticketId]).toEqual(mark(52));
  });
});
