import { Fragment, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ATTENTION_PAGE_SIZE, isWholeAttentionText, type AttentionContent, type AttentionItem } from '../../../shared/rpc.js';
import { formatDateTime, type MessageKey, type Translate } from '../i18n.js';
import { restoreTargetOf } from '../store/attentionSlice.js';
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

/** The whole kept text as one string for the clipboard: the subject first when there is one. */
function copyableText(t: Translate, content: AttentionContent): string {
  return content.subject === undefined ? content.text : `${t('attention.subject', { subject: content.subject })}\n\n${content.text}`;
}

/**
 * What the agent wrote in a refused change: a bounded preview (the list carries no more), the
 * full text on request, and the ways to use it again (copy; back into the ticket's composer
 * while it is still theirs). The whole text is asked of the core when one of them wants it.
 */
function KeptText({ item }: { item: AttentionItem }) {
  const t = useT();
  const restore = useAppStore((state) => state.restoreAttentionText);
  const wholeText = useAppStore((state) => state.attentionText);
  const [whole, setWhole] = useState<AttentionContent | null>(null);
  const [copy, setCopy] = useState<'copied' | 'failed' | null>(null);
  const content = item.content;
  if (!content) return null;
  const target = restoreTargetOf(item);
  const long = !isWholeAttentionText(content);
  const expanded = whole !== null;
  const shown = whole ? whole.text : long ? `${content.text}…` : content.text;
  const showAll = async () => {
    const text = await wholeText(item.id);
    if (text) setWhole(text);
    return text;
  };
  const onCopy = async () => {
    const text = whole ?? (await wholeText(item.id));
    if (!text) return;
    // The clipboard may be refused (no permission, an insecure origin): the text stays selectable.
    navigator.clipboard.writeText(copyableText(t, text)).then(
      () => setCopy('copied'),
      () => {
        setWhole(text);
        setCopy('failed');
      },
    );
  };
  return (
    <div className="attention-kept" role="group" aria-label={t('attention.written')}>
      {content.subject !== undefined ? <p className="attention-kept-subject">{t('attention.subject', { subject: content.subject })}</p> : null}
      <div className={`attention-kept-text${expanded ? ' expanded' : ''}`} tabIndex={expanded ? 0 : undefined}>
        {shown}
      </div>
      {content.fileNames && content.fileNames.length > 0 ? (
        <p className="attention-kept-files muted">{t('attention.files', { names: content.fileNames.join(', ') })}</p>
      ) : null}
      {item.ticketId !== null && target === null && (item.kind === 'reply' || item.kind === 'note') ? (
        <p className="attention-kept-note muted">{t('attention.notWritable')}</p>
      ) : null}
      <div className="attention-kept-actions">
        {long && !expanded ? (
          <button type="button" className="link-button" onClick={() => void showAll()}>
            {t('attention.showAll', { n: content.textChars })}
          </button>
        ) : null}
        <button type="button" onClick={() => void onCopy()}>
          {t('attention.copy')}
        </button>
        {target !== null ? (
          <button type="button" onClick={() => void restore(item.id)}>
            {target === 'reply' ? t('attention.restoreReply') : t('attention.restoreNote')}
          </button>
        ) : null}
        <span role="status" className="attention-copy-status">
          {copy === 'copied' ? t('attention.copied') : copy === 'failed' ? t('attention.copyFailed') : ''}
        </span>
      </div>
    </div>
  );
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
      total: state.attentionTotal,
      next: state.attentionNext,
      loading: state.attentionLoading,
      loadMore: state.loadMoreAttention,
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
      {s.items.some((item) => item.content !== null) ? <p className="muted attention-kept-intro">{t('attention.keptIntro')}</p> : null}
      {s.total > s.items.length ? (
        <p className="muted attention-count" role="status">
          {t('attention.shownOf', { shown: s.items.length, total: s.total })}
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
              <Fragment key={item.id}>
                <tr className={item.content ? 'with-kept' : undefined}>
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
                    <button
                      type="button"
                      onClick={() => void s.dismiss(item.id)}
                      title={item.content ? t('attention.dismissDeletes') : undefined}
                      aria-label={item.content ? t('attention.dismissDeletes') : undefined}
                    >
                      {t('attention.dismiss')}
                    </button>
                  </td>
                </tr>
                {item.content ? (
                  <tr className="attention-kept-row">
                    <td colSpan={5}>
                      <KeptText item={item} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {s.next !== null && s.items.length > 0 ? (
        <p className="attention-more">
          <button type="button" disabled={s.loading} onClick={() => void s.loadMore()}>
            {t('attention.showMore', { n: Math.min(ATTENTION_PAGE_SIZE, s.total - s.items.length) })}
          </button>
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={s.close}>
          {t('attention.close')}
        </button>
      </div>
    </Dialog>
  );
}
