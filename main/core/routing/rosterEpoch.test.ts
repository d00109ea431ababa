/**
 * A lead's roster across a change of routing leader: the new leader's whole roster arrives,
 * then a diff the deposed leader sent before it noticed it had lost its lease. The diff is
 * dropped (it would put back what the old leader believed); a newer leader's diff that comes
 * before its whole roster makes the core ask for the roster. A real socket.io server stands in
 * for the cluster's nodes, sending the pushes in exactly that order; the core's routing
 * session is the real one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScriptedSocketServer, type ScriptedSocketServer } from '../../../server/testing/scriptedSocketServer.js';
import type { User } from '../../../shared/domain.js';
import { agentStatusSchema, type AgentsPush, type AgentStatus } from '../../../shared/routing.js';
import type { RpcEvents } from '../../../shared/rpc.js';
import { openCache, type Cache } from '../cache/cache.js';
import type { WorkstationSocket } from '../sync/syncClient.js';
import { startRoutingSession, type RoutingSession } from './routingSession.js';

const lead: User = {
  id: 'lead1',
  username: 'lead1',
  displayName: '李主管',
  role: 'lead',
  channels: ['phone', 'chat'],
  groups: [],
  tier: 2,
  senior: true,
  languages: ['zh'],
  extension: null,
};

function agentStatus(userId: string, presence: AgentStatus['presence'], since: number): AgentStatus {
  return agentStatusSchema.parse({
    userId,
    username: userId,
    displayName: userId,
    presence,
    presenceCause: 'self',
    presenceSince: since,
    connected: true,
    capacity: { phone: 1, chat: 3, social: 5, email: 10 },
    phoneBlocksChat: true,
    load: { phone: 0, chat: 0, social: 0, email: 0 },
    openTickets: 0,
    offers: 0,
    channels: ['chat'],
    groups: [],
    tier: 1,
    senior: false,
    languages: ['zh'],
    lastAssignedAt: null,
  });
}

describe('the lead’s roster across a change of routing leader', () => {
  let dir: string;
  let cache: Cache;
  let server: ScriptedSocketServer;
  let serverSide: Awaited<ScriptedSocketServer['connection']>;
  let client: WorkstationSocket;
  let session: RoutingSession;
  /** Every roster the core announced, in order. */
  let announced: Array<RpcEvents['agents']['agents']>;
  /** What the server answers `lead:agents` with, and how often it was asked. */
  let rosterAnswer: { agents: AgentStatus[]; epoch?: number };
  let rosterAsked: number;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'roster-epoch-'));
    cache = openCache(path.join(dir, 'cache.sqlite'), null);
    rosterAsked = 0;
    server = await startScriptedSocketServer((socket) =>
      socket.on('lead:agents', (_request: unknown, ack: (answer: unknown) => void) => {
        rosterAsked += 1;
        ack({ ok: true, result: rosterAnswer });
      }),
    );
    const raw = io(server.url, { transports: ['websocket'] });
    // Answered after the pushes sent before it: the socket keeps order, so they have been read.
    raw.on('pushes-read', (ack: () => void) => ack());
    client = raw;
    serverSide = await server.connection;
    if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    announced = [];
    session = startRoutingSession({
      socket: client,
      cache,
      user: lead,
      now: Date.now,
      emit: (event, payload) => {
        if (event === 'agents') announced.push((payload as RpcEvents['agents']).agents);
      },
      onChanged: () => {},
    });
  });
  afterEach(async () => {
    session.stop();
    client.close();
    await server.close();
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends the pushes in order and waits until the core has read them (a round trip after the last). */
  async function push(...pushes: AgentsPush[]): Promise<void> {
    for (const each of pushes) serverSide.emit('lead:agents', each);
    await serverSide.timeout(5_000).emitWithAck('pushes-read');
  }

  it('drops a deposed leader’s diff that arrives after the new leader’s whole roster', async () => {
    const a1Available = agentStatus('agent1', 'available', 1_000);
    const a1Away = agentStatus('agent1', 'away', 2_000);
    // Leader of epoch 4: the whole roster, then agent1 went away (what the new leader also knows).
    await push(
      { agents: [a1Available], at: 1_000, complete: true, removed: [], epoch: 4 },
      { agents: [a1Away], at: 2_000, complete: false, removed: [], epoch: 4 },
    );
    // The new leader (epoch 5) sends its whole roster; the old one, stalled, then sends a diff from its stale view.
    const newRoster = { agents: [a1Away], at: 3_000, complete: true, removed: [], epoch: 5 };
    const lateDiff = { agents: [agentStatus('agent1', 'available', 2_500)], at: 2_500, complete: false, removed: [], epoch: 4 };
    await push(newRoster, lateDiff);

    expect(announced.at(-1)).toEqual([a1Away]);
    expect(announced).toHaveLength(3);
    // The new leader's own diffs still apply.
    const a1Back = agentStatus('agent1', 'available', 4_000);
    await push({ agents: [a1Back], at: 4_000, complete: false, removed: [], epoch: 5 });
    expect(announced.at(-1)).toEqual([a1Back]);
  });

  it('asks for the whole roster when a newer leader’s diff comes before it', async () => {
    const a1 = agentStatus('agent1', 'available', 1_000);
    const a2 = agentStatus('agent2', 'available', 1_000);
    await push({ agents: [a1, a2], at: 1_000, complete: true, removed: [], epoch: 4 });
    // The new leader knows agent2 signed off; its whole roster did not reach this lead.
    const a1Away = agentStatus('agent1', 'away', 3_000);
    rosterAnswer = { agents: [a1Away], epoch: 5 };
    await push({ agents: [a1Away], at: 3_000, complete: false, removed: [], epoch: 5 });
    await expect.poll(() => rosterAsked).toBe(1);
    await expect.poll(() => announced.at(-1)).toEqual([a1Away]);
    // The diff alone would have kept agent2, whom the new leader no longer lists.
    expect(announced.some((roster) => roster.length === 2 && roster[0]!.presence === 'away')).toBe(false);
  });
});
