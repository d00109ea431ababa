/**
 * Pure rules for inbound contacts: the first, deliberately simple triage (priority and type
 * from a few keywords). How a customer is recognised across channels is in customers.ts.
 */
import type { Priority, TicketType } from '../shared/domain.js';

/** Words that make a contact urgent: complaints and anger, Chinese and English. */
export const URGENT_KEYWORDS = ['投诉', '紧急', '加急', '生气', '愤怒', '太差', 'urgent', 'complaint', 'angry', 'asap'] as const;
/** Words that make a contact a complaint (投诉). */
export const COMPLAINT_KEYWORDS = ['投诉', 'complaint'] as const;

export interface Triage {
  priority: Priority;
  type: TicketType;
}

/** Keyword triage of subject + text; anything else is a normal consultation (咨询). */
export function triageContact(subject: string | undefined, text: string): Triage {
  const haystack = `${subject ?? ''}\n${text}`.toLowerCase();
  const priority: Priority = URGENT_KEYWORDS.some((word) => haystack.includes(word)) ? 'urgent' : 'normal';
  const type: TicketType = COMPLAINT_KEYWORDS.some((word) => haystack.includes(word)) ? 'complaint' : 'consult';
  return { priority, type };
}
