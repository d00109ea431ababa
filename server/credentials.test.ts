/**
 * Stored token hashes: a database written before a change to `hashToken` must still sign its
 * integrations and sessions in, so the digest (SHA-256 of the UTF-8 token, base64url) is pinned.
 */
import { describe, expect, it } from 'vitest';
import { hashToken } from './credentials.js';

describe('hashToken', () => {
  it('is the base64url SHA-256 of the UTF-8 token', () => {
    // `printf '<token>' | sha256sum`, written as base64url without padding.
    expect(hashToken('omnidesk-token')).toBe('jyW4QDKgYiA3XUzZxH7tylvG2asll3TApb9IWK1vvLc');
    // Six UTF-8 bytes, not two UTF-16 code units.
    expect(hashToken('令牌')).toBe('c12iN7baGFSaLFWg7-9mv3OYpOYV_GemOypqBRbkRtY');
  });
});
