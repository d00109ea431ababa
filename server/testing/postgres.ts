/**
 * Throwaway PostgreSQL databases for tests: each test file creates its own database on the
 * local server (127.0.0.1:5432, trust auth, as on every machine of this project and in CI)
 * and drops it afterwards. `POSTGRES_ADMIN_URL` points elsewhere when needed.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  return process.env.POSTGRES_ADMIN_URL ?? DEFAULT_ADMIN_URL;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `These tests need PostgreSQL at ${adminUrl()} (trust auth; .ci/run starts it, or set POSTGRES_ADMIN_URL): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database with a random name, or a copy of `template` (another test database
 * nobody is connected to: a seeding done once for several tests); `drop()` removes it,
 * disconnecting whoever is still on it.
 */
export async function createTestDatabase(prefix = 'omnidesk_test', template?: TestDatabase): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template.name}` : `CREATE DATABASE ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)),
  };
}
