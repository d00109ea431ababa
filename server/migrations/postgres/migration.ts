/**
 * A numbered PostgreSQL schema step. The SQL text runs in one transaction together with its
 * bookkeeping row; the runner (index.ts) holds an advisory lock, so nodes starting together
 * migrate once.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}
