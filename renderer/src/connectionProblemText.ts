import { connectionProblemSchema } from '../../shared/connection.js';
import type { Translate } from './i18n.js';

/**
 * Why the link to the server is down, in the agent's language. The core sends a code and
 * facts (shared/connection.ts); the shape is checked here, where it is shown, so a core of
 * another version can never put its own words (or nothing) in the header.
 */
export function connectionProblemText(t: Translate, problem: unknown, form: 'full' | 'short' = 'full'): string {
  const parsed = connectionProblemSchema.safeParse(problem);
  if (!parsed.success) return t('connectionProblem.unknown');
  const p = parsed.data;
  switch (p.code) {
    case 'server_unreachable':
      // The header has room for the fact; the address is in its tooltip.
      return form === 'short' ? t('connectionProblem.server_unreachable_short') : t('connectionProblem.server_unreachable', { server: p.serverUrl });
    case 'too_many_connections':
      return form === 'short' ? t('connectionProblem.too_many_connections_short') : t('connectionProblem.too_many_connections', { server: p.serverUrl });
    case 'sign_in_too_slow':
      return form === 'short' ? t('connectionProblem.sign_in_too_slow_short') : t('connectionProblem.sign_in_too_slow', { server: p.serverUrl });
    case 'too_many_sessions':
      return form === 'short' ? t('connectionProblem.too_many_sessions_short') : t('connectionProblem.too_many_sessions', { server: p.serverUrl });
    case 'client_outdated':
      // The header shows the short form; the full one (the work is kept) is its tooltip.
      return form === 'short' ? t('connectionProblem.client_outdated_short') : t('connectionProblem.client_outdated');
    case 'sync_failed':
    case 'send_failed':
    case 'cache_unreadable':
      // The detail is the core's English prose: in the English sentence, left out of the Chinese one.
      return t(`connectionProblem.${p.code}`, { detail: p.detail });
    case 'session_expired':
    case 'session_revoked':
    case 'password_refused':
    case 'account_changed':
      return t(`connectionProblem.${p.code}`);
  }
}
