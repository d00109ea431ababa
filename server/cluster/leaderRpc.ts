/**
 * Requests to whichever node leads, through Redis PUB/SUB (issue 10). The leader subscribes to
 * one request channel; any node publishes a request there with its own reply channel and waits
 * for the answer. PUBLISH says how many subscribers heard it, so "nobody leads right now" (an
 * election in progress) is known at once and the caller retries, instead of waiting out a
 * timeout; a dead node never delays anyone (a socket.io server-side emit would wait for every
 * node's answer, dead ones included).
 *
 * A request is delivered at most once: it is retried only when no leader heard it. A leader that
 * dies while handling one leaves its caller with a timeout, never with the request run twice.
 * Every message is validated on arrival.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { routingAnswerSchema, routingCallSchema, type RoutingAnswer, type RoutingCall } from '../../shared/routing.js';

const requestSchema = z.object({ id: z.string().uuid(), replyTo: z.string().min(1).max(200), call: routingCallSchema });
const replySchema = z.object({
  id: z.string().uuid(),
  /** 'not_leader': this subscriber stopped leading before it could answer; the caller tries again. */
  answer: z.union([z.literal('not_leader'), routingAnswerSchema]),
});

/** No node led for the whole wait, or the leader did not answer in time. */
export class LeaderUnavailableError extends Error {
  constructor(readonly why: 'no_leader' | 'timeout') {
    super(
      why === 'no_leader' ? 'No routing leader is available right now (an election is in progress); try again.' : 'The routing leader did not answer in time.',
    );
    this.name = 'LeaderUnavailableError';
  }
}

export interface LeaderRpcOptions {
  redisUrl: string;
  keyPrefix: string;
  log: (line: string) => void;
  /** How long a caller waits for a leader to exist (an election); default 10 s. */
  noLeaderWaitMs?: number;
  /** How long a caller waits for the leader's answer once it heard the request; default 10 s. */
  answerTimeoutMs?: number;
}

export interface LeaderRpc {
  /** Sends `call` to the leader and resolves with its answer. */
  call(call: RoutingCall): Promise<RoutingAnswer>;
  /** This node leads: answer requests with `handler` (null: stop answering). */
  serve(handler: ((call: RoutingCall) => Promise<RoutingAnswer>) | null): Promise<void>;
  /** Publishes `message` to every node's `onBroadcast`. */
  broadcast(message: string): Promise<void>;
  onBroadcast(listener: (message: string) => void): void;
  close(): Promise<void>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function startLeaderRpc(options: LeaderRpcOptions): Promise<LeaderRpc> {
  const { log } = options;
  const requestChannel = `${options.keyPrefix}routing:requests`;
  const broadcastChannel = `${options.keyPrefix}routing:broadcast`;
  const replyChannel = `${options.keyPrefix}routing:replies:${randomUUID()}`;
  const noLeaderWaitMs = options.noLeaderWaitMs ?? 10_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 10_000;

  const publisher = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const subscriber = publisher.duplicate();
  let lastError = '';
  for (const client of [publisher, subscriber]) {
    client.on('error', (error: Error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      log(`routing rpc redis: ${error.message}`);
    });
  }

  interface Waiting {
    expected: number;
    heard: number;
    settle(answer: RoutingAnswer | 'not_leader'): void;
    abort(): void;
  }
  const waiting = new Map<string, Waiting>();
  let handler: ((call: RoutingCall) => Promise<RoutingAnswer>) | null = null;
  let broadcastListener: ((message: string) => void) | null = null;

  subscriber.on('message', (channel: string, raw: string) => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      log(`routing rpc: a message on ${channel} is not JSON; ignored`);
      return;
    }
    if (channel === replyChannel) {
      const reply = replySchema.safeParse(json);
      if (!reply.success) return log('routing rpc: a malformed reply was ignored');
      waiting.get(reply.data.id)?.settle(reply.data.answer);
    } else if (channel === requestChannel) {
      const request = requestSchema.safeParse(json);
      if (!request.success) return log('routing rpc: a malformed request was ignored');
      void answer(request.data);
    } else if (channel === broadcastChannel && typeof json === 'string') {
      broadcastListener?.(json);
    }
  });

  async function answer(request: z.infer<typeof requestSchema>): Promise<void> {
    const serving = handler;
    let reply: RoutingAnswer | 'not_leader';
    try {
      reply = serving ? await serving(request.call) : 'not_leader';
    } catch (error) {
      reply = { ok: false, code: 'internal', message: messageOf(error).slice(0, 2000) };
    }
    await publisher.publish(request.replyTo, JSON.stringify({ id: request.id, answer: reply })).catch((error: unknown) => {
      log(`routing rpc: could not answer ${request.call.op}: ${messageOf(error)}`);
    });
  }

  /** One attempt: the answer, 'not_leader' when nobody leading heard it, or a timeout. */
  async function attempt(call: RoutingCall): Promise<RoutingAnswer | 'not_leader'> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new LeaderUnavailableError('timeout'));
      }, answerTimeoutMs);
      const done = (outcome: RoutingAnswer | 'not_leader') => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(outcome);
      };
      const entry: Waiting = {
        expected: Number.POSITIVE_INFINITY,
        heard: 0,
        settle(outcome) {
          entry.heard += 1;
          // A real answer wins; 'not_leader' only once every subscriber said so.
          if (outcome !== 'not_leader') done(outcome);
          else if (entry.heard >= entry.expected) done('not_leader');
        },
        abort() {
          clearTimeout(timer);
          waiting.delete(id);
          reject(new LeaderUnavailableError('timeout'));
        },
      };
      waiting.set(id, entry);
      publisher.publish(requestChannel, JSON.stringify({ id, replyTo: replyChannel, call })).then(
        (receivers) => {
          entry.expected = receivers;
          if (receivers === 0 || entry.heard >= receivers) done('not_leader');
        },
        (error: unknown) => {
          clearTimeout(timer);
          waiting.delete(id);
          reject(error instanceof Error ? error : new Error(messageOf(error)));
        },
      );
    });
  }

  await subscriber.subscribe(replyChannel, broadcastChannel);

  return {
    async call(call) {
      const giveUpAt = Date.now() + noLeaderWaitMs;
      for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
        const outcome = await attempt(call);
        if (outcome !== 'not_leader') return outcome;
        if (Date.now() + pause > giveUpAt) throw new LeaderUnavailableError('no_leader');
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    },
    async serve(next) {
      const was = handler;
      handler = next;
      if (next && !was) await subscriber.subscribe(requestChannel);
      if (!next && was) await subscriber.unsubscribe(requestChannel);
    },
    async broadcast(message) {
      await publisher.publish(broadcastChannel, JSON.stringify(message));
    },
    onBroadcast(listener) {
      broadcastListener = listener;
    },
    async close() {
      handler = null;
      for (const entry of [...waiting.values()]) entry.abort();
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}
