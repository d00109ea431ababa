/** The twin of SQLite migration 037: the workstations each user signed in from (see server/migrations/037-sign-in-devices.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration028SignInDevices: PostgresMigration = {
  version: 28,
  name: 'sign-in-devices',
  sql: 'CREATE TABLE sign_in_devices (user_id TEXT NOT NULL, client_id TEXT NOT NULL, last_sign_in_at BIGINT NOT NULL, PRIMARY KEY (user_id, client_id))',
};
