/**
 * Rate limits (rate-limiter-flexible): one named limiter per abuse path, each a budget of
 * points per window. In memory on a single node; on Redis when nodes share the counters
 * (issue 10 passes a Redis client). Limits are configuration: `RATE_LIMITS` in the
 * environment overrides any of the defaults, e.g.
 * `RATE_LIMITS="signInFailuresPerUser=5/900,inboundPerToken=600/60"` (points/seconds).
 * See docs/technical/security.md (Rate limits).
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** A budget: at most `points` per `durationSec` seconds, per key. */
export interface RateLimitRule {
  points: number;
  durationSec: number;
}

/** Every limit the server applies, by name. */
export interface RateLimitConfig {
  /** Failed sign-ins per username (a guessed password costs one point), from workstations the user never signed in from. */
  signInFailuresPerUser: RateLimitRule;
  /**
   * Failed sign-ins per username and workstation the user signed in from before (its client id):
   * a budget of its own, so a stranger spending the user's cannot lock them out of their own desk.
   */
  signInFailuresPerDevice: RateLimitRule;
  /** Sign-in attempts per client address, failed or not (scrypt is expensive). */
  signInAttemptsPerAddress: RateLimitRule;
  /**
   * Wrong bearer tokens per client address (unknown, expired, of another client or kind): socket
   * handshakes and HTTP API requests together. Each cost a database lookup; over the budget the
   * address is refused before any lookup, whatever token it sends, until the window passes.
   */
  tokenFailuresPerAddress: RateLimitRule;
  /** Web chat messages per visitor. */
  webchatMessagesPerVisitor: RateLimitRule;
  /** Web chat messages per client address (many visitor ids from one place). */
  webchatMessagesPerAddress: RateLimitRule;
  /** New web chat conversations (and offline-form messages) per client address. */
  webchatConversationsPerAddress: RateLimitRule;
  /**
   * Every request of a web chat visitor's widget (hello, send, offline, rate, read; malformed and
   * unknown events too; typing has its own window per connection), per visitor: the ones that
   * store nothing (a hello reads up to five conversations) are otherwise free to repeat at wire speed.
   */
  webchatRequestsPerVisitor: RateLimitRule;
  /** Inbound contacts per integration token. */
  inboundPerToken: RateLimitRule;
  /** Script writes (save, delete) per user: a person editing never meets it, a runaway client does. */
  scriptWritesPerUser: RateLimitRule;
  /** Knowledge base writes (save, suggest, decide) per user: a person editing never meets it, a runaway client does. */
  knowledgeWritesPerUser: RateLimitRule;
  /**
   * Requests of a signed-in user, socket events and HTTP API calls together, on every node:
   * a workstation's own traffic (a 100,000-ticket bootstrap is 100 pages) never meets it; a
   * script hammering reads (report, board, queue, ticket fetches) is stopped within seconds.
   */
  requestsPerUser: RateLimitRule;
  /**
   * Tickets created by hand (createTicket mutations) per user, counted when a push carries them:
   * a full push (200) fits twice, so an outage's backlog goes through; a runaway client waits.
   */
  manualTicketsPerUser: RateLimitRule;
  /** Administrative writes (users, policies) per admin: an admin at work never meets it, a runaway client does. */
  adminWritesPerUser: RateLimitRule;
  /** Satisfaction survey requests (the rating page, opened or posted, and the widget's rating) per client address: token guessing stops here. */
  csatPerAddress: RateLimitRule;
  /** Customer history pages per user: paging through a long history never meets it, a script walking customer ids does. */
  customerHistoryPerUser: RateLimitRule;
}

export type RateLimitName = keyof RateLimitConfig;

/**
 * Sensible defaults for a contact centre: a person mistyping a password a few times is
 * never locked out for long, a visitor typing fast is never slowed, a busy integration
 * (a few thousand contacts a minute) passes; a script is stopped within seconds.
 */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimitConfig> = {
  signInFailuresPerUser: { points: 10, durationSec: 15 * 60 },
  signInFailuresPerDevice: { points: 10, durationSec: 15 * 60 },
  signInAttemptsPerAddress: { points: 60, durationSec: 15 * 60 },
  tokenFailuresPerAddress: { points: 120, durationSec: 10 * 60 },
  webchatMessagesPerVisitor: { points: 30, durationSec: 60 },
  webchatMessagesPerAddress: { points: 120, durationSec: 60 },
  webchatConversationsPerAddress: { points: 10, durationSec: 10 * 60 },
  webchatRequestsPerVisitor: { points: 120, durationSec: 60 },
  inboundPerToken: { points: 6_000, durationSec: 60 },
  scriptWritesPerUser: { points: 60, durationSec: 60 },
  knowledgeWritesPerUser: { points: 60, durationSec: 60 },
  requestsPerUser: { points: 1_200, durationSec: 60 },
  manualTicketsPerUser: { points: 400, durationSec: 10 * 60 },
  adminWritesPerUser: { points: 30, durationSec: 60 },
  csatPerAddress: { points: 30, durationSec: 10 * 60 },
  customerHistoryPerUser: { points: 120, durationSec: 60 },
};

/**
 * What one `consume` said. `firstRefusal`: this call is the one that went over the budget
 * (log that one; the flood behind it would only flood the log).
 */
export type RateLimitVerdict = { ok: true } | { ok: false; retryAfterMs: number; firstRefusal: boolean };

/** One limit, applied per key (a username, an address, a visitor id, a token name). */
export interface RateLimiter {
  readonly name: RateLimitName;
  readonly rule: RateLimitRule;
  /** Spends `points` (default 1) of the key's budget; refused when the budget is spent. */
  consume(key: string, points?: number): Promise<RateLimitVerdict>;
  /** Whether the key's budget is already spent, without spending any. */
  peek(key: string): Promise<RateLimitVerdict>;
  /** Forgets the key (e.g. a successful sign-in clears that user's failures). */
  reset(key: string): Promise<void>;
}

export type RateLimiters = { readonly [N in RateLimitName]: RateLimiter };

/** Where counters live: this process, Redis shared by every node, or another shared store. */
export type RateLimitBackend =
  | { kind: 'memory' }
  | {
      kind: 'redis';
      /** ioredis client of this node; every node given the same Redis and prefix counts together. */
      client: Redis;
      /** Starts every counter key; default `omnidesk:rl:`. */
      keyPrefix?: string;
    }
  | {
      kind: 'shared';
      /** Builds a limiter over the shared store (e.g. RateLimiterRedis); `keyPrefix` keeps limits apart. */
      create(options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract;
    };

function wrap(name: RateLimitName, rule: RateLimitRule, limiter: RateLimiterAbstract): RateLimiter {
  const refusal = (result: unknown, points: number): RateLimitVerdict => {
    // rate-limiter-flexible rejects with a RateLimiterRes when the budget is spent, and with an Error when its store fails.
    if (result instanceof RateLimiterRes) {
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(result.msBeforeNext)), firstRefusal: result.consumedPoints - points <= rule.points };
    }
    throw result;
  };
  return {
    name,
    rule,
    async consume(key, points = 1) {
      try {
        await limiter.consume(key, points);
        return { ok: true };
      } catch (error) {
        return refusal(error, points);
      }
    },
    async peek(key) {
      const state = await limiter.get(key);
      if (state === null || state.consumedPoints < rule.points) return { ok: true };
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(state.msBeforeNext)), firstRefusal: false };
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

const DEFAULT_KEY_PREFIX = 'omnidesk:rl:';

function limiterOn(backend: RateLimitBackend, options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
  switch (backend.kind) {
    case 'memory':
      return new RateLimiterMemory(options);
    case 'redis':
      return new RateLimiterRedis({
        ...options,
        storeClient: backend.client,
        // While Redis is unreachable each node counts alone in memory (a user could then get
        // up to one budget per node) rather than letting everyone through or nobody: better
        // than either, and sign-in never waits on a reconnecting client.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    case 'shared':
      return backend.create(options);
  }
}

export function createRateLimiters(config: RateLimitConfig = DEFAULT_RATE_LIMITS, backend: RateLimitBackend = { kind: 'memory' }): RateLimiters {
  const limiters = {} as Record<RateLimitName, RateLimiter>;
  for (const name of Object.keys(config) as RateLimitName[]) {
    const rule = config[name];
    const prefix = backend.kind === 'redis' ? (backend.keyPrefix ?? DEFAULT_KEY_PREFIX) : DEFAULT_KEY_PREFIX;
    const options = { keyPrefix: `${prefix}${name}`, points: rule.points, duration: rule.durationSec };
    limiters[name] = wrap(name, rule, limiterOn(backend, options));
  }
  return limiters;
}

/** Whole seconds for a `Retry-After` header (never 0, which would invite an immediate retry). */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/**
 * Reads `RATE_LIMITS` ("name=points/seconds,…") over the defaults; throws naming the bad
 * entry, so a typo stops the server at start instead of silently leaving a path unlimited.
 */
export function rateLimitsFromEnv(text: string | undefined): RateLimitConfig {
  const config: RateLimitConfig = { ...DEFAULT_RATE_LIMITS };
  for (const entry of (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)) {
    const match = /^([A-Za-z]+)=(\d+)\/(\d+)$/.exec(entry);
    const name = match?.[1] as RateLimitName | undefined;
    if (!match || name === undefined || !(name in DEFAULT_RATE_LIMITS)) {
      throw new Error(`RATE_LIMITS: "${entry}" is not "name=points/seconds" with a name among ${Object.keys(DEFAULT_RATE_LIMITS).join(', ')}.`);
    }
    const points = Number(match[2]);
    const durationSec = Number(match[3]);
    if (points < 1 || durationSec < 1) throw new Error(`RATE_LIMITS: "${entry}" needs at least 1 point per at least 1 second.`);
    config[name] = { points, durationSec };
  }
  return config;
}
