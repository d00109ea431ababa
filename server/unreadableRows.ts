/**
 * Rows stored before attack-10 that no workstation can read (messageSchema refuses them, so the
 * core drops every change carrying them as unreadable): a message whose files have names or
 * types over 255 characters (or path, control and reordering characters), more than 100 files,
 * or an inbound API id that with its `api:<name>:` prefix passed 500 characters. The store
 * repairs them once (`repairUnreadableRows`, run at start-up when migration 035 / PostgreSQL 026
 * asks for it) with the rules new rows are stored by, and sends each ticket it touched to its
 * viewers again; in bounded batches, each its own transaction, under a claim one node holds
 * (migration 038 / PostgreSQL 029). See docs/technical/security.md ("Rows no workstation could read").
 */
import { storableAttachmentName, storableContentType } from '../shared/attachments.js';
import { MAX_MESSAGE_ATTACHMENTS, MAX_TEXT_LENGTH, type Attachment } from '../shared/domain.js';
import { storableExternalMessageId } from './externalMessageIds.js';

/** The name of the repair in `data_repairs`: a row there says it is done. */
export const UNREADABLE_ROWS_REPAIR = 'attack-10-unreadable-rows';

/** Messages (then tickets) one batch of the repair reads, each batch its own transaction: bounded, so no start holds the writer for long. */
export const UNREADABLE_ROWS_BATCH = 500;

/** How long a node's claim on the repair lasts unrenewed (each batch renews it); a node that stopped midway is taken over after it. */
export const UNREADABLE_ROWS_CLAIM_MS = 60_000;

/** How often a start that finds the repair claimed by another node looks again (nodes of a cluster starting together meet this on a fresh database too). */
export const UNREADABLE_ROWS_WAIT_MS = 250;

/** The note a repaired message's text ends with when it listed more files than a message holds. */
export function attachmentsNoLongerListedNote(over: number): string {
  return `[另有 ${String(over)} 个附件超过每封 ${String(MAX_MESSAGE_ATTACHMENTS)} 个的上限，不再列出 / ${String(over)} more attachment(s) over the limit of ${String(MAX_MESSAGE_ATTACHMENTS)}, no longer listed]`;
}

/** A message as stored (the columns the repair reads). */
export interface StoredMessageColumns {
  text: string;
  external_message_id: string | null;
  attachments_json: string;
}

export interface StoredMessageRepair {
  text: string;
  externalMessageId: string | null;
  /** What the message lists from now on (at most MAX_MESSAGE_ATTACHMENTS). */
  attachments: Attachment[];
  /** Every file whose stored name or type changes (listed or not): its `attachments` row is renamed too. */
  renamed: Attachment[];
}

/** Cuts `text` to at most `max` UTF-16 units at a whole code point. */
function cutAtCodePoint(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = '';
  for (const char of text) {
    if (kept.length + char.length > max) break;
    kept += char;
  }
  return kept;
}

/**
 * How a stored message reads once repaired, or null when a workstation reads it as it is. The
 * same rules as mail intake now: each file named and typed as `storableAttachmentName` /
 * `storableContentType` make it, the first MAX_MESSAGE_ATTACHMENTS listed and the others
 * counted in a note at the end of the text (the text cut to make room, never past
 * MAX_TEXT_LENGTH), the id as `storableExternalMessageId` keeps it.
 */
export function repairStoredMessage(row: StoredMessageColumns, integrations: readonly string[]): StoredMessageRepair | null {
  const stored = JSON.parse(row.attachments_json) as Attachment[];
  const cleaned = stored.map((file, index) => ({
    ...file,
    fileName: storableAttachmentName(file.fileName, `attachment-${String(index + 1)}`),
    contentType: storableContentType(file.contentType),
  }));
  const renamed = cleaned.filter((file, index) => file.fileName !== stored[index]!.fileName || file.contentType !== stored[index]!.contentType);
  const over = cleaned.length - MAX_MESSAGE_ATTACHMENTS;
  let text = row.text;
  if (over > 0) {
    const note = attachmentsNoLongerListedNote(over);
    const kept = cutAtCodePoint(row.text, MAX_TEXT_LENGTH - note.length - 2).trim();
    text = kept === '' ? note : `${kept}\n\n${note}`;
  }
  const externalMessageId = row.external_message_id === null ? null : storableExternalMessageId(row.external_message_id, integrations);
  if (renamed.length === 0 && over <= 0 && externalMessageId === row.external_message_id) return null;
  return { text, externalMessageId, attachments: cleaned.slice(0, MAX_MESSAGE_ATTACHMENTS), renamed };
}
