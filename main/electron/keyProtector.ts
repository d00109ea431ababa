/**
 * The desktop app's KeyProtector (main/core/cacheKeys.ts): the OS keychain through Electron's
 * safeStorage (Keychain on macOS, DPAPI on Windows, libsecret or KWallet on Linux) seals the
 * cache key of the stored session. Where Linux has no keychain, safeStorage falls back to a
 * password built into Chromium ("basic_text"), which protects nothing; the 0600 key file in
 * the user-data folder (as in browser mode) is used instead, and the log says so.
 */
import { safeStorage } from 'electron';
import { keyFileProtector, type KeyProtector } from '../core/cacheKeys.js';

/** Call after the app is ready (safeStorage picks its backend then). */
export async function desktopKeyProtector(userDataDir: string): Promise<KeyProtector> {
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null;
  if (!(await safeStorage.isAsyncEncryptionAvailable()) || backend === 'basic_text' || backend === 'unknown') {
    const fallback = keyFileProtector(userDataDir);
    console.warn(
      `No OS keychain is available (safeStorage backend: ${backend ?? 'none'}); the session's cache key is sealed with the ${fallback.description}.`,
    );
    return fallback;
  }
  return {
    description: `Electron safeStorage${backend ? ` (${backend})` : ''}`,
    async seal(key) {
      return (await safeStorage.encryptStringAsync(key.toString('base64'))).toString('base64');
    },
    async unseal(sealed) {
      // A rotated keychain key (`shouldReEncrypt`) needs nothing here: the core seals the key again on every resume.
      const { result } = await safeStorage.decryptStringAsync(Buffer.from(sealed, 'base64'));
      return Buffer.from(result, 'base64');
    },
    forget() {
      // The keychain's own key seals nothing once the sealed copy is deleted from workstation.json.
    },
  };
}
