import { describe, expect, it } from 'vitest';
import { WEBCHAT_MAX_RECEIVED_IDS, estimateQueueWait, webchatHelloSchema, webchatReceiptSchema, webchatReceivedSchema } from './webchat.js';

describe('the wait a queued chat visitor is told', () => {
  it('is the place times the time one chat took to leave the queue lately, and unknown when none left', () => {
    expect(estimateQueueWait(1, 6)).toBe(5 * 60_000);
    expect(estimateQueueWait(3, 6)).toBe(15 * 60_000);
    expect(estimateQueueWait(2, 4, 60_000)).toBe(30_000);
    expect(estimateQueueWait(1, 0)).toBeNull();
  });
});

describe('receipts on the wire', () => {
  it('a hello with nothing (an older widget) or with receipts is accepted; an unknown capability or field is refused', () => {
    expect(webchatHelloSchema.safeParse({}).success).toBe(true);
    expect(webchatHelloSchema.parse({ capabilities: ['receipts'] })).toEqual({ capabilities: ['receipts'] });
    expect(webchatHelloSchema.safeParse({ capabilities: ['telepathy'] }).success).toBe(false);
    expect(webchatHelloSchema.safeParse({ receipts: true }).success).toBe(false);
  });

  it('a receipt names one message; a report names 1 to WEBCHAT_MAX_RECEIVED_IDS of them', () => {
    expect(webchatReceiptSchema.safeParse({ messageId: 'reply-0001' }).success).toBe(true);
    expect(webchatReceiptSchema.safeParse({ messageId: 'reply-0001', ticketId: 'GD20241108001' }).success).toBe(false);
    expect(webchatReceivedSchema.safeParse({ messageIds: [] }).success).toBe(false);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `reply-${String(i).padStart(4, '0')}`);
    expect(webchatReceivedSchema.safeParse({ messageIds: ids(WEBCHAT_MAX_RECEIVED_IDS) }).success).toBe(true);
    expect(webchatReceivedSchema.safeParse({ messageIds: ids(WEBCHAT_MAX_RECEIVED_IDS + 1) }).success).toBe(false);
  });
});
