/**
 * Messages in both languages: plurals through ICU (issue 12: "real plurals instead of
 * 'note(s)'"), plain substitution elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { translate } from './i18n.js';

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
