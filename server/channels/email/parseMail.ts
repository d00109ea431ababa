/**
 * Turns a raw RFC 5322 message into what the email channel needs: sender, threading ids,
 * subject, text, attachments and the top-level header fields. mailparser does the MIME
 * work; before it runs, header bytes that no encoded-word declares (a raw 8-bit GBK
 * subject from an old Chinese client) are decoded here — strictly as UTF-8 first, then in
 * the charset the message declares for its text, else GB18030 — because mailparser would
 * read them as Latin-1. Mail that is not mail (no header block, a multipart without its
 * boundary, no sender address) is refused with the reason.
 */
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

/** The message is not something we can read as mail; nothing of it may be stored. */
export class MalformedMailError extends Error {}

/** A file attached to a mail, as decoded. */
export interface MailAttachment {
  fileName: string;
  contentType: string;
  data: Buffer;
}

/** An inbound mail reduced to what the channel uses. Ids keep their angle brackets (`<id@host>`). */
export interface InboundMail {
  /** The mail's Message-ID, or a stable one made from its bytes when it has none. */
  messageId: string;
  inReplyTo: string[];
  /** As the header lists them: oldest first. */
  references: string[];
  subject: string;
  from: { name: string; address: string };
  /** The full text (html converted when there is no text part), quoted history included. */
  text: string;
  attachments: MailAttachment[];
  /** Top-level header fields: lower-case name → unfolded values in order. */
  headers: ReadonlyMap<string, readonly string[]>;
  /** The top-level media type, lower case (`multipart/report` for bounces). */
  contentType: string;
  date: Date | null;
}

const FIELD_NAME = /^[!-9;-~]+:/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const EIGHT_BIT = /[\x80-\xff]/;

/** Charset of the mail's text, used as the best guess for its undeclared 8-bit header bytes. */
function headerCharsetGuess(latin1: string): string {
  const declared = /charset\s*=\s*"?([\w.:-]+)/i.exec(latin1)?.[1]?.toLowerCase();
  if (!declared || /^(us-ascii|ascii|utf-?8)$/.test(declared)) return 'gb18030';
  // GB18030 is a superset of GBK and GB2312; decoding with it loses nothing they encode.
  if (/^(gb2312|gbk|x-gbk|cp936|euc-cn|gb_2312-80|gb18030)$/.test(declared)) return 'gb18030';
  return iconv.encodingExists(declared) ? declared : 'gb18030';
}

function transcodeHeaderLine(line: string, charset: () => string): string {
  if (!EIGHT_BIT.test(line)) return line;
  const bytes = Buffer.from(line, 'latin1');
  try {
    STRICT_UTF8.decode(bytes);
    return line;
  } catch {
    return Buffer.from(iconv.decode(bytes, charset()), 'utf8').toString('latin1');
  }
}

interface HeaderScan {
  /** The message with every header line in UTF-8. */
  repaired: Buffer;
  headers: Map<string, string[]>;
}

function boundaryOf(contentType: string): string | null {
  const match = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]!) : null;
}

/**
 * Walks the header blocks (the message's and each MIME part's), re-encodes undeclared
 * 8-bit header bytes as UTF-8 and checks the structure mailparser would silently accept.
 */
function scanHeaders(raw: Buffer): HeaderScan {
  const latin1 = raw.toString('latin1');
  let guess: string | null = null;
  const charset = () => (guess ??= headerCharsetGuess(latin1));
  const lines = latin1.split(/(?<=\n)/);
  const out: string[] = [];
  const headers = new Map<string, string[]>();
  const boundaries = new Set<string>();
  const opened = new Set<string>();
  let topLevel = true;
  let inHeaders = true;
  let field: string | null = null;
  let topContentType: string | null = null;

  const flush = () => {
    if (field === null) return;
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = Buffer.from(field.slice(colon + 1), 'latin1')
      .toString('utf8')
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    if (topLevel) headers.set(name, [...(headers.get(name) ?? []), value]);
    if (name === 'content-type') {
      const boundary = boundaryOf(value);
      if (topLevel) topContentType = value;
      if (/^\s*multipart\//i.test(value)) {
        if (!boundary) throw new MalformedMailError(`a multipart part declares no boundary (Content-Type: ${value.slice(0, 100)})`);
        boundaries.add(boundary);
      }
    }
    field = null;
  };

  lines.forEach((line, index) => {
    const content = line.replace(/\r?\n$/, '');
    if (!inHeaders) {
      if (content.startsWith('--')) {
        const delimiter = content.slice(2).trimEnd();
        if (boundaries.has(delimiter)) {
          inHeaders = true;
          opened.add(delimiter);
        }
      }
      out.push(line);
      return;
    }
    if (content === '') {
      flush();
      inHeaders = false;
      topLevel = false;
      out.push(line);
      return;
    }
    if (content.includes('\0')) throw new MalformedMailError(`header line ${String(index + 1)} contains a NUL byte`);
    const repaired = transcodeHeaderLine(line, charset);
    if (/^[ \t]/.test(content)) {
      if (field === null) {
        if (topLevel) throw new MalformedMailError('the header block starts with a continuation line');
      } else field += repaired;
    } else if (FIELD_NAME.test(content)) {
      flush();
      field = repaired;
    } else if (topLevel) {
      throw new MalformedMailError(`line ${String(index + 1)} of the header block is not a "Name: value" field: ${JSON.stringify(content.slice(0, 60))}`);
    }
    out.push(repaired);
  });
  flush();
  if (headers.size === 0) throw new MalformedMailError('the message has no header fields');
  const topBoundary = topContentType ? boundaryOf(topContentType) : null;
  if (topBoundary && /^\s*multipart\//i.test(topContentType!) && !opened.has(topBoundary)) {
    throw new MalformedMailError(`the multipart body never contains its boundary "${topBoundary}"`);
  }
  return { repaired: Buffer.from(out.join(''), 'latin1'), headers };
}

function firstAddress(from: AddressObject | AddressObject[] | undefined): { name: string; address: string } | null {
  const objects = Array.isArray(from) ? from : from ? [from] : [];
  for (const object of objects) {
    for (const entry of object.value) {
      if (entry.address) return { name: (entry.name ?? '').trim(), address: entry.address.trim() };
      for (const member of entry.group ?? []) if (member.address) return { name: (member.name ?? '').trim(), address: member.address.trim() };
    }
  }
  return null;
}

function messageIds(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return [...joined.matchAll(/<[^<>\s]+>/g)].map((match) => match[0]);
}

function textOf(parsed: ParsedMail): string {
  if (typeof parsed.text === 'string' && parsed.text.trim() !== '') return parsed.text;
  if (typeof parsed.html === 'string') {
    return parsed.html
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
      .replace(/<br\s*\/?>|<\/(p|div|li|tr|h\d)>/gi, '\n')
      .replace(/<[^>]+>/g, '')
      .replace(/&nbsp;/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  }
  return parsed.text ?? '';
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'message/rfc822': 'eml',
  'text/plain': 'txt',
};

/** Parses a raw mail; throws MalformedMailError with the reason when it cannot be read as mail. */
export async function parseMail(raw: Buffer): Promise<InboundMail> {
  const { repaired, headers } = scanHeaders(raw);
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(repaired, { skipImageLinks: true, skipTextToHtml: true });
  } catch (error) {
    throw new MalformedMailError(`MIME parser: ${error instanceof Error ? error.message : String(error)}`);
  }
  const from = firstAddress(parsed.from);
  if (!from) throw new MalformedMailError(`no sender address in From: ${JSON.stringify((headers.get('from')?.[0] ?? '(missing)').slice(0, 100))}`);
  const messageId = messageIds(parsed.messageId)[0] ?? `<${createHash('sha256').update(raw).digest('hex').slice(0, 40)}@no-message-id.invalid>`;
  return {
    messageId,
    inReplyTo: messageIds(parsed.inReplyTo),
    references: messageIds(parsed.references),
    subject: (parsed.subject ?? '').replace(/\s+/g, ' ').trim(),
    from,
    text: textOf(parsed).replace(/\r\n?/g, '\n'),
    attachments: parsed.attachments.map((attachment, index) => ({
      fileName: attachment.filename?.trim() || `attachment-${String(index + 1)}.${EXTENSIONS[attachment.contentType] ?? 'bin'}`,
      contentType: attachment.contentType || 'application/octet-stream',
      data: attachment.content,
    })),
    headers,
    contentType: (headers.get('content-type')?.[0] ?? 'text/plain').split(';', 1)[0]!.trim().toLowerCase(),
    date: parsed.date ?? null,
  };
}
