/**
 * The administration repository's contract on both backends (server/adminStore.ts through the
 * public ServerStore): deactivation revokes tokens and hides the user from routing's list and
 * from sign-in, two admins deactivating each other at once leave one admin, the audit keeps
 * who/what/before/after but never a password, the policies fall back to the defaults (the
 * organisation time zone too: Asia/Shanghai for a document written before it existed).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES, type Policies, type UserSkills } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

const AGENT_SKILLS: UserSkills = {
  displayName: '新客服',
  role: 'agent',
  channels: ['chat'],
  groups: ['orders'],
  tier: 1,
  senior: false,
  languages: ['zh'],
  extension: '8009',
};

for (const backend of TEST_BACKENDS) {
  describe(`admin store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let admin1: User;
    let admin2: User;

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      admin1 = await store.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '管理员一', role: 'admin', channels: [] });
      admin2 = await store.createUser({ id: 'admin2', username: 'admin2', password: 'pw', displayName: '管理员二', role: 'admin', channels: [] });
    });

    afterEach(async () => {
      await cleanup();
    });

    it('creates a user, deactivates them (tokens revoked, hidden from routing and sign-in) and reactivates them', async () => {
      const created = await store.admin.createUser(admin1, { username: 'agent9', password: 'secret-password', ...AGENT_SKILLS }, TEST_EPOCH);
      if (!created.result.ok) throw new Error(created.result.message);
      const id = created.result.user.id;
      expect(created.result.user).toMatchObject({ username: 'agent9', active: true, extension: '8009', capacity: { chat: 3 } });
      expect((await store.admin.createUser(admin1, { username: 'agent10', password: 'secret-password', ...AGENT_SKILLS }, TEST_EPOCH)).result).toMatchObject({
        ok: false,
        refusal: 'extension_taken',
      });
      const issued = await store.issueUserToken(id, TEST_EPOCH, 60_000);
      expect((await store.lookupToken(issued.token, TEST_EPOCH)).status).toBe('valid');

      const off = await store.admin.setActive(admin1, id, false, TEST_EPOCH + 1);
      expect(off.result).toMatchObject({ ok: true, user: { active: false, deactivatedAt: TEST_EPOCH + 1 } });
      expect(off.revokedTokenHashes).toHaveLength(1);
      expect((await store.lookupToken(issued.token, TEST_EPOCH + 2)).status).toBe('unknown');
      expect((await store.listUsers()).map((u) => u.id)).not.toContain(id);
      expect(await store.getCredentials('agent9')).toMatchObject({ active: false });
      expect(await store.admin.isActive(id)).toBe(false);

      expect((await store.admin.setActive(admin1, id, true, TEST_EPOCH + 3)).result).toMatchObject({ ok: true, user: { active: true } });
      expect((await store.listUsers()).map((u) => u.id)).toContain(id);

      const audit = await store.admin.listAudit(id);
      expect(audit.map((e) => [e.action, e.actorName, e.before, e.after])).toEqual([
        ['user_reactivated', '管理员一', { active: false }, { active: true }],
        ['user_deactivated', '管理员一', { active: true }, { active: false }],
        ['user_created', '管理员一', null, expect.objectContaining({ username: 'agent9', role: 'agent', channels: ['chat'] })],
      ]);
      const reset = await store.admin.resetPassword(admin1, id, 'another-password', TEST_EPOCH + 4);
      expect(reset.result.ok).toBe(true);
      expect(JSON.stringify(await store.admin.listAudit(id))).not.toMatch(/another-password|scrypt/);
    });

    it('two admins deactivating each other at once leave exactly one active admin', async () => {
      const [first, second] = await Promise.all([
        store.admin.setActive(admin1, admin2.id, false, TEST_EPOCH),
        store.admin.setActive(admin2, admin1.id, false, TEST_EPOCH),
      ]);
      expect([first.result.ok, second.result.ok].sort()).toEqual([false, true]);
      expect([first.result, second.result].find((r) => !r.ok)).toMatchObject({ refusal: 'last_admin' });
      expect((await store.admin.listUsers()).filter((u) => u.role === 'admin' && u.active)).toHaveLength(1);
    });

    it('policies: defaults until set, then the stored document with who set it', async () => {
      expect(await store.admin.getPolicies()).toEqual({ policies: DEFAULT_POLICIES, updatedAt: null, updatedByName: null });
      const policies = { ...DEFAULT_POLICIES, offerTimeoutSeconds: 12 };
      await store.admin.setPolicies(admin1, policies, TEST_EPOCH);
      expect(await store.admin.getPolicies()).toEqual({ policies, updatedAt: TEST_EPOCH, updatedByName: '管理员一' });
      expect((await store.admin.listAudit(undefined))[0]).toMatchObject({ action: 'policies_set', targetId: null, after: policies });
    });

    it('policies: the organisation time zone is Asia/Shanghai for a document from before it, then stored and audited before → after', async () => {
      // A document as an older server wrote it: no timeZone field (store.sql is read-only; setPolicies stores what it is given).
      const { timeZone: _none, ...older } = { ...DEFAULT_POLICIES, offerTimeoutSeconds: 20 };
      await store.admin.setPolicies(admin1, older as Policies, TEST_EPOCH);
      expect((await store.admin.getPolicies()).policies).toEqual({ ...DEFAULT_POLICIES, offerTimeoutSeconds: 20, timeZone: 'Asia/Shanghai' });

      const berlin = { ...DEFAULT_POLICIES, offerTimeoutSeconds: 20, timeZone: 'Europe/Berlin' };
      await store.admin.setPolicies(admin2, berlin, TEST_EPOCH + 1000);
      expect(await store.admin.getPolicies()).toEqual({ policies: berlin, updatedAt: TEST_EPOCH + 1000, updatedByName: '管理员二' });
      const [entry] = await store.admin.listAudit(undefined);
      expect(entry).toMatchObject({ action: 'policies_set', actorId: 'admin2', before: { timeZone: 'Asia/Shanghai' }, after: { timeZone: 'Europe/Berlin' } });
    });
  });
}
