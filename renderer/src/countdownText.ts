/**
 * A countdown as m:ss (话后处理 0:12). Whole seconds are rounded down: the screens' shared
 * clock (useNow) ticks once a second, so `ms` is measured from a moment up to a second old,
 * and rounding up would open a 15 s wrap-up at 0:16.
 */
export function countdownText(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(seconds / 60))}:${String(seconds % 60).padStart(2, '0')}`;
}
