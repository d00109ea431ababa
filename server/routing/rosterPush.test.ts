/**
 * The leads' roster push (`lead:agents`) through the real server and real socket.io clients:
 * nothing is built while no lead or admin is connected, a watching lead gets only the agents
 * that changed, and a lead who reconnects ends up with the exact roster routing holds.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UserSkills } from '../../shared/admin.js';
import type { Channel } from '../../shared/domain.js';
import { agentsPushSchema, applyAgentsPush, type AgentsPush, type AgentStatus } from '../../shared/routing.js';
import { workstationHandshakeAuth, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/sync.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, createTestClock, login, postJson, startTestServer, type TestServer } from '../testHarness.js';
import { createManualScheduler } from './scheduler.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface Client {
  socket: ClientSocket;
  /** Every `lead:agents` push, parsed as a workstation parses it. */
  pushes: AgentsPush[];
  /** The roster those pushes make, merged as the workstation core merges them. */
  roster: Map<string, AgentStatus>;
}

let t: TestServer;
const sockets: ClientSocket[] = [];

const USERS: Array<{ id: string; displayName: string; role?: 'agent' | 'lead'; channels: Channel[] }> = [
  { id: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
  { id: 'agent1', displayName: '王芳', channels: ['phone', 'chat', 'email'] },
  { id: 'agent2', displayName: '张强', channels: ['phone', 'chat'] },
  { id: 'agent5', displayName: '赵磊', channels: ['phone', 'email'] },
];

/** `held`: the roster the workstation still holds from before (a reconnect keeps it until the server says otherwise). */
async function connectAs(username: string, held: ReadonlyMap<string, AgentStatus> = new Map()): Promise<Client> {
  const { token } = await login(t.url, username);
  const socket: ClientSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `client-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const client: Client = { socket, pushes: [], roster: new Map(held) };
  socket.on('lead:agents', (raw) => {
    const push = agentsPushSchema.parse(raw);
    client.pushes.push(push);
    client.roster = applyAgentsPush(client.roster, push);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await t.server.routing.idle();
  return client;
}

/** Routing's roster by user id, to compare with what a lead holds. */
function serverRoster(): Map<string, AgentStatus> {
  return new Map(t.server.routing.agents().map((agent) => [agent.userId, agent]));
}

async function inboundEmail(index: number): Promise<void> {
  const contact = { channel: 'email', customer: { name: `客户${String(index)}`, email: `c${String(index)}@example.cn` }, subject: '订单', text: '订单问题' };
  const response = await postJson(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  expect(response.status).toBe(201);
}

/** An admin makes the agent a lead (as admin:updateUser does): routing re-reads them. */
async function makeLead(userId: string): Promise<void> {
  const actor = (await t.store.getUser('lead1'))!;
  const user = (await t.store.getUser(userId))!;
  const skills: UserSkills = {
    displayName: user.displayName,
    role: 'lead',
    channels: [],
    groups: [],
    tier: 1,
    senior: false,
    languages: ['zh'],
    extension: null,
  };
  await t.store.admin.updateUser(actor, userId, skills, t.clock.now());
  await t.server.routing.userChanged(userId, actor.displayName);
  await t.server.routing.idle();
}

for (const backend of TEST_BACKENDS) {
  describe(`on ${backend}`, () => {
    beforeEach(async () => {
      const clock = createTestClock();
      t = await startTestServer({ backend, clock, scheduler: createManualScheduler(clock), agentsPushThrottleMs: 0 });
      for (const u of USERS) {
        await t.store.createUser({
          id: u.id,
          username: u.id,
          password: TEST_PASSWORD,
          displayName: u.displayName,
          role: u.role ?? 'agent',
          channels: u.channels,
          groups: [],
        });
      }
      await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    });

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.disconnect();
      vi.restoreAllMocks();
      await t.stop();
    });

    it('builds no roster while no lead or admin is connected, however busy routing is', async () => {
      const agent1 = await connectAs('agent1');
      await connectAs('agent2');
      const built = vi.spyOn(t.server.routing.engine, 'agentStatuses');
      for (let i = 0; i < 4; i++) await inboundEmail(i);
      await t.server.routing.setPresence('agent2', 'away', 'self', null, 'break');
      await t.server.routing.idle();
      // Give the (0 ms) push timer its turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(built).not.toHaveBeenCalled();
      expect(agent1.pushes).toEqual([]);
    });

    it('sends a watching lead only the agents that changed', async () => {
      await connectAs('agent1');
      await connectAs('agent2');
      await connectAs('agent5');
      const lead = await connectAs('lead1');
      await vi.waitFor(() => expect(lead.roster).toEqual(serverRoster()));
      expect(lead.pushes[0]).toMatchObject({ complete: true });
      const before = lead.pushes.length;

      await t.server.routing.setPresence('agent2', 'away', 'lead', '李主管', 'meeting');
      await t.server.routing.idle();
      await vi.waitFor(() => expect(lead.pushes.length).toBeGreaterThan(before));
      const changed = lead.pushes.slice(before);
      expect(changed.every((push) => !push.complete)).toBe(true);
      expect(changed.flatMap((push) => push.agents.map((agent) => agent.userId))).toEqual(['agent2']);
      expect(lead.roster).toEqual(serverRoster());
      expect(lead.roster.get('agent2')).toMatchObject({ presence: 'away', awayReason: 'meeting' });

      // An agent made a lead leaves the roster: the push says so rather than sending everyone again.
      const afterPresence = lead.pushes.length;
      await makeLead('agent5');
      await vi.waitFor(() => expect(lead.pushes.length).toBeGreaterThan(afterPresence));
      expect(lead.pushes.slice(afterPresence)).toEqual([expect.objectContaining({ complete: false, agents: [], removed: ['agent5'] })]);
      expect(lead.roster).toEqual(serverRoster());
      expect(lead.roster.has('agent5')).toBe(false);
    });

    it('gives a lead who reconnects the exact roster: changes, sign-ins and an agent made a lead while away', async () => {
      const agent1 = await connectAs('agent1');
      await connectAs('agent5');
      let lead = await connectAs('lead1');
      await vi.waitFor(() => expect(lead.roster).toEqual(serverRoster()));
      const heldBefore = lead.roster;
      lead.socket.disconnect();
      await t.server.routing.idle();

      // While the lead is away: an agent leaves, another signs in, one is made a lead, a presence changes.
      agent1.socket.disconnect();
      await connectAs('agent2');
      await makeLead('agent5');
      await t.server.routing.setPresence('agent2', 'busy', 'self', null);
      await t.server.routing.idle();

      lead = await connectAs('lead1', heldBefore);
      await vi.waitFor(() => expect(lead.roster).toEqual(serverRoster()));
      const roster = lead.roster;
      expect([...roster.keys()].sort()).toEqual(['agent1', 'agent2']);
      expect(roster.get('agent1')).toMatchObject({ connected: false });
      expect(roster.get('agent2')).toMatchObject({ connected: true, presence: 'busy' });
    });
  });
}
