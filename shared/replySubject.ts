/**
 * The subject line of an email reply (issue 12). The agent may write one (or take it from an
 * email script); otherwise the server sends `Re: <ticket subject> [GD…]` as before. The
 * `[GD…]` tag is what threads the customer's answer back to the ticket when their mail client
 * drops In-Reply-To, so a subject without it gets it appended.
 */
import { z } from 'zod';

export const MAX_REPLY_SUBJECT_LENGTH = 200;

const TICKET_TAG = /\[GD\d{11,}\]/g;
const REPLY_PREFIX = /^\s*((re|fw|fwd|aw|sv|回复|回覆|答复|转发|轉寄)\s*[:：]\s*)+/i;
/** C0/C1 controls and line/paragraph separators: a CR/LF in a header starts a new header (header injection). */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why a subject is refused; the refinement message is the code, so every side can say it in its language. */
export const REPLY_SUBJECT_ERRORS = ['subject_blank', 'subject_too_long', 'subject_control_chars'] as const;
export type ReplySubjectError = (typeof REPLY_SUBJECT_ERRORS)[number];

/** The first reason `subject` cannot be a reply's subject, or null when it can (after trimming). */
export function replySubjectError(subject: string): ReplySubjectError | null {
  if (CONTROL_CHARS.test(subject)) return 'subject_control_chars';
  const trimmed = subject.trim();
  if (trimmed.length === 0) return 'subject_blank';
  if (trimmed.length > MAX_REPLY_SUBJECT_LENGTH) return 'subject_too_long';
  return null;
}

/** A reply's subject: trimmed, 1..200 characters, no control characters (CR/LF included). */
export const replySubjectSchema = z
  .string()
  .max(MAX_REPLY_SUBJECT_LENGTH * 4)
  .superRefine((subject, ctx) => {
    const error = replySubjectError(subject);
    if (error !== null) ctx.addIssue({ code: 'custom', message: error });
  })
  .transform((subject) => subject.trim());

/** `Re: <subject> [GD…]`, without piling up prefixes or tags from earlier rounds: what the server sends by default. */
export function defaultReplySubject(ticketSubject: string, ticketId: string): string {
  const bare = ticketSubject
    .replace(/\s*\[GD\d{11,}\]\s*/g, ' ')
    .replace(REPLY_PREFIX, '')
    .trim();
  return `Re: ${bare} [${ticketId}]`;
}

/** The agent's subject as it is sent: with the ticket's `[GD…]` tag appended when it lacks it (another ticket's tag does not count). */
export function subjectWithTicketTag(subject: string, ticketId: string): string {
  const tags: string[] = subject.match(TICKET_TAG) ?? [];
  return tags.includes(`[${ticketId}]`) ? subject : `${subject} [${ticketId}]`;
}
