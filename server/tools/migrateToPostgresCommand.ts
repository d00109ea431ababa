/**
 * `npm run migrate:postgres -- --from <server.sqlite> --to <postgres://…>`: copies a stopped
 * single node's SQLite database into an empty PostgreSQL database (sqliteToPostgres.ts).
 * Progress and the summary go to stderr; exit 0 when the copy committed, 1 otherwise. URLs
 * are only ever printed without their password.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { redactedUrl } from '../cluster/config.js';
import { DEFAULT_BATCH_SIZE, migrateSqliteToPostgres, type MigrationProgress, type MigrationRefusal, type MigrationSummary } from './sqliteToPostgres.js';

const USAGE = 'usage: npm run migrate:postgres -- --from <server.sqlite> --to <postgres://user@host:5432/db> [--batch-size 500]';

/** The operator's line for a refusal (the codes and facts are the contract; this wording is the command's own). */
export function describeRefusal(refusal: MigrationRefusal): string {
  switch (refusal.code) {
    case 'sqlite_missing':
      return `refused: no SQLite file at ${refusal.path}`;
    case 'sqlite_unreadable':
      return `refused: ${refusal.path} cannot be read as a SQLite database (${refusal.sqliteCode})`;
    case 'sqlite_schema_version':
      return `refused: the SQLite database is at schema version ${String(refusal.found)}, expected ${String(refusal.expected)}; start the server on it once with this version (it migrates the file), stop it, then run this again`;
    case 'not_postgres_url':
      return 'refused: --to must be a postgres:// or postgresql:// URL with a host';
    case 'target_foreign_schema': {
      const facts = [
        refusal.unknownTables.length > 0 ? `tables not of OmniDesk: ${refusal.unknownTables.join(', ')}` : '',
        refusal.unknownVersions.length > 0 ? `schema versions unknown to this server: ${refusal.unknownVersions.join(', ')}` : '',
        refusal.mismatchedColumns.length > 0 ? `columns missing or of another type: ${refusal.mismatchedColumns.join(', ')}` : '',
      ].filter((fact) => fact !== '');
      return `refused: the target database holds another schema (${facts.join('; ')}); use an empty database`;
    }
    case 'target_not_empty':
      return `refused: the target database is not empty (${Object.entries(refusal.counts)
        .map(([table, n]) => `${table}: ${String(n)} rows`)
        .join(', ')}); nothing was copied`;
    case 'verification_failed':
      return `failed: table ${refusal.table} differs after the copy (SQLite ${String(refusal.sqliteRows)} rows, md5 ${refusal.sqliteChecksum}; PostgreSQL ${String(refusal.postgresRows)} rows, md5 ${refusal.postgresChecksum}); everything was rolled back`;
  }
}

function describeProgress(progress: MigrationProgress): string {
  switch (progress.kind) {
    case 'migrated':
      return progress.versions.length > 0
        ? `schema: applied PostgreSQL migrations ${progress.versions.join(', ')}`
        : 'schema: already at the newest PostgreSQL migration';
    case 'copying':
      return `copy ${progress.table}: ${String(progress.copied)}/${String(progress.total)} rows`;
    case 'verified':
      return `verified ${progress.table}: ${String(progress.rows)} rows, checksum equal`;
  }
}

function describeSummary(summary: MigrationSummary, elapsedMs: number): string[] {
  const rows = summary.tables.reduce((sum, table) => sum + table.rows, 0);
  return [
    `done: ${String(summary.tables.length)} tables, ${String(rows)} rows copied and verified in ${(elapsedMs / 1000).toFixed(1)} s`,
    ...summary.tables.map((table) => `  ${table.table.padEnd(22)} ${String(table.rows).padStart(9)}  md5 ${table.checksum}`),
    `  change log continues after seq ${String(summary.changeLogLastSeq)}`,
    ...summary.identities.map((identity) => `  ${identity.table}.${identity.column} next ${String(identity.next)}`),
  ];
}

/** Runs the command with these arguments; resolves with the exit code. */
export async function runMigrateToPostgresCommand(args: readonly string[], write: (line: string) => void): Promise<number> {
  let values: { from?: string | undefined; to?: string | undefined; 'batch-size'?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { from: { type: 'string' }, to: { type: 'string' }, 'batch-size': { type: 'string' } },
      strict: true,
    }));
  } catch {
    write(USAGE);
    return 1;
  }
  const batchSize = values['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : Number(values['batch-size']);
  if (!values.from || !values.to || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) {
    write(USAGE);
    return 1;
  }
  const started = Date.now();
  write(`from ${values.from} to ${redactedUrl(values.to)}`);
  let lastTable = '';
  let lastLineAt = 0;
  try {
    const outcome = await migrateSqliteToPostgres({
      sqlitePath: values.from,
      postgresUrl: values.to,
      batchSize,
      onProgress: (progress) => {
        // One line per second at most while a table copies, and its last one.
        const tableDone = progress.kind !== 'copying' || progress.copied === progress.total;
        const newTable = progress.kind === 'copying' && progress.table !== lastTable;
        if (!tableDone && !newTable && Date.now() - lastLineAt < 1000) return;
        if (progress.kind === 'copying') lastTable = progress.table;
        lastLineAt = Date.now();
        write(describeProgress(progress));
      },
    });
    if (!outcome.ok) {
      write(describeRefusal(outcome.refusal));
      return 1;
    }
    for (const line of describeSummary(outcome.summary, Date.now() - started)) write(line);
    return 0;
  } catch (error) {
    // Driver errors name hosts, users, tables and SQLSTATEs, never the password.
    const code = (error as { code?: unknown } | null)?.code;
    write(`failed, nothing was committed: ${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runMigrateToPostgresCommand(process.argv.slice(2), (line) => process.stderr.write(`${line}\n`));
}
