import { useShallow } from 'zustand/react/shallow';
import type { ConnectionState } from '../../../shared/rpc.js';
import { searchIndexPercent } from '../../../shared/connection.js';
import { connectionProblemText } from '../connectionProblemText.js';
import { formatClock, type Language, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { LanguageSelect } from './LanguageSelect.js';
import { NotificationSettings } from './NotificationSettings.js';
import { PresenceSelect } from './PresenceSelect.js';
import { RoutingSkips } from './RoutingSkips.js';
import { WrapUpStatus } from './WrapUp.js';
import { ViewSwitch } from './ViewSwitch.js';

function connectionLabel(t: Translate, language: Language, connection: ConnectionState): string {
  switch (connection.status) {
    case 'online':
      return t('connection.online');
    case 'connecting':
      return t('connection.reconnecting');
    case 'syncing':
      return connection.progress ? t('connection.syncing', { done: connection.progress.done, total: connection.progress.total }) : t('connection.reconnecting');
    case 'offline':
      return t('connection.offline', { time: formatClock(language, connection.since) });
    case 'signed_out':
      return t('connection.signed_out');
  }
}

export function Header() {
  const t = useT();
  const { user, connection, language, signOut, openAttention, retryConnection, retryingConnection, openScriptsManager, openKnowledgeManager } = useAppStore(
    useShallow((s) => ({
      openScriptsManager: s.openScriptsManager,
      openKnowledgeManager: s.openKnowledgeManager,
      user: s.user,
      connection: s.connection,
      language: s.language,
      signOut: s.signOut,
      openAttention: s.openAttention,
      retryConnection: s.retryConnection,
      retryingConnection: s.retryingConnection,
    })),
  );
  const attentionCount = connection.attentionCount ?? 0;
  const problem = connection.lastError ? connectionProblemText(t, connection.lastError) : null;
  const problemShort = connection.lastError ? connectionProblemText(t, connection.lastError, 'short') : null;
  return (
    <header className="app-header">
      <div className="brand">{t('app.name')}</div>
      <div className="header-status">
        <span role="status" className={`connection-badge connection-${connection.status}`} title={problem ?? undefined}>
          <span className="dot" aria-hidden="true" />
          {connectionLabel(t, language, connection)}
        </span>
        {/* Retrying cannot help a workstation the server refused as outdated: only the update does. */}
        {connection.status === 'offline' && connection.lastError?.code !== 'client_outdated' ? (
          <button
            type="button"
            className="retry-now"
            title={t('connection.retryNowTitle')}
            disabled={retryingConnection}
            aria-busy={retryingConnection}
            onClick={() => void retryConnection()}
          >
            {t('connection.retryNow')}
          </button>
        ) : null}
        {connection.pendingCount > 0 ? (
          <span className="pending-count" title={t('header.pendingTitle')}>
            {t('header.pending', { n: connection.pendingCount })}
          </span>
        ) : null}
        {connection.searchIndex ? (
          <span className="search-indexing" title={t('header.searchIndexingTitle')}>
            {t('header.searchIndexing', { percent: searchIndexPercent(connection.searchIndex) })}
          </span>
        ) : null}
        {connection.offlineSession ? (
          <span className="offline-session" title={t('header.signedInOfflineTitle')}>
            {t('header.signedInOffline')}
          </span>
        ) : null}
        {/* A live region, so a new refusal is announced without taking focus. */}
        <span aria-live="polite" className="attention-slot">
          {attentionCount > 0 ? (
            <button type="button" className="attention-button" onClick={() => void openAttention()}>
              {t('header.attention', { n: attentionCount })}
            </button>
          ) : null}
        </span>
        <WrapUpStatus />
        <RoutingSkips />
        {problem && connection.status !== 'online' ? (
          <span className="connection-error" title={problem}>
            {problemShort}
          </span>
        ) : null}
      </div>
      <div className="header-right">
        <ViewSwitch />
        <button type="button" className="scripts-open" title={t('scripts.openTitle')} onClick={openScriptsManager}>
          {t('scripts.open')}
        </button>
        <button type="button" className="scripts-open kb-open" title={t('kb.openTitle')} onClick={openKnowledgeManager}>
          {t('kb.open')}
        </button>
        <PresenceSelect />
        {user ? <NotificationSettings /> : null}
        <LanguageSelect />
        {user ? (
          // The name alone on screen (who else would be signed in here), the sentence for screen readers: the header keeps one row at 1280 px.
          <span className="current-user" title={t('header.userTitle', { name: user.displayName || user.username, username: user.username })}>
            <span className="visually-hidden">{t('header.userPrefix')}</span>
            {user.displayName || user.username}
          </span>
        ) : null}
        <button type="button" onClick={() => void signOut()}>
          {t('header.signOut')}
        </button>
      </div>
    </header>
  );
}
