import { useId, useMemo, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_TEXT_LENGTH } from '../../../shared/domain.js';
import { defaultReplySubject, MAX_REPLY_SUBJECT_LENGTH, replySubjectError } from '../../../shared/replySubject.js';
import { replyAlternatives, type CustomerReach } from '../../../shared/ticketRules.js';
import { useAppStore, useT } from '../store/react.js';
import { replyGoesByEmail } from '../store/ticketSlice.js';
import { ReplyChangeWarning } from './CollisionBar.js';
import { alternativesText } from './refusalText.js';
import { useScriptPicker } from './ScriptPicker.js';
import { sourceText } from './sourceText.js';
import { ReplyFiles, filesOf } from './ReplyFiles.js';

/** Shown only near the limit, where it helps; the core refuses longer text. */
function LengthHint({ text }: { text: string }) {
  if (text.length < MAX_TEXT_LENGTH * 0.9) return null;
  return (
    <span className={`length-hint${text.length > MAX_TEXT_LENGTH ? ' over' : ''}`}>
      {text.length}/{MAX_TEXT_LENGTH}
    </span>
  );
}

function isSubmitChord(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
  return event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.nativeEvent.isComposing;
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
            if (isSubmitChord(e) && !noRoute) {
              e.preventDefault();
              void s.sendReply();
            }
          }}
        />
        {/* No written reply can reach this customer: nothing to attach to either. */}
        {noRoute ? null : <ReplyFiles ticketId={ticketId} />}
        <button
          type="submit"
          className="primary"
          disabled={s.sendingReply || s.reply.trim() === '' || noRoute || (byEmail && subjectError !== null)}
          aria-describedby={noRoute ? `${replyId}-no-route` : s.offline ? `${replyId}-hint` : undefined}
        >
          {s.sendingReply ? t('ticket.sending') : s.offline ? t('ticket.saveDraft') : t('ticket.send')}
        </button>
      </form>
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
