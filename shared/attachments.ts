/**
 * Files agents attach to replies (issue 12): the limits, the types refused, and the codes a
 * refusal carries. The composer checks them before sending and the server checks them again
 * (it never trusts the client); both say the same code, which the UI localises. Pure: no
 * Node, no DOM. See docs/technical/channels.md (Attachments).
 */
import { z } from 'zod';
import { MAX_ATTACHMENT_NAME_LENGTH, entityIdSchema } from './domain.js';

/**
 * Per-file, per-reply and count limits; a reply's files are stored in the database, so these also bound its rows.
 * `maxPendingBytes`: what one user may hold uploaded and not yet sent (five full replies' worth), so a runaway
 * client cannot fill the server's disk with files no reply ever claims.
 */
export const ATTACHMENT_LIMITS = {
  maxFileBytes: 10 * 1024 * 1024,
  // A mail carries its files base64-encoded (4/3 the size, plus line breaks): 15 MB of files is about
  // 20.5 MB on the wire, under the 25 MB most mail providers accept; 20 MB came to 27 MB, over it.
  maxReplyBytes: 15 * 1024 * 1024,
  maxFiles: 10,
  maxPendingBytes: 100 * 1024 * 1024,
} as const;

/**
 * Bytes of attachments a workstation keeps by default for the tickets its agent holds, so they
 * open offline (issue 12; docs/technical/core.md, Attachments offline). Kept inside the
 * encrypted cache, least recently used dropped first; a file larger than the whole budget is never kept.
 */
export const OFFLINE_ATTACHMENT_BUDGET_BYTES = 200 * 1024 * 1024;

/**
 * Why an attachment cannot be opened offline, riding on the `offline` error of
 * `attachment.download` so the renderer says it in the agent's language: `not_kept` (not on
 * this workstation yet: a ticket not held, or not fetched before the connection went),
 * `over_budget` (larger than what this workstation keeps for offline use, `budgetBytes`).
 */
export const offlineFileSchema = z.object({
  reason: z.enum(['not_kept', 'over_budget']),
  budgetBytes: z.number().int().nonnegative(),
});
export type OfflineFile = z.infer<typeof offlineFileSchema>;

/**
 * Extensions refused outright: programs and scripts a customer could run by opening the
 * file, and markup a browser would render (html, svg, xml) if ever served inline.
 */
export const DENIED_EXTENSIONS: readonly string[] = [
  'exe', 'com', 'bat', 'cmd', 'msi', 'msp', 'scr', 'pif', 'cpl', 'dll', 'sys', 'jar', 'apk', 'app', 'dmg', 'deb', 'rpm',
  'js', 'mjs', 'cjs', 'jse', 'vbs', 'vbe', 'wsf', 'wsh', 'ps1', 'psm1', 'sh', 'bash', 'zsh', 'py', 'pl', 'rb', 'php', 'lnk', 'reg', 'hta',
  'html', 'htm', 'xhtml', 'shtml', 'svg', 'svgz', 'xml', 'xsl', 'mht', 'mhtml',
]; // prettier-ignore

/** Content types refused whatever the name says (a renamed page is still a page). */
const DENIED_CONTENT_TYPE =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|application\/(x-)?(ms)?(dos)?-?(executable|msdownload|javascript|x-sh)|text\/javascript|application\/ecmascript|text\/xml|application\/xml)\b/i;

/** Why a file (or a reply's files) is refused; the renderer and the widget localise each. */
export const ATTACHMENT_REFUSAL_CODES = [
  'attachment_too_large',
  'attachments_too_large',
  'too_many_attachments',
  'attachment_type_denied',
  'attachment_empty',
  'attachment_unknown',
  'attachment_offline',
  'uploads_over_quota',
] as const;
export type AttachmentRefusalCode = (typeof ATTACHMENT_REFUSAL_CODES)[number];
export const attachmentRefusalCodeSchema = z.enum(ATTACHMENT_REFUSAL_CODES);

/** A refusal with the file it concerns (null: the reply as a whole) and the limit it broke. */
export const attachmentRefusalSchema = z.object({
  code: attachmentRefusalCodeSchema,
  fileName: z.string().max(255).nullable(),
  limit: z.number().int().nonnegative().nullable(),
});
export type AttachmentRefusal = z.infer<typeof attachmentRefusalSchema>;

/** A name a file may carry: no path, no control characters, not empty. */
export const attachmentFileNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (name) =>
      ![...name].some((char) => char === '/' || char === '\\' || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) &&
      name.trim() !== '' &&
      name !== '.' &&
      name !== '..',
    {
      message: 'is not a file name',
    },
  );

/** What a reply says of a file it sends: the upload's id (the client's, so a retried upload is one file) and what it is. */
export const replyAttachmentSchema = z.object({
  id: entityIdSchema,
  fileName: attachmentFileNameSchema,
  contentType: z.string().min(1).max(255),
  size: z.number().int().nonnegative(),
});
export type ReplyAttachment = z.infer<typeof replyAttachmentSchema>;

/** A reply's files: at most the limit (the sizes are checked by `checkReplyAttachments`). */
export const replyAttachmentsSchema = z.array(replyAttachmentSchema).max(ATTACHMENT_LIMITS.maxFiles);

/** The extension of a file name, lower case, without the dot; '' for none. */
export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot <= 0
    ? ''
    : fileName
        .slice(dot + 1)
        .toLowerCase()
        .trim();
}

/** Characters that reorder or hide text (bidi overrides and isolates, marks): "invoice\u202Efdp.exe" shows as "invoiceexe.pdf". */
const HIDING_CHARACTERS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A name a channel's file (a mail attachment, named by whoever sent the mail) is stored and shown
 * under: no path, no control or reordering characters, within MAX_ATTACHMENT_NAME_LENGTH with its
 * extension kept. A longer name made the message's ticket unreadable to every workstation
 * (attachmentSchema), so one mail could hide a customer's ticket from the agents (attack-10).
 */
export function storableAttachmentName(raw: string, fallback: string): string {
  const cleaned = [...raw.replace(HIDING_CHARACTERS, '')]
    .map((char) => (char === '/' || char === '\\' || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? '_' : char))
    .join('')
    .trim();
  if (attachmentFileNameSchema.safeParse(cleaned).success && cleaned.length <= MAX_ATTACHMENT_NAME_LENGTH) return cleaned;
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return fallback;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  const stem = [...cleaned.slice(0, cleaned.length - extension.length)];
  let kept = '';
  // Whole code points only: a cut surrogate pair is not text.
  for (const char of stem) {
    if (kept.length + char.length + extension.length > MAX_ATTACHMENT_NAME_LENGTH) break;
    kept += char;
  }
  return `${kept}${extension}`;
}

/** A channel's declared content type as stored: the bare `type/subtype`, lower case, or application/octet-stream when it is not one (or too long to store). */
export function storableContentType(raw: string): string {
  const type = raw.split(';', 1)[0]!.trim().toLowerCase();
  return type.length <= MAX_ATTACHMENT_NAME_LENGTH && /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(type) ? type : 'application/octet-stream';
}

/** Whether this type of file is refused (by its name or its declared type). */
export function isDeniedType(fileName: string, contentType: string): boolean {
  // Every dotted part counts: "invoice.pdf.exe" and "page.html.txt" hide what they are to someone.
  const parts = fileName.toLowerCase().split('.').slice(1);
  return parts.some((part) => DENIED_EXTENSIONS.includes(part.trim())) || DENIED_CONTENT_TYPE.test(contentType.trim());
}

/** Checks one file; null when it may be sent. */
export function checkAttachment(file: { fileName: string; contentType: string; size: number }): AttachmentRefusal | null {
  if (isDeniedType(file.fileName, file.contentType)) return { code: 'attachment_type_denied', fileName: file.fileName, limit: null };
  if (file.size === 0) return { code: 'attachment_empty', fileName: file.fileName, limit: null };
  if (file.size > ATTACHMENT_LIMITS.maxFileBytes) return { code: 'attachment_too_large', fileName: file.fileName, limit: ATTACHMENT_LIMITS.maxFileBytes };
  return null;
}

/** Checks a reply's files together: each file, their count, their total size; null when they may be sent. */
export function checkReplyAttachments(files: ReadonlyArray<{ fileName: string; contentType: string; size: number }>): AttachmentRefusal | null {
  if (files.length > ATTACHMENT_LIMITS.maxFiles) return { code: 'too_many_attachments', fileName: null, limit: ATTACHMENT_LIMITS.maxFiles };
  for (const file of files) {
    const refusal = checkAttachment(file);
    if (refusal) return refusal;
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > ATTACHMENT_LIMITS.maxReplyBytes) return { code: 'attachments_too_large', fileName: null, limit: ATTACHMENT_LIMITS.maxReplyBytes };
  return null;
}

/** The type a download is served with: an image or a known document type as it is, anything that could render as a page as bytes. */
export function servedContentType(contentType: string): string {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (/^image\/(png|jpeg|gif|webp|bmp)$/.test(type)) return type;
  if (
    /^(application\/pdf|text\/plain|text\/csv|application\/zip|application\/vnd\.[a-z0-9.+-]+|application\/msword|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/.test(
      type,
    )
  )
    return type;
  return 'application/octet-stream';
}

/** Whether the widget may show a file as a thumbnail (raster images only, never SVG). */
export function isThumbnailType(contentType: string): boolean {
  return /^image\/(png|jpeg|gif|webp)$/i.test(contentType.split(';', 1)[0]!.trim());
}

/** A size for people: "532 B", "12.3 KB", "4.0 MB". */
export function formatFileSize(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
