/**
 * One customer across channels, on the workstation: finding customers in the local cache
 * (works offline), asking the server which customers are possibly the same one and merging
 * two of them (server requests over the sync socket, online only), the customer's whole
 * history (from the server, kept in the cache for the customers of held tickets and read
 * from there while offline), and an attachment's bytes for the renderer to save (kept ones from the cache, online or
 * offline; attachments/attachmentKeeper.ts keeps them). Params arrive validated with
 * the schemas of shared/rpc.ts; every server answer is parsed before it is trusted.
 */
import type { z } from 'zod';
import { customerHistoryPageSchema, customerMatchesResultSchema, customerMergeResultSchema, type CustomerHistoryView } from '../../../shared/customers.js';
import { MAX_ATTACHMENT_DOWNLOAD_BYTES, type RpcResults, type rpcParamSchemas } from '../../../shared/rpc.js';
import type { Cache } from '../cache/cache.js';
import { askServer } from '../askServer.js';
import { RpcError, refusalError } from '../errors.js';
import { ATTACHMENT_DOWNLOAD_TIMEOUT_MS, attachmentTooLarge, fetchAttachmentBytes } from '../attachments/fetchAttachment.js';
import { attachmentRefusalSchema, checkAttachment, formatFileSize, replyAttachmentSchema, type AttachmentRefusal } from '../../../shared/attachments.js';
import type { ApiErrorBody } from '../../../shared/httpApi.js';
import type { WorkstationSocket } from '../sync/syncClient.js';
import { fetchFromServer } from '../serverFetch.js';

export const CUSTOMER_METHODS = [
  'customer.search',
  'customer.merge',
  'customer.matches',
  'customer.history',
  'attachment.download',
  'attachment.upload',
] as const;
export type CustomerMethod = (typeof CUSTOMER_METHODS)[number];

export type CustomerHandlers = {
  [M in CustomerMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]> | RpcResults[M];
};

/** How long a merge waits for the server's answer. */
export const CUSTOMER_REQUEST_TIMEOUT_MS = 10_000;
/** Most customers one search returns. */
export const CUSTOMER_SEARCH_LIMIT = 20;

/** The signed-in session as these methods need it; `current()` throws `not_signed_in` when nobody is. */
export interface CustomerSessionView {
  cache: Cache;
  /** The sync socket; null while the session has none (signed in offline). */
  socket: WorkstationSocket | null;
  /** The bearer token; empty while signed in offline. */
  token: string;
  /** Whether the core is online (synced and connected). */
  online: boolean;
  /** The clock (epoch ms): when a history page was fetched, an attachment kept or opened. */
  now: () => number;
  /** The signed-in user: attachment bytes are kept for the open tickets they hold. */
  userId: string;
  /** Bytes of attachments this workstation keeps for offline use. */
  attachmentBudgetBytes: number;
  /** Tells the renderer that these tickets' kept files changed (they show which open offline). */
  changed: (ticketIds: string[]) => void;
}

export function createCustomerHandlers(options: { serverUrl: string; current(): CustomerSessionView }): CustomerHandlers {
  return {
    'customer.search': ({ query, excludeId }) => options.current().cache.reader.searchCustomers(query, excludeId ?? null, CUSTOMER_SEARCH_LIMIT),

    async 'customer.merge'(params) {
      const { socket, online } = options.current();
      if (!socket || !online || !socket.connected) throw new RpcError('offline', 'You are offline: customers can be merged once the connection is back.');
      return await askServer(socket, 'customer:merge', params, customerMergeResultSchema, CUSTOMER_REQUEST_TIMEOUT_MS);
    },

    async 'customer.matches'(params) {
      const { socket, online } = options.current();
      if (!socket || !online || !socket.connected)
        throw new RpcError('offline', 'You are offline: possible matches come from the server once the connection is back.');
      return await askServer(socket, 'customer:matches', params, customerMatchesResultSchema, CUSTOMER_REQUEST_TIMEOUT_MS);
    },

    async 'customer.history'({ customerId, before, limit }) {
      const { socket, online, cache, now } = options.current();
      const cached = (): CustomerHistoryView => {
        const view = cache.reader.customerHistory(customerId, before, limit);
        if (!view) throw new RpcError('offline', 'You are offline and this customer’s history was not kept on this workstation.');
        return view;
      };
      if (!socket || !online || !socket.connected) return cached();
      let page;
      try {
        page = await askServer(socket, 'customer:history', { customerId, before, limit }, customerHistoryPageSchema, CUSTOMER_REQUEST_TIMEOUT_MS);
      } catch (error) {
        // The connection went while asking: what was kept is better than nothing; a refusal stays a refusal.
        if (error instanceof RpcError && (error.code === 'offline' || error.code === 'server_unreachable')) return cached();
        throw error;
      }
      const asOf = now();
      cache.writer.keepCustomerHistory(customerId, { before }, page, asOf);
      return { ...page, asOf, cached: false };
    },

    async 'attachment.upload'({ ticketId, uploadId, fileName, contentType, base64 }) {
      const { token, online } = options.current();
      const data = Buffer.from(base64, 'base64');
      const refused = (refusal: AttachmentRefusal) =>
        refusalError({ code: 'attachment_refused', ticketId, reason: refusal.code, fileName: refusal.fileName, limit: refusal.limit });
      // The same rules as the server's, so a refusal needs no round trip (the server checks again).
      const local = checkAttachment({ fileName, contentType, size: data.length });
      if (local) throw refused(local);
      if (!token || !online) throw refused({ code: 'attachment_offline', fileName, limit: null });
      let response: Response;
      try {
        response = await fetchFromServer(`${options.serverUrl}/api/v1/uploads/${encodeURIComponent(uploadId)}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'x-file-name': encodeURIComponent(fileName) },
          body: data,
          signal: AbortSignal.timeout(ATTACHMENT_DOWNLOAD_TIMEOUT_MS),
        });
      } catch (error) {
        throw new RpcError('server_unreachable', `The file could not be uploaded (${error instanceof Error ? error.message : String(error)}).`);
      }
      const body: unknown = await response.json().catch(() => null);
      if (response.ok) {
        const parsed = replyAttachmentSchema.safeParse((body as { attachment?: unknown } | null)?.attachment);
        if (!parsed.success) throw new RpcError('internal', 'The server answered the upload with something unreadable.');
        return parsed.data;
      }
      const refusal = attachmentRefusalSchema.safeParse((body as ApiErrorBody | null)?.error?.refusal);
      if (refusal.success) throw refused(refusal.data);
      if (response.status === 401) throw new RpcError('not_signed_in', 'The server did not accept your session; sign in again.');
      if (response.status === 409) throw new RpcError('conflict', `Upload ${uploadId} already holds another file.`);
      throw new RpcError('internal', `The server answered ${String(response.status)} for the upload of ${fileName}.`);
    },

    async 'attachment.download'({ attachmentId }) {
      const { cache, token, online, now, userId, attachmentBudgetBytes, changed } = options.current();
      // Only attachments of tickets this workstation shows; the server checks the same again.
      const attachment = cache.reader.attachment(attachmentId);
      if (!attachment) throw new RpcError('not_found', `Attachment ${attachmentId} is not on any ticket you can see.`);
      if (attachment.size > MAX_ATTACHMENT_DOWNLOAD_BYTES) throw attachmentTooLarge(attachment.fileName, attachment.size);
      // Kept on this workstation (the tickets the agent holds): the same bytes online or offline, no round trip.
      const kept = cache.reader.keptAttachment(attachmentId);
      if (kept) {
        cache.writer.touchKeptAttachment(attachmentId, now());
        return { fileName: attachment.fileName, contentType: kept.contentType, size: kept.data.length, base64: kept.data.toString('base64') };
      }
      if (!token || !online) {
        const overBudget = attachment.size > attachmentBudgetBytes;
        throw new RpcError(
          'offline',
          overBudget
            ? `You are offline: ${attachment.fileName} (${formatFileSize(attachment.size)}) is larger than the ${formatFileSize(attachmentBudgetBytes)} this workstation keeps for offline use, so it was not kept; it can be downloaded once the connection is back.`
            : `You are offline and ${attachment.fileName} was not kept on this workstation: it can be downloaded once the connection is back.`,
          { offlineFile: { reason: overBudget ? 'over_budget' : 'not_kept', budgetBytes: attachmentBudgetBytes } },
        );
      }
      const fetched = await fetchAttachmentBytes(options.serverUrl, token, {
        id: attachmentId,
        fileName: attachment.fileName,
        contentType: attachment.contentType,
      });
      // Opened now, so kept for offline (when its ticket is held), making room from the least recently used.
      const { ticketIds } = cache.writer.keepAttachmentBytes(
        userId,
        { attachmentId, contentType: fetched.contentType, data: fetched.data },
        { budgetBytes: attachmentBudgetBytes, now: now(), makeRoom: true },
      );
      if (ticketIds.length > 0) changed(ticketIds);
      return { fileName: attachment.fileName, contentType: fetched.contentType, size: fetched.data.length, base64: fetched.data.toString('base64') };
    },
  };
}
