import { useAppStore, useT } from '../store/react.js';

/**
 * Desktop app: says that the workstation's core process stopped and is restarting (calls
 * wait for it), or that it kept stopping and is no longer restarted. Gone once it runs again.
 */
export function CoreProcessNotice() {
  const t = useT();
  const coreProcess = useAppStore((s) => s.coreProcess);
  if (!coreProcess) return null;
  return (
    <div role="alert" className={`core-process-notice core-process-${coreProcess.status}`}>
      <p>{coreProcess.status === 'failed' ? t('coreProcess.failed') : t('coreProcess.restarting')}</p>
    </div>
  );
}
