import { useId, useRef, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_BACKLOG_THRESHOLD, backlogThresholdOf, isAlarmOpen, type Alarm } from '../../../shared/alarms.js';
import { CHANNELS, type Channel } from '../../../shared/domain.js';
import { alarmKindText, alarmText } from '../alarmText.js';
import { formatDateTime, type MessageKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { isLeadRole } from '../store/routingSlice.js';
import { errorText } from './errorText.js';
import { useRequiredText } from './useRequiredText.js';

/**
 * Alerts (告警): every alarm the server raised that this user may see, newest first, with
 * who acknowledged it and when; the ticket (or a backlog's channel) one click away. Leads
 * acknowledge, approve or refuse escalation requests (主管审核) and set each channel's
 * backlog threshold; an agent sees their own SLA alarms and escalation requests.
 */
export function AlertsView() {
  const t = useT();
  const { alarms, loaded, isLead, error, dismissError, counts, hasOlder, hasOlderOpen, loadingOlder, loadOlder } = useAppStore(
    useShallow((s) => ({
      alarms: s.alarms,
      loaded: s.alarmsLoaded,
      isLead: isLeadRole(s.user?.role),
      error: s.alarmError,
      dismissError: s.dismissAlarmError,
      counts: s.alarmCounts,
      hasOlder: s.alarmsHasOlder,
      hasOlderOpen: s.alarmsHasOlderOpen,
      loadingOlder: s.alarmsLoadingOlder,
      loadOlder: s.loadOlderAlarms,
    })),
  );
  const language = useAppStore((s) => s.language);
  const [openOnly, setOpenOnly] = useState(false);
  const shown = openOnly ? alarms.filter(isAlarmOpen) : alarms;
  const more = openOnly ? hasOlderOpen : hasOlder;
  return (
    <main className="alerts-view reports-view" aria-labelledby="alerts-title">
      <div className="reports-toolbar">
        <h2 id="alerts-title">{t('alerts.title')}</h2>
        <label className="alerts-filter">
          <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} />
          {t('alerts.open')}
        </label>
        {counts ? (
          <span className="muted small" role="status">
            {t('alerts.openCount', { open: counts.open, escalations: counts.escalations })}
          </span>
        ) : null}
        <NotificationToggle />
      </div>
      {error ? (
        <p role="alert" className="form-error">
          {errorText(t, error)}{' '}
          <button type="button" className="link" onClick={dismissError}>
            ×
          </button>
        </p>
      ) : null}
      {!loaded && alarms.length === 0 ? (
        <p className="muted">{t('alerts.loading')}</p>
      ) : shown.length === 0 ? (
        <p className="muted">{t('alerts.empty')}</p>
      ) : (
        <table className="reports-table alerts-table" aria-label={t('alerts.list')}>
          <thead>
            <tr>
              <th scope="col">{t('alerts.raised')}</th>
              <th scope="col">{t('alerts.list')}</th>
              <th scope="col">{t('alerts.status')}</th>
              <th scope="col">{t('alerts.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((alarm) => (
              <AlarmRow key={alarm.id} alarm={alarm} isLead={isLead} language={language} />
            ))}
          </tbody>
        </table>
      )}
      {more ? (
        <p>
          <button type="button" disabled={loadingOlder} onClick={() => void loadOlder(openOnly)}>
            {loadingOlder ? t('alerts.loadingOlder') : t('alerts.loadOlder')}
          </button>
        </p>
      ) : null}
      {isLead ? <ThresholdEditor /> : null}
    </main>
  );
}

function AlarmRow({ alarm, isLead, language }: { alarm: Alarm; isLead: boolean; language: 'en' | 'zh-CN' }) {
  const t = useT();
  const { acknowledgeAlarm, openAlarm, busy } = useAppStore(
    useShallow((s) => ({ acknowledgeAlarm: s.acknowledgeAlarm, openAlarm: s.openAlarm, busy: s.alarmsBusy.includes(alarm.id) })),
  );
  const open = isAlarmOpen(alarm);
  return (
    <tr data-alarm={alarm.kind} className={open ? 'alarm-open' : 'alarm-done'}>
      <td className="nowrap">{formatDateTime(language, alarm.raisedAt)}</td>
      <td>
        <span className={`alarm-kind alarm-kind-${alarm.kind}`}>{alarmKindText(language, alarm)}</span> {alarmText(language, alarm)}
      </td>
      <td>
        <AlarmStatus alarm={alarm} language={language} />
      </td>
      <td className="alarm-actions">
        <button type="button" onClick={() => openAlarm(alarm)}>
          {alarm.ticketId ? t('alerts.openTicket', { ticket: alarm.ticketId }) : t('alerts.showTickets')}
        </button>
        {isLead && alarm.kind === 'escalation_request' && alarm.decision === null ? <EscalationDecision alarm={alarm} /> : null}
        {isLead && alarm.kind !== 'escalation_request' && alarm.ackedAt === null ? (
          <button type="button" className="primary" disabled={busy} onClick={() => void acknowledgeAlarm(alarm.id)}>
            {t('alerts.ack')}
          </button>
        ) : null}
      </td>
    </tr>
  );
}

function AlarmStatus({ alarm, language }: { alarm: Alarm; language: 'en' | 'zh-CN' }) {
  const t = useT();
  if (alarm.kind === 'escalation_request') {
    const decision = alarm.decision;
    if (!decision) return <span className="alarm-waiting">{t('alerts.waiting')}</span>;
    return decision.outcome === 'approved' ? (
      <span>{t('alerts.approved', { by: decision.byName, at: formatDateTime(language, decision.at) })}</span>
    ) : (
      <span className="alarm-refused">{t('alerts.refused', { by: decision.byName, reason: decision.reason ?? '' })}</span>
    );
  }
  if (alarm.ackedAt === null) return <span className="alarm-waiting">{t('alerts.notAcked')}</span>;
  return <span>{t('alerts.ackedBy', { by: alarm.ackedByName ?? '', at: formatDateTime(language, alarm.ackedAt) })}</span>;
}

/** Approve, or refuse with a reason the agent will read (in the Alerts view, and on the ticket's Escalate control for leads). */
export function EscalationDecision({ alarm }: { alarm: Alarm }) {
  const t = useT();
  const id = useId();
  const { decideEscalation, busy } = useAppStore(useShallow((s) => ({ decideEscalation: s.decideEscalation, busy: s.alarmsBusy.includes(alarm.id) })));
  const [refusing, setRefusing] = useState(false);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const reason = useRequiredText(reasonField);

  function onRefuse(event: FormEvent) {
    event.preventDefault();
    if (reason.check()) void decideEscalation(alarm.id, false, reason.value);
  }

  if (!refusing) {
    return (
      <>
        <button type="button" className="primary" disabled={busy} onClick={() => void decideEscalation(alarm.id, true)}>
          {t('alerts.approve')}
        </button>
        <button type="button" disabled={busy} onClick={() => setRefusing(true)}>
          {t('alerts.refuse')}
        </button>
      </>
    );
  }
  return (
    // noValidate: an empty reason gets this form's own sentence, in the UI's language, not the browser's bubble.
    <form className="alarm-refuse-form" aria-label={t('alerts.refuse')} onSubmit={onRefuse} noValidate>
      <label htmlFor={`${id}-reason`}>{t('alerts.refuseReason')}</label>
      <textarea
        ref={reasonField}
        id={`${id}-reason`}
        rows={2}
        maxLength={500}
        autoFocus
        required
        aria-invalid={reason.missing}
        value={reason.value}
        onChange={reason.onChange}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setRefusing(false);
        }}
      />
      {reason.missing ? (
        <p role="alert" className="form-error">
          {t('alerts.refuseRequired')}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={busy}>
        {t('alerts.refuseSubmit')}
      </button>
      <button type="button" onClick={() => setRefusing(false)}>
        {t('alerts.cancel')}
      </button>
    </form>
  );
}

/** Leads and admins: each channel's backlog threshold (default 50). */
function ThresholdEditor() {
  const t = useT();
  const { thresholds, setBacklogThreshold } = useAppStore(useShallow((s) => ({ thresholds: s.thresholds, setBacklogThreshold: s.setBacklogThreshold })));
  const [drafts, setDrafts] = useState<Partial<Record<Channel, string>>>({});
  const [saved, setSaved] = useState<Channel | null>(null);
  const id = useId();

  async function save(event: FormEvent, channel: Channel) {
    event.preventDefault();
    const value = Number(drafts[channel] ?? backlogThresholdOf(thresholds, channel));
    if (!Number.isInteger(value) || value < 1 || value > MAX_BACKLOG_THRESHOLD) return;
    if (await setBacklogThreshold(channel, value)) {
      setSaved(channel);
      setDrafts((current) => ({ ...current, [channel]: undefined }));
    }
  }

  return (
    <section className="alerts-thresholds" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t('alerts.thresholds')}</h3>
      <p className="muted small">{t('alerts.thresholdsHint')}</p>
      <div className="threshold-grid">
        {CHANNELS.map((channel) => {
          const channelName = t(`channel.${channel}` as MessageKey);
          return (
            <form key={channel} className="threshold-form" onSubmit={(e) => void save(e, channel)}>
              <label htmlFor={`${id}-${channel}`}>{t('alerts.thresholdFor', { channel: channelName })}</label>
              <input
                id={`${id}-${channel}`}
                type="number"
                min={1}
                max={MAX_BACKLOG_THRESHOLD}
                step={1}
                required
                value={drafts[channel] ?? String(backlogThresholdOf(thresholds, channel))}
                onChange={(e) => {
                  setSaved(null);
                  setDrafts((current) => ({ ...current, [channel]: e.target.value }));
                }}
              />
              <button type="submit">{t('alerts.save')}</button>
              {saved === channel ? (
                <span role="status" className="muted small">
                  {t('alerts.saved')}
                </span>
              ) : null}
            </form>
          );
        })}
      </div>
    </section>
  );
}

/** Browser mode: desktop notifications need the user's permission, asked from a click (also in the header's notification settings). */
function NotificationToggle() {
  const t = useT();
  const { permission, ask } = useAppStore(useShallow((s) => ({ permission: s.notificationPermission, ask: s.askNotificationPermission })));
  if (permission === 'unsupported' || permission === 'desktop') return null;
  if (permission === 'granted') return <span className="muted small">{t('alerts.notifyOn')}</span>;
  if (permission === 'denied') return <span className="muted small">{t('alerts.notifyBlocked')}</span>;
  return (
    <button type="button" onClick={() => void ask()}>
      {t('alerts.notifyEnable')}
    </button>
  );
}
