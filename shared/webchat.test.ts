import { describe, expect, it } from 'vitest';
import { estimateQueueWait } from './webchat.js';

describe('the wait a queued chat visitor is told', () => {
  it('is the place times the time one chat took to leave the queue lately, and unknown when none left', () => {
    expect(estimateQueueWait(1, 6)).toBe(5 * 60_000);
    expect(estimateQueueWait(3, 6)).toBe(15 * 60_000);
    expect(estimateQueueWait(2, 4, 60_000)).toBe(30_000);
    expect(estimateQueueWait(1, 0)).toBeNull();
  });
});
