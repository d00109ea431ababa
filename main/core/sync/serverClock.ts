/**
 * The server's clock as this workstation knows it. The core dates every write it makes (replies,
 * notes, status changes, offline work) in server time, its own clock plus the offset measured
 * here, so a workstation whose clock runs behind or ahead of the server's does not put an
 * answer before the question on the ticket's timeline (docs/technical/sync-protocol.md, "Clocks").
 *
 * Every pull and push answer carries the server's time (`serverTime`). One reading: asked at
 * local `sentAt`, answered `serverTime`, heard at local `receivedAt`; the server answered
 * somewhere in between, so the offset is `serverTime − (sentAt + receivedAt) / 2`, right to
 * within half the round trip. The estimate follows the readings smoothed (a quarter of the way
 * each), so one slow answer does not move it far; a reading further off than its own round trip
 * allows (plus a second) is taken whole: the local clock was set, or the estimate is from
 * before it was.
 */

/** How much of the way to a new reading the estimate moves (an exponential moving average). */
export const CLOCK_SMOOTHING = 0.25;
/** A reading this much further off than half its round trip means the clock was set: it is taken whole. */
export const CLOCK_STEP_MS = 1_000;
/** The stored offset is written again only when the estimate moved this much since (a write per push would cost an fsync). */
export const CLOCK_STORE_STEP_MS = 100;
/**
 * The screens are told the offset again (the `connection` event) when it moved this much since
 * they were last told: their countdowns show whole seconds.
 */
export const CLOCK_REPORT_STEP_MS = 1_000;

export interface ServerClock {
  /** Server time now, as well as this workstation knows it: the local clock plus the offset (0 before any is known). */
  now(): number;
  /** The offset (server − local, ms) in use; null before any reading, here or stored. */
  offsetMs(): number | null;
  /** One reading of the server's clock (see the file's comment). Ignored when it cannot be true (answered before it was asked). */
  sample(sentAt: number, serverTime: number, receivedAt: number): void;
}

/**
 * A clock over `localNow`, starting from the offset `stored` (the cache's, from the last session;
 * null: none), calling `store` with the offset whenever it moved enough to be worth keeping.
 */
export function createServerClock(localNow: () => number, stored: number | null, store: (offsetMs: number) => void): ServerClock {
  let estimate: number | null = stored;
  let lastStored: number | null = stored;
  return {
    now: () => localNow() + Math.round(estimate ?? 0),
    offsetMs: () => (estimate === null ? null : Math.round(estimate)),
    sample(sentAt, serverTime, receivedAt) {
      const roundTrip = receivedAt - sentAt;
      if (!Number.isFinite(roundTrip) || roundTrip < 0 || !Number.isFinite(serverTime)) return;
      const reading = serverTime - (sentAt + receivedAt) / 2;
      if (estimate === null || Math.abs(reading - estimate) > roundTrip / 2 + CLOCK_STEP_MS) estimate = reading;
      else estimate += (reading - estimate) * CLOCK_SMOOTHING;
      const offset = Math.round(estimate);
      if (lastStored === null || Math.abs(offset - lastStored) >= CLOCK_STORE_STEP_MS) {
        lastStored = offset;
        store(offset);
      }
    },
  };
}
