/**
 * The SQLite → PostgreSQL copy on a real server store file (demo data, Chinese text,
 * attachment bytes, a mail's raw source, mutations, a customer merge, a personal data reveal)
 * and real throwaway PostgreSQL databases.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../db/postgres.js';
import { seedDemoOrganisation } from '../demo.js';
import { MIGRATIONS, migrate } from '../migrations/index.js';
import { POSTGRES_MIGRATIONS, migratePostgres } from '../migrations/postgres/index.js';
import { openServerStore } from '../store.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { TEST_EPOCH, makeTempDir } from '../testHarness.js';
import { runMigrateToPostgresCommand } from './migrateToPostgresCommand.js';
import { migrateSqliteToPostgres, type MigrationOutcome } from './sqliteToPostgres.js';

const ATTACHMENT_BYTES = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x0a, 0x80, 0x00]);
const RAW_MAIL = Buffer.from('From: =?UTF-8?B?6ZmI6Z2Z?= <chen.jing@example.cn>\r\nSubject: 发票重开\r\n\r\n发票抬头写错了\r\n', 'utf8');

let dir: string;
let sqlitePath: string;
const databases: TestDatabase[] = [];

async function newTarget(): Promise<TestDatabase> {
  const database = await createTestDatabase('omnidesk_copy');
  databases.push(database);
  return database;
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Every row of a table, as comparable plain values, in a stable order. */
function normalised(rows: Array<Record<string, unknown>>): string[] {
  return rows
    .map((row) =>
      JSON.stringify(
        Object.fromEntries(
          Object.entries(row).map(([key, value]) => [
            key,
            Buffer.isBuffer(value) ? `bytes:${value.toString('hex')}` : typeof value === 'bigint' || typeof value === 'number' ? String(value) : value,
          ]),
        ),
      ),
    )
    .sort();
}

function sqliteTableNames(): string[] {
  const db = new Database(sqlitePath, { readonly: true });
  try {
    return (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name")
        .all() as Array<{
        name: string;
      }>
    ).map((row) => row.name);
  } finally {
    db.close();
  }
}

function sqliteRows(table: string): Array<Record<string, unknown>> {
  const db = new Database(sqlitePath, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = makeTempDir('sqlite-to-postgres-');
  sqlitePath = path.join(dir, 'data', 'server.sqlite');
  const store = openServerStore({ filePath: sqlitePath });
  try {
    expect(await seedDemoOrganisation(store, TEST_EPOCH)).toBe(true);
    const lead = (await store.getUserByUsername('lead1'))!;
    const agent = (await store.getUserByUsername('agent4'))!;
    const mail = await store.ingestInbound(
      {
        channel: 'email',
        customer: { name: '陈静', email: 'chen.jing@example.cn' },
        subject: '发票重开',
        text: '发票抬头写错了，附件是新的营业执照',
        source: 'email',
        proven: ['email'],
        attachments: [{ fileName: '营业执照.pdf', contentType: 'application/pdf', data: ATTACHMENT_BYTES }],
        rawSource: RAW_MAIL,
      },
      { now: TEST_EPOCH + 1000 },
    );
    await store.assignTicket({
      ticketId: mail.ticketId,
      assignee: { id: agent.id, username: agent.username, displayName: agent.displayName },
      reason: { code: 'assigned_by_lead', byName: lead.displayName },
      now: TEST_EPOCH + 2000,
    });
    await store.applyMutation(
      agent,
      'client-1',
      { mutationId: 'm1', kind: 'setStatus', ticketId: mail.ticketId, status: 'in_progress', createdAt: TEST_EPOCH + 3000 },
      TEST_EPOCH + 3000,
    );
    await store.applyMutation(
      agent,
      'client-1',
      { mutationId: 'm2', kind: 'note', ticketId: mail.ticketId, noteId: 'note-1', text: '已联系财务，明天重开发票', createdAt: TEST_EPOCH + 4000 },
      TEST_EPOCH + 4000,
    );
    // The kept customer is the newer one, so the merged row points to a row copied after it.
    const older = await store.ingestInbound(
      { channel: 'phone', customer: { name: '周杰', phone: '13900000001' }, text: '来电', proven: ['phone'] },
      { now: TEST_EPOCH + 5000 },
    );
    const newer = await store.ingestInbound(
      { channel: 'phone', customer: { name: '周杰', phone: '13900000002' }, text: '再次来电', proven: ['phone'] },
      { now: TEST_EPOCH + 6000 },
    );
    await store.mergeCustomers({ keepId: newer.ticket.customerId, mergeId: older.ticket.customerId, actor: lead, now: TEST_EPOCH + 7000 });
    await store.pii.recordReveal({
      at: TEST_EPOCH + 8000,
      userId: lead.id,
      userName: lead.displayName,
      role: 'lead',
      ticketId: mail.ticketId,
      customerId: mail.ticket.customerId,
      field: 'customerEmail',
      targetId: null,
    });
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  for (const database of databases) await database.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('migrateSqliteToPostgres', () => {
  let target: TestDatabase;
  let outcome: MigrationOutcome;

  beforeAll(async () => {
    target = await newTarget();
    const progress: string[] = [];
    outcome = await migrateSqliteToPostgres({ sqlitePath, postgresUrl: target.url, batchSize: 7, onProgress: (p) => progress.push(p.kind) });
    expect(progress).toContain('copying');
    expect(progress).toContain('verified');
  });

  it('copies every table with equal counts and checksums, and every row equal', async () => {
    if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.refusal)}`);
    const tables = sqliteTableNames();
    expect(outcome.summary.tables.map((t) => t.table).sort()).toEqual(tables);
    expect(outcome.summary.migrationsApplied).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    await withClient(target.url, async (client) => {
      for (const table of tables) {
        const expected = sqliteRows(table);
        const actual = (await client.query<Record<string, unknown>>(`SELECT * FROM "${table}"`)).rows;
        expect(normalised(actual), table).toEqual(normalised(expected));
        expect(outcome.ok && outcome.summary.tables.find((t) => t.table === table)?.rows, table).toBe(expected.length);
      }
      expect(Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM tickets')).rows[0]!.n)).toBeGreaterThan(10);
      const attachment = (await client.query<{ file_name: string; data: Buffer }>('SELECT file_name, data FROM attachments')).rows;
      expect(attachment).toEqual([{ file_name: '营业执照.pdf', data: ATTACHMENT_BYTES }]);
      expect((await client.query<{ raw: Buffer }>('SELECT raw FROM message_sources')).rows[0]!.raw.equals(RAW_MAIL)).toBe(true);
      expect((await client.query("SELECT subject FROM tickets WHERE subject = '发票重开'")).rowCount).toBe(1);
      expect((await client.query('SELECT 1 FROM customers WHERE merged_into IS NOT NULL')).rowCount).toBe(1);
    });
  });

  it('continues the change log and every identity after the copied rows', async () => {
    if (!outcome.ok) throw new Error('refused');
    const sqlite = new Database(sqlitePath, { readonly: true });
    const lastSeq = (sqlite.prepare('SELECT last_seq FROM change_log_state').get() as { last_seq: number }).last_seq;
    const maxAudit = (sqlite.prepare('SELECT max(id) AS id FROM routing_audit').get() as { id: number }).id;
    sqlite.close();
    expect(outcome.summary.changeLogLastSeq).toBe(lastSeq);
    expect(outcome.summary.identities.map((i) => `${i.table}.${i.column}`).sort()).toEqual([
      'admin_audit.id',
      'alerts.id',
      'csat_surveys.id',
      'customer_merges.id',
      'kb_audit.id',
      'pii_reveals.id',
      'routing_audit.id',
    ]);
    await withClient(target.url, async (client) => {
      const ticket = (await client.query<{ id: string }>('SELECT id FROM tickets LIMIT 1')).rows[0]!.id;
      const inserted = await client.query<{ id: string }>(
        "INSERT INTO routing_audit (ticket_id, at, decision, reason) VALUES ($1, 1, 'queued', '排队') RETURNING id",
        [ticket],
      );
      expect(Number(inserted.rows[0]!.id)).toBe(maxAudit + 1);
      const merge = await client.query<{ id: string }>(
        "INSERT INTO customer_merges (kept_id, merged_id, by_user_id, by_name, tickets_moved, at) SELECT merged_into, id, 'lead1', '李主管', 0, 1 FROM customers WHERE merged_into IS NOT NULL RETURNING id",
      );
      expect(Number(merge.rows[0]!.id)).toBe(2);
    });
  });

  it('leaves a database the PostgreSQL migration runner finds up to date', async () => {
    const db = openPostgresDatabase({ connectionString: target.url, maxConnections: 1 });
    try {
      expect(await migratePostgres(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('refuses a second run: the target is not empty, with the counts found', async () => {
    const again = await migrateSqliteToPostgres({ sqlitePath, postgresUrl: target.url });
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expect(again.refusal.code).toBe('target_not_empty');
    if (again.refusal.code !== 'target_not_empty') return;
    expect(again.refusal.counts.users).toBe(sqliteRows('users').length);
    expect(again.refusal.counts.change_log_state).toBe(1);
  });
});

describe('refusals', () => {
  it('refuses a missing SQLite file, one not at the expected version, and a URL that is not postgres', async () => {
    const missing = await migrateSqliteToPostgres({ sqlitePath: path.join(dir, 'nope.sqlite'), postgresUrl: 'postgres://postgres@127.0.0.1:5432/x' });
    expect(missing).toEqual({ ok: false, refusal: { code: 'sqlite_missing', path: path.join(dir, 'nope.sqlite') } });

    const oldPath = path.join(dir, 'old.sqlite');
    const old = new Database(oldPath);
    migrate(old, 9);
    old.close();
    expect(await migrateSqliteToPostgres({ sqlitePath: oldPath, postgresUrl: 'postgres://postgres@127.0.0.1:5432/x' })).toEqual({
      ok: false,
      refusal: { code: 'sqlite_schema_version', found: 9, expected: MIGRATIONS.at(-1)!.version },
    });

    const notDatabase = path.join(dir, 'notes.txt');
    fs.writeFileSync(notDatabase, '这不是数据库'.repeat(200));
    expect(await migrateSqliteToPostgres({ sqlitePath: notDatabase, postgresUrl: 'postgres://postgres@127.0.0.1:5432/x' })).toMatchObject({
      ok: false,
      refusal: { code: 'sqlite_unreadable', sqliteCode: 'SQLITE_NOTADB' },
    });

    expect(await migrateSqliteToPostgres({ sqlitePath, postgresUrl: 'mysql://root:s3cret@127.0.0.1/omnidesk' })).toEqual({
      ok: false,
      refusal: { code: 'not_postgres_url' },
    });
  });

  it('refuses a target holding another schema, before writing anything', async () => {
    const foreign = await newTarget();
    await withClient(foreign.url, (client) => client.query('CREATE TABLE invoices (id BIGINT PRIMARY KEY)'));
    expect(await migrateSqliteToPostgres({ sqlitePath, postgresUrl: foreign.url })).toEqual({
      ok: false,
      refusal: { code: 'target_foreign_schema', unknownTables: ['invoices'], unknownVersions: [], mismatchedColumns: [] },
    });
    const newer = await newTarget();
    await withClient(newer.url, (client) =>
      client.query(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (42, 'future', 1)",
      ),
    );
    expect(await migrateSqliteToPostgres({ sqlitePath, postgresUrl: newer.url })).toMatchObject({
      ok: false,
      refusal: { code: 'target_foreign_schema', unknownTables: [], unknownVersions: ['42 future'] },
    });
    await withClient(foreign.url, async (client) => {
      expect((await client.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'users'")).rowCount).toBe(0);
    });
  });

  it('rolls everything back and names the table when the copy reads back differently', async () => {
    const altered = await newTarget();
    const db = openPostgresDatabase({ connectionString: altered.url, maxConnections: 1 });
    try {
      await migratePostgres(db);
    } finally {
      await db.close();
    }
    // A trigger left on the target rewrites what is written: the copy must notice and undo everything.
    await withClient(altered.url, (client) =>
      client.query(`
        CREATE FUNCTION rename_customer() RETURNS trigger AS $$ BEGIN NEW.name := NEW.name || '（改）'; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER rename_customer BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION rename_customer();
      `),
    );
    const outcome = await migrateSqliteToPostgres({ sqlitePath, postgresUrl: altered.url });
    expect(outcome).toMatchObject({ ok: false, refusal: { code: 'verification_failed', table: 'customers' } });
    await withClient(altered.url, async (client) => {
      for (const table of ['users', 'customers', 'tickets', 'attachments']) {
        expect((await client.query(`SELECT 1 FROM ${table}`)).rowCount, table).toBe(0);
      }
      expect((await client.query('SELECT last_seq FROM change_log_state')).rows).toEqual([{ last_seq: '0' }]);
    });
  });
});

describe('rows PostgreSQL rejects', () => {
  it('rolls the copy back and names the table', async () => {
    // SQLite keeps a NUL inside text; PostgreSQL's text cannot hold one.
    const nulPath = path.join(dir, 'nul.sqlite');
    fs.copyFileSync(sqlitePath, nulPath);
    const db = new Database(nulPath);
    db.prepare("UPDATE notes SET text = '备注' || char(0) || '尾' WHERE id = 'note-1'").run();
    db.close();
    const target = await newTarget();
    await expect(migrateSqliteToPostgres({ sqlitePath: nulPath, postgresUrl: target.url })).rejects.toMatchObject({ table: 'notes', code: '22021' });
    await withClient(target.url, async (client) => {
      expect((await client.query('SELECT 1 FROM users')).rowCount).toBe(0);
    });
  });
});

describe('npm run migrate:postgres', () => {
  it('copies with progress and a summary on its output, exit 0, and never prints a password', async () => {
    const target = await newTarget();
    const url = new URL(target.url);
    // Trust auth ignores the password; the command must still never print it.
    url.password = 'hunter2';
    const lines: string[] = [];
    expect(await runMigrateToPostgresCommand(['--from', sqlitePath, '--to', url.toString()], (line) => lines.push(line))).toBe(0);
    expect(lines.some((line) => line.startsWith('copy tickets:'))).toBe(true);
    expect(lines.some((line) => line.startsWith('done:'))).toBe(true);
    expect(lines[0]).toContain('***');
    lines.length = 0;
    expect(await runMigrateToPostgresCommand(['--from', sqlitePath, '--to', url.toString()], (line) => lines.push(line))).toBe(1);
    expect(lines.at(-1)).toMatch(/^refused: the target database is not empty \(.*users: \d+ rows/);
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('runs as a script: usage and exit 1 without arguments', async () => {
    const script = path.join(import.meta.dirname, 'migrateToPostgresCommand.ts');
    const tsx = path.join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const run = promisify(execFile);
    await expect(run(tsx, [script, '--to', 'postgres://postgres:s3cret@127.0.0.1/x'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('usage: npm run migrate:postgres') as unknown,
    });
  });
});
