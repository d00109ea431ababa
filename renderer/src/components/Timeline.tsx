import { useEffect, useRef } from 'react';
import type { PendingMessage, PendingNote } from '../../../shared/rpc.js';
import { formatDateTime } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { AttachmentList, CallSummary, DeliveryReason, MessageSource } from './MessageExtras.js';
import { ReadMark } from './ChatIndicators.js';

type Entry = { kind: 'message'; at: number; message: PendingMessage } | { kind: 'note'; at: number; note: PendingNote };

function mergeByTime(messages: PendingMessage[], notes: PendingNote[]): Entry[] {
  const entries: Entry[] = [
    ...messages.map((message): Entry => ({ kind: 'message', at: message.createdAt, message })),
    ...notes.map((note): Entry => ({ kind: 'note', at: note.createdAt, note })),
  ];
  // Stable sort keeps the core's order for entries written in the same millisecond.
  return entries.sort((a, b) => a.at - b.at);
}

/** The whole conversation across channels, with internal notes interleaved by time. */
export function Timeline({
  ticketId,
  messages,
  notes,
}: {
  ticketId: string;
  messages: PendingMessage[];
  notes: PendingNote[];
}) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const entries = mergeByTime(messages, notes);
  const scrollRef = useRef<HTMLDivElement>(null);
  const count = entries.length;

  // Newest at the bottom, like any chat: follow it when the ticket opens or something arrives.
  useEffect(() => {
    const element = scrollRef.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [count, ticketId]);

  return (
    <div className="timeline-scroll" ref={scrollRef}>
      {count === 0 ? <p className="timeline-empty muted">{t('ticket.noMessages')}</p> : null}
      <ol className="timeline">
      {entries.map((entry) => {
        if (entry.kind === 'note') {
          const { note } = entry;
          return (
            <li key={`n-${note.id}`} className="timeline-note">
              <div className="entry-meta">
                <span className="note-tag">{t('ticket.internalNote')}</span>
                <span className="author">{note.authorName}</span>
                <time dateTime={new Date(note.createdAt).toISOString()}>{formatDateTime(language, note.createdAt)}</time>
                {note.pending ? <span className="pending-marker">{t('ticket.pending')}</span> : null}
              </div>
              <p className="entry-text">{note.text}</p>
            </li>
          );
        }
        const { message } = entry;
        const inbound = message.direction === 'inbound';
        return (
          <li
            key={`m-${message.id}`}
            className={`timeline-message ${inbound ? 'inbound' : 'outbound'}${message.deliveryStatus === 'failed' ? ' message-undelivered' : ''}`}
          >
            <div className="entry-meta">
              <ChannelIcon channel={message.channel} />
              <MessageSource message={message} />
              <span className="direction">{inbound ? t('ticket.customerSide') : t('ticket.agentSide')}</span>
              <span className="author">{message.authorName}</span>
              <time dateTime={new Date(message.createdAt).toISOString()}>
                {formatDateTime(language, message.createdAt)}
              </time>
              {inbound ? null : (
                <span className={`delivery delivery-${message.deliveryStatus}`}>{t(`delivery.${message.deliveryStatus}`)}</span>
              )}
              <ReadMark message={message} />
              {message.pending ? <span className="pending-marker">{t('ticket.pending')}</span> : null}
            </div>
            {message.call ? <CallSummary call={message.call} direction={message.direction} /> : null}
            {/* The summary above says all a CTI call message's generated text would. */}
            {message.call && message.source === 'cti' ? null : <p className="entry-text">{message.text}</p>}
            <AttachmentList attachments={message.attachments} />
            <DeliveryReason message={message} />
          </li>
        );
      })}
      </ol>
    </div>
  );
}
