import { useId, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { CtiCall } from '../../../shared/cti.js';
import { canUserSeeTicket, type Ticket, type User } from '../../../shared/domain.js';
import { formatDateTime, statusKey } from '../i18n.js';
import { formatCallDuration } from '../i18nCustomers.js';
import { CALL_TICKET_KEY, isTypingTarget } from '../shortcuts.js';
import { callCardTarget, cardTicketOf } from '../store/callSlice.js';
import { useAppStore, useT } from '../store/react.js';
import { ticketSubjectText } from '../callText.js';
import { ChannelIcon } from './ChannelIcon.js';
import { errorText } from './errorText.js';
import { MaskedText } from './Masked.js';
import { WrapUpStatus } from './WrapUp.js';

/** The open-call key on the control it presses; screen readers hear it as the button's `aria-keyshortcuts`. */
function KeyHint() {
  const t = useT();
  return (
    <kbd className="call-key" aria-hidden="true" title={t('callCard.keyHint', { key: CALL_TICKET_KEY })}>
      {CALL_TICKET_KEY}
    </kbd>
  );
}

/** One of the caller's recent tickets: a button when this agent can open it, plain text otherwise. */
function RecentTicket({ ticket, user, onOpen, byKey }: { ticket: Ticket; user: User; onOpen: (ticketId: string) => void; byKey: boolean }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const body = (
    <>
      <ChannelIcon channel={ticket.channel} />
      <span className="ticket-id">{ticket.id}</span>
      <span className="call-recent-subject">{ticketSubjectText(t, ticket)}</span>
      <span className={`status-label status-${ticket.status}`}>{t(statusKey(ticket.status))}</span>
      <time className="muted small" dateTime={new Date(ticket.lastMessageAt).toISOString()}>
        {formatDateTime(language, ticket.lastMessageAt)}
      </time>
    </>
  );
  if (canUserSeeTicket(user, ticket)) {
    return (
      <li>
        <button type="button" className="call-recent-ticket" onClick={() => onOpen(ticket.id)} aria-keyshortcuts={byKey ? CALL_TICKET_KEY : undefined}>
          {body}
          {byKey ? <KeyHint /> : null}
        </button>
      </li>
    );
  }
  // Another agent's ticket: the agent on the phone still learns it exists and who has it.
  const owner = ticket.assigneeName ? t('callCard.handledBy', { name: ticket.assigneeName }) : t('callCard.queued');
  return (
    <li className="call-recent-ticket call-recent-other" title={owner}>
      {body}
      <span className="muted small">{owner}</span>
    </li>
  );
}

/**
 * The screen pop of one call: caller, customer, their history, and the notes box once answered.
 * `byKey`: the open-call key opens this card's ticket (its hint is shown on that button).
 */
function CallCard({ call, user, byKey }: { call: CtiCall; user: User; byKey: boolean }) {
  const t = useT();
  const id = useId();
  const language = useAppStore((s) => s.language);
  const { note, saved, saving, error, setCallNote, saveCallNote, dismissCall, openCallTicket } = useAppStore(
    useShallow((s) => ({
      note: s.callNotes[call.callId] ?? '',
      saved: s.callNotesSaved[call.callId] ?? 0,
      saving: s.savingCallNote === call.callId,
      error: s.callError?.callId === call.callId ? s.callError.error : null,
      setCallNote: s.setCallNote,
      saveCallNote: s.saveCallNote,
      dismissCall: s.dismissCall,
      openCallTicket: s.openCallTicket,
    })),
  );
  const title =
    call.state === 'ringing'
      ? t('callCard.ringing')
      : call.state === 'answered'
        ? t('callCard.answered')
        : call.state === 'ended'
          ? t('callCard.ended', { duration: formatCallDuration(language, call.durationSec ?? 0) })
          : t('callCard.missed');
  const { customer } = call;
  // A customer first met through this call is named by the number: do not say it twice.
  const digits = (text: string) => text.replace(/\D/g, '');
  const namedByNumber = customer !== null && (customer.name.trim() === '' || digits(customer.name).endsWith(digits(call.from)));
  const others = call.recentTickets.filter((ticket) => ticket.id !== call.ticketId);
  const canNote = call.ticketId !== null && call.state !== 'missed' && call.state !== 'ringing';
  // While it rings the call has no ticket yet: the key opens the caller's newest one this agent may open.
  const keyTicket = byKey ? cardTicketOf(call, user) : null;

  function onKeyDown(event: KeyboardEvent<HTMLElement>): void {
    // Esc in the notes box leaves the box (the page's rule for every field); elsewhere on the card it dismisses the card.
    if (event.target instanceof HTMLElement && isTypingTarget(event.target)) return;
    if (event.key === 'Escape') {
      event.stopPropagation();
      void dismissCall(call.callId);
    }
  }

  return (
    <section
      role="alertdialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-caller`}
      className={`call-card call-${call.state}`}
      onKeyDown={onKeyDown}
      data-call-id={call.callId}
    >
      <header className="call-card-head">
        <ChannelIcon channel="phone" decorative />
        <h2 id={`${id}-title`} className="call-card-title">
          {title}
        </h2>
        {call.agentExtension ? <span className="muted small">{t('callCard.extension', { extension: call.agentExtension })}</span> : null}
        <button
          type="button"
          className="call-dismiss"
          aria-label={t('callCard.dismiss', { number: call.from })}
          title={t('callCard.dismiss', { number: call.from })}
          onClick={() => void dismissCall(call.callId)}
        >
          ×
        </button>
      </header>
      <div id={`${id}-caller`} className="call-caller">
        <span className="call-number mono">
          <MaskedText text={call.from} request={{ field: 'call', callId: call.callId }} clear={(r) => (r.field === 'call' ? r.from : null)} />
        </span>
        {customer ? (
          <>
            {namedByNumber ? null : <span className="call-customer-name">{customer.name}</span>}
            {customer.vipTier > 0 ? <span className={`vip-badge vip-${String(customer.vipTier)}`}>VIP {customer.vipTier}</span> : null}
            <span className="muted small">{customer.id}</span>
          </>
        ) : (
          <span className="muted">{t('callCard.unknownCaller')}</span>
        )}
      </div>
      {call.ticketId ? (
        <button
          type="button"
          className="link-button call-open-ticket"
          onClick={() => void openCallTicket(call.ticketId!)}
          aria-keyshortcuts={keyTicket === call.ticketId ? CALL_TICKET_KEY : undefined}
        >
          {call.state === 'missed' ? t('callCard.callback', { id: call.ticketId }) : t('callCard.openTicket', { id: call.ticketId })}
          {keyTicket === call.ticketId ? <KeyHint /> : null}
        </button>
      ) : null}
      {customer ? (
        <div className="call-recent">
          <h3 className="call-recent-title">{t('callCard.recent')}</h3>
          {others.length === 0 ? (
            <p className="muted small">{t('callCard.noRecent')}</p>
          ) : (
            <ul className="call-recent-list">
              {others.map((ticket) => (
                <RecentTicket
                  key={ticket.id}
                  ticket={ticket}
                  user={user}
                  onOpen={(ticketId) => void openCallTicket(ticketId)}
                  byKey={keyTicket === ticket.id}
                />
              ))}
            </ul>
          )}
        </div>
      ) : null}
      {canNote ? (
        <form
          className="call-notes"
          onSubmit={(event) => {
            event.preventDefault();
            void saveCallNote(call.callId);
          }}
        >
          <label htmlFor={`${id}-note`} className="call-notes-label">
            {t('callCard.notes')}
          </label>
          <textarea
            id={`${id}-note`}
            rows={3}
            value={note}
            placeholder={t('callCard.notesPlaceholder')}
            onChange={(event) => setCallNote(call.callId, event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                void saveCallNote(call.callId);
              }
            }}
          />
          <div className="call-notes-actions">
            {saved > 0 ? (
              <span className="muted small" role="status">
                {t('callCard.saved', { n: saved, id: call.ticketId! })}
              </span>
            ) : (
              <span />
            )}
            <button type="submit" className="primary" disabled={saving || note.trim() === ''}>
              {saving ? t('callCard.savingNote') : t('callCard.saveNote')}
            </button>
          </div>
          {error ? (
            <p role="alert" className="inline-error">
              {errorText(t, error)}
            </p>
          ) : null}
        </form>
      ) : call.state === 'ringing' ? (
        <p className="muted small call-notes-waiting">{t('callCard.waitingTicket')}</p>
      ) : null}
      {/* The pop stays after the call with the wrap-up time left (issue 12). */}
      {call.state === 'ended' ? <WrapUpStatus compact /> : null}
    </section>
  );
}

/**
 * The calls on this agent's screen, docked in the page's flow (App.tsx): at the top of the
 * ticket pane beside the inbox, under the header on the other views — never over the inbox
 * (cti.css says why). They never take focus by themselves — the agent may be typing — but
 * every control is in the tab order, `o` opens the call's ticket (Shortcuts.tsx), Escape on a
 * card dismisses it, and they are announced when they appear. An answered call's card goes
 * by itself when the wrap-up after it is over (the core decides; an unsaved note keeps it).
 */
export function CallCards() {
  const t = useT();
  const calls = useAppStore((s) => s.calls);
  const user = useAppStore((s) => s.user);
  if (calls.length === 0 || !user) return null;
  const target = callCardTarget(calls, user);
  return (
    <div className={`call-stack${calls.length > 1 ? ' call-stack-many' : ''}`} role="region" aria-label={t('callCard.stack')}>
      {calls.map((call) => (
        <CallCard key={call.callId} call={call} user={user} byKey={target?.callId === call.callId} />
      ))}
    </div>
  );
}
