import { describe, expect, it } from 'vitest';
import { dayKey, formatCustomerId, formatTicketId, parseTicketId } from './ids.js';

describe('ticket and customer ids', () => {
  it('uses the China Standard Time day, not the UTC day', () => {
    // 2023-09-30 16:30 UTC is already 2023-10-01 00:30 in Beijing.
    expect(dayKey(Date.UTC(2023, 8, 30, 16, 30))).toBe('20231001');
    expect(dayKey(Date.UTC(2023, 8, 30, 15, 59))).toBe('20230930');
    expect(dayKey(Date.UTC(2023, 8, 30, 15, 59), 'UTC')).toBe('20230930');
    // 22:30 UTC is already the next day in Shanghai, still the same one in Berlin (UTC+1 in November).
    expect(dayKey(Date.UTC(2024, 10, 7, 22, 30), 'Europe/Berlin')).toBe('20241107');
    expect(dayKey(Date.UTC(2024, 10, 7, 22, 30), 'Asia/Shanghai')).toBe('20241108');
  });

  it('pads the per-day sequence to at least three digits and grows past 999', () => {
    expect(formatTicketId('20231001', 1)).toBe('GD20231001001');
    expect(formatTicketId('20231001', 1234)).toBe('GD202310011234');
    expect(formatCustomerId('20240501', 1)).toBe('CUS20240501001');
  });

  it('refuses sequences and days that cannot form an id', () => {
    expect(() => formatTicketId('20231001', 0)).toThrow(RangeError);
    expect(() => formatTicketId('2023-10-01', 1)).toThrow(RangeError);
  });

  it('parses what it formats and rejects everything else', () => {
    expect(parseTicketId('GD20231001001')).toEqual({ day: '20231001', sequence: 1 });
    expect(parseTicketId('GD202310011234')).toEqual({ day: '20231001', sequence: 1234 });
    expect(parseTicketId('GD2023100101')).toBeNull();
    expect(parseTicketId('gd20231001001')).toBeNull();
  });
});
