import { memo } from 'react';
import type { InboxRow as InboxRowData } from '../../../shared/rpc.js';
import { describeAssignment, priorityKey, statusKey } from '../i18n.js';
import { useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { SlaCountdown } from './SlaCountdown.js';

interface InboxRowProps {
  row: InboxRowData;
  index: number;
  selected: boolean;
  open: boolean;
  onSelect(index: number): void;
  onOpen(ticketId: string): void;
}

/** One ticket in the inbox: a focusable option of the listbox. */
export const InboxRow = memo(function InboxRow({ row, index, selected, open, onSelect, onOpen }: InboxRowProps) {
  const t = useT();
  const reason = row.assignmentReason
    ? t('inbox.assignment', { reason: describeAssignment(t, row.assignmentReason, row.assigneeName) })
    : t('inbox.unassigned');
  return (
    <li
      id={`inbox-row-${row.id}`}
      role="option"
      aria-selected={selected}
      aria-current={open ? 'true' : undefined}
      tabIndex={selected ? 0 : -1}
      data-ticket-id={row.id}
      className={`inbox-row${selected ? ' selected' : ''}${open ? ' open' : ''} priority-${row.priority}`}
      title={reason}
      onClick={() => {
        onSelect(index);
        onOpen(row.id);
      }}
    >
      <div className="row-line row-top">
        <ChannelIcon channel={row.channel} />
        <span className="ticket-id">{row.id}</span>
        <span className="customer-name">{row.customerName}</span>
        <SlaCountdown ticket={row} />
      </div>
      <div className="row-line row-subject">
        <span className="subject">{row.subject || row.lastMessagePreview}</span>
        <span className={`priority-badge priority-${row.priority}`}>{t(priorityKey(row.priority))}</span>
      </div>
      <div className="row-line row-bottom">
        <span className={`status-label status-${row.status}`}>{t(statusKey(row.status))}</span>
        {row.pending ? <span className="pending-marker">{t('inbox.pending')}</span> : null}
        <span className="assignment-reason">{reason}</span>
      </div>
    </li>
  );
});
