import { describe, expect, it } from 'vitest';
import { SHORTCUTS, composerChord, isTypingTarget, leavesField, shortcutFor, type KeyPress } from './shortcuts.js';

const press = (key: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });
const body = { tagName: 'BODY' };
const list = { tagName: 'LI', inList: true };
const button = { tagName: 'BUTTON' };

describe('keyboard shortcuts', () => {
  it('maps every documented key to its action on the page', () => {
    for (const { action, keys } of SHORTCUTS) {
      for (const key of keys) {
        const typed = key === '↓' ? 'ArrowDown' : key === '↑' ? 'ArrowUp' : key;
        expect(shortcutFor(press(typed), body, false), key).toBe(action);
      }
    }
  });

  it('never fires while typing in the composer, the search box or a select, whatever the key', () => {
    for (const field of [{ tagName: 'TEXTAREA' }, { tagName: 'INPUT' }, { tagName: 'select' }, { tagName: 'DIV', isContentEditable: true }]) {
      expect(isTypingTarget(field)).toBe(true);
      for (const key of ['j', 'k', 'r', 'n', 't', 's', 'p', 'e', 'c', 'x', 'o', 'a', '/', '?', 'Enter', 'ArrowDown']) {
        expect(shortcutFor(press(key), field, false), `${key} in ${field.tagName}`).toBeNull();
      }
    }
  });

  it('lets Esc leave a field, except inside a dialog (where Esc closes the dialog)', () => {
    expect(leavesField(press('Escape'), { tagName: 'TEXTAREA' }, false)).toBe(true);
    expect(leavesField(press('Escape'), { tagName: 'SELECT' }, false)).toBe(true);
    expect(leavesField(press('Escape'), { tagName: 'TEXTAREA' }, true)).toBe(false);
    expect(leavesField(press('Escape'), body, false)).toBe(false);
    expect(leavesField(press('x'), { tagName: 'INPUT' }, false)).toBe(false);
  });

  it('never fires while a dialog is open or with a modifier held', () => {
    expect(shortcutFor(press('j'), body, true)).toBeNull();
    expect(shortcutFor(press('?'), body, true)).toBeNull();
    expect(shortcutFor(press('r', { ctrlKey: true }), body, false)).toBeNull();
    expect(shortcutFor(press('r', { metaKey: true }), body, false)).toBeNull();
    expect(shortcutFor(press('e', { altKey: true }), body, false)).toBeNull();
  });

  it('leaves Enter and the arrows to a focused button, but takes them in the inbox list', () => {
    expect(shortcutFor(press('Enter'), button, false)).toBeNull();
    expect(shortcutFor(press('ArrowDown'), button, false)).toBeNull();
    expect(shortcutFor(press('j'), button, false)).toBe('next');
    expect(shortcutFor(press('Enter'), list, false)).toBe('open');
    expect(shortcutFor(press('ArrowUp'), list, false)).toBe('previous');
    expect(shortcutFor(press('X'), body, false)).toBeNull();
    // d: the ticket's details (type… result), which a keyboard user otherwise reaches past every control of the ticket (walk-6).
    expect(shortcutFor(press('d'), body, false)).toBe('details');
    expect(shortcutFor(press('J'), body, false)).toBeNull();
  });

  it('ticks the selected row with x, on the page and in the list, and lists it in the ? sheet', () => {
    expect(shortcutFor(press('x'), body, false)).toBe('tick');
    expect(shortcutFor(press('x'), list, false)).toBe('tick');
    expect(shortcutFor(press('x'), { tagName: 'INPUT' }, false)).toBeNull();
    expect(shortcutFor(press('x'), body, true)).toBeNull();
    expect(SHORTCUTS.find((shortcut) => shortcut.action === 'tick')?.keys).toEqual(['x']);
  });

  it('accepts the newest offer with a, listed in the sheet, never inside a field or a dialog', () => {
    expect(shortcutFor(press('a'), body, false)).toBe('acceptOffer');
    expect(shortcutFor(press('a'), button, false)).toBe('acceptOffer');
    expect(SHORTCUTS.find((shortcut) => shortcut.action === 'acceptOffer')?.keys).toEqual(['a']);
    expect(shortcutFor(press('a'), { tagName: 'TEXTAREA' }, false)).toBeNull();
    expect(shortcutFor(press('a'), body, true)).toBeNull();
    expect(shortcutFor(press('a', { ctrlKey: true }), body, false)).toBeNull();
    // Every single key means one action only.
    const keys = SHORTCUTS.flatMap((shortcut) => shortcut.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('in the reply box, Ctrl/Cmd+Enter sends and Ctrl/Cmd+Shift+Enter sends and sets "awaiting customer"; never while an input method composes', () => {
    expect(composerChord(press('Enter', { ctrlKey: true }))).toBe('send');
    expect(composerChord(press('Enter', { metaKey: true }))).toBe('send');
    expect(composerChord(press('Enter', { ctrlKey: true, shiftKey: true }))).toBe('sendAwaiting');
    expect(composerChord(press('Enter', { metaKey: true, shiftKey: true }))).toBe('sendAwaiting');
    expect(composerChord({ ...press('Enter', { ctrlKey: true, shiftKey: true }), isComposing: true })).toBeNull();
    expect(composerChord(press('Enter'))).toBeNull();
    expect(composerChord(press('Enter', { shiftKey: true }))).toBeNull();
    expect(composerChord(press('Enter', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(composerChord(press('s', { ctrlKey: true, shiftKey: true }))).toBeNull();
  });
});
