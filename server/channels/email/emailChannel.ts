/**
 * The email channel: an SMTP receiver and/or an IMAP poller for inbound mail, and an SMTP
 * (or LMTP) sender for replies, each present only when configured. Configuration comes
 * from the environment (documented in docs/technical/channels.md); the demo receives for
 * support@demo.local on loopback port 2525.
 */
import type { Channel, ChannelFactory } from '../channel.js';
import { createImapPoller, type ImapMailboxConfig, type ImapPoller } from './imapPoller.js';
import { createMailIntake } from './mailIntake.js';
import { createEmailSender, type SmtpOutConfig } from './smtpSender.js';
import { createSmtpReceiver, type SmtpReceiver } from './smtpReceiver.js';

/** Everything the email channel runs with. */
export interface EmailChannelConfig {
  /** Our addresses: the receiver accepts mail for them, and mail from them is our own. */
  addresses: readonly string[];
  /** The domain of our Message-IDs; default the first address's domain. */
  domain?: string;
  /** Largest whole mail (bytes); default 10 MB. */
  maxMailBytes?: number;
  /** Largest single attachment (bytes); default 5 MB. */
  maxAttachmentBytes?: number;
  smtp?: { host: string; port: number };
  imap?: ImapMailboxConfig & { reconnectDelayMs?: number };
  smtpOut?: SmtpOutConfig;
}

/** The running pieces, for tests and logs. */
export interface EmailChannel extends Channel {
  /** The SMTP receiver's port once started (0 without a receiver). */
  smtpPort(): number;
}

export const DEFAULT_MAX_MAIL_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const DEMO_SUPPORT_ADDRESS = 'support@demo.local';
export const DEMO_SMTP_PORT = 2525;

export function emailChannel(config: EmailChannelConfig): ChannelFactory {
  return (context): EmailChannel => {
    if (config.addresses.length === 0) throw new Error('email: no addresses configured (EMAIL_ADDRESSES)');
    const domain = (config.domain ?? config.addresses[0]!.split('@')[1] ?? 'localhost').toLowerCase();
    const maxMailBytes = config.maxMailBytes ?? DEFAULT_MAX_MAIL_BYTES;
    const intake = createMailIntake(context, {
      domain,
      ownAddresses: [...config.addresses, ...(config.smtpOut ? [config.smtpOut.from] : [])],
      maxAttachmentBytes: config.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
    });
    const receiver: SmtpReceiver | null = config.smtp
      ? createSmtpReceiver({ ...config.smtp, addresses: config.addresses, maxMailBytes, intake, log: context.log })
      : null;
    const poller: ImapPoller | null = config.imap ? createImapPoller({ ...config.imap, intake, maxMailBytes, log: context.log }) : null;
    const sender = config.smtpOut ? createEmailSender({ config: config.smtpOut, store: context.store, domain }) : null;
    if (!sender) context.log('email: no outbound SMTP configured (SMTP_OUT_HOST unset); replies to mail stay queued until it is');
    return {
      name: 'email',
      ...(sender ? { senders: { email: sender } } : {}),
      smtpPort: () => receiver?.port() ?? 0,
      async start() {
        await receiver?.start();
        poller?.start();
      },
      async stop() {
        await Promise.allSettled([receiver?.stop(), poller?.stop()]);
        sender?.close();
      },
    };
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return number;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  return /^(1|true|yes|on)$/i.test(value);
}

/** `imap://user:password@host:port/Mailbox` (or `imaps://`); IMAP_PASSWORD overrides the password. */
function imapFromEnv(env: NodeJS.ProcessEnv): EmailChannelConfig['imap'] {
  if (!env.IMAP_URL) return undefined;
  const url = new URL(env.IMAP_URL);
  if (url.protocol !== 'imap:' && url.protocol !== 'imaps:') throw new Error(`IMAP_URL must start with imap:// or imaps://, got ${url.protocol}`);
  const secure = url.protocol === 'imaps:';
  const user = decodeURIComponent(url.username);
  const password = env.IMAP_PASSWORD ?? decodeURIComponent(url.password);
  if (!user || !password) throw new Error('IMAP_URL needs a user and a password (or IMAP_PASSWORD)');
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    secure,
    user,
    password,
    mailbox: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

/** The email channel's configuration from the environment; null when email is not configured. */
export function emailConfigFromEnv(env: NodeJS.ProcessEnv, options: { demo: boolean }): EmailChannelConfig | null {
  const addresses = (env.EMAIL_ADDRESSES ?? (options.demo ? DEMO_SUPPORT_ADDRESS : ''))
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
  const smtpPort = positiveInteger(env, 'SMTP_PORT') ?? (options.demo ? DEMO_SMTP_PORT : undefined);
  const imap = imapFromEnv(env);
  const outHost = env.SMTP_OUT_HOST;
  if (smtpPort === undefined && !imap && !outHost) return null;
  if (addresses.length === 0) throw new Error('EMAIL_ADDRESSES must list the support addresses when SMTP_PORT, IMAP_URL or SMTP_OUT_HOST is set');
  const outPort = positiveInteger(env, 'SMTP_OUT_PORT') ?? 587;
  const maxMailBytes = positiveInteger(env, 'MAIL_MAX_BYTES');
  const maxAttachmentBytes = positiveInteger(env, 'MAIL_MAX_ATTACHMENT_BYTES');
  return {
    addresses,
    ...(env.EMAIL_DOMAIN ? { domain: env.EMAIL_DOMAIN } : {}),
    ...(maxMailBytes !== undefined ? { maxMailBytes } : {}),
    ...(maxAttachmentBytes !== undefined ? { maxAttachmentBytes } : {}),
    ...(smtpPort !== undefined ? { smtp: { host: env.SMTP_HOST || '127.0.0.1', port: smtpPort } } : {}),
    ...(imap ? { imap } : {}),
    ...(outHost
      ? {
          smtpOut: {
            host: outHost,
            port: outPort,
            secure: flag(env, 'SMTP_OUT_SECURE', outPort === 465),
            lmtp: flag(env, 'SMTP_OUT_LMTP', false),
            from: env.SMTP_OUT_FROM || addresses[0]!,
            ...(env.SMTP_OUT_USER ? { user: env.SMTP_OUT_USER, password: env.SMTP_OUT_PASSWORD ?? '' } : {}),
            ...(env.SMTP_OUT_FROM_NAME ? { fromName: env.SMTP_OUT_FROM_NAME } : {}),
          },
        }
      : {}),
  };
}
