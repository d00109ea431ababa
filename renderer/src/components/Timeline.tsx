import { useEffect, useRef } from 'react';
import { isAutomaticReply } from '../../../shared/admin.js';
import { looksMasked } from '../../../shared/masking.js';
import type { PendingMessage, PendingNote } from '../../../shared/rpc.js';
import { formatDateTime } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { AttachmentList, CallSummary, DeliveryReason, MessageSource } from './MessageExtras.js';
import { ReadMark } from './ChatIndicators.js';
import { RevealControl, RevealedMark, useReveal } from './Masked.js';

type Entry = { kind: 'message'; at: number; message: PendingMessage } | { kind: 'note'; at: number; note: PendingNote };

function mergeByTime(messages: PendingMessage[], notes: PendingNote[]): Entry[] {
  const entries: Entry[] = [
    ...messages.map((message): Entry => ({ kind: 'message', at: message.createdAt, message })),
    ...notes.map((note): Entry => ({ kind: 'note', at: note.createdAt, note })),
  ];
  // Stable sort keeps the core's order for entries written in the same millisecond.
  return entries.sort((a, b) => a.at - b.at);
}

/** An internal note; an agent may reveal what it masks. */
function NoteEntry({ ticketId, note }: { ticketId: string; note: PendingNote }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const request = { field: 'note', ticketId, noteId: note.id } as const;
  const { revealed } = useReveal(request);
  const clear = revealed?.field === 'note' ? revealed.note : null;
  return (
    <li className="timeline-note">
      <div className="entry-meta">
        <span className="note-tag">{t('ticket.internalNote')}</span>
        <span className="author">{note.authorName}</span>
        <time dateTime={new Date(note.createdAt).toISOString()}>{formatDateTime(language, note.createdAt)}</time>
        {note.pending ? <span className="pending-marker">{t('ticket.pending')}</span> : null}
      </div>
      <p className="entry-text">
        <RevealedMark revealed={clear !== null}>{clear?.text ?? note.text}</RevealedMark>
        {/* A pending note is not on the server yet: there is nothing to reveal (the agent wrote it). */}
        <RevealControl request={request} masked={!note.pending && looksMasked(note.text)} />
      </p>
    </li>
  );
}

/** A message; an agent may reveal what it masks (text, author, the call's numbers) in place. */
function MessageEntry({ ticketId, message }: { ticketId: string; message: PendingMessage }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const request = { field: 'message', ticketId, messageId: message.id } as const;
  const { revealed } = useReveal(request);
  const clear = revealed?.field === 'message' ? revealed.message : null;
  const shown: PendingMessage = clear
    ? { ...message, text: clear.text, authorName: clear.authorName, call: clear.call, deliveryError: clear.deliveryError, subject: clear.subject ?? null }
    : message;
  const masked =
    !message.pending &&
    [message.text, message.authorName, message.call?.from ?? '', message.call?.to ?? '', message.deliveryError ?? '', message.subject ?? ''].some(looksMasked);
  const inbound = message.direction === 'inbound';
  // The server's off-hours auto-reply: no agent wrote it, and the timeline says so.
  const automatic = isAutomaticReply(message);
  // The summary says all a CTI call message's generated text would.
  const textHidden = message.call !== null && message.source === 'cti';
  const control = <RevealControl request={request} masked={masked} />;
  return (
    <li
      className={`timeline-message ${inbound ? 'inbound' : 'outbound'}${automatic ? ' message-automatic' : ''}${message.deliveryStatus === 'failed' ? ' message-undelivered' : ''}`}
    >
      <div className="entry-meta">
        <ChannelIcon channel={message.channel} />
        <MessageSource message={message} />
        <span className="direction">{inbound ? t('ticket.customerSide') : automatic ? t('ticket.automaticReply') : t('ticket.agentSide')}</span>
        <span className="author">
          <RevealedMark revealed={clear !== null && clear.authorName !== message.authorName}>{shown.authorName}</RevealedMark>
        </span>
        <time dateTime={new Date(message.createdAt).toISOString()}>{formatDateTime(language, message.createdAt)}</time>
        {inbound ? null : <span className={`delivery delivery-${message.deliveryStatus}`}>{t(`delivery.${message.deliveryStatus}`)}</span>}
        <ReadMark message={message} />
        {message.pending ? <span className="pending-marker">{t('ticket.pending')}</span> : null}
      </div>
      {message.direction === 'outbound' && message.channel === 'email' && shown.subject ? (
        <p className="entry-subject">
          <span className="entry-subject-label">{t('ticket.subject')}</span> <RevealedMark revealed={clear !== null}>{shown.subject}</RevealedMark>
        </p>
      ) : null}
      {shown.call ? <CallSummary call={shown.call} direction={message.direction} revealed={clear !== null} after={textHidden ? control : null} /> : null}
      {textHidden ? null : (
        <p className="entry-text">
          <RevealedMark revealed={clear !== null}>{shown.text}</RevealedMark>
          {control}
        </p>
      )}
      <AttachmentList attachments={message.attachments} />
      <DeliveryReason message={shown} />
    </li>
  );
}

/** The whole conversation across channels, with internal notes interleaved by time. */
export function Timeline({ ticketId, messages, notes }: { ticketId: string; messages: PendingMessage[]; notes: PendingNote[] }) {
  const t = useT();
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
        {entries.map((entry) =>
          entry.kind === 'note' ? (
            <NoteEntry key={`n-${entry.note.id}`} ticketId={ticketId} note={entry.note} />
          ) : (
            <MessageEntry key={`m-${entry.message.id}`} ticketId={ticketId} message={entry.message} />
          ),
        )}
      </ol>
    </div>
  );
}
