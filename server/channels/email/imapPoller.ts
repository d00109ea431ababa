/**
 * An existing mailbox as a channel: imapflow connects, takes every unseen mail, and waits
 * in IDLE for the next. A mail is flagged \Seen only after it was stored (or deliberately
 * refused or dropped), so a crash between the two costs a duplicate that the Message-ID
 * dedupe drops, never a lost mail. A lost connection is retried with doubling backoff.
 */
import { ImapFlow } from 'imapflow';
import { ChannelUnavailableError } from '../../channelAvailability.js';
import type { MailIntake } from './mailIntake.js';

/** Where the mailbox is. */
export interface ImapMailboxConfig {
  host: string;
  port: number;
  /** TLS from the first byte (993); false = plain, STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
}

export interface ImapPollerOptions extends ImapMailboxConfig {
  intake: MailIntake;
  /** Mail larger than this is not fetched (flagged \Seen and $OmniDeskRefused, logged). */
  maxMailBytes: number;
  log: (line: string) => void;
  /** First reconnect delay, doubled up to a minute; default 1 s. */
  reconnectDelayMs?: number;
}

export interface ImapPoller {
  start(): void;
  stop(): Promise<void>;
}

const MAX_RECONNECT_DELAY_MS = 60_000;
export const REFUSED_KEYWORD = '$OmniDeskRefused';

export function createImapPoller(options: ImapPollerOptions): ImapPoller {
  const { intake, log } = options;
  const firstDelay = options.reconnectDelayMs ?? 1_000;
  const where = `email(imap ${options.user}@${options.host}:${String(options.port)}/${options.mailbox})`;
  let client: ImapFlow | null = null;
  let stopped = false;
  let delay = firstDelay;
  let retryTimer: NodeJS.Timeout | null = null;
  let syncing: Promise<void> | null = null;
  let syncAgain = false;

  async function syncUnseen(imap: ImapFlow): Promise<void> {
    const uids = (await imap.search({ seen: false }, { uid: true })) || [];
    if (uids.length === 0) return;
    const sizes = await imap.fetchAll(uids.join(','), { uid: true, size: true, internalDate: true }, { uid: true });
    for (const { uid, size, internalDate } of sizes) {
      if (stopped) return;
      if ((size ?? 0) > options.maxMailBytes) {
        log(
          `${where}: refused uid ${String(uid)} of ${String(size)} bytes (limit ${String(options.maxMailBytes)}); flagged ${REFUSED_KEYWORD}, nothing stored`,
        );
        await imap.messageFlagsAdd(String(uid), ['\\Seen', REFUSED_KEYWORD], { uid: true });
        continue;
      }
      const message = await imap.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (!message || !message.source) continue;
      const receivedAt = internalDate ? new Date(internalDate) : undefined;
      let result: Awaited<ReturnType<MailIntake['receive']>>;
      try {
        result = await intake.receive(message.source, {
          via: 'imap',
          oversizeAttachments: 'omit',
          ...(receivedAt && !Number.isNaN(receivedAt.getTime()) ? { receivedAt } : {}),
        });
      } catch (error) {
        // Email is switched off: the mail stays unread in the mailbox (nothing lost) and the
        // connection stays up; the next new mail or reconnect after it is on again takes it.
        if (error instanceof ChannelUnavailableError) {
          log(`${where}: the email channel is switched off; uid ${String(uid)} and later mail stay unread`);
          return;
        }
        throw error;
      }
      await imap.messageFlagsAdd(String(uid), result.kind === 'refused' ? ['\\Seen', REFUSED_KEYWORD] : ['\\Seen'], { uid: true });
    }
  }

  /** One sync at a time; a new-mail event during a sync runs one more after it. */
  function requestSync(imap: ImapFlow): void {
    if (syncing) {
      syncAgain = true;
      return;
    }
    syncing = (async () => {
      do {
        syncAgain = false;
        await syncUnseen(imap);
      } while (syncAgain && !stopped);
    })()
      .catch((error: unknown) => {
        log(`${where}: sync failed: ${error instanceof Error ? error.message : String(error)}; reconnecting`);
        imap.close();
      })
      .finally(() => (syncing = null));
  }

  function scheduleReconnect(): void {
    if (stopped || retryTimer) return;
    log(`${where}: reconnecting in ${String(delay)} ms`);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const imap = new ImapFlow({
      host: options.host,
      port: options.port,
      secure: options.secure,
      auth: { user: options.user, pass: options.password },
      logger: false,
      // IDLE a second after our last command (imapflow waits 15 s by default); the server
      // reports what arrived in between as soon as IDLE starts, so nothing is missed.
      autoIdleDelay: 1_000,
      // Re-issue IDLE every few minutes so a silently dead connection is noticed.
      maxIdleTime: 5 * 60_000,
    });
    client = imap;
    imap.on('error', (error: Error) => log(`${where}: ${error.message}`));
    imap.on('close', () => {
      if (client === imap) client = null;
      scheduleReconnect();
    });
    imap.on('exists', () => requestSync(imap));
    try {
      await imap.connect();
      await imap.mailboxOpen(options.mailbox);
    } catch (error) {
      log(`${where}: cannot open the mailbox: ${error instanceof Error ? error.message : String(error)}`);
      imap.close();
      scheduleReconnect();
      return;
    }
    delay = firstDelay;
    log(`${where}: connected; fetching unseen mail, then waiting in IDLE`);
    requestSync(imap);
  }

  return {
    start() {
      stopped = false;
      void connect();
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      await syncing;
      const imap = client;
      client = null;
      if (imap?.usable) await imap.logout().catch(() => imap.close());
      else imap?.close();
    },
  };
}
