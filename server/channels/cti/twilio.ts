/**
 * Twilio-style status callbacks: the signature Twilio puts on every webhook and the mapping
 * of a call status to the normalised CTI event.
 *
 * Signature (https://www.twilio.com/docs/usage/security): `X-Twilio-Signature` =
 * base64(HMAC-SHA1(auth token, the full URL Twilio called, query string included, followed by
 * every POST parameter's name and value, sorted by name, with no separators)).
 */
import { createHmac } from 'node:crypto';
import type { CtiEventInput, CtiEventName, TwilioStatusCallback } from '../../../shared/cti.js';
import { constantTimeEqual } from '../signature.js';

// `instanceof Map` alone narrows to Map<any, any>; the guard keeps the entries typed.
function isMap(params: ReadonlyMap<string, string> | Record<string, string>): params is ReadonlyMap<string, string> {
  return params instanceof Map;
}

/** The `X-Twilio-Signature` for a request to `url` with these POST parameters. */
export function twilioSignature(authToken: string, url: string, params: ReadonlyMap<string, string> | Record<string, string>): string {
  const entries = isMap(params) ? [...params.entries()] : Object.entries(params);
  // Sorted by name in code-unit order, as Twilio's own libraries sort.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = url + entries.map(([name, value]) => name + value).join('');
  return createHmac('sha1', authToken).update(text, 'utf8').digest('base64');
}

export function verifyTwilioSignature(authToken: string, url: string, params: ReadonlyMap<string, string>, signature: string): boolean {
  return constantTimeEqual(signature.trim(), twilioSignature(authToken, url, params));
}

const STATUS_TO_EVENT: Record<TwilioStatusCallback['CallStatus'], CtiEventName> = {
  queued: 'offered',
  initiated: 'offered',
  ringing: 'ringing',
  'in-progress': 'answered',
  completed: 'ended',
  busy: 'missed',
  'no-answer': 'missed',
  failed: 'missed',
  canceled: 'missed',
};

/**
 * The agent's extension of a Twilio call: `?ext=8001` on the callback URL, or a `To` of
 * `client:8001` (a Twilio Client) or `sip:8001@pbx…` (a SIP phone).
 */
export function twilioAgentExtension(callback: TwilioStatusCallback, query: URLSearchParams): string | null {
  const fromQuery = query.get('ext');
  if (fromQuery) return fromQuery;
  const match = /^(?:client:|sips?:)([0-9A-Za-z*#_-]{1,20})(?:@|$)/.exec(callback.To);
  return match ? match[1]! : null;
}

/** The normalised event of a status callback (still to be validated with `ctiEventSchema`). */
export function twilioCallbackToEvent(callback: TwilioStatusCallback, query: URLSearchParams, now: number): CtiEventInput {
  const stamped = callback.Timestamp ? Date.parse(callback.Timestamp) : Number.NaN;
  const event: CtiEventInput = {
    callId: callback.CallSid,
    event: STATUS_TO_EVENT[callback.CallStatus],
    at: Number.isFinite(stamped) && stamped >= 0 ? stamped : now,
    from: callback.From,
    to: callback.To,
    agentExtension: twilioAgentExtension(callback, query),
  };
  if (callback.CallStatus === 'completed' && callback.CallDuration !== undefined) event.durationSec = Number(callback.CallDuration);
  return event;
}
