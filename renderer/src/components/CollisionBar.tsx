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

/** "客户有新消息 / ticket changed — send anyway?": asked before a reply leaves on a ticket that changed since it was started. */
export function ReplyChangeWarning() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      change: state.replyChangeWarning,
      confirm: state.confirmReplyDespiteChange,
      dismiss: state.dismissReplyChangeWarning,
    })),
  );
  if (!s.change) return null;
  const what = [
    s.change.newMessages > 0 ? t('collision.newMessages', { n: s.change.newMessages }) : null,
    s.change.reassigned ? t('collision.reassigned') : null,
    s.change.statusChanged ? t('collision.statusChanged') : null,
  ]
    .filter((part): part is string => part !== null)
    .join(t('collision.listSeparator'));
  return (
    <Dialog
      title={t('collision.changedTitle')}
      description={t('collision.changedText', { what })}
      onClose={s.dismiss}
      initialFocusSelector=".collision-review"
      className="collision-dialog"
    >
      <div className="dialog-actions">
        <button type="button" className="collision-review" onClick={s.dismiss}>
          {t('collision.review')}
        </button>
        <button type="button" className="primary collision-send" onClick={() => void s.confirm()}>
          {t('collision.sendAnyway')}
        </button>
      </div>
    </Dialog>
  );
}
