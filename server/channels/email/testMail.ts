/**
 * Test helpers for the email channel: raw mails built byte by byte (UTF-8 or GBK, as a
 * Chinese client writes them) and two real SMTP/LMTP clients to send them with — swaks
 * (Debian package) and nodemailer — reporting the server's answer as the client saw it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import nodemailer from 'nodemailer';

export const SWAKS_MISSING = 'swaks is not installed: apt-get install swaks';

/** What a test mail says. */
export interface TestMailSpec {
  from: string;
  fromName?: string;
  to?: string;
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** Extra header lines, e.g. `Auto-Submitted: auto-replied`. */
  headers?: string[];
  /** GBK: encoded words and a base64 GBK body, as Foxmail/Outlook China send. Default UTF-8. */
  charset?: 'utf-8' | 'gbk';
  attachments?: { fileName: string; contentType: string; data: Buffer }[];
}

function encodedWord(text: string, charset: 'utf-8' | 'gbk'): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?${charset.toUpperCase()}?B?${iconv.encode(text, charset).toString('base64')}?=`;
}

function wrap(base64: string): string {
  return base64.replace(/.{1,76}/g, '$&\r\n');
}

export function buildMail(spec: TestMailSpec): Buffer {
  const charset = spec.charset ?? 'utf-8';
  const lines = [
    `From: ${spec.fromName ? `${encodedWord(spec.fromName, charset)} ` : ''}<${spec.from}>`,
    `To: ${spec.to ?? 'support@demo.local'}`,
    `Subject: ${encodedWord(spec.subject, charset)}`,
    `Message-ID: ${spec.messageId}`,
    'Date: Fri, 08 Nov 2024 10:00:00 +0800',
    'MIME-Version: 1.0',
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references ? [`References: ${spec.references.join('\r\n ')}`] : []),
    ...(spec.headers ?? []),
  ];
  const textPart = [
    `Content-Type: text/plain; charset=${charset === 'gbk' ? 'GBK' : 'utf-8'}`,
    'Content-Transfer-Encoding: base64',
    '',
    wrap(iconv.encode(spec.text, charset).toString('base64')),
  ];
  if (!spec.attachments?.length) return Buffer.from([...lines, ...textPart].join('\r\n'));
  const parts = [
    ...lines,
    'Content-Type: multipart/mixed; boundary="=_omnidesk_test"',
    '',
    '--=_omnidesk_test',
    ...textPart,
    ...spec.attachments.flatMap((file) => [
      '--=_omnidesk_test',
      `Content-Type: ${file.contentType}; name="${encodedWord(file.fileName, charset)}"`,
      `Content-Disposition: attachment; filename="${encodedWord(file.fileName, charset)}"`,
      'Content-Transfer-Encoding: base64',
      '',
      wrap(file.data.toString('base64')),
    ]),
    '--=_omnidesk_test--',
    '',
  ];
  return Buffer.from(parts.join('\r\n'));
}

/** The server's answer as the client saw it. */
export interface SendOutcome {
  ok: boolean;
  /** The final SMTP code (250 on success). */
  code: number;
  response: string;
}

/** Sends a raw mail with nodemailer (SMTP, or LMTP into Dovecot). */
export async function sendWithNodemailer(
  port: number,
  raw: Buffer,
  envelope: { from: string; to: string },
  options: { lmtp?: boolean } = {},
): Promise<SendOutcome> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, lmtp: options.lmtp ?? false });
  try {
    const info = await transport.sendMail({ envelope, raw });
    return { ok: true, code: Number(/^\d{3}/.exec(info.response)?.[0] ?? 250), response: info.response };
  } catch (error) {
    const details = error as { responseCode?: number; response?: string; message: string };
    return { ok: false, code: details.responseCode ?? 0, response: details.response ?? details.message };
  } finally {
    transport.close();
  }
}

/** Sends a raw mail with swaks; `code` is the last server reply code in its transcript. */
export async function sendWithSwaks(port: number, raw: Buffer, envelope: { from: string; to: string }): Promise<SendOutcome & { transcript: string }> {
  if (spawnSync('swaks', ['--version']).error) throw new Error(SWAKS_MISSING);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-swaks-'));
  const file = path.join(dir, 'mail.eml');
  fs.writeFileSync(file, raw);
  try {
    const args = [
      '--server',
      `127.0.0.1:${String(port)}`,
      '--from',
      envelope.from === '' ? '<>' : envelope.from,
      '--to',
      envelope.to,
      '--data',
      `@${file}`,
      '--timeout',
      '60',
    ];
    const transcript = await new Promise<string>((resolve, reject) => {
      const child = spawn('swaks', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const output: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
      child.once('error', reject);
      child.once('close', () => resolve(Buffer.concat(output).toString('latin1')));
    });
    // Server lines are `<-  250 …` (accepted) or `<** 552 …` (refused); QUIT's 221 is not the answer.
    const answers = transcript.split('\n').filter((line) => /^<(-|\*\*) +\d{3}[ -]/.test(line) && !/^<(-|\*\*) +221/.test(line));
    const last = answers.at(-1) ?? '';
    const code = Number(/\d{3}/.exec(last)?.[0] ?? 0);
    return { ok: code >= 200 && code < 300, code, response: last.replace(/^<(-|\*\*) +/, '').trim(), transcript };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
