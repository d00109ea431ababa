/**
 * The `postgres` phase: what the server costs on PostgreSQL, each figure beside a raw floor
 * measured on the same PostgreSQL server in the same run.
 * - Ingest: the ingest measurement of ingestLatency.ts, unchanged (same contact mix, 200
 *   contacts/s offered, 1,000 light sockets, 4 full cores), with the server on a database of
 *   its own (the `postgres` setup of ingestSetups.ts), every figure prefixed `postgres_`.
 *   Floor: `postgres_raw_insert_rows_per_s`, as many single-row INSERTs as the measured
 *   window's contacts, each its own commit, through one pool as large as the server's (10).
 * - Bootstrap: a lead pages through every ticket with `store.bootstrapPage` (the server's
 *   share of a bootstrap; a lead is sent every ticket, an agent only what they hold), rows
 *   counted as tickets + customers + messages + notes + identities; floor: one plain SELECT
 *   per table of the same rows (`postgres_raw_select_rows_per_s`).
 * - Mutations: `store.applyMutation` round trips one after the other (notes and priority
 *   changes by the lead); floor: BEGIN / one-row UPDATE / COMMIT on one connection.
 * - Round trips: statements sent to PostgreSQL per ingested contact and per mutation, counted
 *   at node-postgres's `Client.query` in this process; and the change log's audience rows per
 *   change (appendChange writes them one INSERT each).
 * The same store measurements run on a SQLite file in the same run (`sqlite_store_*`) so the
 * cost of each backend is visible side by side. Every database is made here and dropped at the end.
 */
import pg from 'pg';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CHANNELS, type User } from '../shared/domain.js';
import type { Mutation } from '../shared/sync.js';
import { BOOTSTRAP_PAGE_SIZE } from '../main/core/sync/syncClient.js';
import { openPostgresServerStore, openServerStore, type ChannelContact, type ServerStore } from '../server/store.js';
import { createTestDatabase } from '../server/testing/postgres.js';
import { makeBenchDir, percentile, progress, removeDir, reportMetric, scaled } from './benchSupport.js';
import { measureIngestLatency, measuredWindowContacts } from './ingestLatency.js';
import type { IngestServerSetup } from './ingestSetups.js';
import { countPostgresStatements } from './postgresStatements.js';
import { firstContact, followUpContact } from './sampleContacts.js';

/** The server's pool size (server/db/postgres.ts default): the floor may use as many connections as the server does. */
export const SERVER_POOL_CONNECTIONS = 10;
const CHANNEL_PROOF: ChannelContact['proven'] = ['phone', 'email', 'socialId'];
/** Contacts per seeding transaction. */
const SEED_CHUNK = 1000;
/** Every third ticket gets a second customer message, as in the bootstrap phase. */
const FOLLOW_UP_EVERY = 3;
const SEED_EPOCH = Date.UTC(2024, 10, 8, 2, 0, 0);
/** Bootstraps and floors alternate this many times; the median of each is reported. */
const BOOTSTRAP_ROUNDS = 3;

/** Rows a bootstrap of everything carries, counted the same way for the page walk and the floor. */
interface RowCount {
  tickets: number;
  rows: number;
}

/** `rows` single-row INSERTs, each its own commit, `connections` at a time through one pool. Rows per second. */
export async function measureRawInsert(databaseUrl: string, rows: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: SERVER_POOL_CONNECTIONS });
  try {
    await pool.query(`CREATE TABLE bench_floor_tickets (
      id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, channel TEXT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL,
      created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, last_message_preview TEXT NOT NULL, routing TEXT NOT NULL)`);
    let next = 0;
    const insertSome = async () => {
      while (next < rows) {
        const index = next++;
        const contact = firstContact(index, CHANNELS[index % CHANNELS.length]!);
        await pool.query({
          name: 'bench_floor_insert',
          text: `INSERT INTO bench_floor_tickets (id, customer_id, channel, subject, status, created_at, updated_at, last_message_preview, routing)
                 VALUES ($1, $2, $3, $4, 'unassigned', $5, $5, $6, $7)`,
          values: [
            `GD20241108${String(index).padStart(6, '0')}`,
            `CUS20241108${String(index).padStart(6, '0')}`,
            contact.channel,
            contact.subject ?? '',
            SEED_EPOCH + index,
            contact.text,
            '{}',
          ],
        });
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: SERVER_POOL_CONNECTIONS }, insertSome));
    return rows / ((performance.now() - start) / 1000);
  } finally {
    await pool.end();
  }
}

/** `tickets` queued tickets through the store's own ingest, in transactions of SEED_CHUNK contacts. */
async function seedTickets(store: ServerStore, tickets: number): Promise<number> {
  let contacts = 0;
  for (let from = 0; from < tickets; from += SEED_CHUNK) {
    const to = Math.min(tickets, from + SEED_CHUNK);
    await store.withTransaction(async () => {
      for (let index = from; index < to; index++) {
        const channel = CHANNELS[index % CHANNELS.length]!;
        const at = SEED_EPOCH + index * 60_000;
        await store.ingestInbound({ ...firstContact(index, channel), proven: CHANNEL_PROOF }, { now: at });
        contacts++;
        if (index % FOLLOW_UP_EVERY === 0) {
          await store.ingestInbound({ ...followUpContact(index, channel), proven: CHANNEL_PROOF }, { now: at + 1000 });
          contacts++;
        }
      }
    });
  }
  return contacts;
}

/** Every page of the lead's bootstrap, as the server builds them for `sync:bootstrap`. */
async function walkBootstrap(store: ServerStore, lead: User): Promise<RowCount> {
  let after: string | null = null;
  const count: RowCount = { tickets: 0, rows: 0 };
  for (;;) {
    const page = await store.bootstrapPage(lead, after, BOOTSTRAP_PAGE_SIZE);
    for (const bundle of page.bundles) {
      count.tickets++;
      count.rows += 2 + bundle.messages.length + bundle.notes.length + bundle.customer.identities.length;
    }
    if (page.next === null) return count;
    after = page.next;
  }
}

/** The floor of a bootstrap: each table the bootstrap reads, in full, with one plain SELECT. */
async function selectEverything(store: ServerStore): Promise<RowCount> {
  const tickets = (await store.sql.all('SELECT * FROM tickets')).length;
  const customers = (await store.sql.all('SELECT * FROM customers')).length;
  const messages = (await store.sql.all('SELECT * FROM messages')).length;
  const notes = (await store.sql.all('SELECT * FROM notes')).length;
  const identities = (await store.sql.all('SELECT * FROM customer_identities')).length;
  return { tickets, rows: tickets + customers + messages + notes + identities };
}

interface StoreFigures {
  seedContactsPerS: number;
  statementsPerContact: number;
  bootstrapRowsPerS: number;
  rawSelectRowsPerS: number;
  bootstrapMs: number;
  bootstrapRows: number;
  mutationMs: number[];
  statementsPerMutation: number;
  audienceRowsPerChange: number;
}

/** Seeding, the lead's bootstrap against its floor, and mutation round trips on one store. */
async function measureStore(store: ServerStore, label: string, tickets: number, mutations: number, statements: () => number): Promise<StoreFigures> {
  const lead = await store.createUser({
    id: 'lead',
    username: 'lead',
    password: '组长-bench-密码',
    displayName: '王组长',
    role: 'lead',
    channels: [...CHANNELS],
  });
  progress(`postgres: ${label}: seeding ${String(tickets)} tickets through store.ingestInbound`);
  const seedStart = performance.now();
  const statementsBefore = statements();
  const contacts = await seedTickets(store, tickets);
  const seedMs = performance.now() - seedStart;
  const statementsPerContact = (statements() - statementsBefore) / contacts;

  progress(`postgres: ${label}: the lead's bootstrap (${String(BOOTSTRAP_PAGE_SIZE)} per page) and its floor, ${String(BOOTSTRAP_ROUNDS)} rounds`);
  const bootstrapRates: number[] = [];
  const floorRates: number[] = [];
  const bootstrapTimes: number[] = [];
  let bootstrapRows = 0;
  for (let round = 0; round < BOOTSTRAP_ROUNDS; round++) {
    const walkStart = performance.now();
    const walked = await walkBootstrap(store, lead);
    const walkMs = performance.now() - walkStart;
    const floorStart = performance.now();
    const selected = await selectEverything(store);
    const floorMs = performance.now() - floorStart;
    if (walked.tickets !== selected.tickets || walked.rows !== selected.rows)
      throw new Error(
        `${label}: the bootstrap carried ${String(walked.tickets)} tickets / ${String(walked.rows)} rows, the tables hold ${String(selected.tickets)} / ${String(selected.rows)}`,
      );
    bootstrapRows = walked.rows;
    bootstrapTimes.push(walkMs);
    bootstrapRates.push(walked.rows / (walkMs / 1000));
    floorRates.push(selected.rows / (floorMs / 1000));
  }

  progress(`postgres: ${label}: ${String(mutations)} mutations one after the other`);
  const ticketIds = (await store.sql.all<{ id: string }>('SELECT id FROM tickets ORDER BY id LIMIT 100')).map((row) => row.id);
  const mutationMs: number[] = [];
  const statementsBeforeMutations = statements();
  for (let index = 0; index < mutations; index++) {
    const ticketId = ticketIds[index % ticketIds.length]!;
    const at = SEED_EPOCH + tickets * 60_000 + index;
    const mutation: Mutation =
      index % 2 === 0
        ? {
            mutationId: `bench-m${String(index)}`,
            kind: 'note',
            ticketId,
            noteId: `bench-n${String(index)}`,
            text: '客户来电催促，已告知处理进度。',
            createdAt: at,
          }
        : { mutationId: `bench-m${String(index)}`, kind: 'setPriority', ticketId, priority: index % 4 === 1 ? 'urgent' : 'normal', createdAt: at };
    const start = performance.now();
    const result = await store.applyMutation(lead, 'bench-client', mutation, at);
    mutationMs.push(performance.now() - start);
    if (!result.ok) throw new Error(`${label}: mutation ${mutation.kind} refused: ${JSON.stringify(result).slice(0, 300)}`);
  }
  const statementsPerMutation = (statements() - statementsBeforeMutations) / mutations;
  const audience = (await store.sql.get<{ rows: number; changes: number }>('SELECT COUNT(*) AS rows, COUNT(DISTINCT seq) AS changes FROM change_audience'))!;
  return {
    seedContactsPerS: contacts / (seedMs / 1000),
    statementsPerContact,
    bootstrapRowsPerS: percentile(bootstrapRates, 50),
    rawSelectRowsPerS: percentile(floorRates, 50),
    bootstrapMs: percentile(bootstrapTimes, 50),
    bootstrapRows,
    mutationMs,
    statementsPerMutation,
    audienceRowsPerChange: audience.rows / audience.changes,
  };
}

/**
 * On one connection, `count` times each: BEGIN, one single-row UPDATE, COMMIT (the least a
 * mutation's transaction costs), and a bare `SELECT 1` (one round trip, the unit every
 * statement of the store pays when its statements run one after another).
 */
async function measureRawTransactions(databaseUrl: string, count: number): Promise<{ transactionMs: number[]; roundTripMs: number[] }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const ids = (await client.query<{ id: string }>('SELECT id FROM tickets ORDER BY id LIMIT 100')).rows.map((row) => row.id);
    const roundTripMs: number[] = [];
    for (let index = 0; index < count; index++) {
      const start = performance.now();
      await client.query({ name: 'bench_floor_select', text: 'SELECT 1' });
      roundTripMs.push(performance.now() - start);
    }
    const times: number[] = [];
    for (let index = 0; index < count; index++) {
      const start = performance.now();
      await client.query('BEGIN');
      await client.query({
        name: 'bench_floor_update',
        text: 'UPDATE tickets SET updated_at = updated_at + 1 WHERE id = $1',
        values: [ids[index % ids.length]],
      });
      await client.query('COMMIT');
      times.push(performance.now() - start);
    }
    return { transactionMs: times, roundTripMs };
  } finally {
    await client.end();
  }
}

function reportStoreFigures(prefix: string, figures: StoreFigures): void {
  reportMetric(`${prefix}_seed_contacts_per_s`, figures.seedContactsPerS);
  reportMetric(`${prefix}_bootstrap_rows`, figures.bootstrapRows);
  reportMetric(`${prefix}_bootstrap_ms`, figures.bootstrapMs);
  reportMetric(`${prefix}_bootstrap_rows_per_s`, figures.bootstrapRowsPerS);
  reportMetric(`${prefix}_raw_select_rows_per_s`, figures.rawSelectRowsPerS);
  reportMetric(`${prefix}_mutation_ms_p50`, percentile(figures.mutationMs, 50));
  reportMetric(`${prefix}_mutation_p99_ms`, percentile(figures.mutationMs, 99));
  reportMetric(`${prefix}_audience_rows_per_change`, figures.audienceRowsPerChange);
}

/** The phase; `ingestSetup` is the `postgres` ingest setup, started (and seeding) since the bench began. */
export async function runPostgresBench(ingestSetup: IngestServerSetup): Promise<void> {
  await measureIngestLatency(ingestSetup);

  // The store's ingest on PostgreSQL seeds ~150 contacts/s here (one statement after another), so 5,000 tickets keep the phase near 3 minutes.
  const tickets = scaled(5_000, 1_000);
  const mutations = scaled(1_000, 200);
  const database = await createTestDatabase('omnidesk_bench');
  const statements = countPostgresStatements();
  const sqliteDir = makeBenchDir('postgres-phase-sqlite');
  try {
    const rows = measuredWindowContacts();
    progress(`postgres: raw floor, ${String(rows)} single-row INSERTs (one commit each) through a pool of ${String(SERVER_POOL_CONNECTIONS)}`);
    reportMetric('postgres_raw_insert_rows_per_s', await measureRawInsert(database.url, rows));

    const store = await openPostgresServerStore({ databaseUrl: database.url, log: (line) => progress(`postgres: store: ${line}`) });
    let figures: StoreFigures;
    try {
      figures = await measureStore(store, 'PostgreSQL', tickets, mutations, statements.read);
    } finally {
      await store.close();
    }
    reportStoreFigures('postgres', figures);
    reportMetric('postgres_statements_per_ingested_contact', figures.statementsPerContact);
    reportMetric('postgres_statements_per_mutation', figures.statementsPerMutation);
    const rawTransactions = await measureRawTransactions(database.url, mutations);
    reportMetric('postgres_raw_txn_ms_p50', percentile(rawTransactions.transactionMs, 50));
    reportMetric('postgres_raw_txn_ms_p99', percentile(rawTransactions.transactionMs, 99));
    reportMetric('postgres_raw_round_trip_ms_p50', percentile(rawTransactions.roundTripMs, 50));
    reportMetric('postgres_raw_round_trip_ms_p99', percentile(rawTransactions.roundTripMs, 99));

    // The same on the embedded backend, same machine, same minute.
    const sqliteStore = openServerStore({ filePath: path.join(sqliteDir, 'server.sqlite'), log: (line) => progress(`postgres: sqlite store: ${line}`) });
    try {
      reportStoreFigures('sqlite_store', await measureStore(sqliteStore, 'SQLite', tickets, mutations, statements.read));
    } finally {
      await sqliteStore.close();
    }
  } finally {
    statements.stop();
    removeDir(sqliteDir);
    await database.drop();
  }
}
