/**
 * How soon the core tries a server again, against the real server and the real core: a server
 * that is down (stopped, then started again on the same port) is retried at least every 5 s,
 * whatever the refusal cap, so the Offline badge goes within seconds of its return — both for
 * a synced session's socket and for an offline session's sign-in. Refusals keep the long pace
 * (reconnectSchedule.test.ts, core.connectionLimit.test.ts). The delays asserted are the ones
 * the core chose (`onReconnectScheduled`), never how long anything took.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { RECONNECT_DELAY_MAX_MS } from './sync/syncClient.js';
import { UNREACHABLE_RETRY_MAX_MS, type ScheduledReconnect } from './sync/reconnectSchedule.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

/** Small, so the schedule reaches its cap after a few attempts; the refusal cap stays the default 30 s. */
const FIRST_DELAY_MS = 200;
/** 200 · 2^5 = 6,400 ms: past the unreachable cap, so this attempt's delay is the capped one. */
const CAPPED_ATTEMPT = 5;

describe('a core whose server is down, then back on the same port', () => {
  let root: string;
  let serverDir: string;
  let port: number;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;
  let retries: ScheduledReconnect[] = [];
  let heard: (() => void) | null = null;

  /** Resolves once the core has scheduled the given attempt (each scheduling is reported as it happens). */
  function scheduledAttempt(attempt: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!retries.some((retry) => retry.attempt >= attempt)) return;
        heard = null;
        resolve();
      };
      heard = check;
      check();
    });
  }

  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-reconnect-'));
    serverDir = path.join(root, 'server');
    server = await startServer({ port: 0, dataDir: serverDir, log: () => {} });
    port = server.port;
    await seedTestOrganisation(server.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
    retries = [];
    core = await createWorkstationCore({
      dataDir: path.join(root, 'agent1'),
      serverUrl: server.url,
      reconnectDelayMs: FIRST_DELAY_MS,
      onReconnectScheduled: (retry) => {
        retries.push(retry);
        heard?.();
      },
    });
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    const signedIn = core;
    await waitUntil(signedIn, 'online', onlineAndIdle(signedIn));
  });

  afterEach(async () => {
    await core?.close();
    core = null;
    await server?.close();
    server = null;
    rmSync(root, { recursive: true, force: true });
  });

  // Each waits out the schedule's real delays up to its cap (about 6 s), twice for the first.
  it('retries the socket at most every 5 s with jitter, not the 30 s of a refusal, and is online again by its own retry', { timeout: 90_000 }, async () => {
    const signedIn = core!;
    expect(RECONNECT_DELAY_MAX_MS).toBeGreaterThan(UNREACHABLE_RETRY_MAX_MS);
    await server!.close();
    server = null;
    await scheduledAttempt(CAPPED_ATTEMPT);
    expect(await connectionOf(signedIn)).toMatchObject({ status: 'offline', lastError: { code: 'server_unreachable' } });
    expect(retries.every((retry) => retry.cause === 'unreachable')).toBe(true);
    // The schedule doubles from the first delay and stops at 5 s; each delay is drawn from the
    // upper half of its step, so a thousand workstations spread out and none waits longer.
    for (const retry of retries) {
      const nominal = Math.min(UNREACHABLE_RETRY_MAX_MS, FIRST_DELAY_MS * 2 ** retry.attempt);
      expect(retry.delayMs).toBeLessThanOrEqual(nominal);
      expect(retry.delayMs).toBeGreaterThanOrEqual(nominal / 2);
    }
    const capped = retries.find((retry) => retry.attempt === CAPPED_ATTEMPT)!;
    expect(capped.delayMs).toBeLessThanOrEqual(UNREACHABLE_RETRY_MAX_MS);

    // Back on the same port: the next scheduled attempt (nobody calls retryNow) brings it online.
    server = await startServer({ port, dataDir: serverDir, log: () => {} });
    await waitUntil(signedIn, 'online again', onlineAndIdle(signedIn));
    expect((await connectionOf(signedIn)).lastError).toBeNull();
    // Online starts the schedule over: the next outage is retried from the first delay.
    const before = retries.length;
    await server.close();
    server = null;
    await new Promise<void>((resolve) => {
      heard = () => {
        if (retries.length > before) resolve();
      };
      heard();
    });
    heard = null;
    expect(retries[before]).toMatchObject({ cause: 'unreachable', attempt: 0 });
  });

  it('an offline session asks for its token at most every 5 s too', { timeout: 90_000 }, async () => {
    const signedIn = core!;
    await call(signedIn, 'session.signOut', {});
    await server!.close();
    server = null;
    retries = [];
    // The server is down: the sign-in is answered from this workstation's verifier.
    await call(signedIn, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    expect(await connectionOf(signedIn)).toMatchObject({ status: 'offline', offlineSession: true });
    await scheduledAttempt(CAPPED_ATTEMPT);
    for (const retry of retries) {
      expect(retry.cause).toBe('unreachable');
      expect(retry.delayMs).toBeLessThanOrEqual(Math.min(UNREACHABLE_RETRY_MAX_MS, FIRST_DELAY_MS * 2 ** retry.attempt));
    }
    server = await startServer({ port, dataDir: serverDir, log: () => {} });
    await waitUntil(signedIn, 'online with a token', async () => {
      const connection = await connectionOf(signedIn);
      return connection.status === 'online' && !connection.offlineSession;
    });
  });
});
