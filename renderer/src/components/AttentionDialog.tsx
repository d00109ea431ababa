import { useShallow } from 'zustand/react/shallow';
import type { AttentionItem } from '../../../shared/rpc.js';
import { formatDateTime, type MessageKey, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { Dialog } from './Dialog.js';
import { errorText } from './errorText.js';
import { refusalText } from './refusalText.js';

const CHANGE_KEYS: Record<string, MessageKey> = {
  reply: 'change.reply',
  note: 'change.note',
  setStatus: 'change.setStatus',
  setPriority: 'change.setPriority',
  setFollowUp: 'change.setFollowUp',
  setFields: 'change.setFields',
  transfer: 'change.transfer',
  createTicket: 'change.createTicket',
  change: 'change.change',
};

/** Why, in the agent's language when the facts are known; the core's English for rows from before facts existed. */
function describeReason(t: Translate, item: AttentionItem): string {
  if (item.refusal) return refusalText(t, item.refusal);
  if (item.code === 'unreadable_change') return t('attention.unreadable', { seq: item.changeSeq ?? '?' });
  if (item.code === 'unsendable_change') return t('attention.unsendable');
  return item.reason;
}

/** What was refused, in the agent's language; a kind this build does not know is shown as given. */
function describeChange(t: Translate, item: AttentionItem): string {
  const key = CHANGE_KEYS[item.kind];
  return key ? t(key) : item.kind;
}

/**
 * The "needs attention" list: changes the server refused (the core already undid them),
 * each with the reason, until the agent has read and dismissed it.
 */
export function AttentionDialog() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      open: state.attentionOpen,
      items: state.attentionItems,
      loading: state.attentionLoading,
      error: state.attentionError,
      language: state.language,
      close: state.closeAttention,
      dismiss: state.dismissAttentionItem,
      openTicket: state.openTicket,
    })),
  );
  if (!s.open) return null;
  return (
    <Dialog title={t('attention.title')} description={t('attention.intro')} onClose={s.close} className="attention-dialog">
      {s.error ? (
        <p role="alert" className="inline-error">
          {errorText(t, s.error)}
        </p>
      ) : null}
      {s.items.length === 0 ? (
        <p className="muted attention-empty">{s.loading ? t('attention.loading') : t('attention.empty')}</p>
      ) : (
        <table className="attention-table">
          <thead>
            <tr>
              <th scope="col">{t('attention.ticket')}</th>
              <th scope="col">{t('attention.change')}</th>
              <th scope="col">{t('attention.reason')}</th>
              <th scope="col">{t('attention.time')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('attention.dismiss')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {s.items.map((item) => (
              <tr key={item.id}>
                <td>
                  {item.ticketId === null ? (
                    <span className="muted">{t('attention.unreadableNoTicket')}</span>
                  ) : (
                    <button
                      type="button"
                      className="link-button ticket-id"
                      onClick={() => {
                        s.close();
                        if (item.ticketId !== null) void s.openTicket(item.ticketId);
                      }}
                    >
                      {item.ticketId}
                    </button>
                  )}
                </td>
                <td className="attention-change">{describeChange(t, item)}</td>
                <td className="attention-reason" title={describeReason(t, item)}>
                  {describeReason(t, item)}
                </td>
                <td className="attention-time">
                  <time dateTime={new Date(item.at).toISOString()}>{formatDateTime(s.language, item.at)}</time>
                </td>
                <td>
                  <button type="button" onClick={() => void s.dismiss(item.id)}>
                    {t('attention.dismiss')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={s.close}>
          {t('attention.close')}
        </button>
      </div>
    </Dialog>
  );
}
