/**
 * The server's command line: one node on PostgreSQL with DATABASE_URL (a second node on the
 * same database is refused). Runs the real `server/main.ts` as processes; several nodes
 * (REDIS_URL too) are server/cluster/cluster.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './demo.js';
import { login } from './testHarness.js';
import { createTestDatabase } from './testing/postgres.js';

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
  it('runs one node on PostgreSQL with the demo organisation, and refuses a second node on the same database', async () => {
    const database = await createTestDatabase('omnidesk_main');
    const first = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'main.ts'), '--demo'], {
      env: { ...process.env, PORT: '0', DATA_DIR: path.join(root, 'pg-a'), DATABASE_URL: database.url, NODE_ID: 'node-a' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString('utf8');
          const listening = /server listening on (http:\/\/[^ ]+) \(data: PostgreSQL\)/.exec(output);
          if (listening) resolve(listening[1]!);
        };
        first.stdout.on('data', onData);
        first.stderr.on('data', onData);
        first.once('exit', (code) => reject(new Error(`the first node exited with ${String(code)}: ${output}`)));
      });
      // The demo organisation lives in PostgreSQL: its lead signs in over HTTP.
      expect((await login(url, 'lead1', DEMO_PASSWORD)).user).toMatchObject({ username: 'lead1', role: 'lead' });
      const second = runServer({ DATABASE_URL: database.url, NODE_ID: 'node-b' });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain('Another OmniDesk node (node-a) is running on this PostgreSQL database');
    } finally {
      // Already gone (it failed to start): its exit code, not a wait for an exit that has happened.
      const exited = first.exitCode !== null ? Promise.resolve(first.exitCode) : new Promise<number | null>((resolve) => first.once('exit', resolve));
      first.kill('SIGTERM');
      expect(await exited).toBe(0);
      await database.drop();
    }
    // Two real processes start and stop on a shared, busy machine.
  }, 90_000);

  it('refuses a malformed DATABASE_URL naming the variable', () => {
    const result = runServer({ DATABASE_URL: 'mysql://omnidesk:s3cret-pw@127.0.0.1/omnidesk' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).not.toContain('s3cret-pw');
  });

  it('refuses a retention window that is not a whole number of days, naming the variable, before it opens anything', () => {
    const result = runServer({ RETENTION_CHANGE_LOG_DAYS: '30d' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('RETENTION_CHANGE_LOG_DAYS: must be a whole number of days from 1 to 3650');
  });
});
