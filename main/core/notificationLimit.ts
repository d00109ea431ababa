/**
 * How many desktop notifications the window may show: a page gone wrong (or a flood of
 * customer messages) must not bury the OS notification centre. Plain code, no electron, so
 * it is unit-tested (used by main/electron/ipc.ts).
 */

/** At most this many notifications per window of NOTIFICATION_WINDOW_MS; the rest are dropped. */
export const NOTIFICATIONS_PER_WINDOW = 20;
export const NOTIFICATION_WINDOW_MS = 60_000;

export interface NotificationLimit {
  /** True when one more notification may be shown at `now` (and counts it). */
  allow(now: number): boolean;
}

export function createNotificationLimit(perWindow: number = NOTIFICATIONS_PER_WINDOW, windowMs: number = NOTIFICATION_WINDOW_MS): NotificationLimit {
  const shownAt: number[] = [];
  return {
    allow(now) {
      while (shownAt.length > 0 && shownAt[0]! <= now - windowMs) shownAt.shift();
      if (shownAt.length >= perWindow) return false;
      shownAt.push(now);
      return true;
    },
  };
}
