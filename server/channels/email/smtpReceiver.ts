/**
 * Direct delivery: an SMTP server (smtp-server) that accepts mail only for our addresses,
 * refuses oversized mail with 552 (announced with the SIZE extension and checked on the
 * stream), malformed mail with 554 and a storage failure with 451 (the sending server
 * retries), and answers 250 for everything it took or deliberately dropped (auto-replies,
 * duplicates). No AUTH and no STARTTLS: it is a receiving MX for our own addresses, not a
 * relay; the demo binds it to loopback.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import type { MailIntake } from './mailIntake.js';

export interface SmtpReceiverOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Recipient addresses we accept (case-insensitive). */
  addresses: readonly string[];
  /** Largest whole mail, in bytes. */
  maxMailBytes: number;
  intake: MailIntake;
  log: (line: string) => void;
}

export interface SmtpReceiver {
  /** The port it listens on once started. */
  port(): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function createSmtpReceiver(options: SmtpReceiverOptions): SmtpReceiver {
  const accepted = new Set(options.addresses.map((address) => address.toLowerCase()));
  const { intake, log } = options;

  function readMail(stream: SMTPServerDataStream): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the rest is only counted, never kept.
        if (size <= options.maxMailBytes) chunks.push(chunk);
      });
      stream.once('error', reject);
      stream.once('end', () => resolve(stream.sizeExceeded || size > options.maxMailBytes ? null : Buffer.concat(chunks, size)));
    });
  }

  const server = new SMTPServer({
    name: 'omnidesk',
    banner: 'OmniDesk mail intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: options.maxMailBytes,
    logger: false,
    closeTimeout: 2_000,
    socketTimeout: 60_000,
    onRcptTo(address, _session, callback) {
      if (accepted.has(address.address.toLowerCase())) return callback();
      log(`email(smtp): refused recipient ${address.address} (not one of ${[...accepted].join(', ')})`);
      callback(smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`));
    },
    onData(stream, session, callback) {
      const envelopeFrom = session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address;
      void (async () => {
        try {
          const raw = await readMail(stream);
          if (raw === null) {
            log(`email(smtp): refused a mail from ${envelopeFrom || '<>'} over ${megabytes(options.maxMailBytes)} (552); nothing stored`);
            return callback(smtpError(552, `5.3.4 Message too big: the limit is ${String(options.maxMailBytes)} bytes (${megabytes(options.maxMailBytes)})`));
          }
          const result = await intake.receive(raw, { via: 'smtp', envelopeFrom, oversizeAttachments: 'refuse' });
          if (result.kind !== 'refused') return callback();
          const code = result.code === 'attachment_too_large' ? 552 : 554;
          callback(smtpError(code, `${code === 552 ? '5.3.4' : '5.6.0'} ${result.reason}`));
        } catch (error) {
          log(`email(smtp): could not store a mail from ${envelopeFrom || '<>'}: ${error instanceof Error ? error.message : String(error)}`);
          callback(smtpError(451, '4.3.0 Temporary failure storing the message, try again later'));
        }
      })();
    },
  });
  server.on('error', (error) => log(`email(smtp): ${error.message}`));

  return {
    port: () => (server.server.address() as AddressInfo | null)?.port ?? 0,
    start: () =>
      new Promise<void>((resolve, reject) => {
        const refused = (error: Error) =>
          reject(
            new Error(`email: the SMTP receiver cannot listen on ${options.host}:${String(options.port)} (${error.message}); set SMTP_PORT to a free port`),
          );
        server.server.once('error', refused);
        server.listen(options.port, options.host, () => {
          server.server.off('error', refused);
          log(`email(smtp): receiving mail for ${[...accepted].join(', ')} on ${options.host}:${String((server.server.address() as AddressInfo).port)}`);
          resolve();
        });
      }),
    stop: () => new Promise<void>((resolve) => (server.server.listening ? server.close(() => resolve()) : resolve())),
  };
}
