/**
 * Attacks on signing in and on sessions, and what the server must answer: one row per
 * attack, each against a fresh real server (real HTTP, real sockets, real SQLite) with
 * small limits so a flood is a few requests. Add a row for the next attack.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody, LogoutResponse } from '../shared/httpApi.js';
import {
  workstationHandshakeAuth,
  type Ack,
  type ClientToServerEvents,
  type LiveChanges,
  type PullResult,
  type ServerToClientEvents,
  type SessionEnded,
} from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { MAX_SIGN_IN_DEVICES } from './store.js';
import { createManualScheduler, type ManualScheduler } from './routing/scheduler.js';
import {
  TEST_BACKENDS,
  TEST_INTEGRATION_TOKEN,
  TEST_PASSWORD,
  createTestClock,
  getJson,
  login,
  postJson,
  seedTestOrganisation,
  startTestServer,
  type TestBackend,
  type TestServer,
} from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const HOUR = 60 * 60 * 1000;
/** Small budgets: a flood is a handful of requests. */
const LIMITS = {
  ...DEFAULT_RATE_LIMITS,
  signInFailuresPerUser: { points: 5, durationSec: 900 },
  signInFailuresPerDevice: { points: 5, durationSec: 900 },
  signInAttemptsPerAddress: { points: 12, durationSec: 900 },
  inboundPerToken: { points: 3, durationSec: 60 },
};

let t: TestServer;
let scheduler: ManualScheduler;
/** The store the rows run on: SQLite, and PostgreSQL for the rows that touch what the store keeps. */
let backend: TestBackend = 'sqlite';
const sockets: ClientSocket[] = [];

beforeEach(async () => {
  const clock = createTestClock();
  scheduler = createManualScheduler(clock);
  t = await startTestServer({ backend, clock, scheduler, tokenTtlMs: HOUR, rateLimits: LIMITS, routing: { autoAccept: true } });
  await seedTestOrganisation(t.store, [
    { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
    { username: 'agent1', displayName: '王芳', channels: ['chat'] },
  ]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

interface HttpAnswer {
  status: number;
  code: string | null;
  /** `Retry-After` in whole seconds, as sent. */
  retryAfter: number | null;
  retryAfterMs: number | null;
}

async function signIn(username: string, password: string, headers: Record<string, string> = {}, clientId?: string): Promise<HttpAnswer> {
  const response = await fetch(`${t.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password, ...(clientId !== undefined ? { clientId } : {}) }),
  });
  const body = (await response.json()) as Partial<ApiErrorBody>;
  const retryAfter = response.headers.get('retry-after');
  return {
    status: response.status,
    code: body.error?.code ?? null,
    retryAfter: retryAfter === null ? null : Number(retryAfter),
    retryAfterMs: body.error?.retryAfterMs ?? null,
  };
}

async function logout(token: string): Promise<{ status: number; body: LogoutResponse | ApiErrorBody }> {
  const response = await fetch(`${t.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as LogoutResponse | ApiErrorBody };
}

/** A 429 as the rows expect it: the code, and a wait both in the header (seconds) and in the body (ms). */
function isRateLimited(answer: HttpAnswer): boolean {
  return answer.status === 429 && answer.code === 'rate_limited' && (answer.retryAfter ?? 0) >= 1 && (answer.retryAfterMs ?? 0) >= 1;
}

interface Session {
  socket: ClientSocket;
  batches: LiveChanges[];
  firstBatch: Promise<void>;
  ended: SessionEnded[];
  disconnected: Promise<string>;
}

function openSocket(token: string, clientId: string): ClientSocket {
  const socket: ClientSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, clientId),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

/** Resolves with 'connected', or with the connect_error's message. */
function handshake(socket: ClientSocket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

async function liveSession(token: string, clientId: string): Promise<Session> {
  const socket = openSocket(token, clientId);
  const batches: LiveChanges[] = [];
  const ended: SessionEnded[] = [];
  socket.on('sync:changes', (batch) => batches.push(batch));
  const firstBatch = new Promise<void>((resolve) => socket.once('sync:changes', () => resolve()));
  socket.on('session:ended', (event) => ended.push(event));
  const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  expect(await handshake(socket)).toBe('connected');
  const pulled = (await socket.timeout(5000).emitWithAck('sync:pull', { since: 0 })) as Ack<PullResult>;
  expect(pulled.ok).toBe(true);
  return { socket, batches, firstBatch, ended, disconnected };
}

async function postChat(text: string): Promise<number> {
  const answer = await postJson(
    `${t.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text }),
    TEST_INTEGRATION_TOKEN,
  );
  return answer.status;
}

interface AttackRow {
  attack: string;
  run: () => Promise<unknown>;
  expect: unknown;
}

const ATTACKS: AttackRow[] = [
  {
    attack: 'guessing one user’s password: wrong passwords in a row, then the right one',
    run: async () => {
      const answers: HttpAnswer[] = [];
      for (let i = 0; i < 8; i++) answers.push(await signIn('agent1', `guess-${String(i)}`));
      const right = await signIn('agent1', TEST_PASSWORD);
      return { statuses: answers.map((a) => a.status), limited: answers.slice(5).every(isRateLimited), rightPasswordWhileBlocked: isRateLimited(right) };
    },
    // Five guesses are checked; after that nothing is, not even the right password (so a guess costs no scrypt).
    expect: { statuses: [401, 401, 401, 401, 401, 429, 429, 429], limited: true, rightPasswordWhileBlocked: true },
  },
  {
    attack: 'the same guesses with the username in other cases and widths',
    run: async () => {
      const names = ['agent1', 'AGENT1', 'Agent1', 'ａｇｅｎｔ１', ' agent1', 'aGeNt1'];
      return (await Promise.all(names.map((name, i) => signIn(name, `guess-${String(i)}`)))).map((a) => a.status).sort();
    },
    expect: [401, 401, 401, 401, 401, 429],
  },
  {
    attack: 'spraying one password over many usernames from one address',
    run: async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await signIn(`user${String(i)}`, 'Passw0rd!')).status);
      const next = await signIn('agent1', TEST_PASSWORD);
      return { statuses: [...new Set(statuses)], next: isRateLimited(next) };
    },
    expect: { statuses: [401], next: true },
  },
  {
    attack: 'a forged X-Forwarded-For per request to look like many addresses (no TRUST_PROXY)',
    run: async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 13; i++) statuses.push((await signIn(`user${String(i)}`, 'Passw0rd!', { 'x-forwarded-for': `203.0.113.${String(i)}` })).status);
      return statuses.at(-1);
    },
    expect: 429,
  },
  {
    attack: 'a signed-out (revoked) token on the HTTP API',
    run: async () => {
      const { token } = await login(t.url, 'agent1');
      const before = (await getJson(`${t.url}/api/v1/tickets`, token)).status;
      const out = await logout(token);
      const after = await getJson(`${t.url}/api/v1/tickets`, token);
      return { before, out, after: after.status, code: (after.body as ApiErrorBody).error.code };
    },
    expect: { before: 200, out: { status: 200, body: { revoked: true } }, after: 401, code: 'unauthorized' },
  },
  {
    attack: 'a signed-out (revoked) token on a socket handshake',
    run: async () => {
      const { token } = await login(t.url, 'agent1');
      await logout(token);
      return handshake(openSocket(token, 'ws-agent1'));
    },
    expect: 'unauthorized',
  },
  {
    attack: 'signing out leaves the token’s open sockets connected',
    run: async () => {
      const { token } = await login(t.url, 'agent1');
      const session = await liveSession(token, 'ws-agent1');
      const out = await logout(token);
      const reason = await session.disconnected;
      const again = await logout(token);
      return {
        out: out.body,
        ended: session.ended.map((e) => e.reason),
        reason,
        again: again.body,
        lookup: (await t.store.lookupToken(token, t.clock.now())).status,
      };
    },
    expect: { out: { revoked: true }, ended: ['revoked'], reason: 'io server disconnect', again: { revoked: false }, lookup: 'unknown' },
  },
  {
    attack: 'a socket whose token has expired keeps receiving live changes',
    run: async () => {
      const agent = await login(t.url, 'agent1');
      const expired = await liveSession(agent.token, 'ws-agent1');
      t.clock.advance(HOUR / 2);
      const lead = await login(t.url, 'lead1');
      const watcher = await liveSession(lead.token, 'ws-lead1');
      // Past the agent's expiry, before any timer ran: the fan-out itself must skip the socket.
      t.clock.advance(HOUR / 2 + 1);
      const stored = await postChat('快递三天没动了');
      await watcher.firstBatch;
      // The ack comes after anything the server sent this socket before it.
      const ack = (await expired.socket.timeout(5000).emitWithAck('sync:pull', { since: 0 })) as Ack<PullResult>;
      return { stored, watcherGotIt: watcher.batches.length > 0, expiredGot: expired.batches.length, ack: ack.ok ? 'ok' : ack.error.code };
    },
    expect: { stored: 201, watcherGotIt: true, expiredGot: 0, ack: 'unauthorized' },
  },
  {
    attack: 'a socket whose token has expired stays connected, waiting for data',
    run: async () => {
      const { token } = await login(t.url, 'agent1');
      const session = await liveSession(token, 'ws-agent1');
      scheduler.advance(HOUR);
      const reason = await session.disconnected;
      return { ended: session.ended.map((e) => e.reason), reason };
    },
    expect: { ended: ['expired'], reason: 'io server disconnect' },
  },
  {
    attack: 'replaying a token from another client id',
    run: async () => {
      const { token } = await login(t.url, 'agent1');
      const owner = await handshake(openSocket(token, 'ws-agent1'));
      const replay = await handshake(openSocket(token, 'ws-stolen'));
      const ownerAgain = await handshake(openSocket(token, 'ws-agent1'));
      return { owner, replay, ownerAgain };
    },
    expect: { owner: 'connected', replay: 'unauthorized', ownerAgain: 'connected' },
  },
  {
    attack: 'replaying a token bound at sign-in from another client id, before the owner ever connected',
    run: async () => {
      const answer = await postJson<{ token: string }>(
        `${t.url}/api/v1/auth/login`,
        JSON.stringify({ username: 'agent1', password: TEST_PASSWORD, clientId: 'ws-agent1' }),
      );
      const { token } = answer.body as { token: string };
      return { replay: await handshake(openSocket(token, 'ws-stolen')), owner: await handshake(openSocket(token, 'ws-agent1')) };
    },
    expect: { replay: 'unauthorized', owner: 'connected' },
  },
  {
    attack: 'an integration token flooding /api/v1/inbound',
    run: async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push(await postChat(`第${String(i)}条`));
      const response = await fetch(`${t.url}/api/v1/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_INTEGRATION_TOKEN}` },
        body: JSON.stringify({ channel: 'chat', customer: { name: '张伟' }, text: '再来一条' }),
      });
      const body = (await response.json()) as ApiErrorBody;
      const tickets = (await t.store.listTickets({ id: 'lead1', role: 'lead', channels: [] }, { limit: 100 })).tickets;
      const messages = (await t.store.getTicketBundle(tickets[0]!.id))!.messages.length;
      return { statuses, code: body.error.code, retryAfter: Number(response.headers.get('retry-after')) >= 1, messages };
    },
    // Three stored (one ticket, joined twice), the rest refused before the body was read.
    expect: { statuses: [201, 201, 201, 429, 429], code: 'rate_limited', retryAfter: true, messages: 3 },
  },
  {
    attack: 'signing out with an integration token (to cut off an integration)',
    run: async () => ({ out: (await logout(TEST_INTEGRATION_TOKEN)).status, stillWorks: await postChat('还在吗') }),
    expect: { out: 403, stillWorks: 201 },
  },
];

/** The agent's workstation: its client id (a random UUID in its settings, sent with every sign-in, never shown to anyone else). */
const AGENT_DEVICE = 'b1f6a0d2-3c4e-4f5a-8b9c-0d1e2f3a4b5c';
const LEAD_DEVICE = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';

/** A stranger's wrong passwords for agent1, from no client id, a made-up one, or several addresses' worth. */
async function lockOut(count: number, clientId?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await signIn('agent1', `guess-${String(i)}`, {}, clientId)).status);
  return statuses;
}

/**
 * The per-user failure budget is a lock anyone can turn (attack-12): ten wrong passwords for a
 * username from anywhere refused its owner's right password for 15 minutes, so one address locked
 * six agents out per window and a few addresses a whole shift. A workstation the user signed in
 * from before (its client id) has a budget of its own that strangers cannot spend.
 */
const DEVICE_ATTACKS: AttackRow[] = [
  {
    attack: 'a stranger’s wrong passwords lock the agent out of the workstation they signed in from before',
    run: async () => {
      const first = await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE);
      const stranger = await lockOut(7);
      const own = await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE);
      const elsewhere = await signIn('agent1', TEST_PASSWORD, {}, '0c9a7f3e-2b1d-4e6f-9a8b-7c6d5e4f3a2b');
      return { first: first.status, stranger, own: own.status, newDeviceStillLocked: isRateLimited(elsewhere) };
    },
    // The stranger is still held to five guesses; the agent's own workstation signs in.
    expect: { first: 200, stranger: [401, 401, 401, 401, 401, 429, 429], own: 200, newDeviceStillLocked: true },
  },
  {
    attack: 'guessing from a client id never signed in from (made up, or another user’s device)',
    run: async () => {
      await signIn('lead1', TEST_PASSWORD, {}, AGENT_DEVICE);
      return { guesses: await lockOut(7, AGENT_DEVICE), right: isRateLimited(await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE)) };
    },
    // Not agent1's device: the per-user budget, as a stranger's.
    expect: { guesses: [401, 401, 401, 401, 401, 429, 429], right: true },
  },
  {
    attack: 'guessing from the agent’s own client id (copied from their settings file)',
    run: async () => {
      await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE);
      return { guesses: await lockOut(7, AGENT_DEVICE), right: isRateLimited(await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE)) };
    },
    // The device's budget is as small as the user's: no more guesses than before, only a separate count.
    expect: { guesses: [401, 401, 401, 401, 401, 429, 429], right: true },
  },
  {
    attack: 'one PC behind the office NAT spends the address’s sign-in attempts for every agent there',
    run: async () => {
      const own = [(await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE)).status, (await signIn('lead1', TEST_PASSWORD, {}, LEAD_DEVICE)).status];
      const spray: number[] = [];
      for (let i = 0; i < 10; i++) spray.push((await signIn(`user${String(i)}`, 'Passw0rd!')).status);
      return {
        own,
        spray: [...new Set(spray)],
        sprayGoesOn: isRateLimited(await signIn('user99', 'Passw0rd!')),
        agent: (await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE)).status,
        lead: (await signIn('lead1', TEST_PASSWORD, {}, LEAD_DEVICE)).status,
        newDevice: isRateLimited(await signIn('agent1', TEST_PASSWORD, {}, '0c9a7f3e-2b1d-4e6f-9a8b-7c6d5e4f3a2b')),
      };
    },
    // Known workstations are held by their own budgets (each ≤ 5 scrypt runs a window), not the address's.
    expect: { own: [200, 200], spray: [401], sprayGoesOn: true, agent: 200, lead: 200, newDevice: true },
  },
  {
    attack: 'signing in from ever new client ids to collect workstations, each with a budget',
    run: async () => {
      const ids = Array.from({ length: MAX_SIGN_IN_DEVICES + 8 }, (_, i) => `ws-collect-${String(i).padStart(3, '0')}`);
      for (const [i, id] of ids.entries()) await t.store.issueUserToken('agent1', t.clock.now() + i, HOUR, id);
      const known = await Promise.all(ids.map((id) => t.store.isSignInDevice('agent1', id)));
      return { oldestForgotten: known.slice(0, 8).every((k) => !k), newestKept: known.slice(8).every(Boolean) };
    },
    // A user keeps their newest MAX_SIGN_IN_DEVICES workstations: the scrypt runs one account can have outside the address budget are bounded.
    expect: { oldestForgotten: true, newestKept: true },
  },
  {
    attack: 'a device that signed in before an admin reset the password keeps a budget of its own',
    run: async () => {
      await signIn('agent1', TEST_PASSWORD, {}, AGENT_DEVICE);
      const admin = await t.store.createUser({ id: 'admin1', username: 'admin1', password: TEST_PASSWORD, displayName: '管理员', role: 'admin', channels: [] });
      const reset = await t.store.admin.resetPassword(admin, 'agent1', 'N3w-passw0rd!', t.clock.now());
      await lockOut(5);
      return { reset: reset.result.ok, afterReset: isRateLimited(await signIn('agent1', 'N3w-passw0rd!', {}, AGENT_DEVICE)) };
    },
    // The reset forgets the user's devices (the old password's sessions are gone too): the next sign-in is a new device's.
    expect: { reset: true, afterReset: true },
  },
];

describe('auth: attacks and the refusals they get', () => {
  it.each(ATTACKS)('$attack', async (row) => {
    expect(await row.run()).toEqual(row.expect);
  });
});

for (const store of TEST_BACKENDS) {
  describe(`auth: a stranger cannot lock a user out of their own workstation (${store})`, () => {
    beforeAll(() => {
      backend = store;
    });
    afterAll(() => {
      backend = 'sqlite';
    });
    it.each(DEVICE_ATTACKS)('$attack', async (row) => {
      expect(await row.run()).toEqual(row.expect);
    });
  });
}
