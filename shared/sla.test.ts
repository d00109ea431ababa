import { describe, expect, it } from 'vitest';
import { dueAtFor, formatCountdown, slaCountdown } from './sla.js';

const HOUR = 3_600_000;

describe('resolution SLA', () => {
  it('gives urgent 2 h, normal 4 h and low 24 h', () => {
    expect(dueAtFor(0, 'urgent')).toBe(2 * HOUR);
    expect(dueAtFor(0, 'normal')).toBe(4 * HOUR);
    expect(dueAtFor(0, 'low')).toBe(24 * HOUR);
  });

  it('counts down, turns at-risk near the end and breached after it', () => {
    const ticket = { createdAt: 0, dueAt: 4 * HOUR, status: 'in_progress' as const, completedAt: null };
    expect(slaCountdown(ticket, HOUR)).toEqual({ state: 'ok', remainingMs: 3 * HOUR });
    expect(slaCountdown(ticket, 3.5 * HOUR).state).toBe('at_risk');
    expect(slaCountdown(ticket, 5 * HOUR)).toEqual({ state: 'breached', remainingMs: -HOUR });
  });

  it('stops counting once the ticket is completed, remembering whether it met the SLA', () => {
    const done = { createdAt: 0, dueAt: 2 * HOUR, status: 'completed' as const, completedAt: HOUR };
    expect(slaCountdown(done, 10 * HOUR).state).toBe('met');
    expect(slaCountdown({ ...done, completedAt: 3 * HOUR }, 10 * HOUR).state).toBe('stopped');
  });

  it('formats countdowns with unbounded hours and a sign when overdue', () => {
    expect(formatCountdown(3 * HOUR + 5 * 60_000 + 9_000)).toBe('3:05:09');
    expect(formatCountdown(-12 * 60_000)).toBe('-0:12:00');
    expect(formatCountdown(25 * HOUR)).toBe('25:00:00');
  });
});
