import { describe, expect, it } from 'vitest';
import { createNotificationLimit } from './notificationLimit.js';

describe('desktop notification limit', () => {
  it('allows a burst up to the limit, drops the rest, and allows again once the window has passed', () => {
    const limit = createNotificationLimit(3, 1000);
    expect([limit.allow(0), limit.allow(10), limit.allow(20), limit.allow(30)]).toEqual([true, true, true, false]);
    expect(limit.allow(999)).toBe(false);
    expect(limit.allow(1000)).toBe(true);
    expect(limit.allow(1001)).toBe(false);
    expect(limit.allow(1030)).toBe(true);
  });
});
