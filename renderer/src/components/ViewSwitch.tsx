import { useShallow } from 'zustand/react/shallow';
import { isLeadRole, type WorkView } from '../store/routingSlice.js';
import { useAppStore, useT } from '../store/react.js';

const VIEWS: WorkView[] = ['inbox', 'team', 'board', 'reports'];

/** Leads switch between the inbox, the team (团队), the channel board (渠道看板) and the reports (报表); agents only have the inbox. */
export function ViewSwitch() {
  const t = useT();
  const { view, setView, isLead } = useAppStore(useShallow((s) => ({ view: s.view, setView: s.setView, isLead: isLeadRole(s.user?.role) })));
  if (!isLead) return null;
  return (
    <nav className="view-switch" aria-label={t('view.switch')}>
      {VIEWS.map((option) => (
        <button key={option} type="button" aria-pressed={view === option} onClick={() => setView(option)}>
          {t(`view.${option}`)}
        </button>
      ))}
    </nav>
  );
}
