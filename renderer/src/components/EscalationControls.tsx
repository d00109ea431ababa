import { useId, useRef, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Ticket } from '../../../shared/domain.js';
import { formatCountdown } from '../../../shared/sla.js';
import { formatDateTime } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { isLeadRole } from '../store/routingSlice.js';
import { EscalationDecision } from './AlertsView.js';
import { escalationRequestOf } from '../store/alarmSlice.js';
import { useNow } from './useNow.js';
import { useRequiredText } from './useRequiredText.js';

function isOpen(ticket: Ticket): boolean {
  return ticket.status !== 'completed' && ticket.status !== 'closed';
}

/**
 * The tier-2 target of an escalated ticket: a countdown to `dueAt` until someone other than
 * the escalating agent has it, then when that happened.
 */
export function EscalationStatus({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const now = useNow();
  const language = useAppStore((s) => s.language);
  const escalation = ticket.routing.escalation;
  if (!escalation) return null;
  const takenAt =
    ticket.assigneeId !== null && ticket.assigneeId !== escalation.byId && ticket.assignedAt !== null && ticket.assignedAt >= escalation.at
      ? ticket.assignedAt
      : null;
  const remaining = escalation.dueAt - now;
  let target: string;
  let state: string;
  if (takenAt !== null) {
    target = t('escalation.met', { time: formatDateTime(language, takenAt) });
    state = takenAt <= escalation.dueAt ? 'met' : 'stopped';
  } else if (!isOpen(ticket)) {
    target = '—';
    state = 'stopped';
  } else if (remaining >= 0) {
    target = formatCountdown(remaining);
    state = remaining < 10 * 60 * 1000 ? 'at_risk' : 'ok';
  } else {
    target = t('escalation.overdue', { time: formatCountdown(-remaining) });
    state = 'breached';
  }
  return (
    <div className="escalation-status">
      <span className="escalation-badge">{t('escalation.badge')}</span>
      <span className="escalation-text" title={escalation.reason}>
        {t('escalation.by', { by: escalation.byName, reason: escalation.reason })}
      </span>
      <span className="meta-label">{t('escalation.target')}</span>
      <span className={`sla sla-${state}`}>{target}</span>
    </div>
  );
}

/**
 * "Escalate" (升级): a small inline form with a required reason. It files a request to the
 * leads (主管审核); while one waits the control says so, and a refusal shows who refused and why.
 */
export function EscalateButton({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const [open, setOpen] = useState(false);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const reason = useRequiredText(reasonField);
  const { escalating, escalate, request, queued, isLead } = useAppStore(
    useShallow((s) => ({
      escalating: s.escalating,
      escalate: s.escalate,
      request: escalationRequestOf(s.alarms, ticket.id),
      queued: s.queuedEscalations.includes(ticket.id),
      isLead: isLeadRole(s.user?.role),
    })),
  );
  if (ticket.routing.escalation || !isOpen(ticket)) return null;
  if (!request && queued) {
    return (
      <span className="escalate-control escalation-pending" role="status">
        {t('escalate.queued')}
      </span>
    );
  }
  if (request && request.decision === null) {
    return (
      <span className="escalate-control escalation-pending">
        <span role="status">{t('escalate.requested')}</span>
        {/* A lead decides it here too, not only from the Alerts view (the same action). */}
        {isLead ? <EscalationDecision alarm={request} /> : null}
      </span>
    );
  }
  const refusal = request?.decision?.outcome === 'refused' ? request.decision : null;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!reason.check()) return;
    if (await escalate(reason.value)) {
      setOpen(false);
      reason.setValue('');
    }
  }

  return (
    <span className="escalate-control">
      {refusal ? (
        <span className="escalation-refused" role="status">
          {t('escalate.refusedBy', { by: refusal.byName, reason: refusal.reason ?? '' })}
        </span>
      ) : null}
      <button type="button" data-shortcut="escalate" aria-expanded={open} aria-controls={`${id}-form`} onClick={() => setOpen(!open)}>
        {t('escalate.button')}
      </button>
      {open ? (
        // noValidate: an empty reason gets this form's own sentence, in the UI's language, not the browser's bubble.
        <form id={`${id}-form`} className="escalate-form" aria-label={t('escalate.title')} onSubmit={(e) => void onSubmit(e)} noValidate>
          <label htmlFor={`${id}-reason`}>{t('escalate.reason')}</label>
          <textarea
            ref={reasonField}
            id={`${id}-reason`}
            required
            aria-required="true"
            aria-invalid={reason.missing}
            maxLength={500}
            rows={3}
            autoFocus
            placeholder={t('escalate.reasonPlaceholder')}
            value={reason.value}
            onChange={reason.onChange}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setOpen(false);
            }}
          />
          {reason.missing ? (
            <p role="alert" className="form-error">
              {t('escalate.required')}
            </p>
          ) : null}
          <div className="escalate-actions">
            <button type="submit" className="primary" disabled={escalating}>
              {t('escalate.submit')}
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              {t('escalate.cancel')}
            </button>
          </div>
        </form>
      ) : null}
    </span>
  );
}

/** Leads: pin (固定给…) the ticket to one agent with its channel skill, or remove the pin. */
export function PinSelect({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const { isLead, agents, pinTicket } = useAppStore(useShallow((s) => ({ isLead: isLeadRole(s.user?.role), agents: s.agents, pinTicket: s.pinTicket })));
  const [busy, setBusy] = useState(false);
  if (!isLead || !isOpen(ticket)) return null;
  const pinned = ticket.routing.pinnedAgentId;
  const candidates = agents.filter((a) => a.channels.includes(ticket.channel) || a.userId === pinned);
  return (
    <span className="pin-control">
      <label htmlFor={id}>{t('pin.label')}</label>
      <select
        id={id}
        value={pinned ?? ''}
        disabled={busy}
        onChange={(event) => {
          setBusy(true);
          void pinTicket(event.target.value === '' ? null : event.target.value).finally(() => setBusy(false));
        }}
      >
        <option value="">{t('pin.none')}</option>
        {pinned && !candidates.some((a) => a.userId === pinned) ? <option value={pinned}>{ticket.routing.pinnedAgentName ?? pinned}</option> : null}
        {candidates.map((agent) => (
          <option key={agent.userId} value={agent.userId}>
            {agent.displayName}
          </option>
        ))}
      </select>
    </span>
  );
}
