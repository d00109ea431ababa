/**
 * The reconnect schedule with the core's default pace (1 s first, 30 s cap): a server that did
 * not answer is tried again within 5 s however long it has been down; a server that refuses
 * keeps the long pace; the jitter spreads workstations over half of each step.
 */
import { describe, expect, it } from 'vitest';
import { RECONNECT_DELAY_MAX_MS, RECONNECT_DELAY_MS } from './syncClient.js';
import { reconnectDelay, UNREACHABLE_RETRY_MAX_MS } from './reconnectSchedule.js';

const PACE = { firstMs: RECONNECT_DELAY_MS, maxMs: RECONNECT_DELAY_MAX_MS };
const RANDOMS = [0, 0.25, 0.5, 0.75, 0.999999];

describe('the reconnect schedule', () => {
  it('waits at most 5 s for a server that did not answer, at every attempt', () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      for (const random of RANDOMS) expect(reconnectDelay('unreachable', attempt, PACE, random)).toBeLessThanOrEqual(UNREACHABLE_RETRY_MAX_MS);
    }
    // It still starts small and doubles: a blip is retried within a second.
    expect(reconnectDelay('unreachable', 0, PACE, 0.999999)).toBeLessThanOrEqual(RECONNECT_DELAY_MS);
    expect(reconnectDelay('unreachable', 2, PACE, 0)).toBe(2_000);
  });

  it('keeps the long pace, up to 30 s, for a server that refuses', () => {
    expect(reconnectDelay('busy', 10, PACE, 0.999999)).toBeGreaterThan(UNREACHABLE_RETRY_MAX_MS * 5);
    expect(reconnectDelay('busy', 10, PACE, 0.999999)).toBeLessThanOrEqual(RECONNECT_DELAY_MAX_MS);
    for (const random of RANDOMS) {
      const refused = reconnectDelay('refused', 0, PACE, random);
      expect(refused).toBeGreaterThanOrEqual(RECONNECT_DELAY_MAX_MS / 4);
      expect(refused).toBeLessThanOrEqual((RECONNECT_DELAY_MAX_MS * 3) / 4);
    }
  });

  it('spreads workstations over the upper half of each step instead of one moment', () => {
    const atCap = RANDOMS.map((random) => reconnectDelay('unreachable', 20, PACE, random));
    expect(new Set(atCap).size).toBe(RANDOMS.length);
    expect(Math.min(...atCap)).toBe(UNREACHABLE_RETRY_MAX_MS / 2);
    expect(Math.max(...atCap)).toBeGreaterThan(UNREACHABLE_RETRY_MAX_MS * 0.99);
  });

  it('never waits longer than the refusal cap for a server that did not answer (a test core with a short cap)', () => {
    expect(reconnectDelay('unreachable', 20, { firstMs: 20, maxMs: 200 }, 0.999999)).toBeLessThanOrEqual(200);
  });
});
