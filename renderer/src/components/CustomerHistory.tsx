import { useShallow } from 'zustand/react/shallow';
import { CSAT_DIMENSIONS, type CsatResult } from '../../../shared/csat.js';
import { CUSTOMER_HISTORY_MESSAGES_PER_TICKET, type CustomerHistoryEntry } from '../../../shared/customers.js';
import type { Message, Ticket } from '../../../shared/domain.js';
import { channelKey, errorKey, formatDateAndClock, formatDateTime, statusKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { callInfoText, callPreviewText, ticketSubjectText } from '../callText.js';
import { ChannelIcon } from './ChannelIcon.js';

/**
 * The customer's satisfaction answer on one ticket (issue 11): score, the four ratings, when,
 * the feedback id and the comment as plain text (masked by the server for agents).
 */
function CsatAnswerView({ csat, ticketId }: { csat: CsatResult; ticketId: string }) {
  const t = useT();
  const language = useAppStore((state) => state.language);
  return (
    <div
      className={`history-csat${csat.score <= 2 ? ' history-csat-low' : ''}`}
      role="group"
      aria-label={t('customerHistory.csatLabel', { id: ticketId })}
      data-feedback-id={csat.feedbackId}
    >
      <span className="history-csat-score">{t('customerHistory.csatScore', { score: csat.score.toFixed(2) })}</span>
      <span className="muted small">
        {csat.feedbackId} · {t('customerHistory.csatAnswered', { time: formatDateTime(language, csat.answeredAt) })}
      </span>
      <ul className="history-csat-ratings">
        {CSAT_DIMENSIONS.map((dimension) => (
          <li key={dimension} data-dimension={dimension}>
            {t(`customerHistory.csat.${dimension}`)} <strong>{csat.ratings[dimension]}</strong>
          </li>
        ))}
      </ul>
      {csat.comment ? (
        <p className="history-csat-comment">
          <span className="muted">{t('customerHistory.csatComment')}：</span>
          {csat.comment}
        </p>
      ) : null}
    </div>
  );
}

/** The open ticket as the workstation holds it now: its facts and every message of its conversation. */
interface LiveTicket {
  ticket: Ticket;
  messages: Message[];
}

/** One earlier ticket: its facts in the summary, its newest messages inside; read-only unless the user may open it anyway. */
function HistoryEntry({ entry, currentId, live }: { entry: CustomerHistoryEntry; currentId: string; live: LiveTicket | undefined }) {
  const t = useT();
  const s = useAppStore(useShallow((state) => ({ openTicket: state.openTicket, language: state.language })));
  const current = entry.ticket.id === currentId;
  // The page was fetched when the ticket opened: the open ticket's status, assignee and messages come from the workstation's
  // copy (which holds its whole conversation), so completing it or replying does not leave the page's old facts beside it.
  const now = current && live ? live : undefined;
  const ticket = now ? now.ticket : entry.ticket;
  const messages = now ? now.messages.slice(-CUSTOMER_HISTORY_MESSAGES_PER_TICKET) : entry.messages;
  const messageCount = now ? now.messages.length : entry.messageCount;
  const created = formatDateAndClock(s.language, ticket.createdAt);
  const facts = (
    <>
      {/*
       * One line in both languages, the time at its end (customers.css): in English "In progress" and the time did not fit
       * the 270 px panel beside the id, and the time took a line of its own. Another day's date goes above its clock.
       */}
      <span className="history-line">
        <ChannelIcon channel={ticket.channel} />
        <span className="ticket-id">{ticket.id}</span>
        <span className={`status-label status-${ticket.status}`}>{t(statusKey(ticket.status))}</span>
        <time className="history-time muted small" dateTime={new Date(ticket.createdAt).toISOString()}>
          {created.date ? <span className="history-date">{created.date}</span> : null}
          {created.date ? ' ' : null}
          <span className="history-clock">{created.clock}</span>
        </time>
      </span>
      <span className="history-subject">{ticketSubjectText(t, ticket)}</span>
      <span className="history-who muted small">
        {t(channelKey(ticket.channel))} ·{' '}
        {ticket.assigneeName ? t('customerHistory.handledBy', { name: ticket.assigneeName }) : t('customerHistory.unassigned')}
      </span>
    </>
  );
  return (
    <li className={`history-entry${current ? ' history-current' : ''}`} data-ticket-id={ticket.id}>
      {entry.mayOpen && !current ? (
        // A ticket the user may act on anyway opens like any other; the rest stay read-only.
        <button
          type="button"
          className="history-ticket history-open"
          onClick={() => void s.openTicket(ticket.id)}
          title={t('customerHistory.openTitle', { id: ticket.id })}
        >
          {facts}
        </button>
      ) : (
        <div className="history-facts">
          {facts}
          <span className={`history-badge${current ? '' : ' history-read-only'}`} title={current ? undefined : t('customerHistory.readOnlyTitle')}>
            {current ? t('customerHistory.current') : t('customerHistory.readOnly')}
          </span>
        </div>
      )}
      {entry.csat ? <CsatAnswerView csat={entry.csat} ticketId={ticket.id} /> : null}
      <details>
        <summary className="muted small">{t('customerHistory.messages', { shown: messages.length, n: messageCount })}</summary>
        {messages.length === 0 ? (
          <p className="muted small">{t('customerHistory.noMessages')}</p>
        ) : (
          <ol className="history-messages">
            {messages.map((message) => (
              <li key={message.id} className={`history-message history-${message.direction}`}>
                <span className="history-message-head muted small">
                  {message.authorName || (message.direction === 'inbound' ? t('customerHistory.customer') : '')} ·{' '}
                  <time dateTime={new Date(message.createdAt).toISOString()}>{formatDateTime(s.language, message.createdAt)}</time>
                </span>
                {/* A call's text is a code (`call_answered(192): Call 3:12`): said in the user's language, as the timeline does. */}
                <span className="history-message-text">
                  {message.call ? callInfoText(t, s.language, message.call) : callPreviewText(t, s.language, message.text)}
                </span>
              </li>
            ))}
          </ol>
        )}
      </details>
    </li>
  );
}

/** The tickets this workstation holds of the customer, when the server's history cannot be had (offline, nothing kept). */
function LocalTickets({ tickets, currentId }: { tickets: Ticket[]; currentId: string }) {
  const t = useT();
  const s = useAppStore(useShallow((state) => ({ openTicket: state.openTicket, language: state.language })));
  const others = tickets.filter((ticket) => ticket.id !== currentId);
  if (others.length === 0) return <p className="muted small">{t('customer.noHistory')}</p>;
  return (
    <ul className="customer-tickets">
      {others.map((ticket) => (
        <li key={ticket.id}>
          <button type="button" className="history-ticket" onClick={() => void s.openTicket(ticket.id)} title={ticketSubjectText(t, ticket)}>
            <ChannelIcon channel={ticket.channel} />
            <span className="ticket-id">{ticket.id}</span>
            <span className={`status-label status-${ticket.status}`}>{t(statusKey(ticket.status))}</span>
            <span className="history-subject">{ticketSubjectText(t, ticket)}</span>
            <time className="history-time muted small" dateTime={new Date(ticket.createdAt).toISOString()}>
              {formatDateTime(s.language, ticket.createdAt)}
            </time>
          </button>
        </li>
      ))}
    </ul>
  );
}

/**
 * The customer's whole history on every channel, other agents' tickets included, read-only
 * and masked for agents (the server masks it), newest first with "More"; read from the cache
 * "as of" its fetch when offline.
 */
export function CustomerHistory({ customerId, tickets, currentId }: { customerId: string; tickets: Ticket[]; currentId: string }) {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      view: state.customerHistoryFor === customerId ? state.customerHistory : null,
      loading: state.customerHistoryLoading,
      error: state.customerHistoryFor === customerId ? state.customerHistoryError : null,
      notYours: state.customerHistoryFor === customerId && state.customerHistoryNotYours,
      loadMore: state.loadMoreCustomerHistory,
      online: state.connection.status === 'online',
      language: state.language,
      open: state.detail?.ticket,
      openMessages: state.detail?.messages,
    })),
  );
  const view = s.view;
  const live = s.open?.id === currentId && s.openMessages ? { ticket: s.open, messages: s.openMessages } : undefined;
  return (
    <section className="customer-history" aria-labelledby="customer-history-title" aria-busy={s.loading}>
      <h4 id="customer-history-title" className="panel-subtitle">
        {t('customerHistory.title')}
      </h4>
      {view && (view.cached || !s.online) ? (
        <p className="history-as-of small" role="status">
          {t('customerHistory.asOf', { time: formatDateTime(s.language, view.asOf) })}
        </p>
      ) : null}
      {view ? (
        <>
          <p className="muted small history-count">{t('customerHistory.count', { shown: view.entries.length, total: view.total })}</p>
          {view.entries.length === 0 ? (
            <p className="muted small">{t('customerHistory.empty')}</p>
          ) : (
            <ol className="history-entries">
              {view.entries.map((entry) => (
                <HistoryEntry key={entry.ticket.id} entry={entry} currentId={currentId} live={live} />
              ))}
            </ol>
          )}
          {view.next ? (
            <button type="button" className="history-more" onClick={() => void s.loadMore()} disabled={s.loading} title={t('customerHistory.moreTitle')}>
              {s.loading ? t('customerHistory.loading') : t('customerHistory.more')}
            </button>
          ) : null}
        </>
      ) : s.notYours ? (
        <>
          <p className="muted small history-not-yours">{t('customerHistory.notYours')}</p>
          <LocalTickets tickets={tickets} currentId={currentId} />
        </>
      ) : s.error ? (
        <>
          <p className="muted small">
            {s.error.code === 'offline' ? t('customerHistory.unavailable') : t('customerHistory.failed', { reason: t(errorKey(s.error.code)) })}
          </p>
          <LocalTickets tickets={tickets} currentId={currentId} />
        </>
      ) : (
        <p className="muted small">{t('customerHistory.loading')}</p>
      )}
      {view && s.error ? (
        <p className="muted small" role="alert">
          {t('customerHistory.failed', { reason: t(errorKey(s.error.code)) })}
        </p>
      ) : null}
    </section>
  );
}
