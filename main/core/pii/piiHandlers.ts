/**
 * Personal data on the workstation (shared/pii.ts): `pii.reveal` asks the server for the
 * clear value of one masked field and hands it to the renderer — it is never written to the
 * cache, so it lasts as long as the window shows it — and `pii.audit` fetches who revealed
 * what on a ticket (leads). Both need the server: offline they fail with `offline`, nothing
 * is queued. Every answer is parsed before it is trusted.
 */
import type { z } from 'zod';
import { piiAuditResultSchema, piiRevealResultSchema } from '../../../shared/pii.js';
import type { RpcResults, rpcParamSchemas } from '../../../shared/rpc.js';
import { askServer } from '../askServer.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

export const PII_METHODS = ['pii.reveal', 'pii.audit'] as const;
export type PiiMethod = (typeof PII_METHODS)[number];

export type PiiHandlers = {
  [M in PiiMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]>;
};

/** How long a reveal or an audit waits for the server. */
export const PII_REQUEST_TIMEOUT_MS = 10_000;

/** `current()` throws `not_signed_in` when nobody is; `socket` is null while the session has none (signed in offline). */
export function createPiiHandlers(options: { current(): { socket: WorkstationSocket | null; online: boolean } }): PiiHandlers {
  async function request<S extends z.ZodType>(event: 'pii:reveal' | 'pii:audit', payload: unknown, resultSchema: S, what: string): Promise<z.output<S>> {
    const { socket, online } = options.current();
    if (!socket || !online || !socket.connected) throw new RpcError('offline', `You are offline: ${what} once the connection is back.`);
    return askServer(socket, event, payload, resultSchema, PII_REQUEST_TIMEOUT_MS);
  }

  return {
    'pii.reveal': (params) => request('pii:reveal', params, piiRevealResultSchema, 'masked details can be shown'),
    'pii.audit': async (params) => (await request('pii:audit', params, piiAuditResultSchema, 'the record of who viewed personal data can be loaded')).entries,
  };
}
