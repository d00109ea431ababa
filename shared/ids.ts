/**
 * Business identifiers: tickets `GD` + YYYYMMDD + per-day sequence (≥ 3 digits),
 * customers `CUS` + YYYYMMDD + sequence, satisfaction feedback `FK` + YYYYMMDD + sequence. The day is the local day
 * of the organisation's time zone (policies `timeZone`; Asia/Shanghai by default, which has no daylight saving).
 */
import { DEFAULT_ORG_TIME_ZONE, wallClockOf } from './timeZone.js';

/** The calendar day of an instant in `timeZone` (the organisation's), as `YYYYMMDD`. */
export function dayKey(epochMs: number, timeZone: string = DEFAULT_ORG_TIME_ZONE): string {
  const local = new Date(wallClockOf(timeZone, epochMs));
  const y = local.getUTCFullYear().toString().padStart(4, '0');
  const m = (local.getUTCMonth() + 1).toString().padStart(2, '0');
  const d = local.getUTCDate().toString().padStart(2, '0');
  return `${y}${m}${d}`;
}

function formatSequenced(prefix: string, day: string, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError(`sequence must be a positive integer, got ${String(sequence)}`);
  if (!/^\d{8}$/.test(day)) throw new RangeError(`day must be YYYYMMDD, got ${day}`);
  return `${prefix}${day}${sequence.toString().padStart(3, '0')}`;
}

export function formatTicketId(day: string, sequence: number): string {
  return formatSequenced('GD', day, sequence);
}

export function formatCustomerId(day: string, sequence: number): string {
  return formatSequenced('CUS', day, sequence);
}

/** Satisfaction feedback (满意度回访) ids: `FK` + the China-local day it was answered + sequence, e.g. FK20261204001. */
export function formatFeedbackId(day: string, sequence: number): string {
  return formatSequenced('FK', day, sequence);
}

export interface ParsedTicketId {
  day: string;
  sequence: number;
}

export function parseTicketId(id: string): ParsedTicketId | null {
  const match = /^GD(\d{8})(\d{3,})$/.exec(id);
  if (!match) return null;
  return { day: match[1]!, sequence: Number(match[2]) };
}
