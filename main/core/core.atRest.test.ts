/**
 * The encrypted cache through a workstation's life, against the real server with real files:
 * a restart resumes through the key file, a sign-out leaves only the password, a password
 * changed on the server (while signed out, or during an offline session), and the first start
 * after an upgrade from a version that wrote the cache in plaintext.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { hashPassword } from '../../server/credentials.js';
import { assignByLead, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import type { WorkstationCore } from './api.js';
import { openCache } from './cache/cache.js';
import { DEVICE_KEY_FILE, unwrapKeyWithPassword } from './cacheKeys.js';
import { unlockCacheKey, userCacheFile } from './index.js';
import { loginToServer } from './login.js';
import { SETTINGS_FILE, type WorkstationSettings } from './settings.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture } from './testing/seededServer.js';
import { makePasswordVerifier } from './verifier.js';

const SUBJECT = '增值税专用发票抬头填错需要重开';
const AGENT1 = { username: 'agent1', displayName: '王芳' };
const NEW_PASSWORD = '新密码-2024-秋';
// vitest types its asymmetric matchers as `any`; each is named for the value it stands in for.
const SEALED_BY_PASSWORD = expect.stringMatching(/^scrypt\$/) as string;
const SEALED_BY_DEVICE = expect.stringMatching(/^aesgcm\$/) as string;

function settingsOf(dataDir: string): WorkstationSettings {
  return JSON.parse(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')) as WorkstationSettings;
}

function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

/** The cache file and its WAL, as a copy of the disk holds them. */
function cacheBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

describe('the encrypted cache', () => {
  const fixture = seededServerFixture('at-rest', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));
  const { newCore, stopServer, restartServer } = fixture;
  let ticketA: string;
  let dataDir: string;

  /** What an administrator's password reset does: only the hash in the server's database changes. */
  function changePasswordOnServer(username: string, password: string): void {
    const db = new Database(path.join(fixture.serverDir(), 'server.sqlite'));
    db.pragma('busy_timeout = 5000');
    db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(hashPassword(password), username);
    db.close();
  }

  async function signInOnline(core: WorkstationCore, password = TEST_PASSWORD) {
    const session = await call(core, 'session.signIn', { username: 'agent1', password });
    await waitUntil(core, 'online', onlineAndIdle(core));
    return session;
  }

  beforeEach(async () => {
    dataDir = fixture.dataDir();
    const { store } = fixture.server();
    await seedTestOrganisation(store, [
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { ...AGENT1, channels: ['email'] },
    ]);
    ticketA = (
      await store.ingestInbound(
        { channel: 'email', customer: { name: '陈晓明', email: 'chen.xm@example.cn' }, subject: SUBJECT, text: '抬头应为：杭州某某科技有限公司' },
        { now: Date.now() },
      )
    ).ticketId;
    await assignByLead(store, ticketA, AGENT1);
  });

  it('resumes a stored session after a restart through the 0600 key file; when that key is gone, the password opens the same cache', async () => {
    const first = await newCore();
    await signInOnline(first);
    expect(modeOf(path.join(dataDir, DEVICE_KEY_FILE))).toBe(0o600);
    expect(settingsOf(dataDir).cacheKeys).toEqual([{ userId: 'agent1', byPassword: SEALED_BY_PASSWORD, byDevice: SEALED_BY_DEVICE, pendingAtClose: 0 }]);
    await stopServer();
    await first.close();

    // Restart with the server down: the session resumes from the cache alone.
    const second = await newCore();
    expect((await call(second, 'session.get', {})).user?.id).toBe('agent1');
    expect((await call(second, 'ticket.get', { ticketId: ticketA })).ticket.subject).toBe(SUBJECT);
    const draft = await call(second, 'ticket.reply', { ticketId: ticketA, text: '您好，专票已为您重新开具' });
    expect(draft.kind).toBe('draft');
    await second.close();

    // The device key is lost (another machine, a reset keychain): no resume, and nothing is set aside.
    rmSync(path.join(dataDir, DEVICE_KEY_FILE));
    const third = await newCore();
    const locked = await call(third, 'session.get', {});
    expect(locked.user).toBeNull();
    expect(locked.connection.lastError).toMatchObject({
      code: 'cache_unreadable',
      detail: expect.stringMatching(/cannot unlock it by itself; sign in with your password/) as unknown,
    });
    await restartServer();
    const session = await signInOnline(third);
    expect(session.cacheReset).toBeNull();
    // The draft lives only in this cache: it is the same cache, opened by the password.
    expect((await call(third, 'ticket.get', { ticketId: ticketA })).drafts.map((d) => d.text)).toEqual(['您好，专票已为您重新开具']);
    expect(readdirSync(path.join(dataDir, 'users')).filter((name) => name.includes('unreadable'))).toEqual([]);
  });

  it('keeps nothing but the password-wrapped key after a sign-out; offline sign-in opens the cache with the password and refuses a wrong one', async () => {
    const core = await newCore();
    await signInOnline(core);
    await call(core, 'session.signOut', {});
    const settings = settingsOf(dataDir);
    expect(settings.session).toBeNull();
    expect(settings.cacheKeys).toEqual([expect.objectContaining({ userId: 'agent1', byDevice: null, byPassword: SEALED_BY_PASSWORD })]);
    expect(existsSync(path.join(dataDir, DEVICE_KEY_FILE))).toBe(false);
    expect(cacheBytes(userCacheFile(dataDir, 'agent1')).includes(Buffer.from(SUBJECT))).toBe(false);

    await stopServer();
    expect(await core.invoke('session.signIn', { username: 'agent1', password: `${TEST_PASSWORD}x` })).toMatchObject({
      ok: false,
      error: { code: 'bad_credentials' },
    });
    const offline = await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    expect(offline.connection).toMatchObject({ status: 'offline', offlineSession: true });
    expect((await call(core, 'inbox.list', { channel: null, status: null, query: '专用发票' })).rows.map((r) => r.id)).toEqual([ticketA]);
    // An offline session is not stored, so nothing is sealed for a restart either.
    expect(settingsOf(dataDir).cacheKeys[0]!.byDevice).toBeNull();
    expect(existsSync(path.join(dataDir, DEVICE_KEY_FILE))).toBe(false);
  });

  it('sets the cache aside when the password changed on the server while signed out, says how many unsent changes it held, and bootstraps afresh', async () => {
    const core = await newCore();
    await signInOnline(core);
    await stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    await call(core, 'ticket.addNote', { ticketId: ticketA, text: '离线备注一：客户来电确认抬头' });
    await call(core, 'ticket.addNote', { ticketId: ticketA, text: '离线备注二：已发邮件' });
    await call(core, 'session.signOut', {});
    expect(settingsOf(dataDir).cacheKeys[0]!.pendingAtClose).toBe(2);

    await restartServer();
    changePasswordOnServer('agent1', NEW_PASSWORD);
    const session = await signInOnline(core, NEW_PASSWORD);
    expect(session.cacheReset).toEqual({ lostChanges: 2, at: expect.any(Number) as number });
    expect((await call(core, 'session.get', {})).cacheReset).toEqual(session.cacheReset);
    expect((await call(core, 'ticket.get', { ticketId: ticketA })).notes).toEqual([]);
    expect((await fixture.server().store.getTicketBundle(ticketA))!.notes).toEqual([]);

    // Set aside, never destroyed: the old password still opens it, with both notes in its outbox.
    const aside = readdirSync(path.join(dataDir, 'users')).find((name) => /^agent1\.sqlite\.unreadable-\d+$/.test(name))!;
    const asideFile = path.join(dataDir, 'users', aside);
    const { byPassword } = JSON.parse(readFileSync(`${asideFile}.key.json`, 'utf8')) as { byPassword: string };
    const oldKey = await unwrapKeyWithPassword(byPassword, TEST_PASSWORD, 'agent1');
    const old = openCache(asideFile, oldKey);
    expect(old.reader.outboxCount()).toBe(2);
    old.close();
    expect(await unlockCacheKey(dataDir, 'agent1', NEW_PASSWORD)).not.toBeNull();
    expect(await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD)).toBeNull();

    await call(core, 'session.signOut', {});
    expect((await call(core, 'session.get', {})).cacheReset).toBeNull();
  });

  it('keeps the work of an offline session whose password the server no longer accepts, and rewraps the key for the new password', async () => {
    const core = await newCore();
    await signInOnline(core);
    await call(core, 'session.signOut', {});
    await stopServer();
    changePasswordOnServer('agent1', NEW_PASSWORD);

    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    const note = await call(core, 'ticket.addNote', { ticketId: ticketA, text: '离线时记录：客户同意更换抬头' });
    const restarted = await restartServer();
    await waitUntil(core, 'the server refuses the old password', async () => (await connectionOf(core)).lastError?.code === 'password_refused');
    expect((await call(core, 'session.get', {})).user).toBeNull();

    const session = await signInOnline(core, NEW_PASSWORD);
    expect(session.cacheReset).toBeNull();
    expect((await restarted.store.getTicketBundle(ticketA))!.notes.filter((n) => n.id === note.id)).toHaveLength(1);
    expect(await unlockCacheKey(dataDir, 'agent1', NEW_PASSWORD)).not.toBeNull();
    expect(await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD)).toBeNull();
  });

  it('encrypts the plaintext cache of a stored session written by the previous version on the first start, keeping its outbox, draft and attention item', async () => {
    // The previous version's files: a plaintext WAL cache (0644, in a 0755 folder) and settings without cache keys.
    const serverUrl = `http://127.0.0.1:${String(fixture.port)}`;
    const login = await loginToServer(serverUrl, { username: 'agent1', password: TEST_PASSWORD });
    const file = userCacheFile(dataDir, 'agent1');
    const old = openCache(file, null);
    old.writer.beginBootstrap();
    old.writer.applyBootstrapPage(await fixture.server().store.bootstrapPage(login.user, null, 100), login.user);
    const refused = randomUUID();
    old.writer.recordMutation(
      { mutationId: refused, kind: 'note', ticketId: ticketA, noteId: randomUUID(), text: '被拒绝的备注', createdAt: Date.now() },
      login.user,
    );
    old.writer.applyPushResults(
      [
        {
          mutationId: refused,
          ok: false,
          code: 'forbidden',
          reason: '工单已改派给张强',
          ticket: (await fixture.server().store.getTicketBundle(ticketA))!.ticket,
        },
      ],
      login.user,
      Date.now(),
    );
    const noteId = randomUUID();
    old.writer.recordMutation({ mutationId: randomUUID(), kind: 'note', ticketId: ticketA, noteId, text: '升级前写的备注', createdAt: Date.now() }, login.user);
    old.writer.saveDraft({ id: randomUUID(), ticketId: ticketA, text: '升级前的草稿', createdAt: Date.now() }, login.user);
    old.close();
    chmodSync(path.dirname(file), 0o755);
    chmodSync(file, 0o644);
    const oldSettings = {
      clientId: randomUUID(),
      session: { user: login.user, token: login.token, expiresAt: login.expiresAt, serverUrl },
      offlineVerifiers: [{ serverUrl, username: 'agent1', user: login.user, verifier: await makePasswordVerifier(TEST_PASSWORD) }],
    };
    writeFileSync(path.join(dataDir, SETTINGS_FILE), JSON.stringify(oldSettings), { mode: 0o644 });
    expect(cacheBytes(file).includes(Buffer.from(SUBJECT))).toBe(true);

    const core = await newCore();
    expect((await call(core, 'session.get', {})).user?.id).toBe('agent1');
    expect(cacheBytes(file).includes(Buffer.from(SUBJECT))).toBe(false);
    expect(cacheBytes(file).includes(Buffer.from(ticketA))).toBe(false);
    expect([modeOf(path.dirname(file)), modeOf(file), modeOf(path.join(dataDir, SETTINGS_FILE))]).toEqual([0o700, 0o600, 0o600]);
    // No password yet: the device seal is the only copy of the key until the next sign-in.
    expect(settingsOf(dataDir).cacheKeys).toEqual([{ userId: 'agent1', byPassword: null, byDevice: expect.any(String) as string, pendingAtClose: 0 }]);
    await waitUntil(core, 'the note written before the upgrade is delivered', onlineAndIdle(core));
    expect((await fixture.server().store.getTicketBundle(ticketA))!.notes.filter((n) => n.id === noteId)).toHaveLength(1);
    expect((await call(core, 'ticket.get', { ticketId: ticketA })).drafts.map((d) => d.text)).toEqual(['升级前的草稿']);
    expect((await call(core, 'attention.list', {})).items.map((a) => a.reason)).toEqual(['工单已改派给张强']);

    // Signed out before ever typing the password here: the seal stays, so the password can still open the cache offline.
    await call(core, 'session.signOut', {});
    expect(settingsOf(dataDir).cacheKeys[0]!.byDevice).not.toBeNull();
    await stopServer();
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    expect((await call(core, 'ticket.get', { ticketId: ticketA })).drafts).toHaveLength(1);
    expect(settingsOf(dataDir).cacheKeys).toEqual([{ userId: 'agent1', byPassword: SEALED_BY_PASSWORD, byDevice: null, pendingAtClose: 0 }]);
    expect(existsSync(path.join(dataDir, DEVICE_KEY_FILE))).toBe(false);
  });
});
