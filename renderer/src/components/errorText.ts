import { errorKey, type Translate } from '../i18n.js';
import type { UiError } from '../store/types.js';
import { refusalText } from './refusalText.js';

/** Codes whose own sentence says it all; for the others the core's detail helps the agent. */
const SELF_EXPLANATORY = new Set<UiError['code']>([
  'bad_credentials',
  'not_signed_in',
  'server_unreachable',
  'server_not_answering',
  'offline',
  'rate_limited',
  'core_unavailable',
  'routing_busy',
  'unconfirmed',
]);

export function errorText(t: Translate, error: UiError): string {
  // A ticket rule's refusal carries facts: say them in the agent's language instead of the core's English.
  if (error.refusal) return refusalText(t, error.refusal);
  // The wait in whole minutes, rounded up: "try again in 1 min" rather than "in 0".
  const minutes = Math.max(1, Math.ceil((error.retryAfterMs ?? 60_000) / 60_000));
  const headline = t(errorKey(error.code), { minutes });
  if (SELF_EXPLANATORY.has(error.code) || !error.message) return headline;
  // The detail is English prose from the core or server: said in an English UI, left out of the Chinese one.
  return t('error.withDetail', { headline, detail: error.message });
}
