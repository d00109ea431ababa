/**
 * The keys that open each user's encrypted cache. Every cache has its own random 256-bit
 * key K, never written down in the clear:
 * - wrapped by the user's password (scrypt, its own salt; AES-256-GCM) in workstation.json:
 *   opens the cache at every sign-in, online or offline, and is the only copy after a
 *   sign-out, so a signed-out workstation's disk yields nothing without the password;
 * - sealed by the host's `KeyProtector` inside the stored session, so an app restart
 *   resumes without the password; a sign-out deletes it with the session.
 * The threat model is in docs/technical/core.md (Cache encryption).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE_KEY_BYTES } from './cache/cache.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from './privateFiles.js';
import { deriveScryptKey, newScryptParams, parseScryptParams, formatScryptParams } from './verifier.js';

/**
 * How a host keeps a cache key on this device between runs without the password: the OS
 * keychain (Electron's safeStorage) in the desktop app, a 0600 key file in browser mode.
 */
export interface KeyProtector {
  /** What guards the key, for the docs and error messages: "Electron safeStorage (kwallet5)", "key file". */
  readonly description: string;
  /** Returns the key sealed for this device and OS user; stored in workstation.json with the session. */
  seal(key: Buffer): Promise<string>;
  /** The key back; throws when it cannot be opened here (another machine or user, the keychain was reset). */
  unseal(sealed: string): Promise<Buffer>;
  /** Nothing is sealed any more (sign-out): drop whatever would open an old copy of a sealed key. */
  forget(): void;
}

export function newCacheKey(): Buffer {
  return randomBytes(CACHE_KEY_BYTES);
}

const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const WRAP_PREFIX = 'aesgcm';

/** The user the key belongs to is authenticated with it, so a wrapped key cannot be swapped between users. */
function associatedData(userId: string): Buffer {
  return Buffer.from(`omnidesk cache key for ${userId}`, 'utf8');
}

function seal(wrappingKey: Buffer, key: Buffer, aad: Buffer): string {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey, iv);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(key), cipher.final(), cipher.getAuthTag()]);
  return [WRAP_PREFIX, iv.toString('base64url'), sealed.toString('base64url')].join('$');
}

/** The key, or null when the wrapping key (or the associated data) is not the one it was sealed with. */
function unseal(wrappingKey: Buffer, text: string, aad: Buffer): Buffer | null {
  const [prefix, ivText, sealedText, ...rest] = text.split('$');
  if (prefix !== WRAP_PREFIX || ivText === undefined || sealedText === undefined || rest.length > 0) return null;
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  if (iv.length !== GCM_IV_BYTES || sealed.length !== CACHE_KEY_BYTES + GCM_TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrappingKey, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(CACHE_KEY_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, CACHE_KEY_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** `scrypt$N$r$p$salt$aesgcm$iv$sealed`: K wrapped by a key derived from the password (fresh salt each time). */
export async function wrapKeyWithPassword(key: Buffer, password: string, userId: string): Promise<string> {
  const params = newScryptParams();
  const wrappingKey = await deriveScryptKey(password, params, CACHE_KEY_BYTES);
  return `${formatScryptParams(params)}$${seal(wrappingKey, key, associatedData(userId))}`;
}

/** K, or null when the password (or user) is not the one it was wrapped with. Costs one scrypt. */
export async function unwrapKeyWithPassword(wrapped: string, password: string, userId: string): Promise<Buffer | null> {
  const parts = wrapped.split('$');
  const params = parseScryptParams(parts.slice(0, 5).join('$'));
  if (!params) return null;
  try {
    const wrappingKey = await deriveScryptKey(password, params, CACHE_KEY_BYTES);
    return unseal(wrappingKey, parts.slice(5).join('$'), associatedData(userId));
  } catch {
    return null;
  }
}

export const DEVICE_KEY_FILE = 'device.key';

/**
 * Browser mode's protector: a random device key in `<dataDir>/device.key` (0600, in the 0700
 * data folder) seals the cache key. It keeps other OS users out; it does not protect a
 * stolen disk while a session is stored (the key file is on the same disk) — a sign-out
 * deletes both the sealed key and this file. Made on the first seal.
 */
export function keyFileProtector(dataDir: string): KeyProtector {
  const file = path.join(dataDir, DEVICE_KEY_FILE);
  const aad = Buffer.from('omnidesk device-sealed cache key', 'utf8');
  function readDeviceKey(): Buffer | null {
    try {
      const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
      return key.length === CACHE_KEY_BYTES ? key : null;
    } catch {
      return null;
    }
  }
  return {
    description: `key file ${file}`,
    seal(key) {
      let deviceKey = readDeviceKey();
      if (!deviceKey) {
        makePrivateDir(dataDir);
        deviceKey = randomBytes(CACHE_KEY_BYTES);
        writeFileSync(file, `${deviceKey.toString('base64url')}\n`, { mode: PRIVATE_FILE_MODE });
      }
      chmodSync(file, PRIVATE_FILE_MODE);
      return Promise.resolve(seal(deviceKey, key, aad));
    },
    unseal(sealed) {
      const deviceKey = readDeviceKey();
      const key = deviceKey ? unseal(deviceKey, sealed, aad) : null;
      return key ? Promise.resolve(key) : Promise.reject(new Error(`the key file ${file} is missing or does not open this key`));
    },
    forget() {
      rmSync(file, { force: true });
    },
  };
}
