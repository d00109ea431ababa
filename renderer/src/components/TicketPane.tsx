import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { STATUS_TRANSITIONS, ticketStatusSchema, type Ticket } from '../../../shared/domain.js';
import { channelKey, formatDateTime, priorityKey, statusKey, typeKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { Composer } from './Composer.js';
import { CustomerPanel } from './CustomerPanel.js';
import { errorText } from './errorText.js';
import { SlaCountdown } from './SlaCountdown.js';
import { Timeline } from './Timeline.js';

/** The status control offers the current status and only the transitions allowed from it. */
function StatusSelect({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const { settingStatus, setStatus } = useAppStore(
    useShallow((s) => ({ settingStatus: s.settingStatus, setStatus: s.setStatus })),
  );
  const choices = [ticket.status, ...STATUS_TRANSITIONS[ticket.status]];
  return (
    <span className="status-control">
      <label htmlFor={id}>{t('ticket.status')}</label>
      <select
        id={id}
        value={ticket.status}
        disabled={settingStatus}
        aria-busy={settingStatus}
        onChange={(e) => {
          const parsed = ticketStatusSchema.safeParse(e.target.value);
          if (parsed.success) void setStatus(parsed.data);
        }}
      >
        {choices.map((status) => (
          <option key={status} value={status}>
            {t(statusKey(status))}
          </option>
        ))}
      </select>
    </span>
  );
}

function TicketHeader({ ticket, pending }: { ticket: Ticket; pending: boolean }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  return (
    <header className="ticket-header">
      <div className="ticket-title-line">
        <ChannelIcon channel={ticket.channel} />
        <span className="ticket-id big">{ticket.id}</span>
        <h2 className="ticket-subject">{ticket.subject || ticket.lastMessagePreview}</h2>
        {pending ? <span className="pending-marker">{t('ticket.pending')}</span> : null}
        <StatusSelect ticket={ticket} />
      </div>
      <div className="ticket-meta">
        <span className="meta-item">
          <span className="meta-label">{t('ticket.channel')}</span>
          {t(channelKey(ticket.channel))}
        </span>
        <span className="meta-item">
          <span className="meta-label">{t('ticket.priority')}</span>
          <span className={`priority-badge priority-${ticket.priority}`}>{t(priorityKey(ticket.priority))}</span>
        </span>
        <span className="meta-item">
          <span className="meta-label">{t('ticket.type')}</span>
          {t(typeKey(ticket.type))}
        </span>
        <span className="meta-item">
          <span className="meta-label">{t('ticket.assignee')}</span>
          {ticket.assigneeName ?? t('inbox.unassigned')}
        </span>
        <span className="meta-item">
          <span className="meta-label">{t('ticket.created')}</span>
          {formatDateTime(language, ticket.createdAt)}
        </span>
        <span className="meta-item">
          <span className="meta-label">{t('ticket.sla')}</span>
          <SlaCountdown ticket={ticket} />
        </span>
      </div>
    </header>
  );
}

export function TicketPane() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      openTicketId: state.openTicketId,
      detail: state.detail,
      ticketLoading: state.ticketLoading,
      ticketError: state.ticketError,
      actionError: state.actionError,
      dismissActionError: state.dismissActionError,
      closeTicket: state.closeTicket,
    })),
  );

  if (!s.openTicketId) {
    return (
      <section className="ticket-pane empty">
        <p className="muted">{t('ticket.none')}</p>
      </section>
    );
  }

  if (!s.detail) {
    return (
      <section className="ticket-pane empty">
        {s.ticketError ? (
          <div role="alert" className="inline-error">
            <p>{s.ticketError.code === 'not_found' ? t('ticket.gone') : errorText(t, s.ticketError)}</p>
            <button type="button" onClick={s.closeTicket}>
              {t('ticket.dismiss')}
            </button>
          </div>
        ) : (
          <p className="muted">{s.ticketLoading ? t('ticket.loading') : null}</p>
        )}
      </section>
    );
  }

  const { ticket, customer, messages, notes, customerTickets, pending } = s.detail;
  return (
    <section className="ticket-pane" aria-label={ticket.id}>
      <div className="ticket-main">
        <TicketHeader ticket={ticket} pending={pending} />
        <Timeline ticketId={ticket.id} messages={messages} notes={notes} />
        {s.actionError ? (
          <div role="alert" className="inline-error action-error">
            <span>{errorText(t, s.actionError)}</span>
            <button type="button" className="link-button" onClick={s.dismissActionError}>
              {t('ticket.dismiss')}
            </button>
          </div>
        ) : null}
        <Composer ticketId={ticket.id} />
      </div>
      <CustomerPanel customer={customer} tickets={customerTickets} currentId={ticket.id} />
    </section>
  );
}
