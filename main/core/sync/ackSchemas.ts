/**
 * Parsing of the server's acknowledgements with the schemas in shared/sync.ts: the core
 * checks every ack before trusting it (socket.io types are only hints).
 */
import type { z } from 'zod';
import {
  ackSchema,
  bootstrapPageSchema,
  pullResultSchema,
  pushResultSchema,
  type Ack,
  type BootstrapPage,
  type PullResult,
  type PushResult,
} from '../../../shared/sync.js';

/** Thrown when the server answers a request with an error, or with something unreadable. */
export class ProtocolFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolFailure';
  }
}

function unwrap<T>(schema: z.ZodType<Ack<T>>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ProtocolFailure('invalid_response', `The server's ${what} answer is not readable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (!parsed.data.ok) throw new ProtocolFailure(parsed.data.error.code, parsed.data.error.message);
  return parsed.data.result;
}

const pullAckSchema = ackSchema(pullResultSchema) as unknown as z.ZodType<Ack<PullResult>>;
const bootstrapAckSchema = ackSchema(bootstrapPageSchema) as unknown as z.ZodType<Ack<BootstrapPage>>;
const pushAckSchema = ackSchema(pushResultSchema) as unknown as z.ZodType<Ack<PushResult>>;

export function parsePullAck(raw: unknown): PullResult {
  return unwrap(pullAckSchema, raw, 'pull');
}

export function parseBootstrapAck(raw: unknown): BootstrapPage {
  return unwrap(bootstrapAckSchema, raw, 'bootstrap');
}

export function parsePushAck(raw: unknown): PushResult {
  return unwrap(pushAckSchema, raw, 'push');
}
