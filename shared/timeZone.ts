/**
 * The organisation's time zone (an IANA name an administrator sets in the policies, default
 * Asia/Shanghai): the zone business hours, holidays and the times the workstation shows are
 * read in. Offsets come from `Intl` (an ECMAScript builtin, so this runs in the renderer and
 * the server alike) rather than a fixed +8, so zones with daylight saving (Europe/Berlin,
 * America/New_York) are right on both sides of their jumps. See docs/technical/administration.md.
 */
import { z } from 'zod';

/** The default, and the zone of every server that never set one: Chinese teams (product.md). */
export const DEFAULT_ORG_TIME_ZONE = 'Asia/Shanghai';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Whether the runtime knows this IANA name: `Intl.DateTimeFormat` throws a RangeError on an unknown one. */
export function isKnownTimeZone(name: string): boolean {
  // An empty or missing name would be the runtime's own zone, which is not a name at all.
  if (typeof name !== 'string' || name === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name the runtime knows ("Mars/Olympus" is refused with code `unknown_time_zone`). */
export const timeZoneSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine(isKnownTimeZone, { message: 'not a time zone this system knows (an IANA name like Asia/Shanghai)', params: { code: 'unknown_time_zone' } });

/** What every workstation is told about the organisation (server → core `org:settings`, cached by the core for offline). */
export const orgSettingsSchema = z.object({ timeZone: timeZoneSchema }).strict();
export type OrgSettings = z.infer<typeof orgSettingsSchema>;

/** One formatter per zone: building one costs far more than formatting with it. */
const partFormats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let format = partFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partFormats.set(timeZone, format);
  }
  return format;
}

/**
 * Offsets remembered per zone and quarter hour of UTC: every zone in use today changes its
 * offset on a quarter hour (e.g. 02:00 at +05:45 is 20:15 UTC), so one answer serves the
 * whole quarter. Business-hours checks run for every inbound contact and every rendered time.
 */
const QUARTER_MS = 15 * MINUTE_MS;
const offsetCache = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 10_000;

/** The zone's offset from UTC at this instant, in ms (Shanghai: +8 h; Berlin: +1 h in winter, +2 h in summer). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const quarter = Math.floor(at / QUARTER_MS);
  const key = `${timeZone}|${String(quarter)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const probe = quarter * QUARTER_MS;
  const parts: Record<string, number> = {};
  for (const part of partsFormat(timeZone).formatToParts(probe)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute, parts.second);
  // Years before 100 are read by Date.UTC as 19xx; no instant this product handles is that old.
  const offset = wall - probe;
  if (offsetCache.size >= OFFSET_CACHE_LIMIT) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/** The zone's wall clock at this instant, as ms on a UTC time line (`new Date(wall).toISOString()` reads as the local time). */
export function wallClockOf(timeZone: string, at: number): number {
  return at + zoneOffsetMs(timeZone, at);
}

/**
 * The instant the zone's wall clock reads `wall` (ms on a UTC time line). A time skipped by a
 * spring-forward jump (02:30 in Berlin on the last Sunday of March) is read with the offset
 * before the jump (so it lands after it: 03:30); a time repeated in autumn is its first passing.
 */
export function instantOfWallClock(timeZone: string, wall: number): number {
  const before = wall - zoneOffsetMs(timeZone, wall - DAY_MS);
  const after = wall - zoneOffsetMs(timeZone, wall + DAY_MS);
  // Same offset on both sides (nearly every day of every zone): the answer.
  if (before === after) return before;
  // A jump near this time: the earlier reading that is right, else (a skipped time) the one before the jump.
  const candidates = [Math.min(before, after), Math.max(before, after)];
  for (const candidate of candidates) if (wallClockOf(timeZone, candidate) === wall) return candidate;
  return before;
}
