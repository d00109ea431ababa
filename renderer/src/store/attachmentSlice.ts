/**
 * Files attached to the open ticket's reply (issue 12): checked with the shared limits before
 * anything leaves, uploaded at once through the core under an id made once per file (a retry
 * is the same upload), listed as chips until the reply is sent with them. Offline, attaching
 * is refused with its own code and the reply text stays in the composer.
 */
import type { StateCreator } from 'zustand/vanilla';
import { checkReplyAttachments, type AttachmentRefusal, type ReplyAttachment } from '../../../shared/attachments.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

export interface AttachmentSlice {
  /** Uploaded files per ticket, waiting for the reply. */
  replyFiles: Record<string, ReplyAttachment[]>;
  /** How many files are uploading now. */
  uploadingFiles: number;
  /** Why the last file was not attached (a shared refusal, localised by the composer), or another error. */
  attachError: { refusal: AttachmentRefusal } | { error: UiError } | null;
  /** Checks, reads and uploads files for the open ticket's reply. */
  attachFiles: (files: readonly File[]) => Promise<void>;
  removeReplyFile: (id: string) => void;
  dismissAttachError: () => void;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The refusal facts the core attached to an upload's error, when it is one. */
function refusalOf(error: UiError): AttachmentRefusal | null {
  const refusal = error.refusal;
  return refusal?.code === 'attachment_refused' ? { code: refusal.reason, fileName: refusal.fileName, limit: refusal.limit } : null;
}

export function createAttachmentSlice(api: WorkstationApi): StateCreator<AppState, [], [], AttachmentSlice> {
  return (set, get) => ({
    replyFiles: {},
    uploadingFiles: 0,
    attachError: null,

    async attachFiles(files) {
      const ticketId = get().openTicketId;
      if (!ticketId || files.length === 0) return;
      set({ attachError: null });
      if (get().connection.status !== 'online') {
        set({ attachError: { refusal: { code: 'attachment_offline', fileName: null, limit: null } } });
        return;
      }
      const before = get().replyFiles[ticketId] ?? [];
      const named = files.map((file) => ({ fileName: file.name, contentType: file.type || 'application/octet-stream', size: file.size }));
      const refusal = checkReplyAttachments([...before, ...named]);
      if (refusal) {
        set({ attachError: { refusal } });
        return;
      }
      for (const [i, file] of files.entries()) {
        set({ uploadingFiles: get().uploadingFiles + 1 });
        try {
          const base64 = toBase64(new Uint8Array(await file.arrayBuffer()));
          const { fileName, contentType } = named[i]!;
          const uploaded = await api.invoke('attachment.upload', { ticketId, uploadId: crypto.randomUUID(), fileName, contentType, base64 });
          set({ replyFiles: { ...get().replyFiles, [ticketId]: [...(get().replyFiles[ticketId] ?? []), uploaded] } });
        } catch (error) {
          const ui = toUiError(error);
          const refused = refusalOf(ui);
          set({ attachError: refused ? { refusal: refused } : { error: ui } });
        } finally {
          set({ uploadingFiles: get().uploadingFiles - 1 });
        }
      }
    },

    removeReplyFile(id) {
      const ticketId = get().openTicketId;
      if (!ticketId) return;
      const kept = (get().replyFiles[ticketId] ?? []).filter((file) => file.id !== id);
      const replyFiles = { ...get().replyFiles, [ticketId]: kept };
      // No files left is no entry: one per ticket ever attached to would stay for the session.
      if (kept.length === 0) delete replyFiles[ticketId];
      set({ replyFiles });
    },

    dismissAttachError() {
      set({ attachError: null });
    },
  });
}
