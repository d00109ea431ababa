/**
 * A phone call's words in the agent's language where only the server's text travels: a
 * ticket's preview, a notification, an offer's first message, the callback ticket's subject
 * (issue 12: the server stored "中文 / English" sentences that both UIs showed whole), an answered
 * call's ticket's subject (`来电 <caller>`, the organisation's words).
 */
import { answeredCallSubjectCaller, callSummaryFacts, isMissedCallSubject, readCallMessageText, type CallSummaryFacts } from '../../shared/cti.js';
import type { CallInfo } from '../../shared/domain.js';
import type { Language, Translate } from './i18n.js';
import { formatCallDuration } from './i18nCustomers.js';

/** "未接来电 136…，请回拨" / "Missed call from 136… — call back", "通话 3分12秒" / "Call 3:12". */
export function callFactsText(t: Translate, language: Language, facts: CallSummaryFacts): string {
  switch (facts.code) {
    case 'call_missed':
      return t('call.summary.call_missed', { from: facts.from });
    case 'call_in_progress':
      return t('call.summary.call_in_progress');
    case 'call_answered':
      return t('call.summary.call_answered', { duration: formatCallDuration(language, facts.durationSec) });
  }
}

/** A call's summary line from its facts (the message's `call`). */
export function callInfoText(t: Translate, language: Language, call: Pick<CallInfo, 'outcome' | 'from' | 'durationSec' | 'endedAt'>): string {
  return callFactsText(t, language, callSummaryFacts(call));
}

/** A message text or ticket preview said in the agent's language when it is a call's code; any other text (older calls' included) as it is. */
export function callPreviewText(t: Translate, language: Language, text: string): string {
  const facts = readCallMessageText(text);
  return facts ? callFactsText(t, language, facts) : text;
}

/** A ticket's subject, the server's call subjects (missed: callback; answered: `来电 <caller>`) in the agent's language; any other subject as it is. */
export function ticketSubjectText(t: Translate, ticket: { channel: string; subject: string }): string {
  if (isMissedCallSubject(ticket)) return t('call.missedSubject');
  const caller = answeredCallSubjectCaller(ticket);
  return caller === null ? ticket.subject : t('call.answeredSubject', { from: caller });
}

/** What a ticket row shows: its subject, else its newest message's preview (each in the agent's language when the server made it). */
export function ticketLineText(t: Translate, language: Language, ticket: { channel: string; subject: string; lastMessagePreview: string }): string {
  return ticket.subject ? ticketSubjectText(t, ticket) : callPreviewText(t, language, ticket.lastMessagePreview);
}
