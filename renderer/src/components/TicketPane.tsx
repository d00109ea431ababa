import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { PRIORITIES, STATUS_TRANSITIONS, prioritySchema, ticketStatusSchema, type Ticket, type TicketStatus } from '../../../shared/domain.js';
import { looksMasked } from '../../../shared/masking.js';
import { isOwnerOrLead } from '../../../shared/ticketRules.js';
import {
  channelKey,
  describeTicketGone,
  formatDateTime,
  fromOrgInputValue,
  priorityKey,
  statusKey,
  toOrgInputValue,
  typeKey,
  type Translate,
} from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import type { AppState } from '../store/types.js';
import { isQueued, takeBlock, type TakeBlock } from '../store/ticketPredictions.js';
import { ticketLineText } from '../callText.js';
import { ChannelIcon } from './ChannelIcon.js';
import { VisitorTyping } from './ChatIndicators.js';
import { Composer } from './Composer.js';
import { KnowledgePanel } from './KnowledgePanel.js';
import { CollisionBar } from './CollisionBar.js';
import { CustomerPanel } from './CustomerPanel.js';
import { DraftList } from './DraftList.js';
import { EscalateButton, EscalationStatus, PinSelect } from './EscalationControls.js';
import { AttachmentError } from './MessageExtras.js';
import { RevealControl, RevealedMark, useReveal } from './Masked.js';
import { PiiAudit } from './PiiAudit.js';
import { errorText } from './errorText.js';
import { refusalText } from './refusalText.js';
import { RoutingHistory } from './RoutingHistory.js';
import { SlaCountdown } from './SlaCountdown.js';
import { CompletePrompt, HandoverNote, TicketFieldsEditor, TransferButton, TransferDialog } from './TicketFields.js';
import { Timeline } from './Timeline.js';
import { TicketNumber } from './TicketNumber.js';
import { useNow } from './useNow.js';

/** Completing or closing ends the work on a ticket. */
function endsWork(status: TicketStatus): boolean {
  return status === 'completed' || status === 'closed';
}

/**
 * The status control offers the current status and only the transitions allowed from it;
 * completing and closing are the owner's (or a lead's), so for anyone else they show why and cannot be picked.
 */
function StatusSelect({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const { settingStatus, setStatus, requestComplete, user } = useAppStore(
    useShallow((s) => ({ settingStatus: s.settingStatus, setStatus: s.setStatus, requestComplete: s.requestComplete, user: s.user })),
  );
  const choices = [ticket.status, ...STATUS_TRANSITIONS[ticket.status]];
  const owns = user !== null && isOwnerOrLead(user, ticket);
  const label = (status: TicketStatus): string => {
    const name = t(statusKey(status));
    if (owns || !endsWork(status) || status === ticket.status) return name;
    return ticket.assigneeName === null
      ? t('status.needsOwner', { status: name })
      : t('status.needsOwnerOther', { status: name, assignee: ticket.assigneeName });
  };
  return (
    <span className="status-control">
      <label htmlFor={id}>{t('ticket.status')}</label>
      <select
        id={id}
        data-shortcut="status"
        value={ticket.status}
        disabled={settingStatus}
        aria-busy={settingStatus}
        onChange={(e) => {
          const parsed = ticketStatusSchema.safeParse(e.target.value);
          // Completing needs the result (处理结果): asked for first when none is recorded.
          if (parsed.success) void (parsed.data === 'completed' ? requestComplete() : setStatus(parsed.data));
        }}
      >
        {choices.map((status) => (
          <option key={status} value={status} disabled={!owns && endsWork(status) && status !== ticket.status}>
            {label(status)}
          </option>
        ))}
      </select>
    </span>
  );
}

function takeBlockText(t: Translate, block: TakeBlock): string {
  return block.kind === 'not_queued'
    ? t('take.notQueued', { status: t(statusKey(block.status)) })
    : t('take.refused', { reason: refusalText(t, block.refusal) });
}

/** Why the open ticket cannot be taken now, in the user's language; null when it can be, or is not queued (no Take at all). */
function useTakeReason(ticket: Ticket): { shown: boolean; reason: string | null } {
  const t = useT();
  const now = useNow();
  const user = useAppStore((s) => s.user);
  if (!user || !isQueued(ticket)) return { shown: false, reason: null };
  const block = takeBlock(user, ticket, now);
  return { shown: true, reason: block ? takeBlockText(t, block) : null };
}

/** The id of the line under the title that says why Take cannot be pressed (the button is described by it). */
function takeReasonId(ticketId: string): string {
  return `take-reason-${ticketId}`;
}

/**
 * Take (领取): shown on a ticket nobody holds, pressed by the `t` key too. It asks the ticket
 * rules first, so it is disabled (saying why, in TakeReason under the title) exactly when the
 * core would refuse the take. Works offline like every change: the ticket is the agent's at
 * once, pending until the server has it.
 */
function TakeButton({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const { shown, reason } = useTakeReason(ticket);
  const { settingStatus, takeTicket } = useAppStore(useShallow((s) => ({ settingStatus: s.settingStatus, takeTicket: s.takeTicket })));
  if (!shown) return null;
  return (
    <button
      type="button"
      className="primary take-button"
      data-shortcut="take"
      data-disabled-reason={reason ?? undefined}
      aria-keyshortcuts="T"
      title={reason ?? t('take.title')}
      disabled={reason !== null || settingStatus}
      aria-describedby={reason ? takeReasonId(ticket.id) : undefined}
      onClick={() => void takeTicket()}
    >
      {settingStatus ? t('take.taking') : t('take.button')}
    </button>
  );
}

/**
 * Why Take is disabled, on a line of its own under the title: beside the button a long reason
 * ("You escalated GD…: a tier-2 agent handles it from here…") squeezed the subject to nothing
 * and broke 领取 over two lines, and was cut to a few words.
 */
function TakeReason({ ticket }: { ticket: Ticket }) {
  const { reason } = useTakeReason(ticket);
  if (!reason) return null;
  return (
    <p id={takeReasonId(ticket.id)} className="take-reason muted">
      {reason}
    </p>
  );
}

/** Works offline like every other change: shown at once, marked pending until the server has it. */
function PrioritySelect({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const { settingPriority, setPriority } = useAppStore(useShallow((s) => ({ settingPriority: s.settingPriority, setPriority: s.setPriority })));
  return (
    <span className="field-control">
      <label htmlFor={id}>{t('ticket.priority')}</label>
      <select
        id={id}
        data-shortcut="priority"
        className={`priority-select priority-${ticket.priority}`}
        value={ticket.priority}
        disabled={settingPriority}
        aria-busy={settingPriority}
        onChange={(e) => {
          const parsed = prioritySchema.safeParse(e.target.value);
          if (parsed.success) void setPriority(parsed.data);
        }}
      >
        {PRIORITIES.map((priority) => (
          <option key={priority} value={priority}>
            {t(priorityKey(priority))}
          </option>
        ))}
      </select>
    </span>
  );
}

/** The follow-up reminder (回访): pick a time and Set it, or Clear it. */
function FollowUpControl({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const now = useNow();
  const { language, settingFollowUp, setFollowUp } = useAppStore(
    useShallow((s) => ({ language: s.language, settingFollowUp: s.settingFollowUp, setFollowUp: s.setFollowUp })),
  );
  const [value, setValue] = useState(ticket.followUpAt === null ? '' : toOrgInputValue(ticket.followUpAt));
  const [invalid, setInvalid] = useState(false);
  const chosen = fromOrgInputValue(value);
  const overdue = ticket.followUpAt !== null && ticket.followUpAt <= now;
  return (
    <span className="field-control follow-up-control">
      <label htmlFor={id}>{t('ticket.followUp')}</label>
      {/* Text with its format shown, not datetime-local: that is written in the browser's locale, whatever the UI language. */}
      <input
        id={id}
        type="text"
        className="follow-up-input"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        maxLength={16}
        placeholder="YYYY-MM-DD HH:mm"
        title="YYYY-MM-DD HH:mm"
        value={value}
        aria-invalid={invalid || undefined}
        onChange={(e) => {
          setValue(e.target.value);
          setInvalid(false);
        }}
      />
      <button
        type="button"
        disabled={settingFollowUp || chosen === ticket.followUpAt}
        onClick={() => {
          if (chosen === null) setInvalid(true);
          else void setFollowUp(chosen);
        }}
      >
        {t('ticket.followUpSet')}
      </button>
      <button
        type="button"
        disabled={settingFollowUp || ticket.followUpAt === null}
        onClick={() => {
          setValue('');
          void setFollowUp(null);
        }}
      >
        {t('ticket.followUpClear')}
      </button>
      <span className={`follow-up-state${overdue ? ' overdue' : ''}`} role={invalid ? 'alert' : undefined}>
        {invalid
          ? t('ticket.followUpInvalid')
          : ticket.followUpAt === null
            ? t('ticket.followUpNone')
            : t(overdue ? 'ticket.followUpOverdue' : 'ticket.followUpDue', { time: formatDateTime(language, ticket.followUpAt) })}
      </span>
    </span>
  );
}

/** The subject, masked for an agent until they reveal it. */
function TicketSubject({ ticket }: { ticket: Ticket }) {
  const request = { field: 'subject', ticketId: ticket.id } as const;
  const t = useT();
  const language = useAppStore((s) => s.language);
  const { revealed } = useReveal(request);
  const masked = ticketLineText(t, language, ticket);
  const clear =
    revealed?.field === 'subject'
      ? ticketLineText(t, language, { ...ticket, subject: revealed.subject, lastMessagePreview: revealed.lastMessagePreview })
      : null;
  return (
    <>
      <h2 className="ticket-subject">
        <RevealedMark revealed={clear !== null}>{clear ?? masked}</RevealedMark>
      </h2>
      <RevealControl request={request} masked={looksMasked(masked)} />
    </>
  );
}

function TicketHeader({ ticket, pending }: { ticket: Ticket; pending: boolean }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  return (
    <header className="ticket-header">
      <div className="ticket-title-line">
        <ChannelIcon channel={ticket.channel} />
        <TicketNumber className="ticket-id big" id={ticket.id} />
        <TicketSubject ticket={ticket} />
        {pending ? <span className="pending-marker">{t('ticket.pending')}</span> : null}
        <TakeButton ticket={ticket} />
        <StatusSelect ticket={ticket} />
      </div>
      <TakeReason ticket={ticket} />
      <CollisionBar ticketId={ticket.id} />
      <div className="ticket-meta">
        <span className="meta-item">
          <span className="meta-label">{t('ticket.channel')}</span>
          {t(channelKey(ticket.channel))}
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
      <div className="ticket-controls">
        <PrioritySelect ticket={ticket} />
        {/* Keyed by the stored reminder, so the picker shows it again after a change from elsewhere. */}
        <FollowUpControl key={`${ticket.id}:${String(ticket.followUpAt)}`} ticket={ticket} />
        <PinSelect ticket={ticket} />
        <EscalateButton key={ticket.id} ticket={ticket} />
        <TransferButton ticket={ticket} />
      </div>
      <EscalationStatus ticket={ticket} />
    </header>
  );
}

/**
 * Where the transfer made from this window stands: waiting for the server (the pane stays open
 * and busy meanwhile), refused (said in place, the ticket back as it was), or done.
 */
function TransferNotice({ transfer, dismiss, inPane }: { transfer: NonNullable<AppState['lastTransfer']>; dismiss: () => void; inPane: boolean }) {
  const t = useT();
  const target = transfer.to.kind === 'group' ? t('transfer.groupTarget', { group: t(`group.${transfer.to.group}`) }) : transfer.to.agentName;
  if (transfer.refusal) {
    return (
      <p role="alert" className="transfer-done transfer-refused">
        {refusalText(t, transfer.refusal)}{' '}
        <button type="button" className="link-button" onClick={dismiss}>
          {t('ticket.dismiss')}
        </button>
      </p>
    );
  }
  if (transfer.awaiting) {
    // In its own pane it settles by itself; with the pane closed meanwhile, the notice is the user's to dismiss.
    return (
      <p role="status" className="transfer-done transfer-awaiting">
        {t('transfer.awaiting', { ticket: transfer.ticketId, target })}
        {inPane ? null : (
          <>
            {' '}
            <button type="button" className="link-button" onClick={dismiss}>
              {t('ticket.dismiss')}
            </button>
          </>
        )}
      </p>
    );
  }
  return (
    <p role="status" className="transfer-done">
      {t('transfer.done', { ticket: transfer.ticketId, target })}{' '}
      <button type="button" className="link-button" onClick={dismiss}>
        {t('ticket.dismiss')}
      </button>
    </p>
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
      // The reply and the note being written on the open ticket: said when the ticket leaves (neither was sent; both are kept).
      unsentReply: state.openTicketId ? (state.replyDrafts[state.openTicketId] ?? '').trim() : '',
      unsentNote: state.openTicketId ? (state.noteDrafts[state.openTicketId] ?? '').trim() : '',
      actionError: state.actionError,
      dismissActionError: state.dismissActionError,
      closeTicket: state.closeTicket,
      completePromptOpen: state.completePromptOpen,
      transferOpen: state.transferOpen,
      lastTransfer: state.lastTransfer,
      dismissLastTransfer: state.dismissLastTransfer,
      knowledgeOpen: state.knowledgeOpen,
    })),
  );

  if (!s.openTicketId) {
    return (
      <section className="ticket-pane empty">
        {s.lastTransfer ? <TransferNotice transfer={s.lastTransfer} dismiss={s.dismissLastTransfer} inPane={false} /> : null}
        <p className="muted">{t('ticket.none')}</p>
      </section>
    );
  }

  if (!s.detail) {
    return (
      <section className="ticket-pane empty">
        {s.ticketError ? (
          <div role="alert" className="inline-error">
            <p>{s.ticketError.code === 'not_found' ? describeTicketGone(t, s.ticketError.departure) : errorText(t, s.ticketError)}</p>
            {s.ticketError.code === 'not_found'
              ? (
                  [
                    ['ticket.goneUnsent', s.unsentReply],
                    ['ticket.goneUnsentNote', s.unsentNote],
                  ] as const
                ).map(([key, text]) =>
                  text === '' ? null : (
                    <div key={key} className="unsent-reply">
                      <p>{t(key)}</p>
                      <blockquote>{text}</blockquote>
                    </div>
                  ),
                )
              : null}
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

  const { ticket, customer, messages, notes, customerTickets, pending, drafts } = s.detail;
  const transfer = s.lastTransfer?.ticketId === ticket.id ? s.lastTransfer : null;
  return (
    <section className={`ticket-pane${s.knowledgeOpen ? ' with-knowledge' : ''}`} aria-label={ticket.id} aria-busy={transfer?.awaiting === true || undefined}>
      <div className="ticket-main">
        {transfer ? <TransferNotice transfer={transfer} dismiss={s.dismissLastTransfer} inPane /> : null}
        <TicketHeader ticket={ticket} pending={pending} />
        {/* Kept only for a draft after a full download left it out: its row (the assignee too) is no longer confirmed. */}
        {s.detail.leftOutOfDownload ? (
          <p role="status" className="left-out-notice">
            {t('ticket.leftOut')}
          </p>
        ) : null}
        <HandoverNote ticket={ticket} />
        <Timeline ticketId={ticket.id} messages={messages} notes={notes} />
        <VisitorTyping ticketId={ticket.id} />
        <AttachmentError />
        {s.actionError ? (
          <div role="alert" className="inline-error action-error">
            <span>{errorText(t, s.actionError)}</span>
            <button type="button" className="link-button" onClick={s.dismissActionError}>
              {t('ticket.dismiss')}
            </button>
          </div>
        ) : null}
        <DraftList drafts={drafts ?? []} />
        <Composer ticketId={ticket.id} />
      </div>
      {s.knowledgeOpen ? (
        <div className="side-column kb-column">
          <KnowledgePanel />
        </div>
      ) : (
        <div className="side-column">
          {/* Keyed by the stored values, so the editor shows them again after a change from elsewhere. */}
          <TicketFieldsEditor key={`${ticket.id}:${ticket.type}:${ticket.subCategory ?? ''}:${ticket.tags.join(',')}:${ticket.result ?? ''}`} ticket={ticket} />
          <CustomerPanel customer={customer} tickets={customerTickets} currentId={ticket.id} />
          <RoutingHistory />
          <PiiAudit />
        </div>
      )}
      {s.completePromptOpen ? <CompletePrompt ticket={ticket} /> : null}
      {s.transferOpen ? <TransferDialog key={ticket.id} ticket={ticket} /> : null}
    </section>
  );
}
