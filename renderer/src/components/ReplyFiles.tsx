import { useId, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ATTACHMENT_LIMITS, formatFileSize, type ReplyAttachment } from '../../../shared/attachments.js';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';
import { attachmentRefusalText } from './refusalText.js';

/** One empty list, so the store's selector answers the same value while there are no files (a new [] would re-render forever). */
const NO_FILES: readonly ReplyAttachment[] = [];

/** The files from a drop or a paste (a pasted screenshot has no name: it gets one). */
export function filesOf(list: FileList | null | undefined): File[] {
  return [...(list ?? [])].map((file, i) =>
    file.name ? file : new File([file], `image-${String(Date.now())}-${String(i)}.${file.type.split('/')[1] ?? 'png'}`, { type: file.type }),
  );
}

/** The reply's attach button, its file chips (name, size, remove) and the limits, said before sending. */
export function ReplyFiles({ ticketId }: { ticketId: string }) {
  const t = useT();
  const inputRef = useRef<HTMLInputElement>(null);
  const limitsId = useId();
  const s = useAppStore(
    useShallow((state) => ({
      files: state.replyFiles[ticketId] ?? NO_FILES,
      uploading: state.uploadingFiles,
      attachError: state.attachError,
      attachFiles: state.attachFiles,
      removeReplyFile: state.removeReplyFile,
      dismissAttachError: state.dismissAttachError,
    })),
  );
  const limits = t('attach.limits', {
    files: ATTACHMENT_LIMITS.maxFiles,
    perFile: formatFileSize(ATTACHMENT_LIMITS.maxFileBytes),
    perReply: formatFileSize(ATTACHMENT_LIMITS.maxReplyBytes),
  });
  return (
    <div className="reply-files">
      <input
        ref={inputRef}
        type="file"
        multiple
        hidden
        data-testid="reply-file-input"
        onChange={(e) => {
          void s.attachFiles(filesOf(e.target.files));
          e.target.value = '';
        }}
      />
      <button type="button" className="attach-button" aria-describedby={limitsId} onClick={() => inputRef.current?.click()}>
        {t('attach.button')}
      </button>
      <span id={limitsId} className="attach-limits">
        {limits}
      </span>
      {s.files.length > 0 || s.uploading > 0 ? (
        <ul className="file-chips" aria-label={t('attach.list')}>
          {s.files.map((file) => (
            <li key={file.id} className="file-chip">
              <span className="file-chip-name">{file.fileName}</span>
              <span className="file-chip-size">{formatFileSize(file.size)}</span>
              <button
                type="button"
                className="file-chip-remove"
                aria-label={t('attach.remove', { name: file.fileName })}
                onClick={() => s.removeReplyFile(file.id)}
              >
                ×
              </button>
            </li>
          ))}
          {s.uploading > 0 ? <li className="file-chip uploading">{t('attach.uploading', { name: '' })}</li> : null}
        </ul>
      ) : null}
      {s.attachError ? (
        <div className="attach-error" role="alert">
          <span>
            {'refusal' in s.attachError
              ? attachmentRefusalText(t, { reason: s.attachError.refusal.code, ...s.attachError.refusal })
              : errorText(t, s.attachError.error)}
          </span>
          <button type="button" className="link-button" onClick={s.dismissAttachError}>
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}
