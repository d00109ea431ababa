/**
 * The workstation's own settings file, `<dataDir>/workstation.json`: the installation's
 * client id, the last signed-in session (so a restart resumes without signing in), per
 * user who signed in here online a salted scrypt verifier of their password so they can
 * sign in to their cached data while the server is unreachable and the wrapped keys of
 * their encrypted cache (cacheKeys.ts) — never the password, never a key in the clear —
 * and the tokens of sessions signed out while the server could not be told (revoked later).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { entityIdSchema, userSchema } from '../../shared/domain.js';
import { DEFAULT_ORG_TIME_ZONE, isKnownTimeZone } from '../../shared/timeZone.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from './privateFiles.js';

const storedSessionSchema = z.object({
  user: userSchema,
  token: z.string().min(1),
  expiresAt: z.number().int(),
  serverUrl: z.string().min(1),
});
/** The signed-in session as stored between runs. */
export type StoredSession = z.infer<typeof storedSessionSchema>;

const offlineVerifierSchema = z.object({
  /** The server these credentials belong to. */
  serverUrl: z.string().min(1),
  /** The trimmed username as typed at sign-in. */
  username: z.string().min(1),
  user: userSchema,
  /** `scrypt$N$r$p$salt$hash` of the password (see verifier.ts). */
  verifier: z.string().min(1),
});
/** What offline sign-in checks a password against. */
export type OfflineVerifier = z.infer<typeof offlineVerifierSchema>;

const pendingLogoutSchema = z.object({
  serverUrl: z.string().min(1),
  token: z.string().min(1),
  /** Past this the token is dead anyway and is forgotten without asking the server. */
  expiresAt: z.number().int(),
});
/** A signed-out session's token the server has not revoked yet. */
export type PendingLogout = z.infer<typeof pendingLogoutSchema>;
const cacheKeyEntrySchema = z.object({
  /** Whose cache (`users/<userId>.sqlite`). */
  userId: entityIdSchema,
  /**
   * The cache key wrapped by the user's password (cacheKeys.ts). Null only while a cache
   * encrypted at the upgrade of a resumed session waits for the user's first password.
   */
  byPassword: z.string().min(1).nullable(),
  /** The cache key sealed by the host's KeyProtector: while a session is stored, or while `byPassword` is null. */
  byDevice: z.string().min(1).nullable(),
  /** Unsent outbox rows when the cache was last closed: what is lost if it can never be opened again. */
  pendingAtClose: z.number().int().nonnegative(),
});
/** How one user's encrypted cache is opened. */
export type CacheKeyEntry = z.infer<typeof cacheKeyEntrySchema>;

const settingsSchema = z.object({
  clientId: entityIdSchema,
  session: storedSessionSchema.nullable(),
  // Absent in files written before offline sign-in existed.
  offlineVerifiers: z.array(offlineVerifierSchema).default([]),
  // Absent in files written before sign-out reached the server.
  pendingLogouts: z.array(pendingLogoutSchema).default([]),
  // Absent in files written before the caches were encrypted (their caches are encrypted on first open).
  cacheKeys: z.array(cacheKeyEntrySchema).default([]),
  // The organisation's time zone per server as last pushed (`org:settings`), so an offline start shows times in it.
  // Absent in older files; never allowed to make the whole file unreadable (that would cost the client id).
  orgTimeZones: z.record(z.string(), z.string()).default({}).catch({}),
});
/** Everything in workstation.json. */
export type WorkstationSettings = z.infer<typeof settingsSchema>;

export const SETTINGS_FILE = 'workstation.json';

/** The stored settings as they are; null when the file is missing or unreadable. Writes nothing. */
export function readSettings(dataDir: string): WorkstationSettings | null {
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Reads the settings, making a fresh client id when the file is missing or unreadable (then
 * the caches stay where they are, but without their keys only a fresh online sign-in, which
 * sets them aside, gets the user going again).
 */
export function loadSettings(dataDir: string, clientId?: string): WorkstationSettings {
  makePrivateDir(dataDir);
  const stored = readSettings(dataDir);
  const settings: WorkstationSettings = {
    clientId: clientId ?? stored?.clientId ?? randomUUID(),
    session: stored?.session ?? null,
    offlineVerifiers: stored?.offlineVerifiers ?? [],
    pendingLogouts: stored?.pendingLogouts ?? [],
    cacheKeys: stored?.cacheKeys ?? [],
    orgTimeZones: stored?.orgTimeZones ?? {},
  };
  if (!stored || stored.clientId !== settings.clientId) saveSettings(dataDir, settings);
  return settings;
}

/** Writes the settings atomically (temp file + rename), so a crash never leaves half a file. */
export function saveSettings(dataDir: string, settings: WorkstationSettings): void {
  makePrivateDir(dataDir);
  const file = path.join(dataDir, SETTINGS_FILE);
  const temp = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  // A temp file left by a crashed run keeps its old mode through writeFileSync.
  chmodSync(temp, PRIVATE_FILE_MODE);
  renameSync(temp, file);
}

/** The organisation's time zone of this server as last heard, or the default (never heard, or a name this runtime does not know). */
export function orgTimeZoneOf(settings: WorkstationSettings, serverUrl: string): string {
  const stored = settings.orgTimeZones[serverUrl];
  return stored !== undefined && isKnownTimeZone(stored) ? stored : DEFAULT_ORG_TIME_ZONE;
}

/** The key a verifier is stored under: the username as the server knows it (trimmed, like the sign-in form). */
export function verifierKey(username: string): string {
  return username.trim();
}

export function findOfflineVerifier(settings: WorkstationSettings, serverUrl: string, username: string): OfflineVerifier | null {
  const key = verifierKey(username);
  return settings.offlineVerifiers.find((v) => v.serverUrl === serverUrl && v.username === key) ?? null;
}

/** Replaces (or adds) the verifier of one user on one server. */
export function putOfflineVerifier(settings: WorkstationSettings, entry: OfflineVerifier): void {
  settings.offlineVerifiers = [...settings.offlineVerifiers.filter((v) => !(v.serverUrl === entry.serverUrl && v.username === entry.username)), entry];
}

export function dropOfflineVerifier(settings: WorkstationSettings, serverUrl: string, username: string): void {
  const key = verifierKey(username);
  settings.offlineVerifiers = settings.offlineVerifiers.filter((v) => !(v.serverUrl === serverUrl && v.username === key));
}

export function findCacheKey(settings: WorkstationSettings, userId: string): CacheKeyEntry | null {
  return settings.cacheKeys.find((entry) => entry.userId === userId) ?? null;
}

/** Replaces (or adds) the key entry of one user's cache. */
export function putCacheKey(settings: WorkstationSettings, entry: CacheKeyEntry): void {
  settings.cacheKeys = [...settings.cacheKeys.filter((other) => other.userId !== entry.userId), entry];
}
