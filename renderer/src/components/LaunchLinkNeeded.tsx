import { useAppStore, useT } from '../store/react.js';
import { LanguageSelect } from './LanguageSelect.js';

/**
 * Browser mode, when this page may not reach the workstation: it was opened without the
 * launch link's key, or the workstation restarted and no longer accepts the key it had.
 * Says what to do; nothing else on the page would work. Also when the key was accepted but
 * every seat (browser profile side by side, docs/technical/hosts.md) is in use.
 */
export function LaunchLinkNeeded() {
  const t = useT();
  const hostLink = useAppStore((s) => s.hostLink);
  const example = `${location.origin}/#k=…`;
  if (hostLink === 'seats_full') {
    return (
      <div className="signin-screen">
        <div className="signin-language">
          <LanguageSelect />
        </div>
        <main className="signin-card launch-card">
          <h1 className="signin-brand">{t('app.name')}</h1>
          <h2>{t('seats.fullTitle')}</h2>
          <p role="alert">{t('seats.full')}</p>
          <p className="muted">{t('seats.fullWhy')}</p>
        </main>
      </div>
    );
  }
  return (
    <div className="signin-screen">
      <div className="signin-language">
        <LanguageSelect />
      </div>
      <main className="signin-card launch-card">
        <h1 className="signin-brand">{t('app.name')}</h1>
        <h2>{t('launch.title')}</h2>
        <p role="alert">{hostLink === 'refused' ? t('launch.refused') : t('launch.missing')}</p>
        <p>
          {t('launch.example')} <code>{example}</code>
        </p>
        <p className="muted">{t('launch.why')}</p>
      </main>
    </div>
  );
}
