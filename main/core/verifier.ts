/**
 * The local password verifier for offline sign-in: salted scrypt, checked off the event
 * loop. A copy of workstation.json does not reveal the password, and guessing it costs
 * one scrypt per try (as on the server). The same scrypt derives the key that wraps each
 * user's cache key (cacheKeys.ts), with its own salt.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;
const COST = 16_384;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

/** scrypt's cost parameters and salt, stored beside what they derived. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
}

export function newScryptParams(): ScryptParams {
  return { N: COST, r: BLOCK_SIZE, p: PARALLELISM, salt: randomBytes(16) };
}

/** `scrypt$N$r$p$salt` (salt base64url). */
export function formatScryptParams(params: ScryptParams): string {
  return ['scrypt', params.N, params.r, params.p, params.salt.toString('base64url')].join('$');
}

export function parseScryptParams(text: string): ScryptParams | null {
  const parts = text.split('$');
  if (parts.length !== 5 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt] = parts as [string, string, string, string, string];
  const params = { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64url') };
  return [params.N, params.r, params.p].every((value) => Number.isSafeInteger(value) && value > 0) && params.salt.length > 0 ? params : null;
}

export function deriveScryptKey(password: string, params: ScryptParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), params.salt, length, { N: params.N, r: params.r, p: params.p }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64url); the parameters travel with it. */
export async function makePasswordVerifier(password: string): Promise<string> {
  const params = newScryptParams();
  const hash = await deriveScryptKey(password, params, KEY_LENGTH);
  return `${formatScryptParams(params)}$${hash.toString('base64url')}`;
}

export async function checkPasswordVerifier(password: string, verifier: string): Promise<boolean> {
  const cut = verifier.lastIndexOf('$');
  const params = parseScryptParams(verifier.slice(0, cut));
  const expected = Buffer.from(verifier.slice(cut + 1), 'base64url');
  if (cut < 0 || !params || expected.length === 0) return false;
  try {
    return timingSafeEqual(await deriveScryptKey(password, params, expected.length), expected);
  } catch {
    return false;
  }
}
