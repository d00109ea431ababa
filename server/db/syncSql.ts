/**
 * Synchronous statements on the embedded SQLite connection, for the code that still runs
 * inside the SQLite store's synchronous transactions (store.ts and the parts it opens:
 * routingStore.ts, channels/cti/callStore.ts, piiAuditStore.ts). The same `?` SQL as the
 * async seam in sql.ts, and no driver type crosses it, so moving a part onto `SqlExecutor`
 * is adding `await`s. See docs/technical/storage.md.
 */
import type { SqlRunResult, SqlValue } from './sql.js';

export interface SyncSqlExecutor {
  all<Row>(text: string, params?: readonly SqlValue[]): Row[];
  get<Row>(text: string, params?: readonly SqlValue[]): Row | undefined;
  run(text: string, params?: readonly SqlValue[]): SqlRunResult;
}
