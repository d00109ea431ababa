import type { ReactNode } from 'react';
import type { Attachment, CallInfo } from '../../../shared/domain.js';
import type { PendingMessage } from '../../../shared/rpc.js';
import type { UiError } from '../store/types.js';
import { formatCallDuration, formatFileSize } from '../i18nCustomers.js';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';
import type { Translate } from '../i18n.js';
import { saveDownload } from './saveDownload.js';
import { deliveryReasonText } from './refusalText.js';
import { sourceText } from './sourceText.js';

/** The small "邮件 / 微信 / 网页聊天" label next to a message's author. */
export function MessageSource({ message }: { message: PendingMessage }) {
  const t = useT();
  const text = sourceText(t, message.source);
  if (!text) return null;
  const title = t(message.direction === 'inbound' ? 'source.label' : 'source.labelOut', { source: text });
  return (
    <span className="message-source" title={title} aria-label={title}>
      {text}
    </span>
  );
}

/**
 * "来电 · 通话 3分12秒 · 分机 8001" or "未接来电", with caller and callee (masked for an agent
 * until revealed; `after` holds the reveal control when the summary is all the message shows).
 */
export function CallSummary({
  call,
  direction,
  revealed = false,
  after = null,
}: {
  call: CallInfo;
  direction: PendingMessage['direction'];
  revealed?: boolean;
  after?: ReactNode;
}) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const missed = call.outcome === 'missed';
  // An answered call still going on has no duration yet (old snapshots without `endedAt` read as ended).
  const inProgress = !missed && call.endedAt === null && call.durationSec === 0;
  return (
    <p className={`message-call${missed ? ' message-call-missed' : ''}`}>
      <span className="message-call-icon" aria-hidden="true">
        {missed ? '☎︎✕' : '☎︎'}
      </span>
      <span className="message-call-direction">{t(direction === 'inbound' ? 'call.inbound' : 'call.outbound')}</span>
      <span className="message-call-outcome">
        {missed ? t('call.missed') : inProgress ? t('call.inProgress') : t('call.answered', { duration: formatCallDuration(language, call.durationSec) })}
      </span>
      <span className={`message-call-parties mono${revealed ? ' revealed-value' : ''}`}>
        {call.from} → {call.to}
      </span>
      {call.agentExtension ? <span className="message-call-extension">{t('call.extension', { extension: call.agentExtension })}</span> : null}
      {after}
    </p>
  );
}

/** The files of a message: name, size and a download button each. */
export function AttachmentList({ attachments }: { attachments: Attachment[] }) {
  const t = useT();
  const downloadingId = useAppStore((s) => s.downloadingAttachmentId);
  const downloadAttachment = useAppStore((s) => s.downloadAttachment);
  // Files the workstation keeps for the tickets the agent holds: they open offline too.
  const kept = useAppStore((s) => s.detail?.keptAttachmentIds);
  if (attachments.length === 0) return null;
  return (
    <ul className="attachment-list" aria-label={t('attachment.list')}>
      {attachments.map((attachment) => {
        const size = formatFileSize(attachment.size);
        const busy = downloadingId === attachment.id;
        return (
          <li key={attachment.id} className="attachment">
            <svg className="attachment-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
              <path
                d="M10.5 4.5 5.3 9.7a1.5 1.5 0 0 0 2.1 2.1l5.6-5.6a3 3 0 0 0-4.2-4.2L3.2 7.6a4.5 4.5 0 0 0 6.4 6.4l4-4"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.4"
                strokeLinecap="round"
              />
            </svg>
            <span className="attachment-name" title={attachment.fileName}>
              {attachment.fileName}
            </span>
            <span className="attachment-size muted small">{size}</span>
            {kept?.includes(attachment.id) ? (
              <span className="attachment-kept" title={t('attachment.keptTitle')}>
                {t('attachment.kept')}
              </span>
            ) : null}
            <button
              type="button"
              className="link-button attachment-download"
              disabled={downloadingId !== null}
              aria-busy={busy}
              aria-label={t('attachment.downloadName', { name: attachment.fileName, size })}
              onClick={() => {
                void downloadAttachment(attachment).then((download) => {
                  if (download) saveDownload(download);
                });
              }}
            >
              {busy ? t('attachment.downloading') : t('attachment.download')}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** Why an outbound message has not reached the customer: a warning when it never will, a note while it waits for a reason. */
export function DeliveryReason({ message }: { message: PendingMessage }) {
  const t = useT();
  if (message.direction !== 'outbound') return null;
  const reason = deliveryReasonText(t, message);
  if (message.deliveryStatus === 'failed') {
    return (
      <p className="delivery-failure" role="alert">
        <span aria-hidden="true">⚠ </span>
        {reason ? t('delivery.failedWarning', { error: reason }) : t('delivery.failedUnknown')}
      </p>
    );
  }
  if (message.deliveryStatus === 'queued' && reason) {
    return <p className="delivery-waiting">{t('delivery.waiting', { reason })}</p>;
  }
  return null;
}

/** Why a download failed, in the agent's language: offline, whether the file was not kept or is larger than what is kept. */
function attachmentFailureText(t: Translate, failure: { fileName: string; size: number; error: UiError }): string {
  const offlineFile = failure.error.code === 'offline' ? failure.error.offlineFile : undefined;
  if (offlineFile?.reason === 'over_budget') {
    return t('attachment.overBudgetOffline', { name: failure.fileName, size: formatFileSize(failure.size), budget: formatFileSize(offlineFile.budgetBytes) });
  }
  if (offlineFile) return t('attachment.notKeptOffline', { name: failure.fileName });
  return t('attachment.failed', { name: failure.fileName, reason: errorText(t, failure.error) });
}

/** The last attachment download that failed, with a way to dismiss it. */
export function AttachmentError() {
  const t = useT();
  const failure = useAppStore((s) => s.attachmentError);
  const dismiss = useAppStore((s) => s.dismissAttachmentError);
  if (!failure) return null;
  return (
    <div role="alert" className="inline-error action-error">
      <span>{attachmentFailureText(t, failure)}</span>
      <button type="button" className="link-button" onClick={dismiss}>
        {t('ticket.dismiss')}
      </button>
    </div>
  );
}
