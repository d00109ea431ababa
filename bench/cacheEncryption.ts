/**
 * What encrypting the cache costs, measured in the same run on the same data: the cache's
 * own writer (the SQLite part of a local write, the store part of a bootstrap) on a plain
 * and an encrypted file, alternating between the two so the machine's noise falls on both.
 * The core always encrypts; these figures sit beside its end-to-end ones.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { User } from '../shared/domain.js';
import type { BootstrapPage, Mutation } from '../shared/sync.js';
import { describeRefusal } from '../shared/ticketRules.js';
import { CACHE_KEY_BYTES, applyCacheKey, openCache, type Cache } from '../main/core/cache/cache.js';
import { uuidv7 } from '../main/core/uuidv7.js';
import { percentile } from './benchSupport.js';

/** A plaintext copy of an encrypted cache (same rows, same pages), made by removing the key. */
export function decryptedCopy(file: string, key: Buffer, target: string): void {
  copyFileSync(file, target);
  const db = new Database(target);
  try {
    applyCacheKey(db, key);
    // SQLite cannot rekey in WAL mode.
    db.pragma('journal_mode = DELETE');
    db.pragma("rekey = ''");
  } finally {
    db.close();
  }
}

/**
 * `count` notes through `CacheWriter.recordMutation` (optimistic rows + outbox row, one
 * fsynced transaction) into each cache, alternating; milliseconds per write.
 */
export function measureCacheWrites(
  caches: { plain: Cache; encrypted: Cache },
  viewer: User,
  ticketIds: readonly string[],
  count: number,
): { plain: number[]; encrypted: number[] } {
  const samples = { plain: [] as number[], encrypted: [] as number[] };
  for (let i = 0; i < count; i++) {
    const order = i % 2 === 0 ? (['plain', 'encrypted'] as const) : (['encrypted', 'plain'] as const);
    for (const mode of order) {
      const at = Date.now();
      const mutation: Mutation = {
        mutationId: uuidv7(at),
        kind: 'note',
        ticketId: ticketIds[i % ticketIds.length]!,
        noteId: uuidv7(at),
        text: `离线备注 ${String(i)}：客户来电催促物流，已记录`,
        createdAt: at,
      };
      const start = performance.now();
      const outcome = caches[mode].writer.recordMutation(mutation, viewer);
      samples[mode].push(performance.now() - start);
      if (!outcome.ok) throw new Error(`a bench note was refused: ${describeRefusal(outcome.refusal)}`);
    }
  }
  return samples;
}

/** p50 and p99 of both, as `name_p50_plain`-style figures. */
export function writeFigures(prefix: string, samples: { plain: number[]; encrypted: number[] }): Array<[string, number]> {
  return [
    [`${prefix}_ms_p50_plain`, percentile(samples.plain, 50)],
    [`${prefix}_ms_p50_encrypted`, percentile(samples.encrypted, 50)],
    [`${prefix}_ms_p99_plain`, percentile(samples.plain, 99)],
    [`${prefix}_ms_p99_encrypted`, percentile(samples.encrypted, 99)],
  ];
}

/** Tickets stored per second (wall clock) and the CPU time spent storing them (less disturbed by a busy machine). */
export interface StoreFigures {
  ticketsPerS: number;
  cpuMs: number;
}

/**
 * Stores the same bootstrap pages into a fresh plain and a fresh encrypted cache, page by
 * page alternating, as the core does (one transaction per page; the last rebuilds the
 * search indexes).
 */
export function measureBootstrapStore(dir: string, pages: readonly BootstrapPage[], viewer: User): { plain: StoreFigures; encrypted: StoreFigures } {
  const caches = {
    plain: openCache(path.join(dir, 'store-plain.sqlite'), null),
    encrypted: openCache(path.join(dir, 'store-encrypted.sqlite'), randomBytes(CACHE_KEY_BYTES)),
  };
  const elapsed = { plain: 0, encrypted: 0 };
  const cpu = { plain: 0, encrypted: 0 };
  try {
    for (const mode of ['plain', 'encrypted'] as const) caches[mode].writer.beginBootstrap();
    pages.forEach((page, index) => {
      for (const mode of index % 2 === 0 ? (['plain', 'encrypted'] as const) : (['encrypted', 'plain'] as const)) {
        const start = performance.now();
        const startCpu = process.cpuUsage();
        caches[mode].writer.applyBootstrapPage(page, viewer);
        const used = process.cpuUsage(startCpu);
        elapsed[mode] += performance.now() - start;
        cpu[mode] += (used.user + used.system) / 1000;
      }
    });
  } finally {
    caches.plain.close();
    caches.encrypted.close();
  }
  const tickets = pages.reduce((sum, page) => sum + page.bundles.length, 0);
  const figures = (mode: 'plain' | 'encrypted'): StoreFigures => ({ ticketsPerS: tickets / (elapsed[mode] / 1000), cpuMs: cpu[mode] });
  return { plain: figures('plain'), encrypted: figures('encrypted') };
}
