import { describe, expect, it } from 'vitest';
import { NO_VARIANTS, type Script } from '../../../shared/scripts.js';
import { nextPlaceholder, typedSlashQuery } from '../components/ScriptPicker.js';
import { searchScripts } from './scriptSlice.js';

const script = (id: string, title: string, keyword: string, body: string, language: 'zh' | 'en' = 'zh'): Script => ({
  id,
  scope: 'team',
  ownerId: null,
  language,
  title,
  body,
  category: '',
  keyword,
  variants: NO_VARIANTS,
  updatedAt: 1,
  updatedByName: '李主管',
});

const library = [
  script('a', '标准问候', 'greet', '您好，{customer.name}'),
  script('b', '投诉处理', 'sorry', '非常抱歉，我先核实一下'),
  script('c', 'Standard greeting', 'hello', 'Hello {customer.name}', 'en'),
  script('d', '结束语', 'bye', '感谢您的耐心，祝您生活愉快'),
];

describe('the / picker', () => {
  it('matches two Chinese characters in titles and bodies, keywords first, the UI language first', () => {
    expect(searchScripts(library, '问候', 'zh').map((s) => s.id)).toEqual(['a']);
    expect(searchScripts(library, '核实', 'zh').map((s) => s.id)).toEqual(['b']);
    expect(searchScripts(library, '感谢', 'zh').map((s) => s.id)).toEqual(['d']);
    expect(searchScripts(library, 'gree', 'en').map((s) => s.id)).toEqual(['a', 'c']);
    expect(searchScripts(library, 'greeting', 'en').map((s) => s.id)).toEqual(['c']);
    expect(searchScripts(library, '', 'en')[0]?.id).toBe('c');
    expect(searchScripts(library, '没有这个', 'zh')).toEqual([]);
  });

  it('opens on a / at the start of a word only', () => {
    expect(typedSlashQuery('/问候', 3)).toEqual({ anchor: 0, query: '问候' });
    expect(typedSlashQuery('您好 /gr', 6)).toEqual({ anchor: 3, query: 'gr' });
    expect(typedSlashQuery('http://x', 8)).toBeNull();
    expect(typedSlashQuery('a/b', 3)).toBeNull();
  });

  it('moves Tab and Shift+Tab between the blanks, and lets Tab go when none is left that way', () => {
    const text = '{a.b}您好{c}，{d}';
    expect(nextPlaceholder(text, 0, 5, false)).toMatchObject({ start: 7, end: 10 });
    expect(nextPlaceholder(text, 7, 10, false)).toMatchObject({ start: 11, end: 14 });
    expect(nextPlaceholder(text, 11, 14, false)).toBeNull();
    expect(nextPlaceholder(text, 11, 14, true)).toMatchObject({ start: 7, end: 10 });
    expect(nextPlaceholder(text, 0, 5, true)).toBeNull();
  });
});
