import { errorKey, type Translate } from '../i18n.js';
import type { UiError } from '../store/types.js';

/** Codes whose own sentence says it all; for the others the core's detail helps the agent. */
const SELF_EXPLANATORY = new Set<UiError['code']>(['bad_credentials', 'not_signed_in', 'server_unreachable', 'offline']);

export function errorText(t: Translate, error: UiError): string {
  const headline = t(errorKey(error.code));
  if (SELF_EXPLANATORY.has(error.code) || !error.message) return headline;
  return `${headline}: ${error.message}`;
}
