import { describe, expect, it } from 'vitest';
import { capacityState } from './capacityState.js';

describe('capacityState', () => {
  it('is over only past the capacity: at it the agent is full, which is normal', () => {
    expect(capacityState(0, 2)).toBe('below');
    expect(capacityState(1, 2)).toBe('below');
    expect(capacityState(1, 1)).toBe('full');
    expect(capacityState(2, 2)).toBe('full');
    expect(capacityState(3, 2)).toBe('over');
    // A capacity of 0 (the channel paused for them): holding nothing is full, holding anything over.
    expect(capacityState(0, 0)).toBe('full');
    expect(capacityState(1, 0)).toBe('over');
  });
});
