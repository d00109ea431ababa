/**
 * The scripts libraries over real sockets on both backends: an agent reads the team library
 * and their own scripts, never another agent's; an agent writing the team library is
 * `forbidden`; bad input is `invalid_request`; a lead's change reaches every reader as
 * `scripts:changed`, a personal change only its owner; writes are rate limited per user.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_VARIANTS, type Script, type ScriptInput } from '../shared/scripts.js';
import { TEST_BACKENDS, type TestServer } from './testHarness.js';
import { connectListening, startLibraryServer } from './testing/libraries.js';
import { disconnectTestSockets, okResult } from './testing/sockets.js';

let t: TestServer | null = null;

afterEach(async () => {
  disconnectTestSockets();
  await t?.stop();
  t = null;
});

const connectAs = (server: TestServer, username: string) => connectListening(server, username, 'scripts:changed');

const teamScript: ScriptInput = {
  scope: 'team',
  language: 'zh',
  title: '投诉处理',
  body: '非常抱歉给您带来不便。',
  category: '投诉',
  keyword: 'sorry',
  variants: NO_VARIANTS,
};

for (const backend of TEST_BACKENDS) {
  describe(`scripts sockets on ${backend}`, () => {
    async function start(): Promise<TestServer> {
      t = await startLibraryServer(backend, { scriptWritesPerUser: { points: 5, durationSec: 60 } });
      return t;
    }

    it('lets a lead publish to everyone, keeps personal scripts to their owner, and refuses the rest', async () => {
      const server = await start();
      const lead = await connectAs(server, 'lead1');
      const agent1 = await connectAs(server, 'agent1');
      const agent2 = await connectAs(server, 'agent2');

      const team = okResult(await lead.ask<{ script: Script }>('scripts:save', { script: teamScript })).script;
      for (const reader of [lead, agent1, agent2]) await vi.waitFor(() => expect(reader.changes).toEqual([{ scope: 'team' }]));

      const mine = okResult(await agent1.ask<{ script: Script }>('scripts:save', { script: { ...teamScript, scope: 'personal', title: '我的道歉' } })).script;
      await vi.waitFor(() => expect(agent1.changes).toEqual([{ scope: 'team' }, { scope: 'personal' }]));
      expect(okResult(await agent1.ask<{ scripts: Script[] }>('scripts:list', {})).scripts.map((s) => s.id)).toEqual([mine.id, team.id]);
      expect(okResult(await agent2.ask<{ scripts: Script[] }>('scripts:list', {})).scripts.map((s) => s.id)).toEqual([team.id]);

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
      expect(okResult(await lead.ask<{ scripts: Script[] }>('scripts:list', {})).scripts).toEqual([team]);
      expect(okResult(await agent1.ask<{ scripts: Script[] }>('scripts:list', {})).scripts).toEqual([mine, team]);
    });

    it('limits script writes per user', async () => {
      const server = await start();
      const agent1 = await connectAs(server, 'agent1');
      const agent2 = await connectAs(server, 'agent2');
      const personal = { script: { ...teamScript, scope: 'personal' } };
      for (let i = 0; i < 5; i++) okResult(await agent1.ask('scripts:save', personal));
      expect(await agent1.ask('scripts:save', personal)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect(await agent2.ask('scripts:save', personal)).toMatchObject({ ok: true });
      expect(okResult(await agent1.ask<{ scripts: Script[] }>('scripts:list', {})).scripts).toHaveLength(5);
    });
  });
}
