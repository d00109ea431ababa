import { useShallow } from 'zustand/react/shallow';
import { Dialog } from './Dialog.js';
import { useAppStore, useT } from '../store/react.js';

/** Who else is on the open ticket: "李主管 正在查看", "张强 正在输入回复" (names only; the server sends nothing else). */
export function CollisionBar({ ticketId }: { ticketId: string }) {
  const t = useT();
  const s = useAppStore(useShallow((state) => ({ presence: state.ticketPresence, userId: state.user?.id ?? null })));
  if (!s.presence || s.presence.ticketId !== ticketId) return null;
  const others = s.presence.viewers.filter((viewer) => viewer.userId !== s.userId);
  if (others.length === 0) return null;
  const typing = others.filter((viewer) => viewer.typing).map((viewer) => viewer.name);
  const viewing = others.filter((viewer) => !viewer.typing).map((viewer) => viewer.name);
  const unnamed = Math.max(0, s.presence.count - s.presence.viewers.length);
  return (
    <div className="collision-bar" role="status" aria-label={t('collision.label')}>
      {typing.length > 0 ? <span className="collision-typing">{t('collision.typing', { names: typing.join(t('list.separator')) })}</span> : null}
      {viewing.length > 0 ? <span className="collision-viewing">{t('collision.viewing', { names: viewing.join(t('list.separator')) })}</span> : null}
      {unnamed > 0 ? <span className="collision-more muted">{t('collision.more', { n: unnamed })}</span> : null}
    </div>
  );
}

/**
 * The one question before a reply leaves (collisionSlice.ts), about what applies: the ticket
 * changed since the reply was started ("客户有新消息 / ticket changed — send anyway?"), and/or it
 * is not the user's — waiting in the queue (the reply takes it) or held by someone else (it
 * stays theirs). Cancel sends nothing.
 */
export function ReplyChangeWarning() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      change: state.replyChangeWarning,
      notYours: state.replyNotYours,
      confirm: state.confirmReplyDespiteChange,
      dismiss: state.dismissReplyChangeWarning,
    })),
  );
  if (!s.change && !s.notYours) return null;
  const what = s.change
    ? [
        s.change.newMessages > 0 ? t('collision.newMessages', { n: s.change.newMessages }) : null,
        s.change.reassigned ? t('collision.reassigned') : null,
        s.change.statusChanged ? t('collision.statusChanged') : null,
      ]
        .filter((part): part is string => part !== null)
        .join(t('collision.listSeparator'))
    : '';
  const notYoursText = s.notYours
    ? s.notYours.assigneeName === null
      ? t('notYours.queued', { ticket: s.notYours.ticketId })
      : t('notYours.held', { ticket: s.notYours.ticketId, assignee: s.notYours.assigneeName })
    : null;
  const description = [s.change ? t('collision.changedText', { what }) : null, notYoursText].filter((part): part is string => part !== null).join(' ');
  const confirmLabel = !s.notYours ? t('collision.sendAnyway') : s.notYours.assigneeName === null ? t('notYours.replyAndTake') : t('notYours.replyAnyway');
  return (
    <Dialog
      title={s.change ? t('collision.changedTitle') : t('notYours.title')}
      description={description}
      onClose={s.dismiss}
      initialFocusSelector=".collision-review"
      className="collision-dialog"
    >
      <div className="dialog-actions">
        <button type="button" className="collision-review" onClick={s.dismiss}>
          {s.change ? t('collision.review') : t('notYours.cancel')}
        </button>
        <button type="button" className="primary collision-send" onClick={() => void s.confirm()}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
