import { useId, useMemo, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fillScript, findPlaceholders, scriptTextFor, type Script } from '../../../shared/scripts.js';
import { scriptValuesFor, searchScripts } from '../store/scriptSlice.js';
import { useAppStore, useT } from '../store/react.js';

/** Most matches the picker lists at once; typing more narrows them. */
const MAX_SHOWN = 8;

/** Where the `/` was typed and what follows it up to the caret. */
interface Typed {
  anchor: number;
  query: string;
}

/** The `/query` the caret is in: a word starting with `/` (at the start of the text or after a space), else null. */
export function typedSlashQuery(text: string, caret: number): Typed | null {
  let start = caret;
  while (start > 0 && !/\s/.test(text[start - 1]!)) start--;
  if (text[start] !== '/') return null;
  return { anchor: start, query: text.slice(start + 1, caret) };
}

/** The placeholder Tab (or Shift+Tab) moves to from the selection; null when there is none that way. */
export function nextPlaceholder(text: string, selectionStart: number, selectionEnd: number, backwards: boolean): { start: number; end: number } | null {
  const all = findPlaceholders(text);
  if (backwards) return all.filter((p) => p.end <= selectionStart).at(-1) ?? null;
  return all.find((p) => p.start >= selectionEnd) ?? null;
}

export interface ScriptPickerControl {
  /** Call from the textarea's onChange/onSelect: opens, narrows or closes the picker. */
  onInput: (textarea: HTMLTextAreaElement) => void;
  /** Call first from the textarea's onKeyDown; true when the key was the picker's (or Tab's to a placeholder). */
  onKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>) => boolean;
  close: () => void;
  /** ARIA wiring for the textarea (a textbox may own a list and point at its active option; aria-expanded is not allowed on it). */
  textareaProps: { 'aria-controls'?: string; 'aria-activedescendant'?: string; 'aria-autocomplete': 'list' };
  element: ReactNode;
}

/**
 * The `/` script picker of the reply box: typing `/` at the start of a word lists the
 * cached scripts (team and own) matching what follows; ↑/↓ choose, Enter inserts the
 * ticket's channel variant with its variables filled, Esc closes. After inserting, the first
 * unfilled placeholder is selected, and Tab / Shift+Tab move between them.
 */
export function useScriptPicker(textareaRef: RefObject<HTMLTextAreaElement | null>): ScriptPickerControl {
  const t = useT();
  const listId = useId();
  const [typed, setTyped] = useState<Typed | null>(null);
  const [active, setActive] = useState(0);
  const { scripts, fetchedAt, language, orgTimeZone, detail, user, insertScript } = useAppStore(
    useShallow((s) => ({
      scripts: s.scripts,
      fetchedAt: s.scriptsFetchedAt,
      language: s.language,
      orgTimeZone: s.orgTimeZone,
      detail: s.detail,
      user: s.user,
      insertScript: s.insertScript,
    })),
  );
  // Another ticket opened (an offer accepted while the picker was open, the reply box keeping the focus): its box starts closed.
  const ticketId = detail?.ticket.id ?? null;
  const [typedOn, setTypedOn] = useState(ticketId);
  if (typedOn !== ticketId) {
    setTypedOn(ticketId);
    setTyped(null);
    setActive(0);
  }
  const matches = useMemo(
    () => (typed ? searchScripts(scripts, typed.query, language === 'en' ? 'en' : 'zh').slice(0, MAX_SHOWN) : []),
    [typed, scripts, language],
  );
  const current = Math.min(active, Math.max(0, matches.length - 1));

  function close(): void {
    setTyped(null);
    setActive(0);
  }

  function select(start: number, end: number): void {
    const textarea = textareaRef.current;
    if (!textarea) return;
    textarea.focus();
    textarea.setSelectionRange(start, end);
  }

  function insert(script: Script): void {
    if (!typed) return;
    const placed = insertScript(script, typed.anchor, typed.anchor + 1 + typed.query.length);
    close();
    if (!placed) return;
    // After React has put the new text in the textarea: select the first blank of what was inserted, else put the caret after it.
    requestAnimationFrame(() => {
      const blank = findPlaceholders(placed.text).find((p) => p.start >= placed.start && p.end <= placed.end);
      if (blank) select(blank.start, blank.end);
      else select(placed.end, placed.end);
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
    if (event.nativeEvent.isComposing) return false;
    if (typed) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        if (matches.length > 0) setActive((current + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return true;
      }
      if (event.key === 'Enter' && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
        const script = matches[current];
        if (!script) return false;
        event.preventDefault();
        insert(script);
        return true;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        // The picker's Escape, not the window's (which would leave the ticket).
        event.stopPropagation();
        close();
        return true;
      }
      return false;
    }
    if (event.key === 'Tab' && !event.altKey && !event.ctrlKey && !event.metaKey) {
      const textarea = event.currentTarget;
      const target = nextPlaceholder(textarea.value, textarea.selectionStart, textarea.selectionEnd, event.shiftKey);
      // No blank that way: Tab leaves the field as usual.
      if (!target) return false;
      event.preventDefault();
      select(target.start, target.end);
      return true;
    }
    return false;
  }

  function onInput(textarea: HTMLTextAreaElement): void {
    const next = textarea.selectionStart === textarea.selectionEnd ? typedSlashQuery(textarea.value, textarea.selectionStart) : null;
    if (next?.anchor !== typed?.anchor || next?.query !== typed?.query) setActive(0);
    setTyped(next);
  }

  const optionId = (index: number) => `${listId}-option-${String(index)}`;
  // A bare `/` has no query yet: its heading says "all scripts", not "matching “”".
  const pickerLabel = typed?.query ? t('scripts.pickerLabel', { query: typed.query }) : t('scripts.pickerAll');
  const element = typed ? (
    <div className="script-picker" role="presentation">
      <div className="script-picker-head">
        <span>{pickerLabel}</span>
        <span className="muted">{t('scripts.pickerHint')}</span>
      </div>
      {matches.length === 0 ? (
        <p className="script-picker-empty muted">
          {fetchedAt === null && scripts.length === 0
            ? t('scripts.notFetched')
            : typed.query
              ? t('scripts.noMatch', { query: typed.query })
              : t('scripts.empty')}
        </p>
      ) : (
        <ul id={listId} role="listbox" aria-label={pickerLabel}>
          {matches.map((script, index) => {
            // The preview is what Enter would insert: this ticket's channel variant, filled (`{now}` is filled only when inserted).
            const template = detail ? scriptTextFor(script, detail.ticket.channel).text : script.body;
            const preview = fillScript(template, scriptValuesFor(detail, user, null), language === 'en' ? 'en' : 'zh-CN', orgTimeZone).text;
            return (
              <li
                key={script.id}
                id={optionId(index)}
                role="option"
                aria-selected={index === current}
                className={index === current ? 'active' : undefined}
                // Keeps the focus (and the caret) in the textarea.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => insert(script)}
              >
                <span className="script-title">{script.title}</span>
                {script.keyword ? <kbd className="script-keyword">/{script.keyword}</kbd> : null}
                <span className={`script-scope scope-${script.scope}`}>{t(`scripts.scope.${script.scope}`)}</span>
                {script.category ? <span className="script-category">{script.category}</span> : null}
                <span className="script-preview muted">{preview.split('\n')[0]}</span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  ) : null;

  return {
    onInput,
    onKeyDown,
    close,
    textareaProps: {
      ...(typed && matches.length > 0 ? { 'aria-controls': listId, 'aria-activedescendant': optionId(current) } : {}),
      'aria-autocomplete': 'list',
    },
    element,
  };
}
