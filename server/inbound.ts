/**
 * Pure rules for inbound contacts: how a customer identity is normalised for matching,
 * and the first, deliberately simple triage (priority and type from a few keywords).
 */
import type { Priority, TicketType } from '../shared/domain.js';

/**
 * Digits only (with a leading `+` kept for foreign numbers); a Chinese mobile loses its
 * `+86` / `0086` / `86` prefix so `+86 138-0013-8000` and `13800138000` match.
 */
export function normalisePhone(phone: string): string {
  const compact = phone.replace(/[\s\-().]/g, '');
  const chinaMobile = /^(?:\+86|0086|86)?(1[3-9]\d{9})$/.exec(compact);
  if (chinaMobile) return chinaMobile[1]!;
  return compact;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

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
