/**
 * A user change that commits while the user's socket is mid-handshake (after the handshake read
 * the user, before the socket joined its rooms) holds on that socket (server/sync.ts): it must
 * not join the rooms of a channel the admin just took away. The interleaving is made exact by
 * running the admin's real change (over the admin's own socket) inside the store's
 * `bindTokenToClient`, which the handshake calls after reading the user: the real store
 * method runs right after. A change after the handshake settled, in the tick before socket.io
 * connects the socket, is run from the server's `afterSocketHandshake`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QueueSummary } from '../shared/queue.js';
import { UNAUTHORIZED_SOCKET_ERROR } from '../shared/sync.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';
import type { ServerOptions } from './app.js';
import { askSocket, openTestSocket, type TestSocket } from './testing/sockets.js';

const SKILLS = { displayName: '王芳', role: 'agent', channels: ['phone', 'chat'], groups: [], tier: 1, senior: false, languages: ['zh'], extension: null };

let t: TestServer | null = null;
const sockets: TestSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t?.stop();
  t = null;
});

async function inbound(channel: 'chat' | 'phone', phone: string): Promise<void> {
  const contact = { channel, customer: { name: '张伟', phone }, text: `${channel} 来电/来信：订单什么时候到？` };
  const response = await postJson(`${t!.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  expect([200, 201]).toContain(response.status);
}

function waitingOf(summary: QueueSummary, channel: 'chat' | 'phone'): number {
  return summary.entries.filter((entry) => entry.channel === channel).reduce((sum, entry) => sum + entry.waiting, 0);
}

/** A server with admin1 and agent1 (phone and chat; tokens good for an hour), and admin1's socket. */
async function startWithAdmin(
  backend: (typeof TEST_BACKENDS)[number],
  options: Partial<ServerOptions> = {},
): Promise<{ server: TestServer; admin: TestSocket }> {
  const server = await startTestServer({ backend, tokenTtlMs: 60 * 60 * 1000, ...options });
  t = server;
  await seedTestOrganisation(server.store, [
    { username: 'admin1', displayName: '系统管理员', role: 'admin', channels: [] },
    { username: 'agent1', displayName: '王芳', channels: ['phone', 'chat'] },
  ]);
  const admin = await openTestSocket(server.url, 'admin1');
  sockets.push(admin);
  return { server, admin };
}

/**
 * agent1 connects while an admin's change (`event` over the admin's socket) commits right after
 * the handshake found the token valid and bound it (its tokens deleted, their sockets ended through
 * the token's room, which this one is not in yet): the real store method runs first, the change
 * right after it. The connection error, or null when the socket was accepted.
 */
async function joinWithChangeAfterBind(backend: (typeof TEST_BACKENDS)[number], event: string, request: unknown): Promise<string | null> {
  const { server, admin } = await startWithAdmin(backend);
  const bind = server.store.bindTokenToClient.bind(server.store);
  let changedDuringHandshake = false;
  server.store.bindTokenToClient = async (token, clientId) => {
    const bound = await bind(token, clientId);
    if (clientId === 'client-agent1' && !changedDuringHandshake) {
      changedDuringHandshake = true;
      expect((await askSocket(admin, event, request)).ok).toBe(true);
    }
    return bound;
  };
  const refused = await openTestSocket(server.url, 'agent1').then(
    (socket) => {
      sockets.push(socket);
      return null;
    },
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  expect(changedDuringHandshake).toBe(true);
  return refused;
}

/**
 * agent1 connects while an admin's change (`event` over the admin's socket) commits after the
 * handshake accepted the socket, before socket.io connected it (so before it joined its token's
 * room): what agent1's socket is told, once it is disconnected.
 */
async function endedAfterChangeBeforeConnection(backend: (typeof TEST_BACKENDS)[number], event: string, request: unknown): Promise<unknown[]> {
  let admin: TestSocket | null = null;
  let changedBeforeConnection = false;
  const started = await startWithAdmin(backend, {
    afterSocketHandshake: async (userId) => {
      if (userId !== 'agent1' || changedBeforeConnection) return;
      changedBeforeConnection = true;
      expect((await askSocket(admin!, event, request)).ok).toBe(true);
    },
  });
  const { server } = started;
  admin = started.admin;
  const told: unknown[] = [];
  const agent = await openTestSocket(server.url, 'agent1', { listen: (socket) => socket.on('session:ended', (ended) => told.push(ended)) });
  sockets.push(agent);
  expect(changedBeforeConnection).toBe(true);
  // Before the fix the socket lived on, until its token's expiry an hour later.
  await vi.waitFor(() => expect(agent.connected).toBe(false), { timeout: 10_000 });
  return told;
}

for (const backend of TEST_BACKENDS) {
  describe(`a socket connecting while an admin changes its user (${backend})`, () => {
    it('does not keep the rooms of a channel taken away between the handshake’s read of the user and the join', async () => {
      const { server, admin } = await startWithAdmin(backend, { queueSummaryIntervalMs: 20 });

      // The agent's handshake has read the user (with chat) when the admin's change commits.
      const bind = server.store.bindTokenToClient.bind(server.store);
      let changedDuringHandshake = false;
      server.store.bindTokenToClient = async (token, clientId) => {
        if (clientId === 'client-agent1' && !changedDuringHandshake) {
          changedDuringHandshake = true;
          const update = await askSocket(admin, 'admin:updateUser', { userId: 'agent1', skills: { ...SKILLS, channels: ['phone'] } });
          expect(update.ok).toBe(true);
        }
        return bind(token, clientId);
      };

      const summaries: QueueSummary[] = [];
      // The agent's socket sends nothing after it connects: only the server can correct it.
      const agent = await openTestSocket(server.url, 'agent1', { listen: (socket) => socket.on('queue:summary', (summary) => summaries.push(summary)) });
      sockets.push(agent);
      expect(changedDuringHandshake).toBe(true);

      // A chat contact, then a phone contact: the phone figures reaching the socket come after any chat figures sent to it.
      await inbound('chat', '13100131008');
      await inbound('phone', '13100131009');
      await vi.waitFor(() => expect(summaries.some((summary) => waitingOf(summary, 'phone') > 0)).toBe(true), { timeout: 10_000 });
      // Neither greeted with chat's figures nor in chat's room (which got the waiting chat).
      expect(summaries.filter((summary) => summary.channels.includes('chat'))).toEqual([]);
    }, 60_000);

    it('refuses the socket of a user deactivated between the handshake’s read of the token and the join', async () => {
      // A deactivated user's socket would otherwise live on until its token's expiry, an hour here.
      expect(await joinWithChangeAfterBind(backend, 'admin:setActive', { userId: 'agent1', active: false })).toBe(UNAUTHORIZED_SOCKET_ERROR);
    }, 60_000);

    it('refuses the socket of a user whose password an admin reset between the handshake’s read of the token and the join', async () => {
      // A session the reset ended would otherwise live on until its token's expiry, an hour here.
      expect(await joinWithChangeAfterBind(backend, 'admin:resetPassword', { userId: 'agent1', password: 'N3w-passw0rd-for-agent1' })).toBe(
        UNAUTHORIZED_SOCKET_ERROR,
      );
    }, 60_000);

    it('ends the socket of a user deactivated after the handshake accepted it, before it was connected', async () => {
      expect(await endedAfterChangeBeforeConnection(backend, 'admin:setActive', { userId: 'agent1', active: false })).toEqual([
        expect.objectContaining({ reason: 'revoked' }),
      ]);
    }, 60_000);

    it('ends the socket of a user whose password was reset after the handshake accepted it, before it was connected', async () => {
      expect(await endedAfterChangeBeforeConnection(backend, 'admin:resetPassword', { userId: 'agent1', password: 'N3w-passw0rd-for-agent1' })).toEqual([
        expect.objectContaining({ reason: 'revoked' }),
      ]);
    }, 60_000);
  });
}
