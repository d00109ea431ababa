/**
 * The workstation's single-key shortcuts (the agent's hands stay on the keyboard): which key
 * does what, and when a key is left alone — typing in a field (the composer, search, a
 * select), a modifier held (the browser's and the system's own shortcuts), or a dialog open.
 */
import type { MessageKey } from './i18n.js';

export type ShortcutAction =
  | 'next'
  | 'previous'
  | 'open'
  | 'reply'
  | 'note'
  | 'take'
  | 'status'
  | 'priority'
  | 'escalate'
  | 'transfer'
  | 'details'
  | 'knowledge'
  | 'newTicket'
  | 'callTicket'
  | 'acceptOffer'
  | 'search'
  | 'help'
  | 'tick';

/** Opens the ticket of the phone call on screen (the screen pop); its card shows it on the button it presses. */
export const CALL_TICKET_KEY = 'o';

/** The keys of each action, in the order the sheet lists them. */
export const SHORTCUTS: ReadonlyArray<{ action: ShortcutAction; keys: readonly string[]; label: MessageKey }> = [
  { action: 'next', keys: ['j', '↓'], label: 'shortcuts.next' },
  { action: 'previous', keys: ['k', '↑'], label: 'shortcuts.previous' },
  { action: 'open', keys: ['Enter'], label: 'shortcuts.open' },
  { action: 'reply', keys: ['r'], label: 'shortcuts.reply' },
  { action: 'note', keys: ['n'], label: 'shortcuts.note' },
  { action: 'take', keys: ['t'], label: 'shortcuts.take' },
  { action: 'status', keys: ['s'], label: 'shortcuts.status' },
  { action: 'priority', keys: ['p'], label: 'shortcuts.priority' },
  { action: 'escalate', keys: ['e'], label: 'shortcuts.escalate' },
  { action: 'transfer', keys: ['f'], label: 'shortcuts.transfer' },
  { action: 'details', keys: ['d'], label: 'shortcuts.details' },
  { action: 'knowledge', keys: ['b'], label: 'kb.shortcut' },
  { action: 'newTicket', keys: ['c'], label: 'shortcuts.newTicket' },
  { action: 'tick', keys: ['x'], label: 'shortcuts.tick' },
  { action: 'callTicket', keys: [CALL_TICKET_KEY], label: 'shortcuts.callTicket' },
  { action: 'acceptOffer', keys: ['a'], label: 'shortcuts.acceptOffer' },
  { action: 'search', keys: ['/'], label: 'shortcuts.search' },
  { action: 'help', keys: ['?'], label: 'shortcuts.help' },
];

const KEY_ACTIONS: Readonly<Record<string, ShortcutAction>> = {
  j: 'next',
  k: 'previous',
  r: 'reply',
  n: 'note',
  t: 'take',
  s: 'status',
  p: 'priority',
  e: 'escalate',
  f: 'transfer',
  d: 'details',
  b: 'knowledge',
  c: 'newTicket',
  x: 'tick',
  [CALL_TICKET_KEY]: 'callTicket',
  a: 'acceptOffer',
  '/': 'search',
  '?': 'help',
};

/** What an element is, as far as shortcuts care (a DOM element in the app; a plain object in tests). */
export interface KeyTarget {
  tagName?: string;
  isContentEditable?: boolean;
  /** Inside the inbox list, where ↑/↓ and Enter belong to it. */
  inList?: boolean;
}

/** Text fields, selects and editable content keep every key they are typed. */
export function isTypingTarget(target: KeyTarget | null): boolean {
  if (!target) return false;
  return target.isContentEditable === true || ['INPUT', 'TEXTAREA', 'SELECT'].includes((target.tagName ?? '').toUpperCase());
}

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Absent = not held (single-key shortcuts do not look at it: `?` is typed with Shift). */
  shiftKey?: boolean;
}

/** Esc in a field (outside a dialog) leaves it, so the single-key shortcuts work again without the mouse. */
export function leavesField(press: KeyPress, target: KeyTarget | null, dialogOpen: boolean): boolean {
  return press.key === 'Escape' && !dialogOpen && isTypingTarget(target);
}

/**
 * The action of a key press, or null when it is not a shortcut here. ↑/↓ and Enter act
 * only where nothing else uses them: on the page itself or in the inbox list (a focused
 * button keeps its Enter, the page its scrolling).
 */
export function shortcutFor(press: KeyPress, target: KeyTarget | null, dialogOpen: boolean): ShortcutAction | null {
  if (dialogOpen || press.ctrlKey || press.metaKey || press.altKey || isTypingTarget(target)) return null;
  const onPage = target === null || target.tagName === 'BODY' || target.inList === true;
  if (press.key === 'ArrowDown') return onPage ? 'next' : null;
  if (press.key === 'ArrowUp') return onPage ? 'previous' : null;
  if (press.key === 'Enter') return onPage ? 'open' : null;
  return KEY_ACTIONS[press.key] ?? null;
}

/** What a chord typed in the reply box does: Ctrl/Cmd+Enter sends, with Shift it sends and sets "awaiting customer". */
export type ComposerChord = 'send' | 'sendAwaiting';

/**
 * The reply box's chords. Ctrl/Cmd+Shift+Enter is free in the browser and in Electron's menus
 * (nothing of ours binds Shift with Enter); Alt is left to the system. While an input method is
 * composing (Chinese pinyin), Enter confirms the characters and is never a chord.
 */
export function composerChord(press: KeyPress & { isComposing?: boolean }): ComposerChord | null {
  if (press.key !== 'Enter' || press.isComposing === true || press.altKey || !(press.ctrlKey || press.metaKey)) return null;
  return press.shiftKey === true ? 'sendAwaiting' : 'send';
}
