/**
 * Parsing of the server's acknowledgements with the schemas in shared/sync.ts: the core
 * checks every ack before trusting it (socket.io types are only hints).
 */
import type { z } from 'zod';
import {
  ackSchema,
  bootstrapPageEnvelopeSchema,
  pullResultEnvelopeSchema,
  pushResultSchema,
  readBundles,
  readChanges,
  type Ack,
  type BootstrapPage,
  type BootstrapPageEnvelope,
  type PullResult,
  type PullResultEnvelope,
  type PushResult,
  type UnreadableChange,
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
  if (!parsed.success)
    throw new ProtocolFailure('invalid_response', `The server's ${what} answer is not readable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (!parsed.data.ok) throw new ProtocolFailure(parsed.data.error.code, parsed.data.error.message);
  return parsed.data.result;
}

const pullAckSchema = ackSchema(pullResultEnvelopeSchema) as unknown as z.ZodType<Ack<PullResultEnvelope>>;
const bootstrapAckSchema = ackSchema(bootstrapPageEnvelopeSchema) as unknown as z.ZodType<Ack<BootstrapPageEnvelope>>;
const pushAckSchema = ackSchema(pushResultSchema) as unknown as z.ZodType<Ack<PushResult>>;

/**
 * A pull answer: the envelope must be readable; each change is read on its own, and the
 * ones that are not readable come back in `unreadable` (the cursor still moves past them).
 */
export function parsePullAck(raw: unknown, at: number): PullResult & { unreadable: UnreadableChange[] } {
  const result = unwrap(pullAckSchema, raw, 'pull');
  if (result.mustRefetch) return { ...result, unreadable: [] };
  const { changes, unreadable } = readChanges(result.changes, at);
  return { ...result, changes, unreadable };
}

/** A bootstrap page, each bundle read on its own like the changes of a pull. */
export function parseBootstrapAck(raw: unknown, at: number): BootstrapPage & { unreadable: UnreadableChange[] } {
  const page = unwrap(bootstrapAckSchema, raw, 'bootstrap');
  const { bundles, unreadable } = readBundles(page.bundles, at);
  return { ...page, bundles, unreadable };
}

export function parsePushAck(raw: unknown): PushResult {
  return unwrap(pushAckSchema, raw, 'push');
}
