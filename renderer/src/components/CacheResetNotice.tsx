import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useT } from '../store/react.js';

/**
 * Says, until the agent dismisses it, that this sign-in could not open the tickets saved on
 * this computer (the password changed on the server) and downloads them again, and how many
 * unsent changes were lost with the old copy.
 */
export function CacheResetNotice() {
  const t = useT();
  const { cacheReset, dismiss } = useAppStore(useShallow((s) => ({ cacheReset: s.cacheReset, dismiss: s.dismissCacheReset })));
  if (!cacheReset) return null;
  return (
    <div role="alert" className="cache-reset-notice">
      <p>
        {t('cacheReset.body')}
        {cacheReset.lostChanges > 0 ? (
          <strong> {cacheReset.lostChanges === 1 ? t('cacheReset.lostOne') : t('cacheReset.lostMany', { count: cacheReset.lostChanges })}</strong>
        ) : null}
      </p>
      <button type="button" onClick={dismiss}>
        {t('cacheReset.dismiss')}
      </button>
    </div>
  );
}
