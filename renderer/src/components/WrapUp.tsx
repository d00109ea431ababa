import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useT } from '../store/react.js';
import { countdownText } from './TeamView.js';
import { useNow } from './useNow.js';

/**
 * This agent's wrap-up (话后处理) as the server last said: the time left, counting down, and
 * "Ready" (就绪) to end it early, which tells routing they are available again. Shown in the
 * header, and on the screen pop of the call that started it. Agents only; gone at the deadline.
 */
export function WrapUpStatus({ compact = false }: { compact?: boolean }) {
  const t = useT();
  const now = useNow();
  const { until, isAgent, busy, endWrapUp } = useAppStore(
    useShallow((s) => ({
      until: s.presence?.wrapUpUntil ?? null,
      isAgent: s.user?.role === 'agent',
      busy: s.settingPresence,
      endWrapUp: s.endWrapUp,
    })),
  );
  if (!isAgent || until === null || until <= now) return null;
  return (
    <span className={`wrap-up${compact ? ' wrap-up-compact' : ''}`} role="status" title={t('wrapUp.title')}>
      <span className="wrap-up-time">{t('wrapUp.status', { time: countdownText(until - now) })}</span>
      <button type="button" className="wrap-up-ready" disabled={busy} onClick={() => void endWrapUp()}>
        {t('wrapUp.ready')}
      </button>
    </span>
  );
}
