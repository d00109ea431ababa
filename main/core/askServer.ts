/**
 * One request to the server over the workstation's socket, answered through an ack that is
 * validated against the shared schema of its result. Every way it can fail becomes an
 * RpcError the renderer localises: dropped connection → `offline`, no answer in time →
 * `server_unreachable`, an unreadable answer → `internal`, a refusal → its protocol code.
 */
import type { z } from 'zod';
import { ackSchema } from '../../shared/sync.js';
import { RpcError, rpcCodeOfProtocolError } from './errors.js';
import type { WorkstationSocket } from './sync/syncClient.js';

export async function askServer<S extends z.ZodType>(
  socket: WorkstationSocket,
  event: string,
  payload: unknown,
  resultSchema: S,
  timeoutMs: number,
): Promise<z.output<S>> {
  // The typed emitWithAck cannot pick an overload through a generic event name; the answer is parsed below anyway.
  const emitter = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  let raw: unknown;
  try {
    raw = await emitter.emitWithAck(event, payload);
  } catch {
    if (!socket.connected) throw new RpcError('offline', 'The connection to the server dropped before it answered; try again when online.');
    throw new RpcError('server_unreachable', `The server did not answer ${event} within ${String(timeoutMs / 1000)} s.`);
  }
  const parsed = ackSchema(resultSchema).safeParse(raw);
  if (!parsed.success) throw new RpcError('internal', `The server's ${event} answer is not readable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const ack = parsed.data as { ok: true; result: z.output<S> } | { ok: false; error: { code: string; message: string } };
  if (!ack.ok) throw new RpcError(rpcCodeOfProtocolError(ack.error.code), ack.error.message);
  return ack.result;
}
