/**
 * WeChat official account message crypto (the scheme of Tencent's WXBizMsgCrypt samples):
 * SHA-1 signatures over the sorted parameters, and AES-256-CBC with the EncodingAESKey for
 * safe (安全) and compatible (兼容) mode. Checked against the published sample values in
 * crypto.test.ts.
 */
import crypto from 'node:crypto';

/** Why a message could not be decrypted or does not belong to this account. */
export class WechatCryptoError extends Error {}

/** WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not AES's 16. */
const PAD_BLOCK = 32;

/** sha1 of the parts sorted as strings and joined: the URL `signature` and the `msg_signature`. */
export function wechatSignature(parts: readonly string[]): string {
  return crypto
    .createHash('sha1')
    .update([...parts].sort().join(''), 'utf8')
    .digest('hex');
}

/** Compares two hex signatures without revealing where they differ. */
export function signaturesMatch(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  const given = Buffer.from(givenHex.toLowerCase(), 'utf8');
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time.
  if (expected.length !== given.length) {
    crypto.timingSafeEqual(expected, expected);
    return false;
  }
  return crypto.timingSafeEqual(expected, given);
}

/** The 32-byte AES key from the 43-character EncodingAESKey (base64 without its `=`). */
export function decodeEncodingAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) throw new WechatCryptoError('The EncodingAESKey must be 43 base64 characters.');
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new WechatCryptoError('The EncodingAESKey does not decode to 32 bytes.');
  return key;
}

/**
 * Decrypts an `Encrypt` value: the plaintext is 16 random bytes, the message length (4 bytes,
 * big-endian), the message, then the app id, which must be `appId`. Returns the message bytes
 * (the caller decodes them strictly as UTF-8).
 */
export function decryptWechatMessage(encrypted: string, aesKey: Buffer, appId: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw new WechatCryptoError('The Encrypt value is not base64.');
  const cipherText = Buffer.from(encrypted, 'base64');
  if (cipherText.length === 0 || cipherText.length % 16 !== 0) throw new WechatCryptoError('The Encrypt value is not whole AES blocks.');
  let plain: Buffer;
  try {
    const decipher = crypto.createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
  } catch {
    throw new WechatCryptoError('The Encrypt value does not decrypt with this EncodingAESKey.');
  }
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > PAD_BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((byte) => byte === pad)) {
    throw new WechatCryptoError('The decrypted message has bad padding (wrong EncodingAESKey?).');
  }
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new WechatCryptoError('The decrypted message is too short.');
  const length = body.readUInt32BE(16);
  if (20 + length > body.length) throw new WechatCryptoError('The decrypted message length is out of range.');
  const receivedAppId = body.subarray(20 + length).toString('utf8');
  if (receivedAppId !== appId) throw new WechatCryptoError(`The message is for app id ${JSON.stringify(receivedAppId.slice(0, 40))}, not ${appId}.`);
  return body.subarray(20, 20 + length);
}

/** Encrypts a message for `appId` (passive replies; tests build pushed messages with it). `random` is 16 bytes, fresh unless given. */
export function encryptWechatMessage(message: string, aesKey: Buffer, appId: string, random: Buffer = crypto.randomBytes(16)): string {
  if (random.length !== 16) throw new WechatCryptoError('The random prefix must be 16 bytes.');
  const text = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(text.length, 0);
  const body = Buffer.concat([random, length, text, Buffer.from(appId, 'utf8')]);
  const pad = PAD_BLOCK - (body.length % PAD_BLOCK);
  const cipher = crypto.createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}
