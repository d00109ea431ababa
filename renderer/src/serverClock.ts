/**
 * The server's clock on this workstation: its own clock plus the offset the core measured
 * (ConnectionState.serverClockOffsetMs). Its own module, below the store and i18n, because both
 * read it: the store's `serverNow`, the screens' `useNow`, and i18n's "is it today" check.
 */

/**
 * Server time from this workstation's clock and the offset the core measured: what every
 * countdown counts on, as the core judges service levels and offer deadlines by it. The local
 * clock while no offset is known.
 */
export function serverTimeOf(offsetMs: number | null, localNow: number): number {
  return offsetMs !== null && Number.isFinite(offsetMs) ? localNow + offsetMs : localNow;
}
