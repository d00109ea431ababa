/**
 * The node's copy of the users (server/userCache.ts) over a real store: a copy is used until a
 * change is heard or it is `ttlMs` old, a read that overlapped a change is not kept (it may
 * predate the change), and the sockets of one user asking at once cost one read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import type { ServerStore } from './store.js';
import { openStoreOn } from './testing/stores.js';
import { createUserCache } from './userCache.js';

let store: ServerStore;
let cleanup: () => Promise<void>;
let clock = 1_000;

beforeEach(async () => {
  ({ store, cleanup } = await openStoreOn('sqlite'));
  await store.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '系统管理员', role: 'admin', channels: [] });
  await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat', 'email'] });
  clock = 1_000;
});

afterEach(async () => {
  await store.close();
  await cleanup();
});

/** An admin's change, as the admin socket makes it (the cache hears of it only when told: invalidate). */
async function setChannels(channels: User['channels']): Promise<void> {
  const admin = (await store.getUser('admin1'))!;
  const skills = { displayName: '王芳', role: 'agent' as const, channels, groups: [], tier: 1 as const, senior: false, languages: ['zh'], extension: null };
  expect((await store.admin.updateUser(admin, 'agent1', skills, clock)).result.ok).toBe(true);
}

describe('the per-node copy of a user', () => {
  it('is used until a change is heard or it is ttlMs old', async () => {
    const cache = createUserCache({ read: (id) => store.getUser(id), now: () => clock, ttlMs: 10_000 });
    expect((await cache.get('agent1'))!.channels).toEqual(['chat', 'email']);
    await setChannels(['chat']);
    // Nobody told this copy: it stands.
    expect((await cache.get('agent1'))!.channels).toEqual(['chat', 'email']);
    cache.invalidate('agent1');
    expect((await cache.get('agent1'))!.channels).toEqual(['chat']);
    await setChannels(['phone']);
    clock += 9_999;
    expect((await cache.get('agent1'))!.channels).toEqual(['chat']);
    clock += 1;
    expect((await cache.get('agent1'))!.channels).toEqual(['phone']);
    expect(cache.reads()).toBe(3);
  });

  it('does not keep a read that a change overlapped, and shares one read among simultaneous asks', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = createUserCache({ read: async (id) => (await gate, store.getUser(id)), now: () => clock });
    const asks = [cache.get('agent1'), cache.get('agent1'), cache.get('agent1')];
    // The change commits while the read waits: what it brings back may predate it.
    cache.invalidate(null);
    await setChannels(['chat']);
    release();
    await Promise.all(asks);
    expect(cache.reads()).toBe(1);
    expect((await cache.get('agent1'))!.channels).toEqual(['chat']);
    expect(cache.reads()).toBe(2);
  });
});
