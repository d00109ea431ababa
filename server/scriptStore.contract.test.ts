/**
 * The scripts libraries' contract on both backends (server/scriptStore.ts through the public
 * ServerStore): what each user reads, who writes where, and the abuse cases beside the happy
 * path — an agent writing the team library, anyone touching another agent's personal script
 * (answered exactly like a script that does not exist), a full library — with nothing lost.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { MAX_SCRIPTS_PER_LIBRARY, NO_VARIANTS, type ScriptInput } from '../shared/scripts.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreWithTeam, type StoreWithTeam } from './testing/libraries.js';

const greeting: ScriptInput = {
  scope: 'team',
  language: 'zh',
  title: '标准问候',
  body: '您好，{customer.name}，我是客服{agent.name}，很高兴为您服务。',
  category: '问候',
  keyword: 'greet',
  variants: {
    phone: { text: '您好，欢迎致电，工号{agent.id}为您服务。' },
    email: { subject: '关于工单{ticket.id}', body: '尊敬的{customer.name}：' },
    chat: null,
  },
};
const personal = (title: string): ScriptInput => ({ ...greeting, scope: 'personal', title, keyword: '', variants: NO_VARIANTS });

for (const backend of TEST_BACKENDS) {
  describe(`scripts store on ${backend}`, () => {
    let opened: StoreWithTeam;
    let store: ServerStore;
    let lead: User;
    let agent: User;
    let other: User;

    beforeEach(async () => {
      opened = await openStoreWithTeam(backend);
      ({ store, lead, agent, other } = opened);
    });

    afterEach(() => opened.close());

    it('keeps a team script and a personal one as written; each user reads the team library and their own', async () => {
      const team = await store.scripts.save(lead, undefined, greeting, TEST_EPOCH);
      expect(team).toMatchObject({ ...greeting, ownerId: null, updatedAt: TEST_EPOCH, updatedByName: '李主管' });
      const mine = await store.scripts.save(agent, undefined, personal('我的结束语'), TEST_EPOCH + 1);
      expect(mine).toMatchObject({ scope: 'personal', ownerId: 'agent1', title: '我的结束语' });

      expect(await store.scripts.listFor(agent)).toEqual([mine, team]);
      expect(await store.scripts.listFor(other)).toEqual([team]);
      expect(await store.scripts.listFor(lead)).toEqual([team]);

      const edited = await store.scripts.save(lead, team.id, { ...greeting, title: '标准问候（新）' }, TEST_EPOCH + 2);
      expect(edited).toMatchObject({ id: team.id, title: '标准问候（新）', updatedAt: TEST_EPOCH + 2 });
      expect(await store.scripts.remove(agent, mine.id)).toBe('personal');
      expect(await store.scripts.listFor(agent)).toEqual([edited]);
    });

    it('refuses an agent writing the team library, and anyone touching a stranger personal script as not found', async () => {
      const team = await store.scripts.save(lead, undefined, greeting, TEST_EPOCH);
      const mine = await store.scripts.save(agent, undefined, personal('我的'), TEST_EPOCH);

      await expect(store.scripts.save(agent, undefined, greeting, TEST_EPOCH)).rejects.toMatchObject({ code: 'forbidden' });
      await expect(store.scripts.save(agent, team.id, { ...greeting, body: '改掉' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'forbidden' });
      await expect(store.scripts.remove(agent, team.id)).rejects.toMatchObject({ code: 'forbidden' });
      // Another agent, or a lead: the personal script is not theirs to see, so it is "not found", like a made-up id.
      await expect(store.scripts.save(other, mine.id, personal('偷改'), TEST_EPOCH)).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.scripts.remove(lead, mine.id)).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.scripts.remove(other, 'no-such-script')).rejects.toMatchObject({ code: 'not_found' });
      // A script stays in its library.
      await expect(store.scripts.save(agent, mine.id, { ...personal('我的'), scope: 'team' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'conflict' });
      await expect(store.scripts.save(lead, team.id, { ...greeting, scope: 'personal' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'conflict' });

      // Nothing was lost or changed.
      expect(await store.scripts.listFor(agent)).toEqual([mine, team]);
    });

    it('refuses a script beyond a full library, and counts each library apart', async () => {
      await Promise.all(
        Array.from({ length: MAX_SCRIPTS_PER_LIBRARY }, (_, i) => store.scripts.save(agent, undefined, personal(`第${String(i)}条`), TEST_EPOCH)),
      );
      await expect(store.scripts.save(agent, undefined, personal('多一条'), TEST_EPOCH)).rejects.toMatchObject({ code: 'conflict' });
      expect(await store.scripts.save(other, undefined, personal('别人的'), TEST_EPOCH)).toMatchObject({ ownerId: 'agent2' });
      expect(await store.scripts.save(lead, undefined, greeting, TEST_EPOCH)).toMatchObject({ scope: 'team' });
      expect((await store.scripts.listFor(agent)).filter((s) => s.scope === 'personal')).toHaveLength(MAX_SCRIPTS_PER_LIBRARY);
    });
  });
}
