import { describe, expect, it } from 'vitest';
import { countdownText } from './countdownText.js';

describe('countdownText', () => {
  it('never reads more than the time set: a 15 s wrap-up seen from a clock up to a second old opens at 0:15', () => {
    expect(countdownText(15_000)).toBe('0:15');
    expect(countdownText(15_900)).toBe('0:15');
  });

  it('counts down in minutes and seconds and stops at 0:00', () => {
    expect(countdownText(125_000)).toBe('2:05');
    expect(countdownText(999)).toBe('0:00');
    expect(countdownText(-3_000)).toBe('0:00');
  });
});
