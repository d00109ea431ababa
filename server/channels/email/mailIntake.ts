/**
 * One inbound mail, from whichever door it came in (SMTP receiver or IMAP poller), to a
 * ticket: parse, drop machine mail, check attachment sizes, thread, trim quoted history,
 * validate and ingest with the raw source and attachments in one transaction. Every
 * outcome that stores nothing gets one log line with its reason.
 */
import { MAX_MESSAGE_ATTACHMENTS, MAX_SUBJECT_LENGTH, MAX_TEXT_LENGTH } from '../../../shared/domain.js';
import { inboundContactSchema, type InboundContact } from '../../../shared/httpApi.js';
import type { IncomingAttachment, IngestOutcome } from '../../store.js';
import type { ChannelContext } from '../channel.js';
import { automaticMailReason } from './automaticMail.js';
import { MalformedMailError, parseMail, type InboundMail } from './parseMail.js';
import { trimQuotedHistory } from './quotedHistory.js';
import { findThread, ticketSubjectOf } from './threading.js';

/** What the intake needs to know about our side. */
export interface MailIntakeOptions {
  /** The domain of our Message-IDs. */
  domain: string;
  /** Addresses we receive on and send from; mail from them is our own. */
  ownAddresses: readonly string[];
  /** Largest single attachment kept, in bytes. */
  maxAttachmentBytes: number;
}

/** Where a mail came from and what to do with an attachment over the limit. */
export interface MailArrival {
  via: 'smtp' | 'imap';
  /** SMTP MAIL FROM (`''` = null sender); unknown for IMAP. */
  envelopeFrom?: string | null;
  /** When the mail reached the mailbox (IMAP INTERNALDATE); default now. */
  receivedAt?: Date;
  /**
   * 'refuse': the whole mail is refused (the SMTP client gets the error and bounces it to the
   * sender); 'omit': stored without that file, with a note in the text (IMAP: the mail is
   * already ours and must not be lost).
   */
  oversizeAttachments: 'refuse' | 'omit';
}

export type MailIntakeResult =
  | { kind: 'ingested'; outcome: IngestOutcome; mail: InboundMail }
  | { kind: 'duplicate'; outcome: IngestOutcome; mail: InboundMail }
  | { kind: 'dropped'; reason: string }
  | { kind: 'refused'; code: 'malformed' | 'attachment_too_large' | 'invalid'; reason: string };

export interface MailIntake {
  /** Throws only when storing failed (the caller retries later); refusals are results. */
  receive(raw: Buffer, arrival: MailArrival): Promise<MailIntakeResult>;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function createMailIntake(context: ChannelContext, options: MailIntakeOptions): MailIntake {
  const ownAddresses = new Set(options.ownAddresses.map((address) => address.toLowerCase()));
  const { log, store } = context;

  async function receive(raw: Buffer, arrival: MailArrival): Promise<MailIntakeResult> {
    const where = `email(${arrival.via})`;
    let mail: InboundMail;
    try {
      mail = await parseMail(raw);
    } catch (error) {
      if (!(error instanceof MalformedMailError)) throw error;
      const reason = `malformed MIME: ${error.message}`;
      log(`${where}: refused a mail of ${String(raw.length)} bytes from ${arrival.envelopeFrom || 'unknown sender'}: ${reason}`);
      return { kind: 'refused', code: 'malformed', reason };
    }
    const who = `${mail.from.address} ${mail.messageId}`;

    const automatic = automaticMailReason(mail, { domain: options.domain, ownAddresses, envelopeFrom: arrival.envelopeFrom ?? null });
    if (automatic) {
      log(`${where}: dropped automatic mail ${who} (${automatic}); no ticket`);
      return { kind: 'dropped', reason: automatic };
    }

    const attachments: IncomingAttachment[] = [];
    const omitted: string[] = [];
    for (const attachment of mail.attachments) {
      if (attachment.data.length <= options.maxAttachmentBytes) {
        attachments.push(attachment);
        continue;
      }
      const reason = `attachment "${attachment.fileName}" is ${megabytes(attachment.data.length)}; the limit per attachment is ${megabytes(options.maxAttachmentBytes)}`;
      if (arrival.oversizeAttachments === 'refuse') {
        log(`${where}: refused ${who}: ${reason}`);
        return { kind: 'refused', code: 'attachment_too_large', reason };
      }
      log(`${where}: ${who}: ${reason}; stored without it (the raw mail keeps it)`);
      omitted.push(`[附件 ${attachment.fileName} 超过 ${megabytes(options.maxAttachmentBytes)} 未保存 / attachment over the size limit, not stored]`);
    }
    // A message holds at most MAX_MESSAGE_ATTACHMENTS files: with more, its ticket was unreadable to every workstation (attack-10).
    if (attachments.length > MAX_MESSAGE_ATTACHMENTS) {
      const over = attachments.length - MAX_MESSAGE_ATTACHMENTS;
      attachments.length = MAX_MESSAGE_ATTACHMENTS;
      log(`${where}: ${who}: ${String(over)} attachment(s) over ${String(MAX_MESSAGE_ATTACHMENTS)} per message; stored without them (the raw mail keeps them)`);
      omitted.push(
        `[另有 ${String(over)} 个附件超过每封 ${String(MAX_MESSAGE_ATTACHMENTS)} 个的上限未保存 / ${String(over)} more attachment(s) over the limit of ${String(MAX_MESSAGE_ATTACHMENTS)}, not stored]`,
      );
    }

    const thread = await findThread(mail, store, options.domain);
    let text = trimQuotedHistory(mail.text);
    if (omitted.length > 0) text = `${text}\n\n${omitted.join('\n')}`.trim();
    if (text === '') text = attachments.length > 0 ? `[附件 / attachments: ${attachments.map((file) => file.fileName).join(', ')}]` : '[空邮件 / empty mail]';
    const subject = clip(ticketSubjectOf(mail.subject), MAX_SUBJECT_LENGTH);
    const contact: InboundContact = {
      channel: 'email',
      customer: { email: mail.from.address, ...(mail.from.name ? { name: clip(mail.from.name, 200) } : {}) },
      text: clip(text, MAX_TEXT_LENGTH),
      externalMessageId: clip(mail.messageId, 500),
      ...(subject ? { subject } : {}),
      ...(arrival.receivedAt ? { receivedAt: arrival.receivedAt.toISOString() } : {}),
    };
    const checked = inboundContactSchema.safeParse(contact);
    if (!checked.success) {
      const reason = checked.error.issues.map((issue) => `${issue.path.join('.') || 'mail'} ${issue.message}`).join('; ');
      log(`${where}: refused ${who}: ${reason}`);
      return { kind: 'refused', code: 'invalid', reason };
    }

    const outcome = await context.ingest({
      ...checked.data,
      source: 'email',
      // The From address is the mail's sender (the receiving MTA's checks are all there is to go by); a name or signature proves nothing.
      proven: ['email'],
      attachments,
      rawSource: raw,
      ...(mail.from.name ? { authorName: clip(mail.from.name, 200) } : {}),
      // A mail that answers none of ours is a conversation of its own, even from a customer with an open ticket.
      ...(thread ? { threadTicketId: thread.ticketId } : { newConversation: true }),
    });
    if (outcome.duplicate) {
      log(`${where}: duplicate ${who} (already in ${outcome.ticketId}); nothing stored`);
      return { kind: 'duplicate', outcome, mail };
    }
    const how = outcome.created ? 'new ticket' : thread ? `joined via ${thread.via}` : 'joined';
    log(`${where}: ${who} → ${outcome.ticketId} (${how}${attachments.length > 0 ? `, ${String(attachments.length)} attachment(s)` : ''})`);
    return { kind: 'ingested', outcome, mail };
  }

  return { receive };
}
