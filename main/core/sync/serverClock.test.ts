import { describe, expect, it } from 'vitest';
import { CLOCK_STEP_MS, createServerClock } from './serverClock.js';

describe('the server clock as the workstation knows it', () => {
  const local = 1_700_000_000_000;

  it('is the local clock until a reading, then the local clock plus the offset, corrected by half the round trip', () => {
    const stored: number[] = [];
    const clock = createServerClock(
      () => local,
      null,
      (offset) => stored.push(offset),
    );
    expect(clock.offsetMs()).toBeNull();
    expect(clock.now()).toBe(local);
    // Asked at local, answered 10 minutes ahead 100 ms later, heard 200 ms after asking.
    clock.sample(local, local + 600_000 + 100, local + 200);
    expect(clock.offsetMs()).toBe(600_000);
    expect(clock.now()).toBe(local + 600_000);
    expect(stored).toEqual([600_000]);
  });

  it('smooths readings within their round trip and stores only a move worth storing; takes a clock step whole', () => {
    const stored: number[] = [];
    const clock = createServerClock(
      () => local,
      -600_000,
      (offset) => stored.push(offset),
    );
    expect(clock.now()).toBe(local - 600_000);
    // A reading 80 ms off (within a 400 ms round trip): a quarter of the way, not stored (under 100 ms).
    clock.sample(local, local - 600_000 + 200 + 80, local + 400);
    expect(clock.offsetMs()).toBe(-600_000 + 20);
    expect(stored).toEqual([]);
    // The local clock was set: the reading is taken as it is, and stored.
    clock.sample(local, local + 2 * CLOCK_STEP_MS + 10, local + 20);
    expect(clock.offsetMs()).toBe(2 * CLOCK_STEP_MS);
    expect(stored).toEqual([2 * CLOCK_STEP_MS]);
  });

  it('ignores a reading that cannot be true', () => {
    const clock = createServerClock(
      () => local,
      5_000,
      () => {
        throw new Error('nothing to store');
      },
    );
    clock.sample(local + 10, local, local);
    clock.sample(local, Number.NaN, local + 1);
    expect(clock.offsetMs()).toBe(5_000);
  });
});
