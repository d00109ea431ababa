/**
 * Sign-in devices (attack-12): one row per user and workstation (`client_id`, the random UUID a
 * workstation keeps in its settings and sends with every sign-in) that signed in as that user
 * with the right password, and when it last did. A sign-in from such a device spends a failure
 * budget of its own (`signInFailuresPerDevice`) instead of the user's, so a stranger's wrong
 * passwords, which spend the user's budget, no longer lock the user out of their own
 * workstation. An admin's password reset forgets the user's rows. Numbered 037; PostgreSQL 028
 * is its twin.
 */
import type { Migration } from './migration.js';

export const migration037SignInDevices: Migration = {
  version: 37,
  name: 'sign-in-devices',
  up(db) {
    db.exec(
      'CREATE TABLE sign_in_devices (user_id TEXT NOT NULL, client_id TEXT NOT NULL, last_sign_in_at INTEGER NOT NULL, PRIMARY KEY (user_id, client_id))',
    );
  },
};
