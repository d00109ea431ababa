/**
 * The server's command line refuses configuration it cannot honour yet: with DATABASE_URL
 * (several nodes) it would otherwise run on its own SQLite file while the operator believes
 * the nodes share PostgreSQL. Runs the real `server/main.ts` as a process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(os.tmpdir(), 'server-main-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runServer(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'main.ts')], {
    env: { ...process.env, PORT: '0', DATA_DIR: path.join(root, 'data'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('npm run server', () => {
  it('refuses DATABASE_URL (and REDIS_URL) with the reason and what to do, never printing the password', () => {
    const single = runServer({ DATABASE_URL: 'postgres://omnidesk:s3cret-pw@127.0.0.1:5432/omnidesk' });
    expect(single.status).toBe(1);
    expect(single.stderr).toContain('DATABASE_URL is set, but this server runs on its embedded SQLite database only for now');
    expect(single.stderr).toContain('npm run migrate:postgres');
    const cluster = runServer({ DATABASE_URL: 'postgres://omnidesk:s3cret-pw@127.0.0.1:5432/omnidesk', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(cluster.status).toBe(1);
    expect(cluster.stderr).toContain('DATABASE_URL and REDIS_URL are set');
    expect(single.stderr + cluster.stderr).not.toContain('s3cret-pw');
  });

  it('refuses a malformed DATABASE_URL naming the variable', () => {
    const result = runServer({ DATABASE_URL: 'mysql://omnidesk:s3cret-pw@127.0.0.1/omnidesk' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).not.toContain('s3cret-pw');
  });
});
