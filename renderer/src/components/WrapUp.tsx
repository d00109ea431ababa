import { useShallow } from 'zustand/react/shallow';
import { countdownText } from '../countdownText.js';
import { channelKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { useNow } from './useNow.js';

/**
 * This agent's wrap-up (话后处理) as the server last said: the contact's channel and the time left, counting down, and
 * "Ready" (就绪) to end it early, which tells routing they are available again. Shown in the
 * header, and on the screen pop of the call that started it. Agents only; gone at the deadline.
 */
export function WrapUpStatus({ compact = false }: { compact?: boolean }) {
  const t = useT();
  const now = useNow();
  const { until, channel, isAgent, busy, endWrapUp } = useAppStore(
    useShallow((s) => ({
      until: s.presence?.wrapUpUntil ?? null,
      channel: s.presence?.wrapUpChannel ?? null,
      isAgent: s.user?.role === 'agent',
      busy: s.settingPresence,
      endWrapUp: s.endWrapUp,
    })),
  );
  if (!isAgent || until === null || until <= now) return null;
  const time = countdownText(until - now);
  return (
    <span className={`wrap-up${compact ? ' wrap-up-compact' : ''}`} role="status" title={t('wrapUp.title')}>
      {/* Which contact it follows (the call, the chat): a server that does not say keeps the plain countdown. */}
      <span className="wrap-up-time">{channel ? t('wrapUp.statusChannel', { channel: t(channelKey(channel)), time }) : t('wrapUp.status', { time })}</span>
      <button type="button" className="wrap-up-ready" disabled={busy} onClick={() => void endWrapUp()}>
        {t('wrapUp.ready')}
      </button>
    </span>
  );
}
