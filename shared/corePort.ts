/**
 * The messages between the desktop app's main process and the workstation core running in
 * its own process (Electron's utilityProcess), over one message port. The renderer's calls
 * and the core's events travel in the RPC envelopes of rpc.ts unchanged; this file adds
 * what only this link needs: the key protector's call-backs (the OS keychain is reachable
 * from the main process only), the clean close, and an error for messages that are not
 * envelopes at all. Both ends parse everything they receive with these schemas.
 *
 *   main → core process: request (rpc.ts) | keyResult | close
 *   core process → main: response | event (rpc.ts) | keyRequest | ready | closed | protocolError
 */
import { z } from 'zod';
import { rpcHostEnvelopeSchema, rpcRequestEnvelopeSchema } from './rpc.js';

/** Why a key call-back failed, for the core's log and its "cannot unlock by itself" path. */
export const KEY_CALLBACK_ERROR_CODES = ['seal_failed', 'unseal_failed', 'unavailable'] as const;

/** Base64 of at most 4 KiB: a cache key is 32 bytes, a keychain-sealed one a few hundred. */
const keyTextSchema = z.string().max(8192);
const keyCallIdSchema = z.number().int().nonnegative();

/** The core process asks the main process's KeyProtector (main/core/cacheKeys.ts) to seal, unseal or forget. */
export const keyRequestSchema = z.discriminatedUnion('op', [
  z.object({ type: z.literal('keyRequest'), id: keyCallIdSchema, op: z.literal('seal'), keyBase64: keyTextSchema }).strict(),
  z.object({ type: z.literal('keyRequest'), id: keyCallIdSchema, op: z.literal('unseal'), sealed: keyTextSchema }).strict(),
  z.object({ type: z.literal('keyRequest'), id: keyCallIdSchema, op: z.literal('forget') }).strict(),
]);
export type KeyRequest = z.infer<typeof keyRequestSchema>;

/** The answer: `value` is the sealed text (seal), the key in base64 (unseal), or empty (forget). */
export const keyResultSchema = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('keyResult'), id: keyCallIdSchema, ok: z.literal(true), value: keyTextSchema }).strict(),
  z
    .object({
      type: z.literal('keyResult'),
      id: keyCallIdSchema,
      ok: z.literal(false),
      error: z.object({ code: z.enum(KEY_CALLBACK_ERROR_CODES), message: z.string().max(2000) }).strict(),
    })
    .strict(),
]);
export type KeyResult = z.infer<typeof keyResultSchema>;

/** Main asks the core process to close the core (outbox and cache flushed to disk); it answers `closed`. */
export const closeRequestSchema = z.object({ type: z.literal('close') }).strict();

/** Everything the main process may send to the core process. */
export const corePortInboundSchema = z.union([rpcRequestEnvelopeSchema, keyResultSchema, closeRequestSchema]);
export type CorePortInbound = z.infer<typeof corePortInboundSchema>;

/** The message types the core process accepts, for the error that names them. */
export const CORE_PORT_INBOUND_TYPES = ['request', 'keyResult', 'close'] as const;

/** A message the receiver could not read and could not answer as a response (no usable id). */
export const protocolErrorSchema = z
  .object({
    type: z.literal('protocolError'),
    error: z.object({ code: z.literal('invalid_params'), message: z.string().max(2000) }).strict(),
  })
  .strict();
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

/** Everything the core process may send to the main process. */
export const corePortOutboundSchema = z.union([
  rpcHostEnvelopeSchema,
  keyRequestSchema,
  /** The core was created (a stored session resumed if there was one); calls are answered from now on. */
  z.object({ type: z.literal('ready') }).strict(),
  /** The core closed after a `close`; the process ends once main closes its end of the port. */
  z.object({ type: z.literal('closed') }).strict(),
  protocolErrorSchema,
]);
export type CorePortOutbound = z.infer<typeof corePortOutboundSchema>;
