/**
 * Tickets created by hand over the real socket (`sync:push`): the ack carries the GD id, the
 * creator's pull brings the bundle with the customer's typed phone masked (an agent), and a
 * flood of creations is refused as a whole before anything is applied (`manualTicketsPerUser`).
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { provisionalIdsOf, type CreateTicketMutation } from '../shared/manualTicket.js';
import {
  workstationHandshakeAuth,
  type Ack,
  type ClientToServerEvents,
  type Mutation,
  type PullResult,
  type PushResult,
  type ServerToClientEvents,
} from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { TEST_BACKENDS, TEST_EPOCH, login, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer | null = null;
const sockets: ClientSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t?.stop();
  t = null;
});

async function connectAs(server: TestServer, username: string): Promise<ClientSocket> {
  const { token } = await login(server.url, username);
  const socket: ClientSocket = connect(server.url, {
    auth: workstationHandshakeAuth(token, `client-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

let n = 0;
function creation(): CreateTicketMutation {
  n++;
  const ids = provisionalIdsOf(TEST_EPOCH + n, String(n).padStart(12, '3'));
  return {
    mutationId: `create-${String(n)}`,
    kind: 'createTicket',
    ticketId: ids.ticketId,
    customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: '13900139000', email: null },
    channel: 'phone',
    type: 'consult',
    priority: 'normal',
    subject: '来电咨询',
    noteId: `note-${String(n)}`,
    note: '客户来电咨询保修政策',
    toQueue: false,
    createdAt: TEST_EPOCH + n,
  };
}

const push = (socket: ClientSocket, mutations: Mutation[]): Promise<Ack<PushResult>> => socket.timeout(5000).emitWithAck('sync:push', { mutations });
const pull = (socket: ClientSocket): Promise<Ack<PullResult>> => socket.timeout(5000).emitWithAck('sync:pull', { since: 0 });

for (const backend of TEST_BACKENDS) {
  describe(`tickets created by hand over sync:push on ${backend}`, () => {
    it('acks the GD id, sends the creator the bundle masked, and refuses a flood of creations before applying any', async () => {
      t = await startTestServer({
        backend,
        tokenTtlMs: 60 * 60 * 1000,
        rateLimits: { ...DEFAULT_RATE_LIMITS, manualTicketsPerUser: { points: 3, durationSec: 60 } },
      });
      await seedTestOrganisation(t.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
      const agent = await connectAs(t, 'agent1');

      const first = creation();
      const pushed = await push(agent, [
        first,
        { mutationId: 'n-1', kind: 'note', ticketId: first.ticketId, noteId: 'n-1', text: '已记录', createdAt: TEST_EPOCH + 50 },
      ]);
      expect(pushed).toMatchObject({
        ok: true,
        result: { results: [{ ok: true, created: { ticketId: expect.stringMatching(/^GD\d{11}$/) as string } }, { ok: true }] },
      });
      const pulled = await pull(agent);
      if (!pulled.ok || pulled.result.mustRefetch) throw new Error('no pull');
      const bundle = pulled.result.changes.find((change) => change.kind === 'bundle');
      expect(bundle).toMatchObject({ bundle: { ticket: { assigneeId: expect.any(String) as string }, customer: { name: '赵敏' } } });
      if (bundle?.kind !== 'bundle') throw new Error('no bundle');
      // An agent's workstation never receives the phone in clear, even one they typed.
      expect(bundle.bundle.customer.phone).toMatch(/\*/);

      // Two more fit the budget of 3; a push of two more is refused whole, and nothing of it was applied.
      expect(await push(agent, [creation(), creation()])).toMatchObject({ ok: true });
      const flood = [creation(), creation()];
      expect(await push(agent, flood)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      const drafts = await t.store.sql.all<{ draft_id: string }>('SELECT draft_id FROM ticket_drafts');
      expect(drafts).toHaveLength(3);
      expect(drafts.map((row) => row.draft_id)).not.toContain(flood[0]!.ticketId);
    });
  });
}
