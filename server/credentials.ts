/**
 * Secrets at rest: passwords hashed with salted scrypt, bearer tokens random and stored
 * only as their SHA-256, so a copy of the database signs nobody in.
 */
import { hash, randomBytes, randomFillSync, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const SCRYPT_KEY_LENGTH = 32;
const SCRYPT_COST = 16_384;
const SCRYPT_BLOCK_SIZE = 8;
const SCRYPT_PARALLELISM = 1;

/** `scrypt$N$r$p$salt$hash`, salt and hash base64url; the parameters travel with the hash so they can be raised later. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, SCRYPT_KEY_LENGTH, { N: SCRYPT_COST, r: SCRYPT_BLOCK_SIZE, p: SCRYPT_PARALLELISM });
  return ['scrypt', SCRYPT_COST, SCRYPT_BLOCK_SIZE, SCRYPT_PARALLELISM, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Checks a password off the event loop (scrypt runs in libuv's pool). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, Buffer.from(saltText, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to verify against when the username is unknown, so both paths take the same time. */
export const DECOY_PASSWORD_HASH = hashPassword('decoy-password-never-valid');

/** Report-reader secrets start with this (shared/admin.ts REPORT_CREDENTIAL_PREFIX); no other token may. */
const REPORT_SECRET_PREFIX = 'odr_';

/** 32 random bytes, base64url: the bearer token handed to a client once. */
export function newToken(): string {
  // One token in 16.7 million would begin like a report-reader secret and be refused as one everywhere: draw again.
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    if (!token.startsWith(REPORT_SECRET_PREFIX)) return token;
  }
}

/** Per HTTP request and socket handshake: the one-shot `hash` (no Hash object to build), the same digest as createHash's. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

let lastUuidTime = -1;
let lastUuidCounter = 0;
/** Random bytes drawn 4 KiB at a time (one CSPRNG call per 256 ids instead of one per id: several ids are made per inbound contact). */
const uuidRandomPool = Buffer.alloc(4096);
let uuidRandomOffset = uuidRandomPool.length;

function uuidRandomBytes(): Buffer {
  if (uuidRandomOffset === uuidRandomPool.length) {
    randomFillSync(uuidRandomPool);
    uuidRandomOffset = 0;
  }
  // A copy: the pool is refilled later, and the caller writes the time into these bytes.
  const bytes = Buffer.from(uuidRandomPool.subarray(uuidRandomOffset, uuidRandomOffset + 16));
  uuidRandomOffset += 16;
  return bytes;
}

/**
 * RFC 9562 UUIDv7, monotonic within this process (a 12-bit counter in rand_a, method 1),
 * so server-made ids of the same millisecond still sort in creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  let time = Math.max(0, Math.floor(now));
  if (time <= lastUuidTime) {
    time = lastUuidTime;
    lastUuidCounter++;
    if (lastUuidCounter > 0xfff) {
      time++;
      lastUuidCounter = 0;
    }
  } else {
    lastUuidCounter = 0;
  }
  lastUuidTime = time;
  const bytes = uuidRandomBytes();
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = 0x70 | (lastUuidCounter >> 8);
  bytes[7] = lastUuidCounter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
