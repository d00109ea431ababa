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
  /** With `BENCH_PG_STATEMENTS=1`: the `top` most sent statement texts since the previous call, with their counts. */
  takeTop: (top: number) => Array<[string, number]>;
  stop: () => void;
}

function statementText(args: readonly unknown[]): string {
  const first = args[0];
  const config = (first as { text?: unknown } | null)?.text;
  const text = typeof first === 'string' ? first : typeof config === 'string' ? config : '?';
  return text.replace(/\s+/g, ' ').slice(0, 140);
}

export function countPostgresStatements(): StatementCounter {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const byText = process.env.BENCH_PG_STATEMENTS === '1' ? new Map<string, number>() : null;
  let statements = 0;
  prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
    statements++;
    if (byText) {
      const text = statementText(args);
      byText.set(text, (byText.get(text) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
  return {
    read: () => statements,
    takeTop: (top) => {
      if (!byText) return [];
      const sorted = [...byText].sort((a, b) => b[1] - a[1]).slice(0, top);
      byText.clear();
      return sorted;
    },
    stop: () => {
      prototype.query = original;
    },
  };
}
