/**
 * A workstation whose network address holds the server's cap of connections not signed in
 * (server/connectionLimits.ts: a reconnect storm behind one NAT, or someone flooding from it),
 * against the real server and the real core: its socket is refused with 429 before the
 * handshake, the agent is told `too_many_connections` (not "cannot reach the server"), and the
 * core keeps retrying with its backoff until a slot frees, then comes online by itself. The same
 * for a user holding the cap of signed-in connections (`too_many_sessions`), an address that spent
 * its budget of wrong tokens, and a sign-in slower than the server's deadline.
 */
import http from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app.js';
import { DEFAULT_RATE_LIMITS } from '../../server/rateLimits.js';
import { login, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import { workstationHandshakeAuth } from '../../shared/sync.js';
import type { WorkstationCore } from './api.js';
import type { ScheduledReconnect } from './sync/reconnectSchedule.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture, type SeededServerFixture } from './testing/seededServer.js';

const CAP = 2;

/** A script's engine.io connection (a raw WebSocket upgrade, no namespace joined) from 127.0.0.1, as the core's. */
function holdConnection(url: string): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
      },
    });
    request.once('upgrade', (_res, socket) => {
      socket.on('error', () => undefined);
      resolve(socket);
    });
    request.once('response', (res) => reject(new Error(`refused with ${String(res.statusCode)}`)));
    request.once('error', reject);
    request.end();
  });
}

/** A server of its own for each test, started with `options`, where agent1 (an agent on chat) may sign in. */
function agentServerFixture(name: string, options: () => Partial<ServerOptions>): SeededServerFixture<RunningServer> {
  const fixture = seededServerFixture(name, ({ port, dataDir }) => startServer({ port, dataDir, log: () => {}, ...options() }));
  beforeEach(() => seedTestOrganisation(fixture.server().store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]));
  return fixture;
}

/**
 * agent1 signs in (HTTP, which goes through) on a core that records the reconnects it schedules;
 * resolves once the core gives a reason for being offline, which must be `code` (not "cannot reach
 * the server") with agent1 still signed in.
 */
async function signInTurnedAway(
  fixture: SeededServerFixture<RunningServer>,
  code: 'too_many_connections' | 'sign_in_too_slow',
): Promise<{ core: WorkstationCore; retries: ScheduledReconnect[] }> {
  const retries: ScheduledReconnect[] = [];
  const core = await fixture.newCore('agent1', { onReconnectScheduled: (retry) => retries.push(retry) });
  await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
  await waitUntil(core, 'told why', async () => (await connectionOf(core)).lastError !== null);
  expect(await connectionOf(core)).toMatchObject({ status: 'offline', sessionEnded: null, lastError: { code, serverUrl: fixture.server().url } });
  return { core, retries };
}

describe('a workstation whose address holds the cap of connections not signed in', () => {
  const fixture = agentServerFixture('connlimit', () => ({ connectionLimits: { preAuthPerAddress: CAP } }));
  const held: NetSocket[] = [];

  afterEach(() => {
    for (const socket of held.splice(0)) socket.destroy();
  });

  it('is told the server refuses its network for now, keeps retrying, and comes online once a slot frees', async () => {
    for (let i = 0; i < CAP; i++) held.push(await holdConnection(fixture.server().url));
    // Signing in is HTTP (not a socket connection): it goes through; the socket is refused.
    const { core, retries } = await signInTurnedAway(fixture, 'too_many_connections');
    // A refusal keeps the refusal's pace (up to the full cap), not the quick one of a server that is not there.
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((retry) => retry.cause === 'busy')).toBe(true);
    // A slot frees: the core's own retries get it online, nobody asks it to.
    for (const socket of held.splice(0)) socket.destroy();
    await waitUntil(core, 'online', onlineAndIdle(core));
    expect((await connectionOf(core)).lastError).toBeNull();
  });
});

/** Polls the server's own state (no core event tells of it). */
async function serverSees(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`the server never saw ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("a workstation whose sign-in on the socket outlasts the server's sign-in deadline", () => {
  const logLines: string[] = [];
  /** While set, every socket handshake waits for it (a node too loaded to finish sign-ins in time). */
  let stall: { promise: Promise<void>; release: () => void } | null = null;
  const fixture = agentServerFixture('deadline', () => ({
    log: (line) => logLines.push(line),
    connectionLimits: { signInDeadlineMs: 1000 },
    afterSocketHandshake: () => stall?.promise ?? Promise.resolve(),
  }));

  beforeEach(() => {
    let release: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => (release = resolve));
    stall = { promise, release };
  });

  afterEach(() => {
    stall?.release();
  });

  it('is told its sign-in was too slow (not "cannot reach"), retries at the refusal pace and comes online once sign-ins are quick again; signed out, it leaves no connection behind', async () => {
    const { core, retries } = await signInTurnedAway(fixture, 'sign_in_too_slow');
    await waitUntil(core, 'closed at the deadline', () => logLines.some((line) => line.includes('closed a connection from 127.0.0.1')));
    expect(retries[0]).toMatchObject({ cause: 'refused', attempt: 0 });
    // The refusal pace: about half the cap, never the first delay a server that is down gets.
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(200 / 4);
    // The node catches up: the core's own retries get it online, nobody asks it to.
    const stalled = stall;
    stall = null;
    stalled?.release();
    await waitUntil(core, 'online', onlineAndIdle(core));
    const server = fixture.server();
    expect(server.connectionsByAddress().has('127.0.0.1')).toBe(false);
    // Signed out: the core closes its connection itself (it is not left to the deadline) and opens no other.
    await call(core, 'session.signOut', {});
    await serverSees('no connection left', () => server.connectionsByAddress().size === 0);
    const closedBefore = logLines.filter((line) => line.includes('closed a connection')).length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(server.connectionsByAddress().size).toBe(0);
    expect(logLines.filter((line) => line.includes('closed a connection')).length).toBe(closedBefore);
  });
});

describe('a workstation whose user holds the cap of signed-in connections', () => {
  const fixture = agentServerFixture('sessions', () => ({ connectionLimits: { signedInPerUser: 1 } }));
  const others: Socket[] = [];

  afterEach(() => {
    for (const socket of others.splice(0)) socket.disconnect();
  });

  it('is told too_many_sessions, stays signed in, and comes online once one closes', async () => {
    const server = fixture.server();
    // The user's other window, signed in first.
    const { token } = await login(server.url, 'agent1');
    const other = connect(server.url, {
      auth: workstationHandshakeAuth(token, 'client-other-window'),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    others.push(other);
    await new Promise<void>((resolve, reject) => {
      other.once('connect', () => resolve());
      other.once('connect_error', reject);
    });
    const retries: ScheduledReconnect[] = [];
    const core = await fixture.newCore('agent1', { onReconnectScheduled: (retry) => retries.push(retry) });
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'refused for too many sessions', async () => (await connectionOf(core)).lastError?.code === 'too_many_sessions');
    expect(await connectionOf(core)).toMatchObject({
      status: 'offline',
      sessionEnded: null,
      lastError: { code: 'too_many_sessions', serverUrl: server.url },
    });
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((retry) => retry.cause === 'refused')).toBe(true);
    other.disconnect();
    await waitUntil(core, 'online', onlineAndIdle(core));
    expect((await connectionOf(core)).lastError).toBeNull();
  });
});

describe('a workstation whose address spent its budget of wrong tokens', () => {
  const fixture = agentServerFixture('tokenbudget', () => ({ rateLimits: { ...DEFAULT_RATE_LIMITS, tokenFailuresPerAddress: { points: 2, durationSec: 2 } } }));

  it('backs off as for a busy network, stays signed in, and comes online when the window passes', async () => {
    const server = fixture.server();
    const retries: ScheduledReconnect[] = [];
    // Signing in is not a token: it goes through. Then someone on the same network sends wrong tokens.
    const core = await fixture.newCore('agent1', { onReconnectScheduled: (retry) => retries.push(retry) });
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    for (let i = 0; i < 2; i++) await fetch(`${server.url}/api/v1/tickets`, { headers: { authorization: `Bearer wrong-${String(i)}` } });
    server.disconnectClients();
    await waitUntil(core, 'refused for wrong tokens from its network', async () => (await connectionOf(core)).lastError?.code === 'too_many_connections');
    expect(await connectionOf(core)).toMatchObject({ status: 'offline', sessionEnded: null });
    expect(retries.some((retry) => retry.cause === 'busy')).toBe(true);
    await waitUntil(core, 'online again', onlineAndIdle(core), 30_000);
  });
});
