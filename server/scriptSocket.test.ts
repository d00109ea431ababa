/**
 * The scripts libraries over real sockets on both backends: an agent reads the team library
 * and their own scripts, never another agent's; an agent writing the team library is
 * `forbidden`; bad input is `invalid_request`; a lead's change reaches every reader as
 * `scripts:changed`, a personal change only its owner; writes are rate limited per user.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_VARIANTS, type Script, type ScriptInput, type ScriptsChanged } from '../shared/scripts.js';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { TEST_BACKENDS, login, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer | null = null;
const sockets: ClientSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t?.stop();
  t = null;
});

interface Client {
  ask<T>(event: string, payload: unknown): Promise<Ack<T>>;
  changes: ScriptsChanged[];
}

async function connectAs(server: TestServer, username: string): Promise<Client> {
  const { token } = await login(server.url, username);
  const socket: ClientSocket = connect(server.url, {
    auth: { token, clientId: `client-${username}` },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const changes: ScriptsChanged[] = [];
  socket.on('scripts:changed', (event) => changes.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const emitter = socket.timeout(5000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  return { ask: async <T>(event: string, payload: unknown) => (await emitter.emitWithAck(event, payload)) as Ack<T>, changes };
}

const teamScript: ScriptInput = {
  scope: 'team',
  language: 'zh',
  title: '投诉处理',
  body: '非常抱歉给您带来不便。',
  category: '投诉',
  keyword: 'sorry',
  variants: NO_VARIANTS,
};

function resultOf<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`refused: ${ack.error.code} ${ack.error.message}`);
  return ack.result;
}

for (const backend of TEST_BACKENDS) {
  describe(`scripts sockets on ${backend}`, () => {
    async function start(): Promise<TestServer> {
      t = await startTestServer({
        backend,
        tokenTtlMs: 60 * 60 * 1000,
        rateLimits: { ...DEFAULT_RATE_LIMITS, scriptWritesPerUser: { points: 5, durationSec: 60 } },
      });
      await seedTestOrganisation(t.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['chat'] },
        { username: 'agent2', displayName: '赵磊', channels: ['chat'] },
      ]);
      return t;
    }

    it('lets a lead publish to everyone, keeps personal scripts to their owner, and refuses the rest', async () => {
      const server = await start();
      const lead = await connectAs(server, 'lead1');
      const agent1 = await connectAs(server, 'agent1');
      const agent2 = await connectAs(server, 'agent2');

      const team = resultOf(await lead.ask<{ script: Script }>('scripts:save', { script: teamScript })).script;
      for (const reader of [lead, agent1, agent2]) await vi.waitFor(() => expect(reader.changes).toEqual([{ scope: 'team' }]));

      const mine = resultOf(await agent1.ask<{ script: Script }>('scripts:save', { script: { ...teamScript, scope: 'personal', title: '我的道歉' } })).script;
      await vi.waitFor(() => expect(agent1.changes).toEqual([{ scope: 'team' }, { scope: 'personal' }]));
      expect(resultOf(await agent1.ask<{ scripts: Script[] }>('scripts:list', {})).scripts.map((s) => s.id)).toEqual([mine.id, team.id]);
      expect(resultOf(await agent2.ask<{ scripts: Script[] }>('scripts:list', {})).scripts.map((s) => s.id)).toEqual([team.id]);

      // Abuse: an agent writing the team library, another agent's personal script, bad input.
      expect(await agent1.ask('scripts:save', { script: { ...teamScript, title: '冒充主管' } })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await agent1.ask('scripts:delete', { id: team.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await agent2.ask('scripts:delete', { id: mine.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await agent2.ask('scripts:save', { id: mine.id, script: { ...teamScript, scope: 'personal' } })).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
      expect(await agent1.ask('scripts:save', { script: { ...teamScript, scope: 'personal', body: 'x'.repeat(5000) } })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await agent1.ask('scripts:list', { everyone: true })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await agent1.ask('scripts:delete', { id: '../etc' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      // agent2 heard nothing of agent1's personal library, and nothing was lost.
      expect(agent2.changes).toEqual([{ scope: 'team' }]);
      expect(resultOf(await lead.ask<{ scripts: Script[] }>('scripts:list', {})).scripts).toEqual([team]);
      expect(resultOf(await agent1.ask<{ scripts: Script[] }>('scripts:list', {})).scripts).toEqual([mine, team]);
    });

    it('limits script writes per user', async () => {
      const server = await start();
      const agent1 = await connectAs(server, 'agent1');
      const agent2 = await connectAs(server, 'agent2');
      const personal = { script: { ...teamScript, scope: 'personal' } };
      for (let i = 0; i < 5; i++) resultOf(await agent1.ask('scripts:save', personal));
      expect(await agent1.ask('scripts:save', personal)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect(await agent2.ask('scripts:save', personal)).toMatchObject({ ok: true });
      expect(resultOf(await agent1.ask<{ scripts: Script[] }>('scripts:list', {})).scripts).toHaveLength(5);
    });
  });
}
