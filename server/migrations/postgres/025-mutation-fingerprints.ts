/** The twin of SQLite migration 034: each idempotency record keeps its mutation's fingerprint (see server/migrations/034-mutation-fingerprints.ts). */
import { MUTATION_FINGERPRINT_STATEMENTS } from '../034-mutation-fingerprints.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration025MutationFingerprints: PostgresMigration = {
  version: 25,
  name: 'mutation-fingerprints',
  sql: MUTATION_FINGERPRINT_STATEMENTS.join(';\n'),
};
