/**
 * Statements this process sends to PostgreSQL, counted where every one of them passes
 * (node-postgres's pool hands each statement to a client's `query`); BEGIN, COMMIT and
 * savepoints count. A measuring instrument for the benches only: on a single connection the
 * statements of one transaction run one after another, so their number times a round trip
 * is a floor under the transaction's duration.
 */
import pg from 'pg';

export interface StatementCounter {
  read: () => number;
  stop: () => void;
}

export function countPostgresStatements(): StatementCounter {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  let statements = 0;
  prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
    statements++;
    return original.apply(this, args);
  };
  return {
    read: () => statements,
    stop: () => {
      prototype.query = original;
    },
  };
}
