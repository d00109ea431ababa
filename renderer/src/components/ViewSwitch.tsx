import { useShallow } from 'zustand/react/shallow';
import { openAlarmCount } from '../store/alarmSlice.js';
import { isLeadRole, type WorkView } from '../store/routingSlice.js';
import { useAppStore, useT } from '../store/react.js';

const LEAD_VIEWS: WorkView[] = ['inbox', 'team', 'board', 'reports', 'alerts', 'admin'];
const AGENT_VIEWS: WorkView[] = ['inbox', 'alerts'];

/**
 * Leads switch between the inbox, the team (团队), the channel board (渠道看板), the reports
 * (报表), the alerts (告警) and administration (系统管理: admins write, leads read); agents between their inbox and their own alerts. The Alerts
 * button carries the count of alarms still wanting attention.
 */
export function ViewSwitch() {
  const t = useT();
  const { view, setView, isLead, openAlarms } = useAppStore(
    useShallow((s) => ({ view: s.view, setView: s.setView, isLead: isLeadRole(s.user?.role), openAlarms: openAlarmCount(s.alarms, s.alarmCounts) })),
  );
  return (
    <nav className="view-switch" aria-label={t('view.switch')}>
      {(isLead ? LEAD_VIEWS : AGENT_VIEWS).map((option) => (
        <button key={option} type="button" aria-pressed={view === option} onClick={() => setView(option)}>
          {t(`view.${option}`)}
          {option === 'alerts' && openAlarms > 0 ? (
            <span className="alarm-badge" data-count={openAlarms} aria-label={t('view.alertsBadge', { count: openAlarms })}>
              {openAlarms}
            </span>
          ) : null}
        </button>
      ))}
    </nav>
  );
}
