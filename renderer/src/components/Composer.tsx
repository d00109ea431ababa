import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_TEXT_LENGTH } from '../../../shared/domain.js';
import { defaultReplySubject, MAX_REPLY_SUBJECT_LENGTH, replySubjectError } from '../../../shared/replySubject.js';
import { replyAlternatives, type CustomerReach } from '../../../shared/ticketRules.js';
import type { Translate } from '../i18n.js';
import { statusKey } from '../i18n.js';
import { composerChord } from '../shortcuts.js';
import { useAppStore, useT } from '../store/react.js';
import { statusAfterReplyRefusal, STATUSES_AFTER_REPLY, type StatusAfterReply } from '../store/ticketPredictions.js';
import { replyGoesByEmail } from '../store/ticketSlice.js';
import type { UiError } from '../store/types.js';
import { ReplyChangeWarning } from './CollisionBar.js';
import { errorText } from './errorText.js';
import { alternativesText, refusalText } from './refusalText.js';
import { useScriptPicker } from './ScriptPicker.js';
import { sourceText } from './sourceText.js';
import { ReplyFiles, filesOf } from './ReplyFiles.js';
import { useNow } from './useNow.js';

/** Shown only near the limit, where it helps; the core refuses longer text. */
function LengthHint({ text }: { text: string }) {
  if (text.length < MAX_TEXT_LENGTH * 0.9) return null;
  return (
    <span className={`length-hint${text.length > MAX_TEXT_LENGTH ? ' over' : ''}`}>
      {text.length}/{MAX_TEXT_LENGTH}
    </span>
  );
}

function chordOf(event: KeyboardEvent<HTMLTextAreaElement>) {
  const { key, ctrlKey, metaKey, altKey, shiftKey } = event;
  return composerChord({ key, ctrlKey, metaKey, altKey, shiftKey, isComposing: event.nativeEvent.isComposing });
}

function isSubmitChord(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
  return chordOf(event) !== null;
}

/** Each "send and set status" choice and why it cannot be picked now (null: it can), as the ticket rules say. */
type SendChoices = ReadonlyArray<{ status: StatusAfterReply; blocked: string | null }>;

function sendChoiceLabel(t: Translate, status: StatusAfterReply): string {
  return status === 'completed' ? t('sendAnd.complete') : t('sendAnd.setStatus', { status: t(statusKey(status)) });
}

/**
 * Beside Send: "send and set 'awaiting customer'" and "send and complete", one step each (the
 * reply, then the status, through the outbox). A menu button; a choice that cannot be picked
 * stays in the menu, disabled, with the reason under it (the result missing, offline, ...).
 */
function SendMenu({
  choices,
  disabled,
  onPick,
  open,
  onOpenChange,
  focusStatus,
}: {
  choices: SendChoices;
  disabled: boolean;
  onPick: (status: StatusAfterReply) => void;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The choice that takes the focus when the menu opens (a chord whose choice cannot be picked: its reason is read); else the first. */
  focusStatus: StatusAfterReply | null;
}) {
  const t = useT();
  const id = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const items = () => [...(menuRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
  // Opening moves the focus in, so arrows and Enter work at once.
  useEffect(() => {
    if (!open) return;
    const list = [...(menuRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    (list.find((item) => item.dataset.status === focusStatus) ?? list[0])?.focus();
  }, [open, focusStatus]);
  const setOpen = onOpenChange;
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) toggleRef.current?.focus();
  };
  return (
    <span
      className="send-menu"
      onBlur={(e) => {
        // Focus left the menu and its button (a click elsewhere, Tab): it closes.
        if (open && !e.currentTarget.contains(e.relatedTarget)) setOpen(false);
      }}
    >
      <button
        ref={toggleRef}
        type="button"
        className="primary send-menu-toggle"
        aria-label={t('sendAnd.more')}
        title={t('sendAnd.more')}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        disabled={disabled}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        ▾
      </button>
      {open ? (
        <div
          ref={menuRef}
          id={`${id}-menu`}
          role="menu"
          aria-label={t('sendAnd.more')}
          className="send-menu-list"
          onKeyDown={(e) => {
            const list = items();
            const at = list.findIndex((item) => item === document.activeElement);
            if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              close(true);
            } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              const step = e.key === 'ArrowDown' ? 1 : -1;
              list[(at + step + list.length) % list.length]?.focus();
            } else if (e.key === 'Tab') {
              setOpen(false);
            }
          }}
        >
          {choices.map(({ status, blocked }) => (
            <button
              key={status}
              type="button"
              role="menuitem"
              className="send-menu-item"
              data-status={status}
              aria-disabled={blocked !== null}
              aria-describedby={blocked !== null ? `${id}-${status}-why` : undefined}
              onClick={() => {
                if (blocked !== null) return;
                close(true);
                onPick(status);
              }}
            >
              <span className="send-menu-label">{sendChoiceLabel(t, status)}</span>
              {status === 'awaiting_customer' ? <kbd className="send-menu-keys">Ctrl+Shift+Enter</kbd> : null}
              {blocked !== null ? (
                <span id={`${id}-${status}-why`} className="send-menu-why">
                  {blocked}
                </span>
              ) : null}
            </button>
          ))}
        </div>
      ) : null}
    </span>
  );
}

/** "The reply went, the status did not": said until dismissed, so the agent sets it by hand. */
function StatusAfterReplyProblem({ problem, onDismiss }: { problem: { status: StatusAfterReply; error: UiError | null }; onDismiss: () => void }) {
  const t = useT();
  const status = t(statusKey(problem.status));
  return (
    <div role="alert" className="inline-error status-after-reply">
      <span>{problem.error ? t('sendAnd.statusRefused', { status, reason: errorText(t, problem.error) }) : t('sendAnd.keptAsDraft', { status })}</span>
      <button type="button" className="link-button" onClick={onDismiss}>
        {t('ticket.dismiss')}
      </button>
    </div>
  );
}

/** The ways a reply can leave, the default one first (the customer's way on this ticket when it is one), as the ticket rules pick. */
function orderedRoutes(reach: CustomerReach | null): string[] {
  if (!reach) return [];
  const first = reach.ticketSource !== null && reach.routes.includes(reach.ticketSource) ? reach.ticketSource : reach.routes[0];
  return first === undefined ? [] : [first, ...reach.routes.filter((route) => route !== first)];
}

/** Said before the agent writes: no written reply can reach this customer, why, and what to do instead. */
function NoRouteNotice({ reach, id }: { reach: CustomerReach; id: string }) {
  const t = useT();
  const alternatives = replyAlternatives(reach);
  return (
    <div id={id} className="no-route-notice" role="status">
      <strong>{t('composer.noRoute')}</strong>
      <span>{t('composer.noRouteWhy', { alternatives: alternativesText(t, alternatives) })}</span>
    </div>
  );
}

/** The reply to the customer and the internal note, each with its own draft per ticket. */
export function Composer({ ticketId }: { ticketId: string }) {
  const t = useT();
  const replyId = useId();
  const noteId = useId();
  const s = useAppStore(
    useShallow((state) => ({
      reply: state.replyDrafts[ticketId] ?? '',
      note: state.noteDrafts[ticketId] ?? '',
      sendingReply: state.sendingReply,
      // Anything but online means the reply would not reach the server now: keep it as a draft.
      offline: state.connection.status !== 'online',
      addingNote: state.addingNote,
      setReplyDraft: state.setReplyDraft,
      via: state.replyVia[ticketId] ?? '',
      setReplyVia: state.setReplyVia,
      subject: state.replySubjects[ticketId] ?? null,
      setReplySubject: state.setReplySubject,
      // Only this ticket's own detail counts: another ticket's customer has other ways out.
      detail: state.detail?.ticket.id === ticketId ? state.detail : null,
      setNoteDraft: state.setNoteDraft,
      sendReply: state.sendReplyChecked,
      user: state.user,
      statusAfterReplyProblem: state.statusAfterReplyProblem?.ticketId === ticketId ? state.statusAfterReplyProblem : null,
      dismissStatusAfterReplyProblem: state.dismissStatusAfterReplyProblem,
      addNote: state.addNote,
      knowledgeOpen: state.knowledgeOpen,
      toggleKnowledge: state.toggleKnowledge,
      attachFiles: state.attachFiles,
    })),
  );
  const { detail } = s;
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const picker = useScriptPicker(replyRef);
  const routes = useMemo(() => orderedRoutes(detail?.reach ?? null), [detail]);
  // Known only once the ticket is loaded; until then nothing is claimed either way.
  const noRoute = detail !== null && routes.length === 0;
  // An email reply has a subject line: the server's default until the agent (or an email script) writes one.
  const byEmail = !noRoute && replyGoesByEmail(detail, s.via === '' ? undefined : s.via);
  const defaultSubject = detail ? defaultReplySubject(detail.ticket.subject, detail.ticket.id) : '';
  const subjectValue = s.subject ?? defaultSubject;
  const subjectError = subjectValue.trim() === '' ? null : replySubjectError(subjectValue);
  const now = useNow();
  const sendDisabled = s.sendingReply || s.reply.trim() === '' || noRoute || (byEmail && subjectError !== null);
  const user = s.user;
  // Offline the reply becomes a draft the agent confirms later: a status set now would claim an answer not yet given.
  const sendChoices: SendChoices = STATUSES_AFTER_REPLY.map((status) => {
    if (s.offline) return { status, blocked: t('sendAnd.offline') };
    const refusal = user && detail ? statusAfterReplyRefusal(user, detail, status, now) : null;
    if (refusal === 'unchanged') return { status, blocked: t('sendAnd.unchanged', { status: t(statusKey(status)) }) };
    return { status, blocked: refusal ? refusalText(t, refusal) : null };
  });
  const [menuOpen, setMenuOpen] = useState(false);
  const [menuFocus, setMenuFocus] = useState<StatusAfterReply | null>(null);
  const sendAndSet = (status: StatusAfterReply) => {
    if (sendChoices.find((choice) => choice.status === status)?.blocked === null) {
      void s.sendReply(status);
      return;
    }
    setMenuFocus(status);
    setMenuOpen(true);
  };

  return (
    <div className="composer">
      <ReplyChangeWarning />
      <form
        className={`compose-box reply-box${noRoute ? ' no-route' : ''}${byEmail ? ' with-subject' : ''}`}
        onDragOver={(e) => {
          if (!noRoute && e.dataTransfer.types.includes('Files')) e.preventDefault();
        }}
        onDrop={(e) => {
          if (noRoute || e.dataTransfer.files.length === 0) return;
          e.preventDefault();
          void s.attachFiles(filesOf(e.dataTransfer.files));
        }}
        onSubmit={(e) => {
          e.preventDefault();
          void s.sendReply();
        }}
      >
        <div className="compose-head">
          <label htmlFor={replyId} className="compose-label">
            {t('ticket.reply')}
          </label>
          {routes.length > 1 ? (
            <select
              className="reply-via"
              aria-label={t('ticket.replyVia')}
              value={s.via}
              onChange={(e) => s.setReplyVia(e.target.value === '' ? null : e.target.value)}
            >
              <option value="">{t('ticket.replyViaDefault', { source: sourceText(t, routes[0]!) ?? routes[0]! })}</option>
              {routes.slice(1).map((route) => (
                <option key={route} value={route}>
                  {t('ticket.replyViaOption', { source: sourceText(t, route) ?? route })}
                </option>
              ))}
            </select>
          ) : null}
          <button
            type="button"
            className={`kb-toggle${s.knowledgeOpen ? ' active' : ''}`}
            data-shortcut="knowledge"
            aria-pressed={s.knowledgeOpen}
            title={t('kb.toggleTitle')}
            onClick={s.toggleKnowledge}
          >
            {t('kb.toggle')}
          </button>
          {s.offline && !noRoute ? (
            <span id={`${replyId}-hint`} className="offline-hint">
              {t('ticket.offlineHint')}
            </span>
          ) : null}
        </div>
        {noRoute && detail ? <NoRouteNotice reach={detail.reach} id={`${replyId}-no-route`} /> : null}
        <LengthHint text={s.reply} />
        {byEmail && detail ? (
          <div className="reply-subject">
            <label htmlFor={`${replyId}-subject`} className="reply-subject-label">
              {t('ticket.subject')}
            </label>
            <input
              id={`${replyId}-subject`}
              type="text"
              data-testid="reply-subject"
              maxLength={MAX_REPLY_SUBJECT_LENGTH}
              value={subjectValue}
              placeholder={defaultSubject}
              title={t('ticket.subjectHint', { subject: defaultSubject, ticket: detail.ticket.id })}
              aria-invalid={subjectError !== null}
              aria-describedby={subjectError !== null ? `${replyId}-subject-error` : undefined}
              onChange={(e) => s.setReplySubject(e.target.value === defaultSubject ? null : e.target.value)}
            />
            {subjectError !== null ? (
              <span id={`${replyId}-subject-error`} className="subject-error" role="alert">
                {t('ticket.subjectInvalid')}
              </span>
            ) : null}
          </div>
        ) : null}
        {picker.element}
        <textarea
          ref={replyRef}
          id={replyId}
          data-shortcut="reply"
          rows={3}
          value={s.reply}
          disabled={noRoute}
          aria-describedby={noRoute ? `${replyId}-no-route` : undefined}
          placeholder={s.offline ? t('ticket.replyPlaceholderOffline') : t('ticket.replyPlaceholder')}
          {...picker.textareaProps}
          onChange={(e) => {
            s.setReplyDraft(e.target.value);
            picker.onInput(e.target);
          }}
          onBlur={picker.close}
          onPaste={(e) => {
            // A pasted screenshot becomes an attachment; pasted text stays text.
            const images = filesOf(e.clipboardData.files).filter((file) => file.type.startsWith('image/'));
            if (images.length === 0) return;
            e.preventDefault();
            void s.attachFiles(images);
          }}
          onKeyDown={(e) => {
            if (picker.onKeyDown(e)) return;
            const chord = chordOf(e);
            if (chord && !noRoute) {
              e.preventDefault();
              if (chord === 'send') void s.sendReply();
              // A choice that cannot be picked now sends nothing; the menu opens on it and says why.
              else if (!sendDisabled) sendAndSet('awaiting_customer');
            }
          }}
        />
        {/* No written reply can reach this customer: nothing to attach to either. */}
        {noRoute ? null : <ReplyFiles ticketId={ticketId} />}
        <span className="send-group">
          <button
            type="submit"
            className="primary send-button"
            disabled={sendDisabled}
            aria-describedby={noRoute ? `${replyId}-no-route` : s.offline ? `${replyId}-hint` : undefined}
          >
            {s.sendingReply ? t('ticket.sending') : s.offline ? t('ticket.saveDraft') : t('ticket.send')}
          </button>
          {noRoute ? null : (
            <SendMenu
              choices={sendChoices}
              disabled={sendDisabled}
              onPick={sendAndSet}
              open={menuOpen}
              onOpenChange={(open) => {
                setMenuOpen(open);
                if (!open) setMenuFocus(null);
              }}
              focusStatus={menuFocus}
            />
          )}
        </span>
      </form>
      {s.statusAfterReplyProblem ? <StatusAfterReplyProblem problem={s.statusAfterReplyProblem} onDismiss={s.dismissStatusAfterReplyProblem} /> : null}
      <form
        className="compose-box note-box"
        onSubmit={(e) => {
          e.preventDefault();
          void s.addNote();
        }}
      >
        <label htmlFor={noteId} className="compose-label">
          {t('ticket.note')}
        </label>
        <LengthHint text={s.note} />
        <textarea
          id={noteId}
          data-shortcut="note"
          rows={2}
          value={s.note}
          placeholder={t('ticket.notePlaceholder')}
          onChange={(e) => s.setNoteDraft(e.target.value)}
          onKeyDown={(e) => {
            if (isSubmitChord(e)) {
              e.preventDefault();
              void s.addNote();
            }
          }}
        />
        <button type="submit" disabled={s.addingNote || s.note.trim() === ''}>
          {t('ticket.addNote')}
        </button>
      </form>
    </div>
  );
}
