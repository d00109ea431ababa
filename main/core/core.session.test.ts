/**
 * The session's end, with the real server and real caches: signing out revokes the token on
 * the server (at once when it answers, queued in workstation.json when it does not), the
 * server ending a session (expired, or revoked elsewhere) signs the workstation out with the
 * reason, and too many wrong passwords come back as `rate_limited` with the wait.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../server/rateLimits.js';
import { createManualScheduler, type ManualScheduler } from '../../server/routing/scheduler.js';
import { createTestClock, seedTestOrganisation, startTestServer, TEST_PASSWORD, type TestClock, type TestServer } from '../../server/testHarness.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { SETTINGS_FILE, type WorkstationSettings } from './settings.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

const HOUR = 60 * 60 * 1000;

let clock: TestClock;
let scheduler: ManualScheduler;
let server: TestServer | null = null;
let dataDir: string;
const cores: WorkstationCore[] = [];

async function startWorld(rateLimits = DEFAULT_RATE_LIMITS): Promise<TestServer> {
  clock = createTestClock();
  scheduler = createManualScheduler(clock);
  server = await startTestServer({ clock, scheduler, tokenTtlMs: HOUR, rateLimits });
  await seedTestOrganisation(server.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
  dataDir = path.join(server.dataDir, 'workstation');
  return server;
}

async function newCore(url: string): Promise<WorkstationCore> {
  // The core reads the server's clock, so the tokens it holds expire when the server says.
  const core = await createWorkstationCore({ dataDir, serverUrl: url, now: clock.now, reconnectDelayMs: 20, reconnectDelayMaxMs: 200 });
  cores.push(core);
  return core;
}

function settingsOnDisk(): WorkstationSettings {
  return JSON.parse(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')) as WorkstationSettings;
}

async function signedInOnline(core: WorkstationCore): Promise<string> {
  await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
  await waitUntil(core, 'online', onlineAndIdle(core));
  return settingsOnDisk().session!.token;
}

afterEach(async () => {
  for (const core of cores.splice(0)) await core.close();
  await server?.stop();
  server = null;
});

describe('signing out', () => {
  it('revokes the token on the server when it is reachable', async () => {
    const world = await startWorld();
    const core = await newCore(world.url);
    const token = await signedInOnline(core);
    expect((await world.store.lookupToken(token, clock.now())).status).toBe('valid');

    const state = await call(core, 'session.signOut', {});
    expect(state.connection).toMatchObject({ status: 'signed_out', sessionEnded: null });
    expect((await world.store.lookupToken(token, clock.now())).status).toBe('unknown');
    expect(settingsOnDisk().pendingLogouts).toEqual([]);
  });

  it('queues the revocation while the server is down and sends it at the next sign-in, or at the next start', async () => {
    const world = await startWorld();
    const { port } = world.server;
    const core = await newCore(world.url);
    const first = await signedInOnline(core);

    await world.server.close();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    await call(core, 'session.signOut', {});
    expect(settingsOnDisk().pendingLogouts).toEqual([{ serverUrl: world.url, token: first, expiresAt: clock.now() + HOUR }]);

    // Back (same data, same port): the next sign-in sends the queued revocation.
    server = await startTestServer({ clock, scheduler, tokenTtlMs: HOUR, dataDir: world.dataDir, port });
    expect((await server.store.lookupToken(first, clock.now())).status).toBe('valid');
    const second = await signedInOnline(core);
    expect((await server.store.lookupToken(first, clock.now())).status).toBe('unknown');
    expect((await server.store.lookupToken(second, clock.now())).status).toBe('valid');
    expect(settingsOnDisk().pendingLogouts).toEqual([]);

    // Signed out while down again, then the app closed: the next start sends it.
    await server.server.close();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    await call(core, 'session.signOut', {});
    await core.close();
    server = await startTestServer({ clock, scheduler, tokenTtlMs: HOUR, dataDir: world.dataDir, port });
    const restarted = await newCore(server.url);
    await restarted.close();
    expect((await server.store.lookupToken(second, clock.now())).status).toBe('unknown');
    expect(settingsOnDisk().pendingLogouts).toEqual([]);
  });
});

describe('the server ending the session', () => {
  it('signs the workstation out with "session expired" when the token expires', async () => {
    const world = await startWorld();
    const core = await newCore(world.url);
    await signedInOnline(core);

    scheduler.advance(HOUR);
    await waitUntil(core, 'signed out', async () => (await connectionOf(core)).status === 'signed_out', 10_000);
    expect(await connectionOf(core)).toMatchObject({ lastError: { code: 'session_expired' }, sessionEnded: 'expired' });
    expect(settingsOnDisk().session).toBeNull();
  });

  it('signs the workstation out with the reason when its token is revoked elsewhere', async () => {
    const world = await startWorld();
    const core = await newCore(world.url);
    const token = await signedInOnline(core);

    await fetch(`${world.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await waitUntil(core, 'signed out', async () => (await connectionOf(core)).status === 'signed_out', 10_000);
    expect(await connectionOf(core)).toMatchObject({ lastError: { code: 'session_revoked' }, sessionEnded: 'revoked' });

    // Signing in again clears the reason.
    await signedInOnline(core);
    expect((await connectionOf(core)).sessionEnded).toBeNull();
  });
});

describe('signing in too often', () => {
  it('answers rate_limited with the wait, and does not fall back to an offline sign-in', async () => {
    // This core signed in before, so its own workstation's budget is the one its typos spend (attack-12).
    const world = await startWorld({
      ...DEFAULT_RATE_LIMITS,
      signInFailuresPerUser: { points: 2, durationSec: 900 },
      signInFailuresPerDevice: { points: 2, durationSec: 900 },
    });
    const core = await newCore(world.url);
    await signedInOnline(core);
    await call(core, 'session.signOut', {});
    for (let i = 0; i < 2; i++)
      expect(await core.invoke('session.signIn', { username: 'agent1', password: `typo-${String(i)}` })).toMatchObject({
        ok: false,
        error: { code: 'bad_credentials' },
      });

    const limited = await core.invoke('session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const retryAfterMs = limited.ok ? 0 : (limited.error.retryAfterMs ?? 0);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(900_000);
    expect((await connectionOf(core)).status).toBe('signed_out');
  });
});
