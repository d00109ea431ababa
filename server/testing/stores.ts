/**
 * Stores for tests on either backend: a SQLite file in a temporary folder, or a PostgreSQL
 * database made for the test. `another()` opens a second store on the same database, as a
 * second server node would.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { openPostgresServerStore, openServerStore, type ServerStore } from '../store.js';
import { makeTempDir, type TestBackend } from '../testHarness.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface OpenedStore {
  store: ServerStore;
  another: () => Promise<ServerStore>;
  cleanup: () => Promise<void>;
  /** Runs one statement on the database behind the store's back: a row as an older server left it. */
  exec: (statement: string) => Promise<void>;
}

export async function openStoreOn(backend: TestBackend): Promise<OpenedStore> {
  if (backend === 'sqlite') {
    const dir = makeTempDir('server-store-contract-');
    const filePath = path.join(dir, 'server.sqlite');
    return {
      store: openServerStore({ filePath }),
      another: () => Promise.resolve(openServerStore({ filePath })),
      cleanup: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
      exec: (statement) => {
        const db = new Database(filePath);
        try {
          db.exec(statement);
        } finally {
          db.close();
        }
        return Promise.resolve();
      },
    };
  }
  const database: TestDatabase = await createTestDatabase('omnidesk_store');
  const log = () => undefined;
  return {
    store: await openPostgresServerStore({ databaseUrl: database.url, maxConnections: 4, log }),
    another: () => openPostgresServerStore({ databaseUrl: database.url, maxConnections: 4, log }),
    cleanup: () => database.drop(),
    exec: async (statement) => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    },
  };
}
