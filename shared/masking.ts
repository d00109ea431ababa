/**
 * Personal data masking (数据安全: 身份证号、银行卡号、手机号脱敏). Pure functions, the same on
 * the server (which masks everything an agent receives, at the edge, per recipient role) and
 * in the workstation core (which masks an agent's own optimistic rows the same way).
 * See docs/technical/security.md ("Personal data masking") for the rules and why.
 *
 * What is found in free text (Chinese text has no word boundaries, so numbers are told apart
 * by their digits, not by spaces):
 * - Chinese mobiles, with or without +86 / 0086, spaces or dashes: 138****8000 (first 3, last 4);
 * - Chinese landlines with an area code (010-12345678, (0755)8888 1234, +86 10 6552 9988):
 *   the area code and the last 4 stay;
 * - other international numbers written with `+` (E.164): `+` and the first 2 digits, last 4;
 * - 18-digit ID cards (trailing X too) and 15-digit old ones, recognised by their birth date:
 *   first 3 and last 4;
 * - bank cards, 16–19 digits with or without spaces/dashes, when they pass the Luhn check or
 *   follow a word like 卡号 / card / 账号: last 4 only;
 * - e-mail addresses: the first character of the name, then *** (z***@example.cn); the domain stays.
 *
 * What is left alone: a digit run glued to capital letters or other digits is an identifier
 * (GD20231001001, CUS20240501001, order SO2024050112345678), and numbers that fit no rule above
 * (amounts, dates, 400/800 hotlines, short service numbers like 95588). Only digits (and the
 * e-mail name) become `*`: separators stay, so a masked text is never longer than the original
 * and still reads like it.
 */
import type { Customer, CustomerIdentity, Message, Note, Role, Ticket, TicketBundle } from './domain.js';

/** Whether a role sees personal data masked (agents) or clear (leads and admins). */
export type PiiView = 'masked' | 'clear';

export function piiViewOf(role: Role): PiiView {
  return role === 'agent' ? 'masked' : 'clear';
}

/** The kinds of personal data the text scanner recognises. */
export type PiiKind = 'mobile' | 'landline' | 'phone' | 'id_card' | 'bank_card' | 'email';

export interface PiiMatch {
  kind: PiiKind;
  /** UTF-16 offsets into the text, end exclusive. */
  start: number;
  end: number;
}

export const MASK_CHAR = '*';

// Full-width digits, plus, minus, at and space (common in Chinese input) are read as their
// ASCII twins; each is one UTF-16 unit, so offsets into the normalised text are offsets into the original.
function normalise(text: string): string {
  return text.replace(/[\uFF10-\uFF19\uFF0B\uFF0D\uFF20\u3000]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0xff10 && code <= 0xff19) return String.fromCharCode(code - 0xff10 + 48);
    if (c === '\uFF0B') return '+';
    if (c === '\uFF0D') return '-';
    if (c === '\uFF20') return '@';
    return ' ';
  });
}

const SEP = '[ -]?';
const DATE8 = '(?:18|19|20)\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])';
const DATE6 = '\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])';
/** Not glued to an identifier on the left (capital letters or digits), nor to more digits on the right. */
const LEFT = '(?<![A-Z0-9+])';
const RIGHT = '(?![0-9])';

/**
 * Alternations tried left to right at each position, so the more specific rule wins where
 * two could match (an 18-digit ID before a bank card, a +86 mobile before any E.164).
 * Cards and IDs are looked for first; a long digit run that turns out not to be a card
 * (no Luhn, no card word before it) is left to the phone rules.
 */
function alternation(parts: readonly string[]): RegExp {
  return new RegExp(parts.map((part) => `${LEFT}${part}${RIGHT}`).join('|'), 'g');
}

const LONG_NUMBER = alternation([
  `(?<id18>[1-9]\\d{5}${SEP}${DATE8}${SEP}\\d{3}[0-9Xx])(?![0-9A-Za-z])`,
  `(?<id15>[1-9]\\d{5}${DATE6}\\d{3})`,
  `(?<card>\\d(?:${SEP}\\d){15,18})`,
]);

const PHONE_NUMBER = alternation([
  `(?<mobile>(?:(?:\\+|00)86${SEP}|\\(\\+?86\\)${SEP})?1[3-9]\\d(?:${SEP}\\d){8})`,
  `(?<cnland>(?:\\+|00)86${SEP}(?:10|2\\d|[3-9]\\d{2})${SEP}\\d{3,4}${SEP}\\d{4})`,
  `(?<land>(?:\\(0\\d{2,3}\\)${SEP}|0\\d{2,3}[ -])\\d{3,4}${SEP}\\d{4}|0(?:10|2\\d)\\d{8}|0[3-9]\\d{2}\\d{7,8})`,
  `(?<e164>\\+[1-9](?:[ ()-]{0,2}\\d){6,14})`,
]);

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/** Words after which a 16–19 digit number is a card even when it fails the Luhn check. */
const CARD_CONTEXT = /(?:卡号|银行卡|信用卡|储蓄卡|借记卡|卡|账号|帐号|账户|帐户|card|account|acct)(?:[\s:：#号为是]|no\.?)*$/i;

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/** The Luhn (mod 10) check every payment card number passes. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Where a card number ends inside a run of digits and separators, or null when it is no card:
 * the longest prefix (cut at a separator) of 16–19 digits that passes Luhn or follows a card
 * word. Cutting matters when a card is followed by another number ("… 1111 010-12345678").
 */
function bankCardEnd(run: string, afterCardWord: boolean): number | null {
  const cuts = [run.length];
  for (let i = run.length - 1; i > 0; i--) if (run[i] === ' ' || run[i] === '-') cuts.push(i);
  for (const cut of cuts) {
    const digits = digitsOf(run.slice(0, cut));
    if (digits.length < 16) break;
    if (digits.length <= 19 && (afterCardWord || passesLuhn(digits))) return cut;
  }
  return null;
}

/** Every phone number, ID card, bank card and e-mail address in the text, in order. */
export function findPii(text: string): PiiMatch[] {
  // Most messages have no digit and no @ at all: nothing to look for.
  if (!/[\d\uFF10-\uFF19@\uFF20]/.test(text)) return [];
  const plain = normalise(text);
  const found: PiiMatch[] = [];
  const overlaps = (start: number, end: number) => found.some((m) => start < m.end && end > m.start);
  for (const match of plain.matchAll(EMAIL)) found.push({ kind: 'email', start: match.index, end: match.index + match[0].length });
  for (const match of plain.matchAll(LONG_NUMBER)) {
    const start = match.index;
    const end = start + match[0].length;
    if (overlaps(start, end)) continue;
    if (match.groups?.card === undefined) {
      found.push({ kind: 'id_card', start, end });
      continue;
    }
    const cardEnd = bankCardEnd(match[0], CARD_CONTEXT.test(plain.slice(Math.max(0, start - 12), start)));
    if (cardEnd !== null) found.push({ kind: 'bank_card', start, end: start + cardEnd });
  }
  for (const match of plain.matchAll(PHONE_NUMBER)) {
    const start = match.index;
    const end = start + match[0].length;
    if (overlaps(start, end)) continue;
    const groups = match.groups ?? {};
    found.push({ kind: groups.mobile !== undefined ? 'mobile' : groups.e164 !== undefined ? 'phone' : 'landline', start, end });
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Stars the digits of `original` whose digit index (counting digits only) is not kept;
 * every other character stays where it is.
 */
function starDigits(original: string, keep: (index: number, count: number) => boolean): string {
  const plain = normalise(original);
  const count = digitsOf(plain).length;
  let index = 0;
  let out = '';
  for (let i = 0; i < original.length; i++) {
    if (/\d/.test(plain[i]!)) {
      out += keep(index, count) ? original[i] : MASK_CHAR;
      index++;
    } else out += original[i];
  }
  return out;
}

/** How many leading digits are a country prefix (86 / 0086) before a Chinese number. */
function cnPrefixDigits(plain: string): number {
  const prefix = /^(?:\+86|0086|\(\+?86\))/.exec(plain);
  if (!prefix) return 0;
  return digitsOf(prefix[0]).length;
}

/** Digits of a Chinese area code (without the leading 0 or 86) at the start of `national`. */
function areaCodeLength(national: string): number {
  return /^(?:10|2\d)/.test(national) ? 2 : 3;
}

function maskMatch(kind: PiiKind, original: string): string {
  const plain = normalise(original);
  switch (kind) {
    case 'email': {
      const at = plain.indexOf('@');
      const name = original.slice(0, at);
      // z***@example.cn: the first character tells two addresses of one customer apart, the length stays hidden.
      const shown = name.length >= 4 ? `${name.slice(0, 1)}***` : name.length >= 2 ? name.slice(0, 1) + MASK_CHAR.repeat(name.length - 1) : MASK_CHAR;
      return shown + original.slice(at);
    }
    case 'mobile': {
      const prefix = cnPrefixDigits(plain);
      return starDigits(original, (i, n) => i < prefix + 3 || i >= n - 4);
    }
    case 'landline': {
      const prefix = cnPrefixDigits(plain);
      const digits = digitsOf(plain);
      // The area code as written (010-…, (0755)…), after +86, or known by its first digits.
      const written = /^\(?(0\d{2,3})[) -]/.exec(plain);
      const area = prefix > 0 ? prefix + areaCodeLength(digits.slice(prefix)) : written ? written[1]!.length : 1 + areaCodeLength(digits.slice(1));
      return starDigits(original, (i, n) => i < area || i >= n - 4);
    }
    case 'phone':
      return starDigits(original, (i, n) => i < 2 || i >= n - 4);
    case 'id_card': {
      // The last 4 characters stay, a trailing X among them.
      const tail = /[Xx]$/.test(plain) ? 3 : 4;
      return starDigits(original, (i, n) => i < 3 || i >= n - tail);
    }
    case 'bank_card':
      return starDigits(original, (i, n) => i >= n - 4);
  }
}

/** The text with every phone number, ID card, bank card and e-mail address masked. */
export function maskPiiInText(text: string): string {
  const matches = findPii(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    if (match.start < at) continue;
    out += text.slice(at, match.start) + maskMatch(match.kind, text.slice(match.start, match.end));
    at = match.end;
  }
  return out + text.slice(at);
}

/**
 * A value known to be a phone number (a customer's phone, a call's caller): masked by the
 * text rules when it fits one, else every digit but the last 4 (and the first 3 of a long
 * one). Business numbers stay: 400/800 hotlines (a call's callee is usually the company's)
 * and numbers of 6 digits or fewer (95588, extensions).
 */
export function maskPhone(value: string): string {
  const masked = maskPiiInText(value);
  if (masked !== value) return masked;
  const digits = digitsOf(normalise(value));
  if (digits.length <= 6 || /^[48]00\d{7}$/.test(digits)) return value;
  return starDigits(value, (i, n) => (n >= 10 && i < 3) || i >= n - 4);
}

/** A value known to be an e-mail address; anything else is masked as text. */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return maskPiiInText(value);
  return maskMatch('email', value);
}

/** Whether a text shows a masked value (what the UI offers to reveal). */
export function looksMasked(text: string): boolean {
  return /\*{2,}|\*@/.test(text);
}

// ---------------------------------------------------------------------------------------
// Structured values. Each masks what can carry personal data and keeps everything else.

const IDENTITY_MASKERS: Record<string, (value: string) => string> = { phone: maskPhone, email: maskEmail };

/**
 * Masks a customer. Written as a walk over every field (not a list of the fields known
 * today) so a field added later — more identities, claimed contact details — is masked
 * too: a `phone` / `email` key, or the `value` of an object whose `kind` is phone / email,
 * by its own rule, any other string by the text rules.
 */
export function maskCustomer<C extends Customer>(customer: C): C {
  return maskFields(customer, null, null) as C;
}

function maskFields(value: unknown, key: string | null, kind: string | null): unknown {
  if (typeof value === 'string') {
    if (key === 'id' || key === 'customerId' || key === 'kind') return value;
    const structured = key === 'phone' || key === 'email' ? IDENTITY_MASKERS[key] : key === 'value' && kind ? IDENTITY_MASKERS[kind] : undefined;
    return (structured ?? maskPiiInText)(value);
  }
  if (Array.isArray(value)) return value.map((item) => maskFields(item, key, kind));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const ownKind = typeof record.kind === 'string' ? record.kind : null;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, maskFields(v, k, ownKind)]));
  }
  return value;
}

export function maskIdentities<I extends CustomerIdentity>(identities: readonly I[]): I[] {
  return identities.map((identity) => ({ ...identity, value: (IDENTITY_MASKERS[identity.kind] ?? maskPiiInText)(identity.value) }));
}

/**
 * A preview cut short (`…`) may end in the first digits of a number the rules no longer
 * recognise; those are starred too.
 */
export function maskPreview(text: string): string {
  const masked = maskPiiInText(text);
  return masked.endsWith('…')
    ? masked.replace(/(?<![A-Z0-9\uFF10-\uFF19])[\d\uFF10-\uFF19][\d\uFF10-\uFF19 -]{3,}…$/, (tail) => tail.replace(/[\d\uFF10-\uFF19]/g, MASK_CHAR))
    : masked;
}

/** Subject, inbox preview, an escalation's reason, the result and a handover note can quote the customer. */
export function maskTicket<T extends Ticket>(ticket: T): T {
  const escalation = ticket.routing.escalation;
  const reason = ticket.assignmentReason;
  return {
    ...ticket,
    subject: maskPreview(ticket.subject),
    lastMessagePreview: maskPreview(ticket.lastMessagePreview),
    routing: escalation ? { ...ticket.routing, escalation: { ...escalation, reason: maskPiiInText(escalation.reason) } } : ticket.routing,
    result: ticket.result === null ? null : maskPiiInText(ticket.result),
    handover: ticket.handover === null ? null : { ...ticket.handover, note: maskPiiInText(ticket.handover.note) },
    assignmentReason: reason?.code === 'transferred' ? { ...reason, note: maskPiiInText(reason.note) } : reason,
  };
}

/** Text, the author's name (a customer named by their address), the call's numbers, a delivery error naming the address, file names. */
export function maskMessage<M extends Message>(message: M): M {
  return {
    ...message,
    text: maskPiiInText(message.text),
    authorName: maskPiiInText(message.authorName),
    call: message.call ? { ...message.call, from: maskPhone(message.call.from), to: maskPhone(message.call.to) } : message.call,
    deliveryError: message.deliveryError === null ? null : maskPiiInText(message.deliveryError),
    attachments: message.attachments.map((attachment) => ({ ...attachment, fileName: maskPiiInText(attachment.fileName) })),
    // An agent-written email subject is free text like the body (issue 12).
    ...(message.subject ? { subject: maskPiiInText(message.subject) } : {}),
  };
}

export function maskNote<N extends Note>(note: N): N {
  return { ...note, text: maskPiiInText(note.text) };
}

export function maskBundle(bundle: TicketBundle): TicketBundle {
  return {
    ticket: maskTicket(bundle.ticket),
    customer: maskCustomer(bundle.customer),
    messages: bundle.messages.map(maskMessage),
    notes: bundle.notes.map(maskNote),
  };
}
