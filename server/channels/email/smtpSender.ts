/**
 * Replies leave as mail (nodemailer over SMTP, or LMTP into a local Dovecot): to the
 * customer's address, subject `Re: <subject> [GD…]`, a Message-ID that carries the ticket
 * id, In-Reply-To/References pointing at the customer's latest mail so their client
 * threads it, and our X-OmniDesk-Ticket header so it is recognised should it come back.
 * A 5xx answer (unknown recipient, refused) fails the message at once with the server's
 * words; anything else (connection refused, timeouts, 4xx) is retried by the dispatcher.
 */
import nodemailer from 'nodemailer';
import { isAutomaticReply } from '../../../shared/admin.js';
import type { Message } from '../../../shared/domain.js';
import type { QueuedDelivery, ServerStore } from '../../store.js';
import { PermanentDeliveryError, type ChannelSender } from '../delivery.js';
import { OWN_MAIL_HEADER } from './automaticMail.js';
import { outboundMessageId, outboundSubject } from './threading.js';

/** Where outbound mail goes. */
export interface SmtpOutConfig {
  host: string;
  port: number;
  /** TLS from the first byte (465). */
  secure: boolean;
  user?: string;
  password?: string;
  /** Speak LMTP (delivery straight into a local Dovecot). */
  lmtp?: boolean;
  /** Our sender address (`support@example.cn`). */
  from: string;
  /** Display name on our mail, e.g. "客服中心". */
  fromName?: string;
}

export interface EmailSenderOptions {
  config: SmtpOutConfig;
  store: ServerStore;
  /** The domain of our Message-IDs. */
  domain: string;
}

export interface EmailSender extends ChannelSender {
  close(): void;
}

const MAX_REFERENCES = 20;

function messageIdsIn(value: string): string[] {
  return [...value.matchAll(/<[^<>\s]+>/g)].map((match) => match[0]);
}

/** References and In-Reply-To of a stored raw mail, read from its header block only. */
function threadHeadersOf(raw: Buffer): { references: string[]; inReplyTo: string[] } {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n(?=[ \t])/g, '');
  const field = (name: string) =>
    block
      .split(/\r?\n/)
      .filter((line) => line.toLowerCase().startsWith(`${name}:`))
      .flatMap((line) => messageIdsIn(line));
  return { references: field('references'), inReplyTo: field('in-reply-to') };
}

function smtpFailure(error: unknown): { permanent: boolean; reason: string } {
  const details = error as { responseCode?: number; response?: string; rejectedErrors?: { responseCode?: number; response?: string }[]; message?: string };
  const rejected = details.rejectedErrors?.find((item) => (item.responseCode ?? 0) >= 500);
  const code = rejected?.responseCode ?? details.responseCode;
  const response = rejected?.response ?? details.response ?? details.message ?? String(error);
  if (code !== undefined && code >= 500 && code < 600) return { permanent: true, reason: `邮件服务器拒收 / refused by the mail server: ${response}` };
  return { permanent: false, reason: response };
}

export function createEmailSender(options: EmailSenderOptions): EmailSender {
  const { config, store, domain } = options;
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    lmtp: config.lmtp ?? false,
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });

  /** The customer's newest mail on the ticket, which our reply answers. */
  async function latestCustomerMail(ticketId: string): Promise<Message | null> {
    const messages = (await store.getTicketBundle(ticketId))?.messages ?? [];
    const inbound = messages.filter((message) => message.direction === 'inbound' && message.channel === 'email' && message.externalMessageId);
    return inbound.reduce<Message | null>((latest, message) => (!latest || message.createdAt >= latest.createdAt ? message : latest), null);
  }

  async function send({ message, ticket, customer }: QueuedDelivery): Promise<{ externalMessageId: string }> {
    const to = customer.email ?? customer.identities.find((identity) => identity.kind === 'email')?.value ?? null;
    if (!to) throw new PermanentDeliveryError('客户没有邮箱地址 / the customer has no email address');
    const answered = await latestCustomerMail(ticket.id);
    const raw = answered ? await store.getMessageSource(answered.id) : null;
    const earlier = raw ? threadHeadersOf(raw) : { references: [], inReplyTo: [] };
    const references = answered ? [...(earlier.references.length > 0 ? earlier.references : earlier.inReplyTo), answered.externalMessageId!] : [];
    const messageId = outboundMessageId(ticket.id, message.id, domain);
    const attachments: Array<{ filename: string; contentType: string; content: Buffer }> = [];
    for (const attachment of message.attachments) {
      const stored = await store.getAttachment(attachment.id);
      // Without its bytes the mail would leave without the file while the timeline shows it as sent with it.
      if (!stored) throw new PermanentDeliveryError(`附件 ${attachment.fileName} 已不在服务器上 / attachment ${attachment.fileName} is missing on the server`);
      attachments.push({ filename: attachment.fileName, contentType: attachment.contentType, content: stored.data });
    }
    try {
      const info = await transport.sendMail({
        from: config.fromName ? { name: config.fromName, address: config.from } : config.from,
        to,
        subject: outboundSubject(message, ticket),
        text: message.text,
        messageId,
        ...(answered ? { inReplyTo: answered.externalMessageId!, references: references.slice(-MAX_REFERENCES) } : {}),
        // An off-hours auto-reply says so (RFC 3834), so the customer's own responders do not answer it.
        headers: isAutomaticReply(message)
          ? { [OWN_MAIL_HEADER]: ticket.id, 'Auto-Submitted': 'auto-replied', Precedence: 'auto_reply' }
          : { [OWN_MAIL_HEADER]: ticket.id },
        attachments,
      });
      if (info.accepted.length === 0 && info.rejected.length > 0) {
        throw Object.assign(new Error(`rejected ${info.rejected.join(', ')}`), { rejectedErrors: info.rejectedErrors ?? [] });
      }
    } catch (error) {
      const failure = smtpFailure(error);
      if (failure.permanent) throw new PermanentDeliveryError(failure.reason);
      throw new Error(failure.reason);
    }
    return { externalMessageId: messageId };
  }

  return { send, close: () => transport.close() };
}
