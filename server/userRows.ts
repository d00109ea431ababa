/**
 * The `users` table's row and its one reading and one writing, shared by the store and the
 * administration repository (server/adminStore.ts), so a user is stored and read back alike.
 */
import type { Channel, Role, User } from '../shared/domain.js';
import type { SqlExecutor } from './db/sql.js';

/** The directory columns of a `users` row (what a `User` is made of). */
export interface UserDirectoryRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  channels: string;
  groups_json: string;
  tier: number;
  senior: number;
  languages_json: string;
  extension: string | null;
}

// Rows were written from validated values, so the casts below only restore types.
export function userFromRow(row: UserDirectoryRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    channels: JSON.parse(row.channels) as Channel[],
    groups: JSON.parse(row.groups_json) as string[],
    tier: Number(row.tier) === 2 ? 2 : 1,
    senior: Number(row.senior) === 1,
    languages: JSON.parse(row.languages_json) as string[],
    extension: row.extension,
  };
}

/** Inserts a new user with their password's hash; the caller holds the transaction. */
export async function insertUserRow(sql: SqlExecutor, user: User, passwordHash: string, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at, languages_json, extension)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      user.id,
      user.username,
      user.displayName,
      user.role,
      JSON.stringify(user.channels),
      JSON.stringify(user.groups),
      user.tier,
      user.senior ? 1 : 0,
      passwordHash,
      now,
      JSON.stringify(user.languages),
      user.extension,
    ],
  );
}
