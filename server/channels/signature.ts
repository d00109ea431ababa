/**
 * The signature every OmniDesk webhook shares (the CTI events, the generic webhook):
 * `X-OmniDesk-Timestamp: <unix seconds>` and
 * `X-OmniDesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 * The timestamp is inside the signed text, so a captured request cannot be replayed
 * later than the age limit; the digests are compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SIGNATURE_TIMESTAMP_HEADER = 'x-omnidesk-timestamp';
export const SIGNATURE_HEADER = 'x-omnidesk-signature';
/** How old (or how far ahead of the server's clock) a signed request may be. */
export const SIGNATURE_MAX_AGE_MS = 5 * 60 * 1000;

/** The `X-OmniDesk-Signature` value for a body signed at `timestampSec`. */
export function signWebhookBody(secret: string, timestampSec: number | string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${String(timestampSec)}.`, 'utf8');
  hmac.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

/** The headers a sender adds (tests, the Kamailio hook, integrators' sample code). */
export function signedWebhookHeaders(secret: string, rawBody: Buffer | string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'X-OmniDesk-Timestamp': String(timestamp), 'X-OmniDesk-Signature': signWebhookBody(secret, timestamp, rawBody) };
}

export type SignatureCheck = { ok: true; timestampMs: number } | { ok: false; reason: string };

/** Compares two strings without revealing where they differ (lengths are not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

function single(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  return Array.isArray(header) ? (header.length === 1 ? header[0]! : null) : header;
}

/** Checks the two headers against the raw body; the reason says what was wrong, for the log and the 401. */
export function verifyWebhookSignature(input: {
  secret: string;
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
  rawBody: Buffer;
  now: number;
  maxAgeMs?: number;
}): SignatureCheck {
  const timestamp = single(input.timestamp);
  const signature = single(input.signature);
  if (timestamp === null) return { ok: false, reason: 'the X-OmniDesk-Timestamp header is missing' };
  if (signature === null) return { ok: false, reason: 'the X-OmniDesk-Signature header is missing' };
  if (!/^\d{1,12}$/.test(timestamp.trim())) return { ok: false, reason: 'X-OmniDesk-Timestamp is not a Unix time in seconds' };
  const timestampMs = Number(timestamp.trim()) * 1000;
  const maxAgeMs = input.maxAgeMs ?? SIGNATURE_MAX_AGE_MS;
  if (Math.abs(input.now - timestampMs) > maxAgeMs) {
    const ageSec = Math.round((input.now - timestampMs) / 1000);
    return {
      ok: false,
      reason: `the signed timestamp is ${ageSec >= 0 ? `${String(ageSec)} s old` : `${String(-ageSec)} s in the future`} (limit ${String(maxAgeMs / 1000)} s)`,
    };
  }
  const expected = signWebhookBody(input.secret, timestamp.trim(), input.rawBody);
  if (!constantTimeEqual(signature.trim().toLowerCase(), expected)) return { ok: false, reason: 'the signature does not match the body' };
  return { ok: true, timestampMs };
}

/** The same check reading the headers of a request. */
export function verifySignedRequest(req: IncomingMessage, rawBody: Buffer, secret: string, now: number, maxAgeMs?: number): SignatureCheck {
  return verifyWebhookSignature({
    secret,
    timestamp: req.headers[SIGNATURE_TIMESTAMP_HEADER],
    signature: req.headers[SIGNATURE_HEADER],
    rawBody,
    now,
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
  });
}
