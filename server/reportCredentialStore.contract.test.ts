/**
 * The report-credential repository's contract on both backends (server/reportCredentialStore.ts
 * through the public ServerStore): the secret is returned once and stored only as its SHA-256,
 * the list never carries it, a revoked credential authenticates no more, one live name at a
 * time, last use noted at most once a minute, and create and revoke are in the admin audit.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPORT_CREDENTIAL_PREFIX } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import { hashToken } from './credentials.js';
import { LAST_USED_RESOLUTION_MS } from './reportCredentialStore.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

for (const backend of TEST_BACKENDS) {
  describe(`report credential store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let admin: User;

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      admin = await store.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '管理员一', role: 'admin', channels: [] });
    });

    afterEach(async () => {
      await cleanup();
    });

    it('creates a credential whose secret is shown once, kept as its hash only, and never listed', async () => {
      const created = await store.reportCredentials.create(admin, 'BI 数据仓库', TEST_EPOCH);
      if (!created.ok) throw new Error(created.message);
      expect(created.secret.startsWith(REPORT_CREDENTIAL_PREFIX)).toBe(true);
      expect(created.credential).toEqual({
        id: expect.stringMatching(/^rc_[0-9a-f]{32}$/) as string,
        name: 'BI 数据仓库',
        createdById: 'admin1',
        createdByName: '管理员一',
        createdAt: TEST_EPOCH,
        lastUsedAt: null,
      });
      const listed = await store.reportCredentials.list();
      expect(listed).toEqual([created.credential]);
      expect(JSON.stringify(listed)).not.toContain(created.secret);
      expect(JSON.stringify(listed)).not.toContain(hashToken(created.secret));
      // What the database holds is the hash: the secret itself appears nowhere in the audit either.
      const audit = await store.admin.listAudit(undefined);
      expect(audit[0]).toMatchObject({
        action: 'report_credential_created',
        actorName: '管理员一',
        targetName: 'BI 数据仓库',
        before: null,
        after: { id: created.credential.id, name: 'BI 数据仓库', scope: 'reports:read' },
      });
      expect(JSON.stringify(audit)).not.toContain(created.secret);
      expect(JSON.stringify(audit)).not.toContain(hashToken(created.secret));

      expect(await store.reportCredentials.create(admin, 'BI 数据仓库', TEST_EPOCH + 1)).toMatchObject({ ok: false, refusal: 'name_taken' });
    });

    it('authenticates by secret, notes the last use at most once a minute, and refuses after revocation', async () => {
      const created = await store.reportCredentials.create(admin, 'warehouse', TEST_EPOCH);
      if (!created.ok) throw new Error(created.message);
      const { id } = created.credential;
      expect(await store.reportCredentials.authenticate(created.secret, TEST_EPOCH + 10)).toEqual({ id, name: 'warehouse' });
      expect(await store.reportCredentials.authenticate(`${created.secret}x`, TEST_EPOCH + 10)).toBeNull();
      expect(await store.reportCredentials.authenticate(created.secret.slice(REPORT_CREDENTIAL_PREFIX.length), TEST_EPOCH + 10)).toBeNull();
      expect((await store.reportCredentials.list())[0]!.lastUsedAt).toBe(TEST_EPOCH + 10);
      await store.reportCredentials.authenticate(created.secret, TEST_EPOCH + 20);
      expect((await store.reportCredentials.list())[0]!.lastUsedAt).toBe(TEST_EPOCH + 10);
      await store.reportCredentials.authenticate(created.secret, TEST_EPOCH + 10 + LAST_USED_RESOLUTION_MS);
      expect((await store.reportCredentials.list())[0]!.lastUsedAt).toBe(TEST_EPOCH + 10 + LAST_USED_RESOLUTION_MS);

      expect(await store.reportCredentials.revoke(admin, id, TEST_EPOCH + 100)).toEqual({ ok: true, id });
      expect(await store.reportCredentials.authenticate(created.secret, TEST_EPOCH + 101)).toBeNull();
      expect(await store.reportCredentials.list()).toEqual([]);
      expect(await store.reportCredentials.revoke(admin, id, TEST_EPOCH + 102)).toMatchObject({ ok: false, refusal: 'not_found' });
      expect((await store.admin.listAudit(undefined))[0]).toMatchObject({
        action: 'report_credential_revoked',
        targetName: 'warehouse',
        before: { id, name: 'warehouse', revokedAt: null },
        after: { id, name: 'warehouse', revokedAt: TEST_EPOCH + 100 },
      });
      // The name is free again once its credential is revoked.
      expect((await store.reportCredentials.create(admin, 'warehouse', TEST_EPOCH + 200)).ok).toBe(true);
    });

    it('a credential secret is no bearer token: the token lookup does not know it', async () => {
      const created = await store.reportCredentials.create(admin, 'bi', TEST_EPOCH);
      if (!created.ok) throw new Error(created.message);
      expect((await store.lookupToken(created.secret, TEST_EPOCH)).status).toBe('unknown');
    });
  });
}
