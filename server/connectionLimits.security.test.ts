/**
 * How many connections one client address may hold before signing in (server/connectionLimits.ts),
 * against the real server: raw WebSocket upgrades (node:http) opening engine.io connections as a
 * script would (no token, no namespace), socket.io clients signed in as workstations, and the widget's
 * socket.io client on `/webchat`. Several client addresses come from binding the client to
 * other loopback addresses (127.0.0.2, …), or, behind the proxy, from X-Forwarded-For.
 */
import { io as connect, Manager, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server } from 'socket.io';
import { connectionRefusalSchema, isConnectionLimitRefusal, SIGN_IN_DEADLINE, TOO_MANY_CONNECTIONS, USER_CONNECTION_LIMIT } from '../shared/connection.js';
import { workstationHandshakeAuth } from '../shared/sync.js';
import type { WebchatError } from '../shared/webchat.js';
import {
  attachConnectionLimits,
  connectionLimitsFromEnv,
  DEFAULT_CONNECTION_LIMITS,
  MAX_JOINS_PER_CONNECTION,
  type ConnectionLimitConfig,
} from './connectionLimits.js';
import type { SyncServer } from './liveHub.js';
import { login, seedTestOrganisation, startTestServer, testWebchatChannel, type TestServer } from './testHarness.js';
import { openTestSocket } from './testing/sockets.js';

/** The sign-in deadline of most tests: far beyond any test's own steps, which never wait it out. */
const CAP: ConnectionLimitConfig = {
  preAuthPerAddress: 3,
  webchatVisitorsPerAddress: 2,
  signInDeadlineMs: 10 * 60 * 1000,
  signedInPerUser: DEFAULT_CONNECTION_LIMITS.signedInPerUser,
};

let t: TestServer | null = null;
const raws: NetSocket[] = [];
const sockets: Socket[] = [];
const managers: Manager[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const manager of managers.splice(0)) manager.engine.close();
  await t?.stop();
  t = null;
});

async function start(
  options: { trustProxy?: boolean; connectionLimits?: ConnectionLimitConfig; afterSocketHandshake?: () => Promise<void> } = {},
): Promise<TestServer> {
  t = await startTestServer({ connectionLimits: CAP, channels: [testWebchatChannel()], tokenTtlMs: 60 * 60 * 1000, ...options });
  await seedTestOrganisation(t.store, [
    { username: 'agent1', displayName: '王芳', role: 'agent', channels: ['chat'] },
    { username: 'agent2', displayName: '张强', role: 'agent', channels: ['chat'] },
  ]);
  return t;
}

type RawOutcome = { opened: true; socket: NetSocket } | { opened: false; status: number; retryAfter: string | undefined; body: unknown };

/**
 * A script's engine.io connection over WebSocket (no namespace joined): opened once the server
 * switched protocols (engine.io has counted it by then: it handshakes in the same tick), or
 * refused with the HTTP answer to its upgrade.
 */
function openRaw(server: TestServer, options: { localAddress?: string; forwardedFor?: string; query?: string } = {}): Promise<RawOutcome> {
  const request = http.request(`${server.url}/socket.io/?EIO=4&transport=websocket${options.query ?? ''}`, {
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': Buffer.from(`key-${String(Math.random())}`.slice(0, 16)).toString('base64'),
      ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
    },
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  return new Promise((resolve, reject) => {
    request.once('upgrade', (_res, socket) => {
      raws.push(socket);
      socket.on('error', () => undefined);
      resolve({ opened: true, socket });
    });
    request.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(text) as unknown }));
    });
    request.once('error', reject);
    request.end();
  });
}

async function opened(server: TestServer, options: { localAddress?: string; forwardedFor?: string } = {}): Promise<NetSocket> {
  const outcome = await openRaw(server, options);
  if (!outcome.opened) throw new Error(`refused with ${String(outcome.status)}`);
  return outcome.socket;
}

async function closeRaw(socket: NetSocket): Promise<void> {
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

/** Waits until the server's counts say so (the server hears of a close only when the TCP close reaches it). */
async function countsReach(server: TestServer, check: (counts: ReadonlyMap<string, { preAuth: number; visitors: number }>) => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check(server.server.connectionsByAddress())) {
    if (Date.now() > deadline) throw new Error(`counts never got there: ${JSON.stringify([...server.server.connectionsByAddress()])}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The widget's socket.io client on /webchat, from a page on the server's own origin. */
function visitor(server: TestServer, visitorId: string): Promise<{ socket: Socket; outcome: 'connected' | WebchatError }> {
  const socket = connect(`${server.url}/webchat`, {
    auth: { site: 'demo', visitorId },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: server.url },
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
    socket.once('connect_error', (error: Error & { data?: WebchatError }) =>
      resolve({ socket, outcome: error.data ?? { code: 'internal', message: error.message } }),
    );
  });
}

describe('connections of one address that have not signed in', () => {
  it('refuses one over the cap with 429, its code and Retry-After, before any handshake; other addresses still connect', async () => {
    const server = await start();
    for (let i = 0; i < CAP.preAuthPerAddress; i++) await opened(server);
    const refused = await openRaw(server);
    expect(refused.opened).toBe(false);
    if (refused.opened) return;
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(connectionRefusalSchema.parse(refused.body).code).toBe(TOO_MANY_CONNECTIONS);
    // Another client address is not affected, neither a raw connection nor a widget.
    await opened(server, { localAddress: '127.0.0.2' });
    // Long-polling is refused the same way.
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(429);
    expect(connectionRefusalSchema.parse(await polling.json()).code).toBe(TOO_MANY_CONNECTIONS);
    expect(server.server.connectionsByAddress().get('127.0.0.1')).toEqual({ preAuth: CAP.preAuthPerAddress, visitors: 0 });
    expect(server.logLines.filter((line) => line.includes('refused new connections from 127.0.0.1'))).toHaveLength(1);
  });

  it("is told apart by a real socket.io client's connect_error (the workstation core's check), over WebSocket and long-polling", async () => {
    const server = await start();
    for (let i = 0; i < CAP.preAuthPerAddress; i++) await opened(server);
    for (const transports of [['websocket'], ['polling']] as const) {
      const socket = connect(server.url, { transports: [...transports], reconnection: false, forceNew: true });
      sockets.push(socket);
      const error = await new Promise<unknown>((resolve) => socket.once('connect_error', resolve));
      expect(isConnectionLimitRefusal(error)).toBe(true);
    }
    // A server that is simply not there is not mistaken for it.
    const nowhere = connect('http://127.0.0.1:1', { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(nowhere);
    expect(isConnectionLimitRefusal(await new Promise<unknown>((resolve) => nowhere.once('connect_error', resolve)))).toBe(false);
  });

  it('takes a handshake that names an empty session id as the new connection engine.io makes of it, not as one continuing a session', async () => {
    const server = await start();
    for (let i = 0; i < CAP.preAuthPerAddress; i++) await opened(server);
    // engine.io reads the last `sid` of the query, and an empty one as none: each of these is a handshake.
    for (const query of ['&sid=', '&sid=unknown-session&sid=']) {
      const refused = await openRaw(server, { query });
      expect([query, refused.opened ? 'opened' : refused.status]).toEqual([query, 429]);
      const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling${query}`);
      expect([query, polling.status]).toEqual([query, 429]);
    }
    // A request naming a session is engine.io's to check: an unknown one is refused by it (400), not by the cap.
    const unknown = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=unknown-session`);
    expect([unknown.status, await unknown.json()]).toEqual([400, { code: 1, message: 'Session ID unknown' }]);
    expect(server.server.connectionsByAddress().get('127.0.0.1')).toEqual({ preAuth: CAP.preAuthPerAddress, visitors: 0 });
  });

  it('counts the address the proxy saw (TRUST_PROXY), an IPv6 address as its /64', async () => {
    const server = await start({ trustProxy: true });
    for (let i = 1; i <= CAP.preAuthPerAddress; i++) await opened(server, { forwardedFor: `2001:db8:1:1::${String(i)}` });
    const sameNetwork = await openRaw(server, { forwardedFor: '2001:db8:1:1:ffff::99' });
    expect(sameNetwork.opened ? 'opened' : sameNetwork.status).toBe(429);
    await opened(server, { forwardedFor: '2001:db8:1:2::1' });
    // The proxy's own address (the TCP peer) is not what is counted.
    expect([...server.server.connectionsByAddress().keys()].sort()).toEqual(['2001:db8:1:1::/64', '2001:db8:1:2::/64']);
  });

  it('does not count a workstation socket once it signed in: a NAT full of agents leaves the cap to handshakes', async () => {
    const server = await start();
    for (let i = 0; i < CAP.preAuthPerAddress + 2; i++) {
      sockets.push(await openTestSocket(server.url, 'agent1', { clientId: 'client-agent1' }));
    }
    await countsReach(server, (counts) => !counts.has('127.0.0.1'));
    for (let i = 0; i < CAP.preAuthPerAddress; i++) await opened(server);
    const refused = await openRaw(server);
    expect(refused.opened ? 'opened' : refused.status).toBe(429);
    expect(server.server.connectionsByAddress().get('127.0.0.1')).toEqual({ preAuth: CAP.preAuthPerAddress, visitors: 0 });
  });

  it('frees a slot when a connection closes, and forgets the address once all are closed', async () => {
    const server = await start();
    const held: NetSocket[] = [];
    for (let i = 0; i < CAP.preAuthPerAddress; i++) held.push(await opened(server));
    expect((await openRaw(server)).opened).toBe(false);
    await closeRaw(held.pop()!);
    await countsReach(server, (counts) => counts.get('127.0.0.1')?.preAuth === CAP.preAuthPerAddress - 1);
    held.push(await opened(server));
    for (const socket of held) await closeRaw(socket);
    // Every connection closed: nothing of 127.0.0.1 is left in the map (state that only grows would be a leak).
    await countsReach(server, (counts) => counts.size === 0);
    for (let round = 0; round < 3; round++) {
      const batch = await Promise.all(Array.from({ length: CAP.preAuthPerAddress }, () => opened(server)));
      for (const socket of batch) socket.destroy();
      await countsReach(server, (counts) => counts.size === 0);
    }
  });
});

describe('web chat visitor connections of one address', () => {
  it('refuses a visitor over the cap with too_many_connections and a retry time; visitors leave the pre-auth cap to others', async () => {
    const server = await start();
    for (let i = 0; i < CAP.webchatVisitorsPerAddress; i++) expect((await visitor(server, `visitor-cap-${String(i)}-aaaaaaaa`)).outcome).toBe('connected');
    const refused = await visitor(server, 'visitor-cap-over-aaaaaaaa');
    expect(refused.outcome).toMatchObject({ code: 'too_many_connections' });
    expect((refused.outcome as WebchatError).retryAfterMs).toBeGreaterThan(0);
    // Another address's visitor is not affected.
    const elsewhere = connect(`${server.url}/webchat`, {
      auth: { site: 'demo', visitorId: 'visitor-elsewhere-aaaaaaaa' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: server.url },
      localAddress: '127.0.0.2',
    } as Parameters<typeof connect>[1]);
    sockets.push(elsewhere);
    await new Promise<void>((resolve, reject) => {
      elsewhere.once('connect', resolve);
      elsewhere.once('connect_error', reject);
    });
    // The refused visitor's connection closed (its client gives up the connection): only the two visitors count.
    await countsReach(server, (counts) => (counts.get('127.0.0.1')?.preAuth ?? 0) === 0 && counts.get('127.0.0.1')?.visitors === 2);
    for (let i = 0; i < CAP.preAuthPerAddress; i++) await opened(server);
    expect((await openRaw(server)).opened).toBe(false);
  });

  it('frees a visitor slot when the visitor leaves, and forgets the address once all left', async () => {
    const server = await start();
    const first = await visitor(server, 'visitor-leave-1-aaaaaaaa');
    const second = await visitor(server, 'visitor-leave-2-aaaaaaaa');
    expect([first.outcome, second.outcome]).toEqual(['connected', 'connected']);
    expect((await visitor(server, 'visitor-leave-3-aaaaaaaa')).outcome).toMatchObject({ code: 'too_many_connections' });
    first.socket.disconnect();
    await countsReach(server, (counts) => counts.get('127.0.0.1')?.visitors === 1);
    const again = await visitor(server, 'visitor-leave-4-aaaaaaaa');
    expect(again.outcome).toBe('connected');
    second.socket.disconnect();
    again.socket.disconnect();
    await countsReach(server, (counts) => counts.size === 0);
  });

  it('admits one visitor socket per connection: a script joining /webchat again and again on one connection gets no more visitors than the cap (attack-8)', async () => {
    const server = await start();
    // socket.io lets one connection join a namespace any number of times; each join was a visitor
    // of its own (state, rooms, a fresh request budget) on a connection counted once.
    const speaker = await speak(server);
    const joins = CAP.webchatVisitorsPerAddress + 3;
    for (let i = 0; i < joins; i++) speaker.send(`0/webchat,${JSON.stringify({ site: 'demo', visitorId: `visitor-multiplex-${String(i)}-aaaaaaaa` })}`);
    const answers = async () => {
      for (;;) {
        const frames = speaker.frames.filter((text) => text.startsWith('0/webchat,') || text.startsWith('4/webchat,'));
        if (frames.length >= joins) return frames;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const frames = await answers();
    const joined = frames.filter((text) => text.startsWith('0/webchat,'));
    const refused = frames
      .filter((text) => text.startsWith('4/webchat,'))
      .map((text) => (JSON.parse(text.slice('4/webchat,'.length)) as { data?: WebchatError }).data?.code);
    expect({ joined: joined.length, refused }).toEqual({ joined: 1, refused: Array.from({ length: joins - 1 }, () => 'too_many_connections') });
    // Leaving and joining again on the same connection (the widget's retry does) is a visitor again.
    speaker.send('1/webchat,');
    await countsReach(server, (counts) => counts.get('127.0.0.1')?.visitors === undefined || counts.get('127.0.0.1')?.visitors === 0);
    speaker.send(`0/webchat,${JSON.stringify({ site: 'demo', visitorId: 'visitor-multiplex-again-aaaaaaaa' })}`);
    await countsReach(server, (counts) => counts.get('127.0.0.1')?.visitors === 1);
  });
});

describe('connections of one signed-in user', () => {
  const PER_USER: ConnectionLimitConfig = { ...CAP, preAuthPerAddress: 100, signedInPerUser: 3 };

  /** One more connection signed in with the same token and client id (what a script holding one session can repeat): connected, or the connect_error's message. */
  function sameSession(server: TestServer, token: string, forwardedFor?: string): Promise<string> {
    const socket = connect(server.url, {
      auth: workstationHandshakeAuth(token, 'client-agent1'),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(forwardedFor ? { extraHeaders: { 'x-forwarded-for': forwardedFor } } : {}),
    });
    sockets.push(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error) => resolve(error.message));
    });
  }

  it('refuses the connection over the cap with too_many_sessions (not unauthorized, which signs a workstation out); other users still connect', async () => {
    const server = await start({ connectionLimits: PER_USER, trustProxy: true });
    const { token } = await login(server.url, 'agent1');
    // From several addresses: the cap is the user's, not an address's.
    for (let i = 0; i < PER_USER.signedInPerUser; i++) expect(await sameSession(server, token, `203.0.113.${String(i + 1)}`)).toBe('connected');
    expect(await sameSession(server, token, '203.0.113.99')).toBe(USER_CONNECTION_LIMIT);
    expect(await sameSession(server, token)).toBe(USER_CONNECTION_LIMIT);
    expect(server.server.connectionsByUser().get('agent1')).toBe(PER_USER.signedInPerUser);
    // A fresh sign-in of the same user is the same user: refused too.
    const second = await login(server.url, 'agent1');
    expect(await sameSession(server, second.token)).toBe(USER_CONNECTION_LIMIT);
    sockets.push(await openTestSocket(server.url, 'agent2'));
    expect(server.logLines.filter((line) => line.includes('refused a sign-in of user agent1'))).toHaveLength(1);
  });

  it('frees a slot when one closes, and forgets the user once all are closed', async () => {
    const server = await start({ connectionLimits: PER_USER });
    const { token } = await login(server.url, 'agent1');
    for (let i = 0; i < PER_USER.signedInPerUser; i++) expect(await sameSession(server, token)).toBe('connected');
    const held = sockets.splice(0);
    held.pop()!.disconnect();
    const deadline = Date.now() + 15_000;
    while (server.server.connectionsByUser().get('agent1') !== PER_USER.signedInPerUser - 1) {
      if (Date.now() > deadline) throw new Error('the closed connection was never counted out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await sameSession(server, token)).toBe('connected');
    for (const socket of [...held, ...sockets.splice(0)]) socket.disconnect();
    while (server.server.connectionsByUser().has('agent1')) {
      if (Date.now() > deadline) throw new Error(`agent1 still counted: ${String(server.server.connectionsByUser().get('agent1'))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});

describe('the caps from the environment', () => {
  it('reads CONNECTIONS_PREAUTH_PER_ADDRESS and CONNECTIONS_WEBCHAT_PER_ADDRESS over the defaults, and stops at a bad value', () => {
    expect(connectionLimitsFromEnv({})).toEqual(DEFAULT_CONNECTION_LIMITS);
    expect(DEFAULT_CONNECTION_LIMITS.signInDeadlineMs).toBe(30_000);
    expect(
      connectionLimitsFromEnv({ CONNECTIONS_PREAUTH_PER_ADDRESS: '1000', CONNECTIONS_WEBCHAT_PER_ADDRESS: ' 40 ', CONNECTIONS_SIGNIN_DEADLINE_SECONDS: '90' }),
    ).toEqual({
      preAuthPerAddress: 1000,
      webchatVisitorsPerAddress: 40,
      signInDeadlineMs: 90_000,
      signedInPerUser: DEFAULT_CONNECTION_LIMITS.signedInPerUser,
    });
    expect(connectionLimitsFromEnv({ CONNECTIONS_SIGNED_IN_PER_USER: '40' }).signedInPerUser).toBe(40);
    expect(() => connectionLimitsFromEnv({ CONNECTIONS_SIGNED_IN_PER_USER: '0' })).toThrow(/CONNECTIONS_SIGNED_IN_PER_USER/);
    for (const bad of ['0', '-5', '2.5', 'many', '1e3']) {
      expect(() => connectionLimitsFromEnv({ CONNECTIONS_PREAUTH_PER_ADDRESS: bad })).toThrow(/CONNECTIONS_PREAUTH_PER_ADDRESS/);
      expect(() => connectionLimitsFromEnv({ CONNECTIONS_SIGNIN_DEADLINE_SECONDS: bad })).toThrow(
        /CONNECTIONS_SIGNIN_DEADLINE_SECONDS must be a whole number of seconds/,
      );
    }
  });
});

/**
 * A client speaking socket.io by hand on engine.io's own client (socket.io-client's Manager, no
 * namespace socket), as a script would, or a client that keeps its connection after the server
 * ended its session: engine.io answers the server's pings, so only the server's own rule ever
 * closes it. Records every socket.io packet it gets, as text.
 */
interface Speaker {
  frames: string[];
  send(frame: string): void;
  /** Resolves once a packet starting with `prefix` has arrived (or already had). */
  frame(prefix: string): Promise<string>;
  closed: Promise<void>;
}

function speak(server: TestServer): Promise<Speaker> {
  // From a page on the server's own origin, as the widget (the web chat namespace checks it).
  const manager = new Manager(server.url, { transports: ['websocket'], reconnection: false, autoConnect: false, extraHeaders: { origin: server.url } });
  managers.push(manager);
  const frames: string[] = [];
  const waiting: Array<{ prefix: string; resolve: (frame: string) => void }> = [];
  let closed: Promise<void> = Promise.resolve();
  const speaker: Speaker = {
    frames,
    send: (frame) => manager.engine.send(frame),
    frame: (prefix) =>
      new Promise((resolve) => {
        const seen = frames.find((text) => text.startsWith(prefix));
        if (seen !== undefined) resolve(seen);
        else waiting.push({ prefix, resolve });
      }),
    get closed() {
      return closed;
    },
  };
  return new Promise((resolve, reject) => {
    manager.open((error) => {
      if (error) {
        reject(error);
        return;
      }
      // Open: engine.io has counted the connection by then.
      closed = new Promise<void>((done) => manager.engine.once('close', () => done()));
      manager.engine.on('message', (data) => {
        const text = typeof data === 'string' ? data : '(binary)';
        frames.push(text);
        for (const waiter of waiting.splice(0)) {
          if (text.startsWith(waiter.prefix)) waiter.resolve(text);
          else waiting.push(waiter);
        }
      });
      resolve(speaker);
    });
  });
}

/** The packet telling the connection why it is closed: socket.io's CONNECT_ERROR (4) on "/". */
function deadlineFrame(frames: readonly string[]): unknown {
  const frame = frames.find((text) => text.startsWith('4'));
  return frame === undefined ? undefined : JSON.parse(frame.slice(1));
}

describe('the sign-in deadline', () => {
  const DEADLINE: ConnectionLimitConfig = { ...CAP, signInDeadlineMs: 1000 };

  it('closes a connection that signs in on no socket, telling it why, logged once per address; a signed-in one stays', async () => {
    const server = await start({ connectionLimits: DEADLINE });
    // Signed in before the idle ones open: its own connection's deadline would fall before theirs.
    const agent = await openTestSocket(server.url, 'agent1', { clientId: 'client-agent1' });
    sockets.push(agent);
    const idle = await Promise.all([speak(server), speak(server)]);
    // The server closes them (they answer every ping): socket.io's connectTimeout alone would wait 45 s.
    for (const speaker of idle) await speaker.closed;
    for (const speaker of idle) expect(deadlineFrame(speaker.frames)).toEqual({ message: SIGN_IN_DEADLINE, data: { code: SIGN_IN_DEADLINE } });
    await countsReach(server, (counts) => counts.size === 0);
    expect(server.logLines.filter((line) => line.includes('closed a connection from 127.0.0.1'))).toHaveLength(1);
    expect(agent.connected).toBe(true);
    // The address's slots are all free again.
    for (let i = 0; i < CAP.preAuthPerAddress; i++) await opened(server);
  });

  it('closes a connection whose session ended (signed out) and which kept it open, from the moment it ended', async () => {
    const server = await start({ connectionLimits: DEADLINE });
    const { token } = await login(server.url, 'agent1');
    const speaker = await speak(server);
    speaker.send(`0${JSON.stringify(workstationHandshakeAuth(token, 'client-agent1'))}`);
    await speaker.frame('0{"sid"');
    // Signed in for longer than the deadline: not closed meanwhile (the deadline is for sign-in, not for a session).
    await new Promise((resolve) => setTimeout(resolve, DEADLINE.signInDeadlineMs * 3));
    expect(deadlineFrame(speaker.frames)).toBeUndefined();
    expect(server.server.connectionsByAddress().has('127.0.0.1')).toBe(false);
    // Signed out: the server ends the sync socket (session:ended, then its disconnect) and the
    // connection counts as not signed in again; this client does not close it.
    const signOut = await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(signOut.ok).toBe(true);
    await speaker.frame('1');
    expect(speaker.frames.some((text) => text.startsWith('2["session:ended"'))).toBe(true);
    await speaker.closed;
    expect(deadlineFrame(speaker.frames)).toEqual({ message: SIGN_IN_DEADLINE, data: { code: SIGN_IN_DEADLINE } });
    await countsReach(server, (counts) => counts.size === 0);
  });

  it('closes a connection that keeps joining namespaces: a script repeating refused CONNECT packets makes no more than a few checks and log lines (attack-8)', async () => {
    const server = await start();
    const logged = () => server.logLines.filter((line) => line.includes('speaks sync protocol') || line.includes('webchat: refused')).length;
    const before = logged();
    const speaker = await speak(server);
    // An outdated core's refusal is logged once per client id, which the script picks; a widget's
    // refused Origin or signature is logged every time. 40 of each on the one connection.
    const attempts = 40;
    for (let i = 0; i < attempts; i++) {
      speaker.send(`0${JSON.stringify({ clientId: `client-flood-${String(i)}`, protocol: 1 })}`);
      speaker.send(`0/webchat,${JSON.stringify({ site: 'no-such-site', visitorId: `visitor-flood-${String(i)}-aaaaaaaa` })}`);
    }
    await speaker.closed;
    const refusals = speaker.frames.filter((text) => text.startsWith('4')).length;
    expect(refusals).toBeLessThanOrEqual(MAX_JOINS_PER_CONNECTION);
    expect(logged() - before).toBeLessThanOrEqual(MAX_JOINS_PER_CONNECTION);
    expect(server.logLines.filter((line) => line.includes('namespace joins on it'))).toHaveLength(1);
    await countsReach(server, (counts) => counts.size === 0);
  });

  it('closes a visitor connection once its visitor left /webchat and it stayed open', async () => {
    const server = await start({ connectionLimits: DEADLINE });
    const speaker = await speak(server);
    speaker.send(`0/webchat,${JSON.stringify({ site: 'demo', visitorId: 'visitor-deadline-aaaaaaaa' })}`);
    await speaker.frame('0/webchat,');
    // A visitor, however long the page stays open: not a sign-in that is late.
    await new Promise((resolve) => setTimeout(resolve, DEADLINE.signInDeadlineMs * 3));
    expect(deadlineFrame(speaker.frames)).toBeUndefined();
    expect(server.server.connectionsByAddress().get('127.0.0.1')).toEqual({ preAuth: 0, visitors: 1 });
    speaker.send('1/webchat,');
    await speaker.closed;
    expect(deadlineFrame(speaker.frames)).toEqual({ message: SIGN_IN_DEADLINE, data: { code: SIGN_IN_DEADLINE } });
    await countsReach(server, (counts) => counts.size === 0);
  });

  it('reaches a real socket.io client whose sign-in is still in flight as its connect_error', async () => {
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const server = await start({ connectionLimits: DEADLINE, afterSocketHandshake: () => stalled });
    const { token } = await login(server.url, 'agent1');
    const socket = connect(server.url, {
      auth: workstationHandshakeAuth(token, 'client-agent1'),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    expect(error.message).toBe(SIGN_IN_DEADLINE);
    release();
    await countsReach(server, (counts) => counts.size === 0);
    expect(socket.connected).toBe(false);
  });
});

describe('a connection that closes between its sign-in and its socket connecting', () => {
  it('counts its user out and leaves its address with the counts of its other connections', async () => {
    // A bare socket.io server with the limits attached, whose namespace admits the signing-in
    // socket and then closes its connection before socket.io connects it: the socket never
    // connects, so it never disconnects, and only the connection's close counts it out.
    const httpServer = http.createServer();
    const io = new Server(httpServer, { serveClient: false }) as unknown as SyncServer;
    const limits = attachConnectionLimits(io, { config: CAP, clientAddress: (req) => req.socket.remoteAddress ?? '', log: () => undefined });
    let signedInClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (signedInClosed = resolve));
    io.use((socket, next) => {
      if ((socket.handshake.auth as { signIn?: boolean }).signIn) {
        expect(limits.admitSignedIn(socket, 'agent1')).toEqual({ ok: true });
        expect(limits.byUser().get('agent1')).toBe(1);
        // After the limits' own close handler, which was added when the connection opened.
        socket.conn.once('close', () => signedInClosed());
        socket.conn.close();
      }
      next();
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((httpServer.address() as AddressInfo).port)}`;
    try {
      const join = (signIn: boolean): Socket => {
        const socket = connect(url, { auth: { signIn }, transports: ['websocket'], reconnection: false, forceNew: true });
        sockets.push(socket);
        return socket;
      };
      const preAuth = join(false);
      await new Promise<void>((resolve) => preAuth.once('connect', () => resolve()));
      join(true);
      await closed;
      expect(limits.byUser().size).toBe(0);
      // The closed connection had left the pre-auth count when it signed in: its close takes nothing from it.
      expect(limits.byAddress().get('127.0.0.1')).toEqual({ preAuth: 1, visitors: 0 });
    } finally {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await io.close();
    }
  });
});
