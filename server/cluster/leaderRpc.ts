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
 *
 * Every call has one budget (`timeoutMs`, default 8 s: less than the workstation's 10 s wait for
 * its ack, so the answer still reaches the agent), election wait included. Each request carries
 * what is left of it (`budgetMs`, relative, so the nodes' clocks need not agree) minus a margin
 * for the answer's way back; the leader turns it into a deadline on its own clock when the
 * request arrives and hands it to its handler, which refuses to START the work after it
 * ('expired'). So a caller that gave up is not answered by work done behind its back: when it
 * gives up it knows whether nothing was done (no leader, or the leader skipped it) or the outcome
 * is unknown (the leader heard it and was still at it) — LeaderUnavailableError.mayHaveRun.
 *
 * Each node has a budget of requests on the leader (a token bucket per reply channel, i.e.
 * per node: `nodeBudget`), so one follower in trouble (a reconnect storm, a bug looping) cannot
 * flood the leader and starve the others: a request over budget is answered 'refused' at once
 * without being run, which its caller reports as "nothing was done" (`unavailable`).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { routingAnswerSchema, routingCallSchema, type RoutingAnswer, type RoutingCall } from '../../shared/routing.js';

/** Longest budget a request may carry (a forged huge one must not pin a call on the leader forever). */
const MAX_BUDGET_MS = 60_000;

const requestSchema = z.object({
  id: z.string().uuid(),
  replyTo: z.string().min(1).max(200),
  call: routingCallSchema,
  /** How long the caller still waits, less the answer's way back; absent from nodes that predate deadlines. */
  budgetMs: z.number().int().nonnegative().max(MAX_BUDGET_MS).optional(),
});
const replySchema = z.object({
  id: z.string().uuid(),
  /**
   * 'not_leader': this subscriber stopped leading before it could answer; the caller tries again.
   * 'expired': the leader reached the call after its deadline and did not run it.
   * 'refused': the calling node was over its budget on the leader; the call was not run.
   */
  answer: z.union([z.literal('not_leader'), z.literal('expired'), z.literal('refused'), routingAnswerSchema]),
});

export type LeaderUnavailableReason =
  /** No node led for the whole budget (an election): nothing was done. */
  | 'no_leader'
  /** The leader reached the call only after its caller's deadline and skipped it: nothing was done. */
  | 'busy'
  /** The leader heard the call but did not answer within the budget: it may or may not have run. */
  | 'timeout'
  /** Redis did not take the request (or this node is closing): it reached no leader, nothing was done. */
  | 'unreachable'
  /** This node sent the leader more than its budget of requests: this one was not run. */
  | 'refused';

/** The routing leader could not be asked, or did not answer in time; `mayHaveRun` says whether anything may have happened. */
export class LeaderUnavailableError extends Error {
  constructor(readonly why: LeaderUnavailableReason) {
    super(
      why === 'no_leader'
        ? 'No routing leader is available right now (an election is in progress); nothing was done, try again.'
        : why === 'busy'
          ? 'The routing leader was too busy to take this in time; nothing was done, try again.'
          : why === 'unreachable'
            ? 'The routing leader cannot be reached from this server node right now (Redis, or the node is closing); nothing was done, try again.'
            : why === 'refused'
              ? 'The routing leader is taking too many requests from this server node right now; nothing was done, try again.'
              : 'The routing leader did not answer in time; the request may or may not have been carried out.',
    );
    this.name = 'LeaderUnavailableError';
  }

  get mayHaveRun(): boolean {
    return this.why === 'timeout';
  }
}

/** What the leader's handler answers: the routing answer, or 'expired' when the call's deadline passed before it began. */
export type LeaderHandler = (call: RoutingCall, deadline: number | null) => Promise<RoutingAnswer | 'expired'>;

export interface LeaderRpcOptions {
  redisUrl: string;
  keyPrefix: string;
  log: (line: string) => void;
  /** A call's whole budget, election wait included; default 8 s (below the workstation's 10 s ack wait). */
  timeoutMs?: number;
  /** The leader must begin a call this long before its caller gives up, so the answer gets back; default 1.5 s. */
  replyMarginMs?: number;
  /** Each node's budget of requests on the leader: a burst, refilled at `perSecond`; default 600 and 300/s. */
  nodeBudget?: NodeBudget;
  /** The clock of the budget (tests); default Date.now. */
  now?: () => number;
}

export interface NodeBudget {
  burst: number;
  perSecond: number;
}

/**
 * Generous for a healthy node: a whole shift of a few hundred agents reconnecting to one node
 * at once (a connect each, then their offers' answers) fits in the burst, and 300/s is more
 * routing requests than the leader turns in a second at the figures of benchmarks.md.
 */
export const DEFAULT_NODE_BUDGET: NodeBudget = { burst: 600, perSecond: 300 };

/** Budgets kept for nodes heard lately; a full bucket (an idle node, or one long gone) is forgotten past this many. */
const BUDGETS_KEPT = 64;

export interface LeaderRpc {
  /** Sends `call` to the leader and resolves with its answer. */
  call(call: RoutingCall): Promise<RoutingAnswer>;
  /** This node leads: answer requests with `handler` (null: stop answering). */
  serve(handler: LeaderHandler | null): Promise<void>;
  /** Settles once every request this node began answering has been answered (shutdown waits for it). */
  answered(): Promise<void>;
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
  const timeoutMs = options.timeoutMs ?? 8_000;
  const replyMarginMs = Math.min(options.replyMarginMs ?? 1_500, timeoutMs / 2);
  const budget = options.nodeBudget ?? DEFAULT_NODE_BUDGET;
  const now = options.now ?? Date.now;
  /** Per calling node (its reply channel): tokens left at `at`, and whether its refusal was logged since it last had one. */
  const budgets = new Map<string, { tokens: number; at: number; refusing: boolean }>();

  /** Takes one request from the node's budget; false when it has none left. */
  function withinBudget(node: string): boolean {
    const at = now();
    let bucket = budgets.get(node);
    if (!bucket) {
      if (budgets.size >= BUDGETS_KEPT) {
        for (const [key, other] of budgets) if (other.tokens + ((at - other.at) / 1000) * budget.perSecond >= budget.burst) budgets.delete(key);
      }
      budgets.set(node, (bucket = { tokens: budget.burst, at, refusing: false }));
    }
    bucket.tokens = Math.min(budget.burst, bucket.tokens + ((at - bucket.at) / 1000) * budget.perSecond);
    bucket.at = at;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.refusing = false;
      return true;
    }
    // One line per episode, not one per request of a flood.
    if (!bucket.refusing)
      log(
        `routing rpc: a node is over its budget of ${String(budget.burst)} requests (${String(budget.perSecond)}/s); refusing its requests until it slows down`,
      );
    bucket.refusing = true;
    return false;
  }

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
    settle(answer: RoutingAnswer | 'not_leader' | 'expired' | 'refused'): void;
    abort(): void;
  }
  const waiting = new Map<string, Waiting>();
  let handler: LeaderHandler | null = null;
  const answering = new Set<Promise<void>>();
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
      const arrivedAt = Date.now();
      const reply = answer(request.data, request.data.budgetMs === undefined ? null : arrivedAt + request.data.budgetMs);
      answering.add(reply);
      void reply.finally(() => answering.delete(reply));
    } else if (channel === broadcastChannel && typeof json === 'string') {
      broadcastListener?.(json);
    }
  });

  async function answer(request: z.infer<typeof requestSchema>, deadline: number | null): Promise<void> {
    const serving = handler;
    let reply: RoutingAnswer | 'not_leader' | 'expired' | 'refused';
    try {
      // The reply channel is the calling node's own (one per LeaderRpc): its budget.
      reply = !serving ? 'not_leader' : withinBudget(request.replyTo) ? await serving(request.call, deadline) : 'refused';
    } catch (error) {
      reply = { ok: false, code: 'internal', message: messageOf(error).slice(0, 2000) };
    }
    await publisher.publish(request.replyTo, JSON.stringify({ id: request.id, answer: reply })).catch((error: unknown) => {
      log(`routing rpc: could not answer ${request.call.op}: ${messageOf(error)}`);
    });
  }

  /** One attempt: the answer, 'not_leader' when nobody leading heard it, 'expired' when the leader skipped it, or a timeout at `giveUpAt`. */
  async function attempt(call: RoutingCall, giveUpAt: number): Promise<RoutingAnswer | 'not_leader' | 'expired' | 'refused'> {
    const id = randomUUID();
    const budgetMs = Math.max(0, Math.min(MAX_BUDGET_MS, giveUpAt - Date.now() - replyMarginMs));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          waiting.delete(id);
          reject(new LeaderUnavailableError('timeout'));
        },
        Math.max(0, giveUpAt - Date.now()),
      );
      const done = (outcome: RoutingAnswer | 'not_leader' | 'expired' | 'refused') => {
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
      publisher.publish(requestChannel, JSON.stringify({ id, replyTo: replyChannel, call, budgetMs })).then(
        (receivers) => {
          entry.expected = receivers;
          if (receivers === 0 || entry.heard >= receivers) done('not_leader');
        },
        (error: unknown) => {
          clearTimeout(timer);
          waiting.delete(id);
          log(`routing rpc: could not send ${call.op}: ${messageOf(error)}`);
          reject(new LeaderUnavailableError('unreachable'));
        },
      );
    });
  }

  await subscriber.subscribe(replyChannel, broadcastChannel);
  let closed: Promise<void> | null = null;

  return {
    async call(call) {
      const giveUpAt = Date.now() + timeoutMs;
      for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
        if (closed) throw new LeaderUnavailableError('unreachable');
        const outcome = await attempt(call, giveUpAt);
        if (outcome === 'expired') throw new LeaderUnavailableError('busy');
        if (outcome === 'refused') throw new LeaderUnavailableError('refused');
        if (outcome !== 'not_leader') return outcome;
        // Another try needs time for the leader to begin it and for its answer to come back.
        if (Date.now() + pause > giveUpAt - replyMarginMs) throw new LeaderUnavailableError('no_leader');
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    },
    async serve(next) {
      const was = handler;
      handler = next;
      if (next && !was) await subscriber.subscribe(requestChannel);
      if (!next && was) await subscriber.unsubscribe(requestChannel);
    },
    async answered() {
      while (answering.size > 0) await Promise.allSettled([...answering]);
    },
    async broadcast(message) {
      await publisher.publish(broadcastChannel, JSON.stringify(message));
    },
    onBroadcast(listener) {
      broadcastListener = listener;
    },
    async close() {
      if (closed) return closed;
      handler = null;
      for (const entry of [...waiting.values()]) entry.abort();
      closed = (async () => {
        // Requests already being answered still get their answer (their callers are waiting) before the connections go.
        while (answering.size > 0) await Promise.allSettled([...answering]);
        await Promise.allSettled([subscriber.quit(), publisher.quit()]);
      })();
      return closed;
    },
  };
}
