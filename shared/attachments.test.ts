import { describe, expect, it } from 'vitest';
import {
  ATTACHMENT_LIMITS,
  checkAttachment,
  checkReplyAttachments,
  extensionOf,
  formatFileSize,
  isThumbnailType,
  replyAttachmentSchema,
  replyAttachmentsSchema,
  servedContentType,
  storableAttachmentName,
  storableContentType,
} from './attachments.js';
import { attachmentSchema } from './domain.js';

const pdf = (size: number, fileName = '发票.pdf') => ({ fileName, contentType: 'application/pdf', size });

describe('reply attachment limits', () => {
  it('accepts files within every limit, a Chinese name included', () => {
    expect(checkReplyAttachments([pdf(1024), pdf(ATTACHMENT_LIMITS.maxFileBytes, 'scan.png')])).toBeNull();
    expect(checkReplyAttachments([])).toBeNull();
  });

  it('refuses one file over the per-file limit, naming it', () => {
    expect(checkAttachment(pdf(ATTACHMENT_LIMITS.maxFileBytes + 1))).toEqual({
      code: 'attachment_too_large',
      fileName: '发票.pdf',
      limit: ATTACHMENT_LIMITS.maxFileBytes,
    });
  });

  it('refuses files that together pass the per-reply limit', () => {
    const three = [pdf(8 * 1024 * 1024, 'a.pdf'), pdf(8 * 1024 * 1024, 'b.pdf'), pdf(8 * 1024 * 1024, 'c.pdf')];
    expect(checkReplyAttachments(three)).toEqual({ code: 'attachments_too_large', fileName: null, limit: ATTACHMENT_LIMITS.maxReplyBytes });
  });

  it('keeps a full reply mailable: its files base64-encoded in 76-character lines stay under the 25 MB providers accept', () => {
    const base64Bytes = Math.ceil(ATTACHMENT_LIMITS.maxReplyBytes / 3) * 4;
    const withLineBreaks = base64Bytes + Math.ceil(base64Bytes / 76) * 2;
    expect(withLineBreaks).toBeLessThan(25 * 1024 * 1024);
  });

  it('refuses more files than the count limit', () => {
    const eleven = Array.from({ length: ATTACHMENT_LIMITS.maxFiles + 1 }, (_, i) => pdf(10, `${String(i)}.pdf`));
    expect(checkReplyAttachments(eleven)?.code).toBe('too_many_attachments');
    expect(replyAttachmentsSchema.safeParse(eleven.map((file, i) => ({ ...file, id: `u${String(i)}` }))).success).toBe(false);
  });

  it('refuses empty files', () => {
    expect(checkAttachment(pdf(0))?.code).toBe('attachment_empty');
  });

  it('refuses dangerous types by extension (any dotted part, any case) and by declared type', () => {
    for (const fileName of ['setup.exe', 'run.BAT', 'x.js', 'page.html', 'logo.svg', 'invoice.pdf.exe', 'page.html.txt']) {
      expect(checkAttachment({ fileName, contentType: 'application/octet-stream', size: 10 })?.code, fileName).toBe('attachment_type_denied');
    }
    for (const contentType of ['text/html; charset=utf-8', 'image/svg+xml', 'application/x-msdownload', 'text/javascript']) {
      expect(checkAttachment({ fileName: 'harmless.txt', contentType, size: 10 })?.code, contentType).toBe('attachment_type_denied');
    }
    expect(checkAttachment({ fileName: 'photo.jpeg', contentType: 'image/jpeg', size: 10 })).toBeNull();
  });

  it('takes no path or control character in a file name', () => {
    const base = { id: 'u1', contentType: 'text/plain', size: 1 };
    expect(replyAttachmentSchema.safeParse({ ...base, fileName: '发票.pdf' }).success).toBe(true);
    for (const fileName of ['../etc/passwd', 'a\\b.txt', 'a\nb.txt', '', ' ', '..']) {
      expect(replyAttachmentSchema.safeParse({ ...base, fileName }).success, JSON.stringify(fileName)).toBe(false);
    }
  });
});

describe('serving attachments', () => {
  it('serves raster images and documents as they are, anything else as bytes', () => {
    expect(servedContentType('image/png')).toBe('image/png');
    expect(servedContentType('application/pdf')).toBe('application/pdf');
    expect(servedContentType('text/html')).toBe('application/octet-stream');
    expect(servedContentType('image/svg+xml')).toBe('application/octet-stream');
    expect(servedContentType('application/x-unknown')).toBe('application/octet-stream');
  });

  it('shows thumbnails of raster images only', () => {
    expect(isThumbnailType('image/jpeg')).toBe(true);
    expect(isThumbnailType('image/svg+xml')).toBe(false);
  });

  it('reads extensions and sizes', () => {
    expect(extensionOf('发票.PDF')).toBe('pdf');
    expect(extensionOf('.bashrc')).toBe('');
    expect(formatFileSize(532)).toBe('532 B');
    expect(formatFileSize(4 * 1024 * 1024)).toBe('4.0 MB');
  });
});

describe("names and types of a channel's files as stored (attack-10)", () => {
  it('keeps a fitting name as it is and cuts a long one at whole characters, extension kept, so attachmentSchema reads it', () => {
    expect(storableAttachmentName('破损照片.jpg', 'attachment-1')).toBe('破损照片.jpg');
    const cut = storableAttachmentName(`${'😀'.repeat(200)}.jpg`, 'attachment-1');
    expect(cut.endsWith('😀.jpg')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(255);
    expect(cut.length).toBeGreaterThan(250);
    expect(attachmentSchema.safeParse({ id: 'a1', fileName: cut, contentType: 'image/jpeg', size: 1 }).success).toBe(true);
    // An "extension" longer than 16 characters is part of the name.
    expect(storableAttachmentName(`a.${'b'.repeat(300)}`, 'attachment-1')).toHaveLength(255);
  });

  it('falls back for a name that is nothing once cleaned, and takes only bare, short content types', () => {
    expect(storableAttachmentName(' \u202e ', 'attachment-3')).toBe('attachment-3');
    expect(storableAttachmentName('..', 'attachment-3')).toBe('attachment-3');
    expect(storableContentType('Image/PNG; name="x.png"')).toBe('image/png');
    expect(storableContentType('text/html\r\nX-Injected: 1')).toBe('application/octet-stream');
    expect(storableContentType('')).toBe('application/octet-stream');
  });
});
