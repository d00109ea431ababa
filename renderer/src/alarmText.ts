/**
 * One alarm in words, in the UI's language: the Alerts list and the desktop notification say
 * the same thing. The reason of an escalation is the agent's own text (shown as written).
 */
import type { Alarm } from '../../shared/alarms.js';
import { formatDateTime, translate, type Language, type MessageKey } from './i18n.js';

export function alarmKindText(language: Language, alarm: Alarm): string {
  return translate(language, `alerts.kind.${alarm.kind}` as MessageKey);
}

export function alarmText(language: Language, alarm: Alarm): string {
  const { facts } = alarm;
  // A ticket back in the queue: its wait counts from when it went back.
  const key = alarm.kind === 'unassigned' && facts.requeuedAt !== undefined ? 'alerts.text.unassignedRequeued' : `alerts.text.${alarm.kind}`;
  return translate(language, key as MessageKey, {
    requeued: facts.requeuedAt !== undefined ? formatDateTime(language, facts.requeuedAt) : '',
    channel: alarm.channel ? translate(language, `channel.${alarm.channel}` as MessageKey) : '',
    pending: facts.pending ?? 0,
    threshold: facts.threshold ?? 0,
    ticket: alarm.ticketId ?? '',
    due: facts.dueAt !== undefined ? formatDateTime(language, facts.dueAt) : '',
    by: facts.requestedByName ?? '',
    reason: facts.reason ?? '',
    score: facts.score !== undefined ? facts.score.toFixed(2) : '',
    feedback: facts.feedbackId ?? '',
    minutes: facts.firstResponseMinutes ?? '',
  });
}
