/**
 * Phone calls (CTI): the normalised call event a telephony system posts to the server's
 * signed webhook, and the call as the server pushes it to the agent's workstation (the
 * screen pop: who is calling, which customer that is, their recent tickets, and the call's
 * ticket once it was answered). See docs/technical/channels.md ("Phone (CTI)").
 */
import { z } from 'zod';
import { customerSchema, epochMsSchema, ticketIdSchema, ticketSchema, type CallInfo } from './domain.js';

/** What a CTI reports about one call, in the order a call lives them. */
export const CTI_EVENTS = ['offered', 'ringing', 'answered', 'ended', 'missed'] as const;
export const ctiEventNameSchema = z.enum(CTI_EVENTS);
export type CtiEventName = z.infer<typeof ctiEventNameSchema>;

/** A caller number as telephony systems send it (digits, `+`, blanks, dashes, brackets). */
export const callerNumberSchema = z
  .string()
  .trim()
  .max(40)
  .regex(/^\+?(?:[ ()-]*\d){3,20}[ ()-]*$/, { message: 'is not a phone number' });

/** An agent's phone extension (分机号), e.g. `8001`. */
export const extensionSchema = z
  .string()
  .trim()
  .regex(/^[0-9A-Za-z*#_-]{1,20}$/, { message: 'is not a phone extension like 8001' });

/**
 * One call event over `POST /channels/cti/events` (signed; see signature.ts on the server).
 * `at` is when it happened at the CTI: ISO 8601 with an offset, or epoch milliseconds.
 */
export const ctiEventSchema = z
  .object({
    /** The CTI's id of the call (a SIP Call-ID, a Twilio CallSid…); events of one call share it. */
    callId: z.string().trim().min(1).max(200),
    event: ctiEventNameSchema,
    at: z
      .union([z.iso.datetime({ offset: true, message: 'is not an ISO 8601 date-time or epoch milliseconds' }), epochMsSchema])
      .transform((at) => (typeof at === 'string' ? Date.parse(at) : at)),
    /** The caller's number. */
    from: callerNumberSchema,
    /** The number or extension that was called. */
    to: z.string().trim().min(1).max(40),
    /** The extension of the agent whose phone rings / who answered; absent when the CTI does not know. */
    agentExtension: extensionSchema.nullable().optional(),
    /** The talk time as the CTI measured it (on `ended`); without it the server counts from `answered` to `ended`. */
    durationSec: z.number().int().nonnegative().max(86_400).optional(),
  })
  .strict();
export type CtiEventInput = z.input<typeof ctiEventSchema>;
export type CtiEvent = z.output<typeof ctiEventSchema>;

/** Where a call stands: ringing (offered or ringing), answered, ended after being answered, or missed. */
export const CALL_STATES = ['ringing', 'answered', 'ended', 'missed'] as const;
export const callStateSchema = z.enum(CALL_STATES);
export type CallState = z.infer<typeof callStateSchema>;

/** Most recent tickets a screen pop carries. */
export const MAX_POP_TICKETS = 5;

/**
 * A call as the agent's workstation sees it (`cti:call`), sent to the agent whose extension
 * it rings at each change of state, and again on reconnecting while the call is live.
 */
export const ctiCallSchema = z.object({
  callId: z.string().min(1).max(200),
  state: callStateSchema,
  /** Caller and callee as the CTI gave them. */
  from: z.string().max(40),
  to: z.string().max(40),
  agentExtension: z.string().max(20).nullable(),
  startedAt: epochMsSchema,
  answeredAt: epochMsSchema.nullable(),
  endedAt: epochMsSchema.nullable(),
  /** Talk time, once the call ended. */
  durationSec: z.number().int().nonnegative().nullable(),
  /** The customer the caller's number belongs to; null for a number nobody knows yet. */
  customer: customerSchema.nullable(),
  /** That customer's newest tickets on every channel (at most MAX_POP_TICKETS). */
  recentTickets: z.array(ticketSchema).max(MAX_POP_TICKETS),
  /** The phone ticket the call was recorded on (once answered, or the callback task of a missed call). */
  ticketId: ticketIdSchema.nullable(),
  updatedAt: epochMsSchema,
});
export type CtiCall = z.infer<typeof ctiCallSchema>;

/** A call duration as a clock: `3:12`, `0:45`, `1:02:03`. */
export function formatDurationClock(durationSec: number): string {
  const total = Math.max(0, Math.floor(durationSec));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${String(hours)}:${String(minutes).padStart(2, '0')}:${seconds}` : `${String(minutes)}:${seconds}`;
}

/**
 * A call's message text (issue 12): a code with its fact, then English, as `code(fact): English`
 * — `call_missed(<caller>)`, `call_in_progress()`, `call_answered(<talk seconds>)`. The
 * workstation says it in the agent's language (from the message's `call`, or from this text
 * where only the text travels: a ticket's preview, a notification); an HTTP API reader or an
 * export reads the English. Texts stored before (`未接来电 … / Missed call …`) are not codes
 * and are shown as they are.
 */
export const CALL_SUMMARY_CODES = ['call_missed', 'call_in_progress', 'call_answered'] as const;
export type CallSummaryCode = (typeof CALL_SUMMARY_CODES)[number];

/** What a call's message says, as facts: the caller of a missed call, the talk time of an ended one. */
export type CallSummaryFacts = { code: 'call_missed'; from: string } | { code: 'call_in_progress' } | { code: 'call_answered'; durationSec: number };

export function callSummaryFacts(call: Pick<CallInfo, 'outcome' | 'from' | 'durationSec' | 'endedAt'>): CallSummaryFacts {
  if (call.outcome === 'missed') return { code: 'call_missed', from: call.from };
  if (call.endedAt === null) return { code: 'call_in_progress' };
  return { code: 'call_answered', durationSec: call.durationSec };
}

/** The stored message text of a call: the code with its fact, then English for API readers. */
export function callMessageText(call: Pick<CallInfo, 'outcome' | 'from' | 'durationSec' | 'endedAt'>): string {
  const facts = callSummaryFacts(call);
  switch (facts.code) {
    case 'call_missed':
      // The number is kept out of the brackets' syntax: a CTI's caller id is up to 40 characters of anything.
      return `call_missed(${facts.from.replace(/[()]/g, '')}): Missed call from ${facts.from} — call back`;
    case 'call_in_progress':
      return 'call_in_progress(): Call in progress';
    case 'call_answered':
      return `call_answered(${String(facts.durationSec)}): Call ${formatDurationClock(facts.durationSec)}`;
  }
}

/**
 * The Chinese words the workstation says each call in (renderer/src/i18nCti.ts, `call.summary.*`:
 * "通话 3分12秒", "通话中", "未接来电 136…，请回拨"), which its stored text (`callMessageText`)
 * does not hold: the English after the code does, so English words find a call as they are.
 * What an agent searches a call by in Chinese (walk-5: "通话" no longer found answered calls once
 * their text became a code). i18n.test checks that the Chinese UI says each word.
 */
export const CALL_SEARCH_WORDS: Readonly<Record<CallSummaryCode, readonly string[]>> = {
  call_missed: ['未接来电', '请回拨'],
  call_in_progress: ['通话中'],
  call_answered: ['通话'],
};

/**
 * The search forms of a term that the stored text of calls does not hold but the screens say:
 * the code (`call_answered(`) of each call the term names in Chinese ("通话" → answered and in
 * progress). Two characters at least: one character is everywhere. None for any other term.
 */
export function callSearchForms(term: string): string[] {
  if ([...term].length < 2) return [];
  const codes = CALL_SUMMARY_CODES.filter((code) => CALL_SEARCH_WORDS[code].some((word) => word.includes(term))).map((code) => `${code}(`);
  return [...codes, ...answeredCallSubjectSearchForms(term)];
}

/**
 * Of `callSearchForms`, the one a ticket's subject can hold: the stored prefix of an answered
 * call's subject when the term is a word of "Call from" (the codes are in messages only).
 */
export function answeredCallSubjectSearchForms(term: string): string[] {
  if ([...term].length < 2) return [];
  const lower = term.toLocaleLowerCase('en');
  return ANSWERED_CALL_SUBJECT_SEARCH_WORDS.some((word) => word.startsWith(lower)) ? [ANSWERED_CALL_SUBJECT_PREFIX] : [];
}

/**
 * The English words the workstation shows an answered call's subject in ("Call from 张伟",
 * renderer/src/i18nCti.ts `call.answeredSubject`), which the stored subject (`来电 张伟`) does not
 * hold: a word of them (or its start, "fr") also finds the stored prefix, so "Call from" finds the
 * tickets the English inbox lists as "Call from …" (walk-6: it found none). i18n.test checks the
 * English UI says each word.
 */
export const ANSWERED_CALL_SUBJECT_SEARCH_WORDS: readonly string[] = ['call', 'from'];

const CALL_TEXT_PATTERN = new RegExp(`^(${CALL_SUMMARY_CODES.join('|')})\\(([^)]*)\\): `);

/** The facts of a text made by `callMessageText` (masked numbers included); null for any other text. */
export function readCallMessageText(text: string): CallSummaryFacts | null {
  const match = CALL_TEXT_PATTERN.exec(text);
  if (!match) return null;
  const fact = match[2]!;
  switch (match[1] as CallSummaryCode) {
    case 'call_missed':
      return { code: 'call_missed', from: fact };
    case 'call_in_progress':
      return { code: 'call_in_progress' };
    case 'call_answered':
      return /^\d{1,9}$/.test(fact) ? { code: 'call_answered', durationSec: Number(fact) } : null;
  }
}

/**
 * The subject of a missed call's callback ticket: ticket data in the organisation's working
 * language (Chinese: the reports' default words, the demo organisation, the customers), so
 * reports, exports, the HTTP API and an emailed reply's `Re:` read it as a Chinese contact
 * centre writes it; the workstation shows it in the agent's language (`isMissedCallSubject`).
 */
export const MISSED_CALL_SUBJECT = '未接来电，请回拨';

/** Subjects earlier versions gave callback tickets (shown in the agent's language like the current one). */
const EARLIER_MISSED_CALL_SUBJECTS = ['未接来电，请回拨 / Missed call — call back'];

/** Whether a ticket's subject is the one the server gives a missed call's callback ticket (not one an agent wrote). */
export function isMissedCallSubject(ticket: { channel: string; subject: string }): boolean {
  return ticket.channel === 'phone' && (ticket.subject === MISSED_CALL_SUBJECT || EARLIER_MISSED_CALL_SUBJECTS.includes(ticket.subject));
}

/**
 * The subject of an answered call's ticket, `来电 <the customer's name, else the caller's number>`:
 * ticket data in the organisation's working language like MISSED_CALL_SUBJECT; the workstation
 * shows it in the agent's language (`answeredCallSubjectCaller`).
 */
const ANSWERED_CALL_SUBJECT_PREFIX = '来电 ';

export function answeredCallSubject(caller: string): string {
  return `${ANSWERED_CALL_SUBJECT_PREFIX}${caller}`;
}

/**
 * The caller an answered call's subject names (`来电 张伟` → `张伟`, masked numbers included); null for
 * any other subject. A phone ticket's subject an agent wrote the same way reads the same: nothing
 * stored tells them apart, and such a subject says the same thing.
 */
export function answeredCallSubjectCaller(ticket: { channel: string; subject: string }): string | null {
  if (ticket.channel !== 'phone' || !ticket.subject.startsWith(ANSWERED_CALL_SUBJECT_PREFIX)) return null;
  const caller = ticket.subject.slice(ANSWERED_CALL_SUBJECT_PREFIX.length).trim();
  return caller === '' ? null : caller;
}

/** Twilio's call statuses, as its status callbacks send them. */
export const TWILIO_CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;

/**
 * A Twilio status callback (`application/x-www-form-urlencoded`) as far as the CTI adapter
 * reads it; Twilio sends many more parameters (all of them are covered by its signature).
 */
export const twilioStatusCallbackSchema = z
  .object({
    CallSid: z.string().regex(/^[A-Za-z0-9]{2,64}$/, { message: 'is not a Twilio CallSid' }),
    CallStatus: z.enum(TWILIO_CALL_STATUSES),
    From: z.string().max(64),
    To: z.string().max(64),
    /** Seconds, on `completed`. */
    CallDuration: z
      .string()
      .regex(/^\d{1,6}$/, { message: 'is not a number of seconds' })
      .optional(),
    /** RFC 2822, when the callback asked for it. */
    Timestamp: z.string().max(64).optional(),
    Direction: z.string().max(32).optional(),
  })
  .loose();
export type TwilioStatusCallback = z.infer<typeof twilioStatusCallbackSchema>;
