/**
 * Fetching one attachment's bytes from the server with the agent's own token: the server's
 * `GET /api/v1/attachments/:id` decides, as for any client, whether this user may see the
 * ticket (server/http.ts); the workstation adds no authority of its own. Used when the agent
 * opens a file and by the background keeper (attachmentKeeper.ts).
 */
import { MAX_ATTACHMENT_DOWNLOAD_BYTES } from '../../../shared/rpc.js';
import { RpcError } from '../errors.js';
import { fetchFromServer } from '../serverFetch.js';

/** How long one download waits for the server's bytes. */
export const ATTACHMENT_DOWNLOAD_TIMEOUT_MS = 60_000;

export function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function attachmentTooLarge(fileName: string, size: number): RpcError {
  return new RpcError(
    'too_large',
    `${fileName} is ${megabytes(size)}; attachments over ${megabytes(MAX_ATTACHMENT_DOWNLOAD_BYTES)} cannot be downloaded here.`,
  );
}

/** The bytes and served type of an attachment; throws RpcError (`not_found`, `not_signed_in`, `too_large`, `server_unreachable`, `internal`). */
export async function fetchAttachmentBytes(
  serverUrl: string,
  token: string,
  attachment: { id: string; fileName: string; contentType: string },
  signal: AbortSignal = AbortSignal.timeout(ATTACHMENT_DOWNLOAD_TIMEOUT_MS),
): Promise<{ contentType: string; data: Buffer }> {
  let response: Response;
  try {
    response = await fetchFromServer(`${serverUrl}/api/v1/attachments/${encodeURIComponent(attachment.id)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal,
    });
  } catch (error) {
    throw new RpcError('server_unreachable', `The attachment could not be fetched (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new RpcError('not_found', `The server has no attachment ${attachment.id} for you.`);
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw new RpcError('not_signed_in', 'The server did not accept your session; sign in again.');
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new RpcError('internal', `The server answered ${String(response.status)} for attachment ${attachment.id}.`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_ATTACHMENT_DOWNLOAD_BYTES) {
    await response.body?.cancel();
    throw attachmentTooLarge(attachment.fileName, declared);
  }
  let data: Buffer;
  try {
    data = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new RpcError('server_unreachable', `The attachment could not be fetched (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (data.length > MAX_ATTACHMENT_DOWNLOAD_BYTES) throw attachmentTooLarge(attachment.fileName, data.length);
  return { contentType: response.headers.get('content-type') ?? attachment.contentType, data };
}
