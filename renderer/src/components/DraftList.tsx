import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Draft } from '../../../shared/rpc.js';
import { formatDateTime } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { Dialog } from './Dialog.js';

/**
 * Customer replies written offline. They never go out by themselves: once online the agent
 * sends each one after confirming (the ticket may have moved on meanwhile), or discards it.
 */
export function DraftList({ drafts }: { drafts: Draft[] }) {
  const t = useT();
  const [confirming, setConfirming] = useState<string | null>(null);
  const s = useAppStore(
    useShallow((state) => ({
      online: state.connection.status === 'online',
      language: state.language,
      busyId: state.draftBusyId,
      sendDraft: state.sendDraft,
      discardDraft: state.discardDraft,
    })),
  );
  if (drafts.length === 0) return null;
  const confirmingDraft = drafts.find((draft) => draft.id === confirming);
  return (
    <section className="draft-list" aria-label={t('draft.listLabel')}>
      <ol>
        {drafts.map((draft) => (
          <li key={draft.id} className="draft-card">
            <div className="entry-meta">
              <span className="draft-tag">{s.online ? t('draft.labelOnline') : t('draft.labelOffline')}</span>
              <time dateTime={new Date(draft.createdAt).toISOString()}>{t('draft.written', { time: formatDateTime(s.language, draft.createdAt) })}</time>
            </div>
            <p className="entry-text">{draft.text}</p>
            <div className="draft-actions">
              <button
                type="button"
                className="primary"
                disabled={!s.online || s.busyId !== null}
                title={s.online ? undefined : t('draft.sendNowOffline')}
                onClick={() => setConfirming(draft.id)}
              >
                {t('draft.sendNow')}
              </button>
              <button type="button" disabled={s.busyId !== null} onClick={() => void s.discardDraft(draft.id)}>
                {t('draft.discard')}
              </button>
            </div>
          </li>
        ))}
      </ol>
      {confirmingDraft ? (
        <Dialog title={t('draft.confirmTitle')} description={t('draft.confirmText')} onClose={() => setConfirming(null)} initialFocusSelector=".dialog-confirm">
          <blockquote className="draft-quote">{confirmingDraft.text}</blockquote>
          <div className="dialog-actions">
            <button type="button" onClick={() => setConfirming(null)}>
              {t('draft.cancel')}
            </button>
            <button
              type="button"
              className="primary dialog-confirm"
              disabled={!s.online || s.busyId !== null}
              onClick={() => {
                setConfirming(null);
                void s.sendDraft(confirmingDraft.id);
              }}
            >
              {t('draft.confirm')}
            </button>
          </div>
        </Dialog>
      ) : null}
    </section>
  );
}
