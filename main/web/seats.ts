/**
 * Browser mode's seats (issue 12): one core per browser profile, so an agent and a lead can
 * sign in side by side from one workstation without signing each other out.
 *
 * A seat is a core with its own data folder (settings, caches, stored session: two cores
 * must never share a workstation.json, or they overwrite each other's cache keys). The
 * folders are numbered slots, at most `maxSeats` of them: slot 1 is `dataDir` itself (the
 * folder of the one core browser mode had before seats, so an existing cache and stored
 * session stay where they are), slot n is `dataDir/seats/<n>`. A slot is a desk: whoever sits
 * there next finds the caches of those who signed in there before, locked by their passwords.
 *
 * The page holds its seat as a random id (localStorage, so the tabs of one profile share it);
 * the host keeps only its SHA-256 digest, per slot, in `dataDir/seats.json`. The placement
 * rule (docs/technical/hosts.md, "Seats"):
 *   1. a page presenting the id of a slot joins that slot's seat (opening its core if closed);
 *   2. a page without a usable id takes over the seat of someone whose session is signed in
 *      but who has NO page open (a restart, a new origin, the same person in a new profile),
 *      the most recently used first, and the seat gets a new id, so a page that still holds the
 *      old one cannot come back into it;
 *   3. else a live seat with no page and nobody signed in; else a closed slot (never used
 *      first, then the least recently used); else none: all seats are in use.
 * A seat with a page open is never given to a page without its id: a second person is never
 * shown the first person's session while the first person's page is open.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { seatIdSchema, type RpcEventName, type RpcEvents } from '../../shared/rpc.js';
import type { CoreEventListener, WorkstationCore } from '../core/api.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../core/privateFiles.js';
import { readSettings } from '../core/settings.js';

export const DEFAULT_MAX_SEATS = 8;
/** A seat with no page and nobody signed in is closed after this long (10 minutes). */
export const DEFAULT_SEAT_IDLE_CLOSE_MS = 10 * 60 * 1000;
export const SEATS_FILE = 'seats.json';

/** Where a page was placed. */
export interface SeatPlacement {
  /** The id the page keeps; null when the host has a single core and no seats (tests). */
  seatId: string | null;
  /** Which slot (1…maxSeats); 1 in single-core mode. */
  slot: number;
  core: WorkstationCore;
  /** The page's socket closed. Idempotent. */
  leave(): void;
}

/** What the browser host places pages with. */
export interface SeatDirectory {
  /** Places a page presenting `presented` (anything, from the handshake); null when every seat is in use. */
  place(presented: string | null): Promise<SeatPlacement | null>;
}

export interface SeatsOptions {
  dataDir: string;
  openCore: (dataDir: string) => Promise<WorkstationCore>;
  maxSeats?: number;
  idleCloseMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface Seats extends SeatDirectory {
  readonly maxSeats: number;
  /** Opens the seats whose folder holds a stored session, so they resume (and sync) as before a restart. */
  start(): Promise<void>;
  /** Closes every core; placing afterwards answers null. */
  close(): Promise<void>;
}

/** Every page shares the one core (the host's tests, and hosts that bring their own core). */
export function singleCoreSeats(core: WorkstationCore): SeatDirectory {
  return {
    place: () => Promise.resolve({ seatId: null, slot: 1, core, leave: () => {} }),
  };
}

export function newSeatId(): string {
  return randomBytes(16).toString('base64url');
}

function seatDigest(seatId: string): string {
  return createHash('sha256').update(seatId, 'utf8').digest('hex');
}

/** The data folder of slot `slot`. */
export function seatDataDir(dataDir: string, slot: number): string {
  return slot === 1 ? dataDir : path.join(dataDir, 'seats', String(slot));
}

const slotRecordSchema = z.object({
  slot: z.number().int().positive(),
  seatDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  lastActiveAt: z.number().int().nonnegative(),
});
type SlotRecord = z.infer<typeof slotRecordSchema>;
const seatsFileSchema = z.object({ slots: z.array(slotRecordSchema) });

interface LiveSeat {
  slot: number;
  core: WorkstationCore;
  pages: number;
  signedIn: boolean;
  idleTimer: NodeJS.Timeout | null;
  unsubscribe: () => void;
}

export function createSeats(options: SeatsOptions): Seats {
  const { dataDir, openCore } = options;
  const maxSeats = options.maxSeats ?? DEFAULT_MAX_SEATS;
  const idleCloseMs = options.idleCloseMs ?? DEFAULT_SEAT_IDLE_CLOSE_MS;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(maxSeats) || maxSeats < 1) throw new Error(`maxSeats must be a whole number from 1, got ${String(maxSeats)}`);

  const records = new Map<number, SlotRecord>();
  for (const record of readSeatsFile(dataDir)) if (record.slot <= maxSeats) records.set(record.slot, record);
  const live = new Map<number, LiveSeat>();
  let closed = false;
  // Placing, opening and idle-closing run one at a time: two pages never race for one slot,
  // and a page never joins a seat that is being closed.
  let queue: Promise<unknown> = Promise.resolve();
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  function persist(): void {
    makePrivateDir(dataDir);
    const file = path.join(dataDir, SEATS_FILE);
    const temp = `${file}.${String(process.pid)}.tmp`;
    const slots = [...records.values()].sort((a, b) => a.slot - b.slot);
    writeFileSync(temp, `${JSON.stringify({ slots }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    chmodSync(temp, PRIVATE_FILE_MODE);
    renameSync(temp, file);
  }

  function record(slot: number): SlotRecord {
    let found = records.get(slot);
    if (!found) {
      found = { slot, seatDigest: null, lastActiveAt: 0 };
      records.set(slot, found);
    }
    return found;
  }

  function reviewIdle(seat: LiveSeat): void {
    const idle = seat.pages === 0 && !seat.signedIn && !closed;
    if (!idle) {
      if (seat.idleTimer) clearTimeout(seat.idleTimer);
      seat.idleTimer = null;
      return;
    }
    if (seat.idleTimer) return;
    seat.idleTimer = setTimeout(() => {
      seat.idleTimer = null;
      void serially(async () => {
        if (live.get(seat.slot) !== seat || seat.pages > 0 || seat.signedIn) return;
        await closeSeat(seat);
        log(`Seat ${String(seat.slot)} closed: no page and nobody signed in for ${String(Math.round(idleCloseMs / 1000))} s.`);
      }).catch((error: unknown) => log(`Seat ${String(seat.slot)} did not close cleanly: ${String(error)}`));
    }, idleCloseMs);
    seat.idleTimer.unref();
  }

  async function closeSeat(seat: LiveSeat): Promise<void> {
    live.delete(seat.slot);
    if (seat.idleTimer) clearTimeout(seat.idleTimer);
    seat.idleTimer = null;
    seat.unsubscribe();
    await seat.core.close();
  }

  async function open(slot: number): Promise<LiveSeat> {
    const existing = live.get(slot);
    if (existing) return existing;
    const core = await openCore(seatDataDir(dataDir, slot));
    const seat: LiveSeat = { slot, core, pages: 0, signedIn: false, idleTimer: null, unsubscribe: () => {} };
    const listener: CoreEventListener = <E extends RpcEventName>(event: E, payload: RpcEvents[E]) => {
      if (event !== 'connection') return;
      seat.signedIn = (payload as RpcEvents['connection']).status !== 'signed_out';
      reviewIdle(seat);
    };
    seat.unsubscribe = core.onEvent(listener);
    const session = await core.invoke('session.get', {});
    seat.signedIn = session.ok && (session.result as { user: unknown }).user !== null;
    live.set(slot, seat);
    reviewIdle(seat);
    return seat;
  }

  function join(seat: LiveSeat, seatId: string): SeatPlacement {
    const slotRecord = record(seat.slot);
    slotRecord.seatDigest = seatDigest(seatId);
    slotRecord.lastActiveAt = now();
    persist();
    seat.pages += 1;
    reviewIdle(seat);
    let left = false;
    return {
      seatId,
      slot: seat.slot,
      core: seat.core,
      leave() {
        if (left) return;
        left = true;
        seat.pages -= 1;
        if (live.get(seat.slot) === seat) {
          record(seat.slot).lastActiveAt = now();
          try {
            persist();
          } catch (error) {
            log(`Could not write ${SEATS_FILE}: ${String(error)}`);
          }
        }
        reviewIdle(seat);
      },
    };
  }

  async function placeNow(presented: string | null): Promise<SeatPlacement | null> {
    if (closed) return null;
    const asId = seatIdSchema.safeParse(presented);
    if (asId.success) {
      const digest = seatDigest(asId.data);
      const own = [...records.values()].find((r) => r.seatDigest === digest);
      if (own) return join(await open(own.slot), asId.data);
    }
    const pageless = [...live.values()].filter((seat) => seat.pages === 0);
    const byRecent = (a: LiveSeat, b: LiveSeat) => record(b.slot).lastActiveAt - record(a.slot).lastActiveAt;
    const orphaned = pageless.filter((seat) => seat.signedIn).sort(byRecent)[0];
    if (orphaned) {
      log(`A page without its seat took over seat ${String(orphaned.slot)} (signed in, no page open).`);
      return join(orphaned, newSeatId());
    }
    const empty = pageless.filter((seat) => !seat.signedIn).sort(byRecent)[0];
    if (empty) return join(empty, newSeatId());
    const freeSlots: number[] = [];
    for (let slot = 1; slot <= maxSeats; slot++) if (!live.has(slot)) freeSlots.push(slot);
    if (freeSlots.length === 0) return null;
    const neverUsed = freeSlots.find((slot) => !records.has(slot));
    const slot = neverUsed ?? freeSlots.sort((a, b) => record(a).lastActiveAt - record(b).lastActiveAt)[0]!;
    return join(await open(slot), newSeatId());
  }

  return {
    maxSeats,
    place(presented) {
      return serially(() => placeNow(presented));
    },
    start() {
      return serially(async () => {
        for (let slot = 1; slot <= maxSeats; slot++) {
          if (readSettings(seatDataDir(dataDir, slot))?.session) await open(slot);
        }
      });
    },
    close() {
      closed = true;
      return serially(async () => {
        const results = await Promise.allSettled([...live.values()].map((seat) => closeSeat(seat)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
    },
  };
}

function readSeatsFile(dataDir: string): SlotRecord[] {
  try {
    const parsed = seatsFileSchema.safeParse(JSON.parse(readFileSync(path.join(dataDir, SEATS_FILE), 'utf8')));
    return parsed.success ? parsed.data.slots : [];
  } catch {
    return [];
  }
}
