/**
 * Resolution SLA (urgent 2 h, normal 4 h, low 24 h) and the countdown shown on every inbox row.
 */
import type { Priority, TicketStatus } from './domain.js';

const HOUR_MS = 60 * 60 * 1000;

export const RESOLUTION_SLA_MS: Readonly<Record<Priority, number>> = {
  urgent: 2 * HOUR_MS,
  normal: 4 * HOUR_MS,
  low: 24 * HOUR_MS,
};

/** When a ticket created at `createdAt` with `priority` must be resolved. */
export function dueAtFor(createdAt: number, priority: Priority): number {
  return createdAt + RESOLUTION_SLA_MS[priority];
}

export type SlaState = 'ok' | 'at_risk' | 'breached' | 'met' | 'stopped';

export interface SlaCountdown {
  state: SlaState;
  /** Milliseconds left (negative when breached). */
  remainingMs: number;
}

/** A ticket is at risk in the last quarter of its SLA window, or the last 30 minutes, whichever is longer. */
export function slaCountdown(ticket: { dueAt: number; createdAt: number; status: TicketStatus; completedAt: number | null }, now: number): SlaCountdown {
  const remainingMs = ticket.dueAt - now;
  if (ticket.status === 'completed' || ticket.status === 'closed') {
    const doneAt = ticket.completedAt ?? now;
    return { state: doneAt <= ticket.dueAt ? 'met' : 'stopped', remainingMs };
  }
  if (remainingMs < 0) return { state: 'breached', remainingMs };
  const window = ticket.dueAt - ticket.createdAt;
  const riskThreshold = Math.max(window / 4, 30 * 60 * 1000);
  return { state: remainingMs <= riskThreshold ? 'at_risk' : 'ok', remainingMs };
}

/** `1:05:09` or `-0:12:00`: hours unbounded, minutes and seconds two digits. */
export function formatCountdown(remainingMs: number): string {
  const sign = remainingMs < 0 ? '-' : '';
  const totalSeconds = Math.floor(Math.abs(remainingMs) / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `${sign}${String(h)}:${m.toString().padStart(2, '0')}:${s.toString().padStart(2, '0')}`;
}
