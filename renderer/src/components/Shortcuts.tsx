/**
 * The workstation's keyboard: one document-level listener that turns single keys into the
 * inbox's and the ticket pane's own actions (renderer/src/shortcuts.ts decides when a key
 * is a shortcut), the `?` sheet that lists them, and the unread count in the window title.
 */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { callCardTarget } from '../store/callSlice.js';
import { useAppStore, useStoreApi, useT } from '../store/react.js';
import { SHORTCUTS, leavesField, shortcutFor, type ShortcutAction } from '../shortcuts.js';
import { inboxRowAt } from '../store/inboxSlice.js';
import { isLeadRole } from '../store/routingSlice.js';
import { Dialog } from './Dialog.js';

function isDialogOpen(): boolean {
  return document.querySelector('[role="dialog"][aria-modal="true"]') !== null;
}

/** Focuses (a field) or presses (a button) the ticket pane's control for an action; false when the open ticket has none now. */
function pressControl(action: ShortcutAction): boolean {
  const element = document.querySelector<HTMLElement>(`[data-shortcut="${action}"]`);
  if (!element || (element instanceof HTMLButtonElement && element.disabled)) return false;
  if (element instanceof HTMLButtonElement) element.click();
  else element.focus();
  return true;
}

/** Why an action's control cannot be pressed now, as the control itself says it (`data-disabled-reason`); null when it does not say. */
function disabledReason(action: ShortcutAction): string | null {
  return document.querySelector<HTMLElement>(`[data-shortcut="${action}"]`)?.dataset.disabledReason ?? null;
}

/** Listens for the shortcuts while signed in; `?` opens the sheet. */
export function KeyboardShortcuts() {
  const store = useStoreApi();
  const t = useT();
  const open = useAppStore((s) => s.shortcutsOpen);
  const setOpen = useAppStore((s) => s.setShortcutsOpen);
  const language = useAppStore((s) => s.language);
  // A notice answers one key press: it goes with the next key, click or language (it sat over the
  // note box until another shortcut, and stayed in the language it was said in).
  const [said, setSaid] = useState<{ text: string; language: string } | null>(null);
  // Gone for good with the language (set while rendering, React's way to follow a change): switching back must not bring back an earlier key's notice.
  if (said !== null && said.language !== language) setSaid(null);
  const notice = said?.text ?? null;
  const setNotice = useCallback((text: string | null) => setSaid(text === null ? null : { text, language: store.getState().language }), [store]);
  useEffect(() => {
    if (notice === null) return;
    const dismiss = () => setNotice(null);
    document.addEventListener('pointerdown', dismiss, true);
    return () => document.removeEventListener('pointerdown', dismiss, true);
  }, [notice, setNotice]);

  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      // Any key ends the last notice; a shortcut below may say a new one.
      setNotice(null);
      if (event.defaultPrevented) return;
      const target = event.target instanceof HTMLElement ? event.target : null;
      const keyTarget = target
        ? { tagName: target.tagName, isContentEditable: target.isContentEditable, inList: target.closest('.inbox-list') !== null }
        : null;
      if (target && leavesField(event, keyTarget, isDialogOpen())) {
        target.blur();
        return;
      }
      const action = shortcutFor(event, keyTarget, isDialogOpen());
      if (!action) return;
      const state = store.getState();
      // The team board and the reports have no inbox or ticket pane: only the sheet, the offers (they show over every view) and a call's ticket (it brings the inbox back).
      if (state.view !== 'inbox' && action !== 'help' && action !== 'acceptOffer' && action !== 'callTicket') return;
      event.preventDefault();
      switch (action) {
        case 'next':
          state.moveSelection(1);
          break;
        case 'previous':
          state.moveSelection(-1);
          break;
        case 'open':
          state.openSelected();
          break;
        case 'search':
          document.querySelector<HTMLInputElement>('[data-shortcut="search"]')?.select();
          document.querySelector<HTMLInputElement>('[data-shortcut="search"]')?.focus();
          break;
        case 'help':
          state.setShortcutsOpen(true);
          break;
        case 'newTicket':
          state.openNewTicket();
          break;
        case 'tick': {
          // Leads tick the selected row for bulk reassignment; its checkbox stays out of the tab order (the row keeps the list's roving focus).
          const row = inboxRowAt(state, state.selectedIndex);
          if (row && isLeadRole(state.user?.role)) state.toggleBulk(row.id);
          break;
        }
        case 'callTicket': {
          // The card's own main button does the same: the call's ticket, or while it rings the caller's newest.
          const target = callCardTarget(state.calls, state.user);
          if (target) void state.openCallTicket(target.ticketId);
          else setNotice(t(state.calls.length === 0 ? 'callCard.noCall' : 'callCard.nothingToOpen'));
          break;
        }
        case 'knowledge':
          // Beside an open ticket's reply: the panel opens with the ticket's words and takes the cursor.
          if (state.detail) state.toggleKnowledge();
          else setNotice(t('kb.noTicket'));
          break;
        case 'take':
          // The Take button's own press (the same action, and its reason when it cannot be taken); a held ticket has no button.
          if (state.detail && !pressControl('take')) setNotice(disabledReason('take') ?? t('shortcuts.nothingToTake'));
          break;
        case 'acceptOffer':
          // The newest offer's Accept (OfferCards marks it), as if clicked: not while it is being answered or has run out.
          if (!pressControl('acceptOffer')) setNotice(t('shortcuts.noOffer'));
          break;
        case 'reply':
        case 'note':
        case 'status':
        case 'priority':
        case 'escalate':
        case 'transfer':
        case 'details':
          pressControl(action);
          break;
      }
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [store, t, setNotice]);

  return (
    <>
      {notice ? (
        <p role="status" className="shortcut-notice">
          {notice}
        </p>
      ) : null}
      {open ? <ShortcutSheet onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const t = useT();
  const keysOf = (keys: readonly string[]) =>
    keys.map((key, index) => (
      <span key={key}>
        {index > 0 ? ' / ' : null}
        <kbd>{key}</kbd>
      </span>
    ));
  const rows: Array<{ id: string; keys: ReactNode; label: string }> = [
    ...SHORTCUTS.map(({ action, keys, label }) => ({ id: action, keys: keysOf(keys), label: t(label) })),
    { id: 'leaveField', keys: keysOf(['Esc']), label: t('shortcuts.leaveField') },
    { id: 'firstLast', keys: keysOf(['Home', 'End']), label: t('shortcuts.firstLast') },
    { id: 'sendReply', keys: keysOf(['Ctrl+Enter']), label: t('shortcuts.sendReply') },
    { id: 'sendAwaiting', keys: keysOf(['Ctrl+Shift+Enter']), label: t('shortcuts.sendAwaiting') },
    { id: 'scriptPicker', keys: keysOf(['/']), label: t('scripts.shortcutPicker') },
    { id: 'scriptBlanks', keys: keysOf(['Tab', 'Shift+Tab']), label: t('scripts.shortcutBlanks') },
  ];
  // Two tables side by side: the whole sheet, title included, fits a 1280x800 window.
  const half = Math.ceil(rows.length / 2);
  return (
    <Dialog title={t('shortcuts.title')} description={t('shortcuts.description')} onClose={onClose} className="shortcut-sheet">
      <div className="shortcut-columns">
        {[rows.slice(0, half), rows.slice(half)].map((column, index) => (
          <table key={index} className="shortcut-table">
            <thead>
              <tr>
                <th scope="col">{t('shortcuts.key')}</th>
                <th scope="col">{t('shortcuts.action')}</th>
              </tr>
            </thead>
            <tbody>
              {column.map((row) => (
                <tr key={row.id}>
                  <td>{row.keys}</td>
                  <td>{row.label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('shortcuts.close')}
        </button>
      </div>
    </Dialog>
  );
}

/** "(3) OmniDesk": the unread count in the window title, so it shows on the task bar. */
export function WindowTitle() {
  const t = useT();
  const unread = useAppStore((s) => (s.user ? s.unreadCount : 0));
  useEffect(() => {
    document.title = unread > 0 ? t('title.unread', { n: unread }) : t('app.name');
    return () => {
      document.title = t('app.name');
    };
  }, [unread, t]);
  return null;
}
