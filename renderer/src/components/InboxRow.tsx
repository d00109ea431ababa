import { memo } from 'react';
import type { InboxRow as InboxRowData } from '../../../shared/rpc.js';
import { describeAssignment, formatDateTime, priorityKey, statusKey, type Translate } from '../i18n.js';
import { highlightParts } from '../searchHighlight.js';
import { useAppStore, useT } from '../store/react.js';
import { BulkCheckbox, RowRoutingBadges } from './BulkCheckbox.js';
import { ticketLineText } from '../callText.js';
import { ChannelIcon } from './ChannelIcon.js';
import { SlaCountdown } from './SlaCountdown.js';
import { TicketNumber } from './TicketNumber.js';
import { useNow } from './useNow.js';

/** The follow-up reminder of a row; turns red once it is due. Ticks with the shared clock. */
function FollowUpMarker({ followUpAt }: { followUpAt: number }) {
  const t = useT();
  const now = useNow();
  const language = useAppStore((s) => s.language);
  const overdue = followUpAt <= now;
  const time = formatDateTime(language, followUpAt);
  return (
    <span className={`follow-up-marker${overdue ? ' overdue' : ''}`}>
      {/* An SVG, not an emoji: agents' machines often have no colour-emoji font. */}
      <svg
        viewBox="0 0 24 24"
        width="12"
        height="12"
        fill="none"
        stroke="currentColor"
        strokeWidth="2.2"
        strokeLinecap="round"
        aria-hidden="true"
        focusable="false"
      >
        <circle cx="12" cy="13" r="8" />
        <path d="M12 9v4l2.5 2.5M5 3 2 6M19 3l3 3" />
      </svg>
      <span>{t(overdue ? 'inbox.followUpOverdue' : 'inbox.followUp', { time })}</span>
    </span>
  );
}

/** `text` with the search's terms marked (issue 12: the inbox highlights what the search matched). */
export function Highlighted({ text, query }: { text: string; query: string }) {
  return (
    <>
      {highlightParts(text, query).map((part, i) =>
        part.hit ? (
          <mark key={i} className="search-hit">
            {part.text}
          </mark>
        ) : (
          part.text
        ),
      )}
    </>
  );
}

/** Every row is this tall (CSS `.inbox-row`), so the list's scroll height is known without rendering it. */
export const INBOX_ROW_HEIGHT = 78;

interface InboxRowProps {
  row: InboxRowData;
  /** Its place in the whole list (0-based). */
  index: number;
  /** How many rows the whole list has. */
  setSize: number;
  /** Where the virtualised list puts it (px from the list's top): a number, so the memo holds while the list scrolls. */
  top: number;
  selected: boolean;
  open: boolean;
  /** The search the list shows ('' for none): its terms are marked in the row. */
  query: string;
  onSelect: (index: number) => void;
  onOpen: (ticketId: string) => void;
}

/**
 * The row's reason line. A queued ticket keeps the cause it was queued with until it is
 * assigned, but while it is offered that cause (no agent online, declined…) is no longer why
 * it waits: the offer is.
 */
function rowReason(t: Translate, row: InboxRowData): string {
  const offer = row.routing.offer;
  if (offer && row.assigneeId === null && (row.assignmentReason === null || row.assignmentReason.code === 'queued')) {
    return t('inbox.assignment', { reason: t('reason.offerPending', { name: offer.agentName }) });
  }
  return row.assignmentReason ? t('inbox.assignment', { reason: describeAssignment(t, row.assignmentReason, row.assigneeName) }) : t('inbox.unassigned');
}

/** One ticket in the inbox: a focusable option of the listbox. */
export const InboxRow = memo(function InboxRow({ row, index, setSize, top, selected, open, query, onSelect, onOpen }: InboxRowProps) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const reason = rowReason(t, row);
  return (
    <li
      id={`inbox-row-${row.id}`}
      role="option"
      aria-selected={selected}
      aria-current={open ? 'true' : undefined}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      tabIndex={selected ? 0 : -1}
      data-ticket-id={row.id}
      data-index={index}
      style={{ transform: `translateY(${String(top)}px)` }}
      className={`inbox-row${selected ? ' selected' : ''}${open ? ' open' : ''}${row.unread ? ' unread' : ''} priority-${row.priority}`}
      title={reason}
      onClick={() => {
        onSelect(index);
        onOpen(row.id);
      }}
    >
      <div className="row-line row-top">
        <BulkCheckbox ticketId={row.id} />
        {row.unread ? (
          <span className="unread-dot" title={t('inbox.unread')}>
            <span className="visually-hidden">{t('inbox.unread')}</span>
          </span>
        ) : null}
        <ChannelIcon channel={row.channel} />
        <TicketNumber className="ticket-id" id={row.id} />
        <span className="customer-name">
          <Highlighted text={row.customerName} query={query} />
        </span>
        <SlaCountdown ticket={row} />
      </div>
      <div className="row-line row-subject">
        <span className="subject">
          <Highlighted text={ticketLineText(t, language, row)} query={query} />
        </span>
        <RowRoutingBadges ticket={row} />
        <span className={`priority-badge priority-${row.priority}`}>{t(priorityKey(row.priority))}</span>
      </div>
      <div className="row-line row-bottom">
        <span className={`status-label status-${row.status}`}>{t(statusKey(row.status))}</span>
        {row.pending ? <span className="pending-marker">{t('inbox.pending')}</span> : null}
        {row.hasDraft ? (
          <span className="draft-marker" title={t('inbox.draftTitle')}>
            {t('inbox.draft')}
          </span>
        ) : null}
        {row.followUpAt !== null && row.followUpAt !== undefined ? <FollowUpMarker followUpAt={row.followUpAt} /> : null}
        <span className="assignment-reason">{reason}</span>
      </div>
    </li>
  );
});

/** A place in the list whose window is still being fetched: the same size, so scrolling does not jump. */
export function InboxRowPlaceholder({ index, setSize, top, selected }: { index: number; setSize: number; top: number; selected: boolean }) {
  const t = useT();
  return (
    <li
      role="option"
      aria-selected={selected}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      aria-busy="true"
      tabIndex={selected ? 0 : -1}
      data-index={index}
      style={{ transform: `translateY(${String(top)}px)` }}
      className={`inbox-row placeholder${selected ? ' selected' : ''}`}
    >
      <span className="muted">{t('inbox.rowLoading')}</span>
    </li>
  );
}
