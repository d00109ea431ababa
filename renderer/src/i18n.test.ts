/**
 * Messages in both languages: plurals through ICU (issue 12: "real plurals instead of
 * 'note(s)'"), plain substitution elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { errorText } from './components/errorText.js';
import type { UiError } from './store/types.js';
import { formatClock, formatDateTime, fromOrgInputValue, toOrgInputValue, translate } from './i18n.js';

describe('translate', () => {
  it('says one note and two notes in English, and counts the same way in Chinese', () => {
    expect(translate('en', 'callCard.saved', { n: 1, id: 'GD20261205001' })).toBe('1 note saved to GD20261205001');
    expect(translate('en', 'callCard.saved', { n: 2, id: 'GD20261205001' })).toBe('2 notes saved to GD20261205001');
    expect(translate('zh-CN', 'callCard.saved', { n: 1, id: 'GD20261205001' })).toBe('已保存 1 条记录到 GD20261205001');
    expect(translate('en', 'collision.newMessages', { n: 1 })).toBe('1 new message arrived');
    expect(translate('en', 'team.offers', { n: 3 })).toBe('3 offers waiting');
  });

  it('groups the digits of a large count by the language', () => {
    expect(translate('en', 'customerHistory.count', { shown: 1000, total: 12345 })).toBe('1,000 of 12,345 tickets');
    expect(translate('en', 'customerHistory.count', { shown: 1, total: 1 })).toBe('1 of 1 ticket');
  });

  it('keeps a missing variable visible instead of failing, in either kind of message', () => {
    expect(translate('en', 'header.pending', {})).toBe('{n} pending');
    expect(translate('en', 'team.offers', {})).toContain('{n, plural');
  });
});

describe('times in the organisation time zone', () => {
  // 06:00 UTC is 14:00 in Asia/Shanghai, whatever zone this computer is in.
  const at = Date.UTC(2026, 11, 5, 6, 0);

  it('shows the organisation wall clock', () => {
    expect(formatClock('en', at)).toBe('14:00');
    expect(formatClock('zh-CN', at)).toBe('14:00');
  });

  it('reads and writes a follow-up picker value in the organisation zone', () => {
    expect(toOrgInputValue(at)).toBe('2026-12-05T14:00');
    expect(fromOrgInputValue('2026-12-05T14:00')).toBe(at);
    expect(fromOrgInputValue('2026-12-05T14:00:30')).toBe(at + 30_000);
    // Abuse: nothing, a date alone, garbage and an impossible time are no time.
    for (const bad of ['', '2026-12-05', 'tomorrow', '2026-13-45T99:99']) expect(fromOrgInputValue(bad)).toBeNull();
  });

  it('leaves the date out only for today in the organisation zone', () => {
    expect(formatDateTime('en', Date.now())).toMatch(/^\d{2}:\d{2}$/);
    expect(formatDateTime('en', at - 3 * 24 * 3600_000)).toBe('12/02, 14:00');
  });
});

describe('errors in the UI language', () => {
  const notFound: UiError = { code: 'not_found', message: 'Ticket GD20261205009 was not found.' };

  it('adds the core detail in English and leaves its English out of the Chinese UI', () => {
    expect(errorText((key, vars) => translate('en', key, vars), notFound)).toBe('Not found: Ticket GD20261205009 was not found.');
    expect(errorText((key, vars) => translate('zh-CN', key, vars), notFound)).toBe('未找到');
  });
});
