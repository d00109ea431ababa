import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultTicketRouting, type User } from '../../../shared/domain.js';
import { CACHE_KEY_BYTES, applyCacheKey, openCache, type Cache } from './cache.js';
import { WAL_PROGRESS_BYTES, readWalProgress } from './checkpointShared.js';
import { startCheckpointer, type CheckpointerOptions } from './checkpointer.js';
import { heldTicket } from '../testing/cacheFixtures.js';

const agent: User = {
  id: 'agent1',
  username: 'agent1',
  displayName: '李娜',
  role: 'agent',
  channels: ['phone', 'chat'],
  groups: [],
  tier: 1,
  senior: false,
  languages: ['zh'],
  extension: null,
};
/** A WAL frame: its 24-byte header and one 4,096-byte page. */
const FRAME_BYTES = 24 + 4096;
/** SQLite's default auto-checkpoint, the writer's backstop. */
const BACKSTOP_FRAMES = 1000;

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setTimeout(poll, 5));
    poll();
  });
}

describe('the cache checkpoint worker', () => {
  let dir: string;
  let file: string;
  let key: Buffer;
  let cache: Cache;
  let written = 0;

  function open(options?: CheckpointerOptions): Cache {
    return openCache(file, key, options ? { checkpointer: options } : {});
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-checkpoint-'));
    file = path.join(dir, 'users', 'agent1.sqlite');
    key = randomBytes(CACHE_KEY_BYTES);
    written = 0;
    cache = open();
    cache.writer.beginBootstrap();
    const ticket = { ...heldTicket(1, 'CUS1', '订单物流查询延迟'), assigneeId: 'agent1', assigneeName: '李娜', channel: 'phone' as const };
    const customer = { id: 'CUS1', name: '张伟', phone: null, email: null, socialId: null, vipTier: 0, createdAt: 1_000, identities: [] };
    cache.writer.applyBootstrapPage(
      { seq: 1, total: 1, next: null, bundles: [{ ticket: { ...ticket, routing: defaultTicketRouting() }, customer, messages: [], notes: [] }] },
      agent,
    );
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Writes `count` notes, each one durable transaction, and counts those during which the
   * database file changed while the worker ran no checkpoint: the writer's own (inline) checkpoints.
   */
  function writeNotes(count: number, on: Cache = cache): { inline: number; largestWal: number } {
    let inline = 0;
    let largestWal = 0;
    for (let i = 0; i < count; i++) {
      const n = written++;
      const before = on.checkpointer?.activity() ?? 0;
      const mtime = statSync(file, { bigint: true }).mtimeNs;
      const outcome = on.writer.recordMutation(
        {
          mutationId: `m-${String(n)}`,
          kind: 'note',
          ticketId: 'GD20240501001',
          noteId: `n-${String(n)}`,
          text: `离线备注 ${String(n)}`,
          createdAt: 5_000 + n,
        },
        agent,
      );
      expect(outcome.ok).toBe(true);
      const changed = statSync(file, { bigint: true }).mtimeNs !== mtime;
      const after = on.checkpointer?.activity() ?? 0;
      if (changed && before === after && before % 2 === 0) inline += 1;
      largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
    }
    return { inline, largestWal };
  }

  function walProgress() {
    const fd = openSync(`${file}-shm`, 'r');
    try {
      return readWalProgress(fd, Buffer.alloc(WAL_PROGRESS_BYTES));
    } finally {
      closeSync(fd);
    }
  }

  function notesAfterReopen(): number {
    const db = new Database(file, { readonly: true });
    try {
      applyCacheKey(db, key);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('keeps a burst of writes from checkpointing inside their calls and the WAL far below the backstop, then closes and leaves the data whole', async () => {
    let inline = 0;
    let largestWal = 0;
    // 3,000 notes of about 6 pages each: 18 times the backstop, in bursts of 40 (~240 frames) with a pause the worker can use.
    for (let burst = 0; burst < 75; burst++) {
      const costs = writeNotes(40);
      inline += costs.inline;
      largestWal = Math.max(largestWal, costs.largestWal);
      await until(() => {
        if (cache.checkpointer === null) return true;
        const progress = walProgress();
        return progress !== null && progress.frames === progress.copied;
      });
    }
    expect(inline).toBe(0);
    expect(cache.checkpointer!.runs()).toBeGreaterThan(0);
    // The WAL restarts from its start once the worker has copied it: it never nears the writer's 1,000-frame checkpoint.
    expect(largestWal).toBeLessThan((BACKSTOP_FRAMES / 2) * FRAME_BYTES);

    cache.close();
    expect(cache.checkpointer!.running()).toBe(false);
    // The writer closed last: SQLite copied the rest of the WAL and removed it.
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(notesAfterReopen()).toBe(3_000);
  });

  it('the writer goes on when the worker dies: its own checkpoints bound the WAL, and the data survive a reopen', async () => {
    writeNotes(50);
    await until(() => cache.checkpointer!.running());
    await cache.checkpointer!.kill();
    expect(cache.checkpointer!.running()).toBe(false);
    const costs = writeNotes(1_000);
    // The backstop ran inside the writer's calls, as before the worker existed, and kept the WAL near 1,000 frames.
    expect(costs.inline).toBeGreaterThan(0);
    expect(costs.largestWal).toBeLessThan((BACKSTOP_FRAMES + 50) * FRAME_BYTES);
    cache.close();
    expect(notesAfterReopen()).toBe(1_050);
  });

  it('reports a worker that cannot open the cache and leaves the writer writing', async () => {
    const failures: string[] = [];
    // A wrong key: the worker's connection is refused, as with a damaged file.
    const broken = startCheckpointer(file, randomBytes(CACHE_KEY_BYTES), { onFailure: (message) => failures.push(message) });
    try {
      await until(() => failures.length > 0);
      expect(failures[0]).toMatch(/checkpoint worker failed/);
      expect(broken.running()).toBe(false);
      expect(writeNotes(20).inline).toBe(0);
    } finally {
      broken.close();
    }
    cache.close();
    expect(notesAfterReopen()).toBe(20);
  });
});
