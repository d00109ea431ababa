/**
 * Every PostgreSQL advisory lock key of the server, in one place so two jobs cannot share
 * a key by accident (the copy tool once held the routing turn's key, so a copy into a live
 * cluster's database would have stalled routing, and routing the copy).
 *
 * PostgreSQL has two key spaces that never overlap: one bigint (`pg_advisory_lock(key)`)
 * and a pair of int4 (`pg_advisory_lock(classid, objid)`). Named locks hash a string into
 * the bigint space (`hashtextextended(name, 0)`, `store.lockKeys`): a name meets one of the
 * few constants below only by a 64-bit hash collision.
 *
 * Never change a value already released: nodes of different versions run side by side in
 * a rolling upgrade and must take the same key for the same job.
 */

/** Schema migration (server/migrations/postgres/index.ts): session lock, nodes starting together apply once. */
export const MIGRATION_LOCK_KEY = 0x0d_e5_c0_01;
/** The routing engine's turn (store.routingTurn): transaction lock. */
export const ROUTING_TURN_LOCK_KEY = 0x0d_e5_c0_02;
/** The history retention's run (store.runAlone('history-retention')): session try-lock, one node at a time. */
export const HISTORY_RETENTION_LOCK_KEY = 0x0d_e5_c0_03;
/**
 * The SQLite → PostgreSQL copy (server/tools/sqliteToPostgres.ts): transaction lock, so two
 * copies into one database cannot interleave. It was 0x0d_e5_c0_02 (the routing turn's) up
 * to the change that made this module; only copies take it, so moving it is safe.
 */
export const COPY_LOCK_KEY = 0x0d_e5_c0_04;

/** The bigint-space keys, for the test that they differ. */
export const SINGLE_ADVISORY_LOCK_KEYS: Readonly<Record<string, number>> = {
  MIGRATION_LOCK_KEY,
  ROUTING_TURN_LOCK_KEY,
  HISTORY_RETENTION_LOCK_KEY,
  COPY_LOCK_KEY,
};

/** The routing leader's lease (server/cluster/leaderLease.ts), in the pair space: "omnidesk" cluster namespace… */
export const LEADER_LOCK_NAMESPACE = 0x6f6d6e69; // 'omni'
/** …the routing leader's session lock… */
export const LEADER_LOCK_ROUTING = 1;
/** …and the transaction lock that serialises `ensureLeaderTable` between nodes starting together. */
export const LEADER_ENSURE_TABLE_LOCK = 0;

/** The pair-space keys (classid, objid), for the test that they differ. */
export const PAIR_ADVISORY_LOCK_KEYS: Readonly<Record<string, readonly [number, number]>> = {
  LEADER_LOCK_ROUTING: [LEADER_LOCK_NAMESPACE, LEADER_LOCK_ROUTING],
  LEADER_ENSURE_TABLE_LOCK: [LEADER_LOCK_NAMESPACE, LEADER_ENSURE_TABLE_LOCK],
};
