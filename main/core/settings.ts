/**
 * The workstation's own settings file, `<dataDir>/workstation.json`: the installation's
 * client id and the last signed-in session, so a restart resumes without signing in.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { entityIdSchema, userSchema } from '../../shared/domain.js';

const storedSessionSchema = z.object({
  user: userSchema,
  token: z.string().min(1),
  expiresAt: z.number().int(),
  serverUrl: z.string().min(1),
});
/** The signed-in session as stored between runs. */
export type StoredSession = z.infer<typeof storedSessionSchema>;

const settingsSchema = z.object({
  clientId: entityIdSchema,
  session: storedSessionSchema.nullable(),
});
/** Everything in workstation.json. */
export type WorkstationSettings = z.infer<typeof settingsSchema>;

export const SETTINGS_FILE = 'workstation.json';

/** Reads the settings, making a fresh client id when the file is missing or unreadable. */
export function loadSettings(dataDir: string, clientId?: string): WorkstationSettings {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, SETTINGS_FILE);
  let stored: WorkstationSettings | null = null;
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) stored = parsed.data;
  } catch {
    // Missing or corrupt: start over with a new client id; the caches stay where they are.
  }
  const settings: WorkstationSettings = {
    clientId: clientId ?? stored?.clientId ?? randomUUID(),
    session: stored?.session ?? null,
  };
  if (!stored || stored.clientId !== settings.clientId) saveSettings(dataDir, settings);
  return settings;
}

/** Writes the settings atomically (temp file + rename), so a crash never leaves half a file. */
export function saveSettings(dataDir: string, settings: WorkstationSettings): void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, SETTINGS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
