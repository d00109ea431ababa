/**
 * Data at rest, as a table of attacks and the refusals expected. Someone with the disk of a
 * signed-out workstation (a stolen laptop, a copied folder) or another account on the same
 * machine tries to read tickets: from the cache file, the settings, the key file, or the
 * server's database. Add a row for each new way in. Threat model: docs/technical/core.md
 * (Cache encryption).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import { CACHE_KEY_BYTES, openCache } from './cache/cache.js';
import { DEVICE_KEY_FILE, unwrapKeyWithPassword } from './cacheKeys.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from './index.js';
import { SETTINGS_FILE, type WorkstationSettings } from './settings.js';
import { call, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

const SUBJECT = '信用卡分期退款争议';

interface Row {
  attack: string;
  run: () => unknown;
  expect: unknown;
}

function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

/** The SQLite error code a read gets, or 'read' when it got through. */
function readAttempt(read: () => unknown): string {
  try {
    read();
    return 'read';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('data at rest: attacks and the refusals expected', () => {
  let root: string;
  let serverUrl: string;
  let ticketId: string;
  /** A workstation whose agent signed out: what a stolen laptop holds. */
  let signedOutDir: string;
  /** A workstation closed with its session stored (the app restarts without a password). */
  let storedDir: string;
  let cacheFile: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'at-rest-security-'));
    const server = await startServer({ port: 0, dataDir: path.join(root, 'server'), log: () => {} });
    serverUrl = server.url;
    await seedTestOrganisation(server.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
    ticketId = (
      await server.store.ingestInbound(
        { channel: 'chat', customer: { name: '赵敏', phone: '13800138000' }, subject: SUBJECT, text: '上个月的分期手续费退款还没到账' },
        { now: Date.now() },
      )
    ).ticketId;
    await server.store.assignTicket({
      ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    signedOutDir = path.join(root, 'signed-out');
    storedDir = path.join(root, 'stored');
    cacheFile = userCacheFile(signedOutDir, 'agent1');
    try {
      for (const dataDir of [signedOutDir, storedDir]) {
        const core = await createWorkstationCore({ dataDir, serverUrl });
        await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
        await waitUntil(core, 'online', onlineAndIdle(core));
        await call(core, 'ticket.addNote', { ticketId, text: '客户提供了银行流水截图' });
        await waitUntil(core, 'the note is acknowledged', onlineAndIdle(core));
        if (dataDir === signedOutDir) await call(core, 'session.signOut', {});
        await core.close();
      }
    } finally {
      // From here on the server is unreachable, as it is for a thief.
      await server.close();
    }
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const rows: Row[] = [
    {
      attack: 'copies the signed-out cache (and its WAL) off the disk and searches it for a ticket subject, its GD id and a customer phone',
      run: () => {
        const bytes = Buffer.concat([cacheFile, `${cacheFile}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
        return {
          size: bytes.length > 0,
          subject: bytes.includes(Buffer.from(SUBJECT)),
          ticketId: bytes.includes(Buffer.from(ticketId)),
          phone: bytes.includes(Buffer.from('13800138000')),
        };
      },
      expect: { size: true, subject: false, ticketId: false, phone: false },
    },
    {
      attack: 'opens the cache with plain SQLite, without a key',
      run: () => {
        const db = new Database(cacheFile, { readonly: true });
        try {
          return readAttempt(() => db.prepare('SELECT subject FROM tickets').all());
        } finally {
          db.close();
        }
      },
      expect: 'SQLITE_NOTADB',
    },
    {
      attack: 'opens the cache with a guessed key',
      run: () => readAttempt(() => openCache(cacheFile, randomBytes(CACHE_KEY_BYTES)).close()),
      expect: 'SQLITE_NOTADB',
    },
    {
      attack: 'looks through workstation.json and the data folder of the signed-out workstation for a session or a sealed key',
      run: () => {
        const settings = JSON.parse(readFileSync(path.join(signedOutDir, SETTINGS_FILE), 'utf8')) as WorkstationSettings;
        return {
          session: settings.session,
          sealed: settings.cacheKeys.map((entry) => entry.byDevice),
          deviceKeyFile: existsSync(path.join(signedOutDir, DEVICE_KEY_FILE)),
        };
      },
      expect: { session: null, sealed: [null], deviceKeyFile: false },
    },
    {
      attack: 'guesses common passwords against the password-wrapped key (each guess costs one scrypt)',
      run: async () => {
        const guesses = ['123456', 'password', 'demo', TEST_PASSWORD.toUpperCase()];
        const opened = await Promise.all(guesses.map((guess) => unlockCacheKey(signedOutDir, 'agent1', guess)));
        const real = await unlockCacheKey(signedOutDir, 'agent1', TEST_PASSWORD);
        return { guessed: opened.filter((key) => key !== null).length, realPasswordOpens: readAttempt(() => openCache(cacheFile, real).close()) };
      },
      expect: { guessed: 0, realPasswordOpens: 'read' },
    },
    {
      attack: 'signs in offline on the stolen workstation with a wrong password',
      run: async () => {
        const core = await createWorkstationCore({ dataDir: signedOutDir, serverUrl });
        try {
          const outcome = await core.invoke('session.signIn', { username: 'agent1', password: '12345678' });
          return outcome.ok ? 'signed in' : outcome.error.code;
        } finally {
          await core.close();
        }
      },
      expect: 'bad_credentials',
    },
    {
      attack: "moves agent1's wrapped key into another user's entry, to open it with that user's password",
      run: async () => {
        const settings = JSON.parse(readFileSync(path.join(signedOutDir, SETTINGS_FILE), 'utf8')) as WorkstationSettings;
        return unwrapKeyWithPassword(settings.cacheKeys[0]!.byPassword!, TEST_PASSWORD, 'agent2');
      },
      expect: null,
    },
    {
      attack: 'flips a byte in encrypted pages, to plant data the agent would read as genuine',
      run: async () => {
        const key = await unlockCacheKey(signedOutDir, 'agent1', TEST_PASSWORD);
        const tampered = path.join(root, 'tampered.sqlite');
        copyFileSync(cacheFile, tampered);
        const bytes = readFileSync(tampered);
        // One byte in each page after the first: whichever pages the inbox reads, one of them is tampered.
        for (let page = 4096; page < bytes.length; page += 4096) bytes[page + 100]! ^= 0x01;
        writeFileSync(tampered, bytes);
        return readAttempt(() => {
          const cache = openCache(tampered, key);
          try {
            return cache.reader.inbox({ channel: null, status: null, query: '' });
          } finally {
            cache.close();
          }
        });
      },
      expect: 'SQLITE_CORRUPT',
    },
    {
      attack: "another account on the same computer lists or reads the workstation's data folder, cache, settings or key file",
      run: () => ({
        dataDir: modeOf(signedOutDir),
        users: modeOf(path.dirname(cacheFile)),
        cache: modeOf(cacheFile),
        settings: modeOf(path.join(signedOutDir, SETTINGS_FILE)),
        deviceKey: modeOf(path.join(storedDir, DEVICE_KEY_FILE)),
      }),
      expect: { dataDir: 0o700, users: 0o700, cache: 0o600, settings: 0o600, deviceKey: 0o600 },
    },
    {
      attack: "another account reads the server's database (and its WAL) while it runs, including one an earlier version created 0644",
      run: async () => {
        const parent = path.join(root, 'srv');
        const dataDir = path.join(parent, 'data');
        const file = path.join(dataDir, 'server.sqlite');
        const first = await startServer({ port: 0, dataDir, log: () => {} });
        const fresh = [parent, dataDir, file, `${file}-wal`, `${file}-shm`].map(modeOf);
        await first.close();
        // What the previous version left: world-readable folder and database.
        chmodSync(dataDir, 0o755);
        chmodSync(file, 0o644);
        const again = await startServer({ port: 0, dataDir, log: () => {} });
        const upgraded = [dataDir, file, `${file}-wal`, `${file}-shm`].map(modeOf);
        await again.close();
        return { fresh, upgraded };
      },
      expect: { fresh: [0o700, 0o700, 0o600, 0o600, 0o600], upgraded: [0o700, 0o600, 0o600, 0o600] },
    },
  ];

  it.each(rows)('$attack', async (row) => {
    expect(await row.run()).toEqual(row.expect);
  });
});
