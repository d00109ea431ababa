import { useShallow } from 'zustand/react/shallow';
import { autoAwayCause } from '../presenceChoice.js';
import { useAppStore, useT } from '../store/react.js';

/**
 * Says why the agent is Away when the server set it (offers not accepted in time, or idle for a
 * while), with the one click back to Available. It goes as soon as presence changes, whoever
 * changes it.
 */
export function PresenceNotice() {
  const t = useT();
  const { cause, settingPresence, online, setPresence } = useAppStore(
    useShallow((s) => ({
      cause: s.user?.role === 'agent' ? autoAwayCause(s.presence) : null,
      settingPresence: s.settingPresence,
      online: s.connection.status === 'online',
      setPresence: s.setPresence,
    })),
  );
  if (!cause) return null;
  return (
    <div role="status" className="presence-notice" data-testid="presence-notice">
      <p>{t(cause === 'idle' ? 'presence.noticeIdle' : 'presence.noticeOfferTimeouts')}</p>
      <button type="button" disabled={settingPresence || !online} onClick={() => void setPresence('available')}>
        {t('presence.backToAvailable')}
      </button>
    </div>
  );
}
