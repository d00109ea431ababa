/**
 * The cache's cipher and key, apart from cache.ts so that the checkpoint worker
 * (checkpointWorker.ts), which opens its own connection to the same file, loads no more than this.
 */
import type Database from 'better-sqlite3-multiple-ciphers';

/** A cache key is 256 random bits (raw: no passphrase stretching on open; see cacheKeys.ts). */
export const CACHE_KEY_BYTES = 32;

/**
 * ChaCha20-Poly1305 per page (SQLite3 Multiple Ciphers' default, sqleet's format): a changed
 * page fails its tag and is refused. Chosen over the SQLCipher format (AES-256-CBC +
 * HMAC-SHA512) because it costs the local write less (benchmarks.md, Cache encryption); the
 * SQLite3 Multiple Ciphers shell opens a cache with its key when one must be recovered.
 */
export const CACHE_CIPHER = 'chacha20';

/** Sets the cipher and raw key on a freshly opened connection, before anything is read. */
export function applyCacheKey(db: Database.Database, key: Buffer): void {
  if (key.length !== CACHE_KEY_BYTES) throw new Error(`A cache key has ${String(CACHE_KEY_BYTES)} bytes, not ${String(key.length)}.`);
  db.pragma(`cipher = '${CACHE_CIPHER}'`);
  db.pragma(`key = "x'${key.toString('hex')}'"`);
}
