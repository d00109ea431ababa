/**
 * The HTTP API (node:http, no framework): health, sign-in, inbound contacts from channel
 * integrations, the ticket list/detail for signed-in users, and the leads' reports. Shapes
 * are in shared/httpApi.ts and shared/reports.ts; every error is an `ApiErrorBody`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { canUserSeeTicket, entityIdSchema, ticketIdSchema, type User } from '../shared/domain.js';
import { inboundExternalMessageId } from './externalMessageIds.js';
import { ATTACHMENT_LIMITS, attachmentFileNameSchema, checkAttachment, servedContentType, type AttachmentRefusal } from '../shared/attachments.js';
import {
  inboundContactSchema,
  receivedAtIssue,
  WEBCHAT_EXTERNAL_ID_PREFIX,
  loginRequestSchema,
  ticketListQuerySchema,
  type ApiErrorBody,
  type InboundResponse,
  type LoginResponse,
  type LogoutResponse,
  type TicketListResponse,
  type UploadResponse,
} from '../shared/httpApi.js';
import { localDateOf } from '../shared/kpi.js';
import { maskBundle } from '../shared/masking.js';
import { reportFileName, reportQuerySchema } from '../shared/reports.js';
import { REPORT_CREDENTIAL_PREFIX } from '../shared/admin.js';
import { boardChartsQuerySchema } from '../shared/charts.js';
import { ChannelUnavailableError } from './channelAvailability.js';
import { DECOY_PASSWORD_HASH, hashToken, verifyPassword } from './credentials.js';
import { forRole, maskTicketList } from './piiMasking.js';
import { retryAfterSeconds, type RateLimiters } from './rateLimits.js';
import { reportCsv, reportXlsx } from './reports/reportFiles.js';
import type { ReportRepository } from './reports/reportRepository.js';
import type { SessionEnds } from './sessions.js';
import type { ChannelContact, IngestOutcome, ServerStore, TicketListCursor, TokenLookup } from './store.js';

/** Largest request body accepted; reading stops beyond it (413). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface HttpDependencies {
  store: ServerStore;
  now: () => number;
  tokenTtlMs: number;
  startedAt: number;
  /** What `/healthz` says of this node beside the database: its name, whether it routes, whether Redis answers (several nodes). */
  nodeHealth?: () => Promise<{ node: string; routingLeader: boolean; redis: 'ok' | 'unreachable' | null }>;
  log: (line: string) => void;
  /** Stores an inbound contact and routes it; contacts of one event-loop turn share a commit (groupCommit.ts). */
  ingest(contact: ChannelContact): Promise<IngestOutcome>;
  /** The server's rate limits (server/rateLimits.ts). */
  rateLimits: RateLimiters;
  /** Ends the live sockets of a revoked token (server/sessions.ts). */
  sessions: Pick<SessionEnds, 'endToken'>;
  /** Client addresses come from `X-Forwarded-For` (one trusted reverse proxy in front); see clientAddress. */
  trustProxy: boolean;
  /** The leads' reports (server/reports/). */
  reports: ReportRepository;
  /** Routes the channels add (webhooks, the chat widget…); read on every request, so channels may register after start. */
  channelRoutes?: readonly ChannelRoute[];
}

/** A route a channel serves itself; it reads its own body (signatures need the raw bytes). */
export interface ChannelRoute {
  pattern: RegExp;
  methods: Record<string, (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => void | Promise<void>>;
}

type ErrorCode = ApiErrorBody['error']['code'];
type FieldError = { path: string; message: string };

/** An error that becomes one HTTP response. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly fields: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  /** With 429: how long to wait, in the body as well as in `Retry-After`. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, code: ErrorCode, message: string, fields?: FieldError[], headers: Record<string, string> = {}, retryAfterMs?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.headers = headers;
    this.retryAfterMs = retryAfterMs;
  }
}

/** 429 with `Retry-After` (whole seconds) and `retryAfterMs` in the body. */
export function rateLimited(message: string, retryAfterMs: number): HttpError {
  const seconds = retryAfterSeconds(retryAfterMs);
  return new HttpError(429, 'rate_limited', `${message} Try again in ${String(seconds)} s.`, undefined, { 'retry-after': String(seconds) }, retryAfterMs);
}

function fieldsOf(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map(String)].join('.') || '(body)',
    message: issue.message,
  }));
}

export function invalid(message: string, fields?: FieldError[]): HttpError {
  return new HttpError(400, 'invalid_request', message, fields);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: HttpError): void {
  const body: ApiErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.fields ? { fields: error.fields } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    },
  };
  sendJson(res, error.status, body, error.headers);
}

/** Reads the raw body up to `limit` bytes (413 beyond, without reading the rest). */
export function readRawBody(req: IncomingMessage, limit: number = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = () =>
      new HttpError(413, 'payload_too_large', `The request body is larger than ${String(limit)} bytes.`, undefined, { connection: 'close' });
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Shared: a decoder used without `stream` keeps no state between calls. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8: a body with invalid bytes is refused, never silently repaired. */
export function decodeUtf8Body(raw: Buffer): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    throw invalid('The request body is not valid UTF-8.');
  }
}

/** Reads the body up to MAX_BODY_BYTES, then decodes strict UTF-8 and parses JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number = MAX_BODY_BYTES): Promise<unknown> {
  const text = decodeUtf8Body(await readRawBody(req, limit));
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('The request body is not valid JSON.');
  }
}

function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
}

/** What every endpoint but the reports says to a report-reader credential (recognised by its prefix, valid or not). */
export const REPORT_CREDENTIAL_SCOPE_MESSAGE =
  'A report-reader credential reads GET /api/v1/reports and GET /api/v1/reports/charts only; this endpoint needs a signed-in user or an integration token.';

/** 403 for a report-reader credential, before any lookup: it never names a user or an integration. */
function refuseReportCredential(token: string): void {
  if (token.startsWith(REPORT_CREDENTIAL_PREFIX)) throw new HttpError(403, 'forbidden', REPORT_CREDENTIAL_SCOPE_MESSAGE);
}

type ValidToken<K extends 'user' | 'integration'> = Extract<TokenLookup, { status: 'valid'; kind: K }>;

type TokenBudgetDeps = Pick<HttpDependencies, 'rateLimits' | 'trustProxy' | 'log'>;

/**
 * 429 before the token is looked up when the request's address has spent its budget of wrong
 * tokens (`tokenFailuresPerAddress`, shared with the socket handshakes; cluster-wide on Redis):
 * each wrong one cost a database lookup, with no limit before. Only the address is refused: the
 * right token from another address goes through. The counters' store failing lets it through.
 */
async function refuseSpentTokenBudget(deps: TokenBudgetDeps, address: string): Promise<void> {
  const verdict = await deps.rateLimits.tokenFailuresPerAddress.peek(address).catch((error: unknown) => {
    deps.log(`http: token failure limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: true } as const;
  });
  if (!verdict.ok) throw rateLimited('Too many wrong tokens from this address.', verdict.retryAfterMs);
}

/** A wrong token from `address` spends one point of its budget; the one that spends the last is logged (the next is refused before any lookup). */
async function noteTokenFailure(deps: TokenBudgetDeps, address: string, what: string): Promise<void> {
  const limiter = deps.rateLimits.tokenFailuresPerAddress;
  const verdict = await limiter
    .consume(address)
    .then(async (spent) => (spent.ok ? await limiter.peek(address) : ({ ok: true } as const)))
    .catch((error: unknown) => {
      deps.log(`http: token failure limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return { ok: true } as const;
    });
  if (!verdict.ok) {
    deps.log(
      `http: ${address} sent too many wrong tokens (last: ${what}); refusing its requests for ${String(retryAfterSeconds(verdict.retryAfterMs))} s before any lookup, further refusals not logged`,
    );
  }
}

/** The request's bearer token, valid and of `kind`; else the 401/403 that says why (429 while its address's budget of wrong tokens is spent). */
export async function requireToken<K extends 'user' | 'integration'>(
  deps: Pick<HttpDependencies, 'store' | 'now'> & TokenBudgetDeps,
  req: IncomingMessage,
  kind: K,
): Promise<ValidToken<K>> {
  const token = bearerToken(req);
  if (!token) throw unauthorized('This endpoint needs an Authorization: Bearer token.');
  refuseReportCredential(token);
  const address = clientAddress(req, deps.trustProxy);
  await refuseSpentTokenBudget(deps, address);
  const found = await deps.store.lookupToken(token, deps.now());
  if (found.status !== 'valid') await noteTokenFailure(deps, address, `${found.status} token`);
  if (found.status === 'unknown') throw unauthorized('The bearer token is not valid.');
  if (found.status === 'expired') {
    throw unauthorized(`The bearer token expired at ${new Date(found.expiredAt).toISOString()}; sign in again.`);
  }
  if (found.kind !== kind) {
    throw new HttpError(
      403,
      'forbidden',
      kind === 'user' ? 'This endpoint needs a user token, not an integration token.' : 'This endpoint needs an integration token, not a user token.',
    );
  }
  return found as ValidToken<K>;
}

/** The signed-in user, who has request budget left (`requestsPerUser`, shared with their sockets). */
export async function requireUser(deps: Pick<HttpDependencies, 'store' | 'now' | 'rateLimits' | 'log' | 'trustProxy'>, req: IncomingMessage): Promise<User> {
  const { user } = await requireToken(deps, req, 'user');
  await spendRequestBudget(deps, user.id, user.username);
  return user;
}

/** One point of `requestsPerUser` under `key`; 429 when spent. */
async function spendRequestBudget(deps: Pick<HttpDependencies, 'rateLimits' | 'log'>, key: string, who: string): Promise<void> {
  // As on the sockets: the counters' store failing must not stop the API; let the request through.
  const verdict = await deps.rateLimits.requestsPerUser.consume(key).catch((error: unknown) => {
    deps.log(`http: request limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: true } as const;
  });
  if (!verdict.ok) {
    if (verdict.firstRefusal) deps.log(`http: ${who} is over the request limit`);
    throw rateLimited('Too many requests.', verdict.retryAfterMs);
  }
}

/** Who may read the reports: a signed-in lead or admin, or a report-reader credential (an admin made it for another system). */
type ReportReaderIdentity = { kind: 'user'; user: User } | { kind: 'credential'; id: string; name: string };

/**
 * The reports' gate. A report-reader credential is looked up in the database on every request
 * (a revocation on any node refuses it at once) and has a request budget of its own, the same
 * size as a user's; anything else goes through requireUser, and an agent is refused `forbidden`.
 */
async function requireReportReader(deps: HttpDependencies, req: IncomingMessage, what: string): Promise<ReportReaderIdentity> {
  const token = bearerToken(req);
  if (token?.startsWith(REPORT_CREDENTIAL_PREFIX)) {
    const address = clientAddress(req, deps.trustProxy);
    await refuseSpentTokenBudget(deps, address);
    const reader = await deps.store.reportCredentials.authenticate(token, deps.now());
    if (!reader) {
      await noteTokenFailure(deps, address, 'report credential');
      throw unauthorized('The report credential is not valid or was revoked.');
    }
    await spendRequestBudget(deps, `report-credential:${reader.id}`, `report credential ${JSON.stringify(reader.name)}`);
    return { kind: 'credential', ...reader };
  }
  const user = await requireUser(deps, req);
  if (user.role === 'agent') throw new HttpError(403, 'forbidden', `${what} are for shift leads and administrators.`);
  return { kind: 'user', user };
}

/** Drops an IPv4-mapped prefix; an IPv6 address becomes its /64 (one host holds a whole /64, so one budget per /64). */
function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => (parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/**
 * Who is asking, for per-address limits and the log: the TCP peer, or with `trustProxy`
 * the last `X-Forwarded-For` entry (what the one trusted proxy saw; earlier entries are the
 * client's own claims and are ignored).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  return peerAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustProxy);
}

/**
 * `clientAddress` from its parts: the TCP peer and the X-Forwarded-For header. Sockets use it
 * with their handshake's, so a web chat visitor's per-address budgets key on the same address
 * as the HTTP API's (behind the proxy, the peer is the proxy: every visitor would share one budget).
 */
export function peerAddress(peer: string | undefined, header: string | string[] | undefined, trustProxy: boolean): string {
  let address = peer ?? 'unknown';
  if (trustProxy) {
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    if (forwarded.length > 0) address = forwarded[forwarded.length - 1]!;
  }
  return addressKey(address);
}

/** The name of the integration whose token the request carries (refused like `requireToken` otherwise). */
export function encodeListCursor(cursor: TicketListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

export function decodeListCursor(text: string): TicketListCursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || typeof id !== 'string' || !ticketIdSchema.safeParse(id).success) {
      return null;
    }
    return { createdAt, id };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Endpoints

/** The per-user budget's key: case and width variants of one name share it. */
function signInUserKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** A name as typed, safe for one log line (quoted and escaped, at most 64 characters). */
function loggedName(username: string): string {
  return JSON.stringify(username.slice(0, 64));
}

async function login(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const address = clientAddress(req, deps.trustProxy);
  const parsed = loginRequestSchema.safeParse(await readJsonBody(req));
  if (!parsed.success) throw invalid('The sign-in request is not valid.', fieldsOf(parsed.error));
  const { username, password, clientId } = parsed.data;
  // Both budgets are spent BEFORE scrypt, so a refused attempt costs the server nothing and
  // parallel guesses cannot all slip past a check made before any of them failed. Success
  // gives the user's budget back (below); the address's is spent by every attempt.
  // A workstation the user signed in from before (its client id, a random UUID nobody else sees)
  // spends a budget of its own, and not the address's (attack-12): anyone may spend the user's
  // with wrong passwords, which locked the user out of their own desk for the window, and one PC
  // behind an office's NAT could spend the address's for every agent there. Its own budget is
  // as small as the user's, and a user keeps at most MAX_SIGN_IN_DEVICES such workstations.
  const device = clientId !== undefined && (await deps.store.isSignInDevice(username, clientId));
  const perAddress = device ? ({ ok: true } as const) : await deps.rateLimits.signInAttemptsPerAddress.consume(address);
  const userBudget = device ? deps.rateLimits.signInFailuresPerDevice : deps.rateLimits.signInFailuresPerUser;
  const userKey = device ? `${signInUserKey(username)}\n${clientId}` : signInUserKey(username);
  const verdict = perAddress.ok ? await userBudget.consume(userKey) : perAddress;
  if (!verdict.ok) {
    const which = !perAddress.ok ? 'from this address' : device ? 'for this user on this workstation' : 'for this user';
    if (verdict.firstRefusal) {
      deps.log(
        `sign-in refused: too many attempts ${which} (user ${loggedName(username)} from ${address}); ` +
          `refusing for ${String(retryAfterSeconds(verdict.retryAfterMs))} s, further refusals not logged`,
      );
    }
    throw rateLimited(`Too many sign-in attempts ${which}.`, verdict.retryAfterMs);
  }
  const credentials = await deps.store.getCredentials(username);
  const matches = await verifyPassword(password, credentials?.passwordHash ?? DECOY_PASSWORD_HASH);
  if (!credentials || !matches || !credentials.active) {
    const why = !credentials ? 'no such user' : !matches ? 'wrong password' : 'deactivated';
    deps.log(`sign-in failed: user ${loggedName(username)} from ${address}${device ? ' (a workstation it signed in from before)' : ''}: ${why}`);
    // The same answer for a deactivated account: a guesser learns nothing about which accounts exist.
    throw unauthorized('Wrong username or password.');
  }
  await userBudget.reset(userKey);
  const issued = await deps.store.issueUserToken(credentials.user.id, deps.now(), deps.tokenTtlMs, clientId ?? null);
  const body: LoginResponse = { token: issued.token, expiresAt: issued.expiresAt, user: credentials.user };
  deps.log(`sign-in: ${credentials.user.username} from ${address}${clientId ? ` (client ${clientId})` : ''}`);
  sendJson(res, 200, body);
}

/**
 * Sign-out: the token is revoked (RFC 7009's rule: an unknown or already revoked token is
 * answered 200 too, so a retried sign-out is never an error) and its live sockets are ended.
 */
async function logout(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = bearerToken(req);
  if (!token) throw unauthorized('Signing out needs the Authorization: Bearer token to revoke.');
  refuseReportCredential(token);
  // The same budget as every other lookup: a sign-out of an unknown token still answers 200, but costs its address a point.
  const address = clientAddress(req, deps.trustProxy);
  await refuseSpentTokenBudget(deps, address);
  const found = await deps.store.lookupToken(token, deps.now());
  if (found.status !== 'valid') await noteTokenFailure(deps, address, `${found.status} token at sign-out`);
  if (found.status === 'valid' && found.kind === 'integration') {
    throw new HttpError(403, 'forbidden', 'An integration token cannot be signed out; an administrator removes it.');
  }
  const revoked = await deps.store.revokeUserToken(token);
  deps.sessions.endToken(hashToken(token), 'revoked');
  if (revoked) deps.log(`sign-out: ${found.status === 'valid' && found.kind === 'user' ? found.user.username : 'an expired session'} from ${address}`);
  const body: LogoutResponse = { revoked };
  sendJson(res, 200, body);
}

async function inbound(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const integration = await requireToken(deps, req, 'integration');
  // Before the body is read: a flooding integration costs a token lookup per request, nothing more.
  const budget = await deps.rateLimits.inboundPerToken.consume(integration.name);
  if (!budget.ok) {
    if (budget.firstRefusal) {
      deps.log(
        `inbound refused: integration ${integration.name} is over its rate limit for ${String(retryAfterSeconds(budget.retryAfterMs))} s; further refusals not logged`,
      );
    }
    throw rateLimited(`Too many inbound contacts for the integration token "${integration.name}".`, budget.retryAfterMs);
  }
  const parsed = inboundContactSchema.safeParse(await readJsonBody(req));
  if (!parsed.success) throw invalid('The inbound contact is not valid.', fieldsOf(parsed.error));
  // A caller's date is refused rather than guessed at: they can fix it, and every workstation must be able to read what is stored.
  const dateIssue = parsed.data.receivedAt === undefined ? null : receivedAtIssue(parsed.data.receivedAt, deps.now());
  if (dateIssue) throw invalid('The inbound contact is not valid.', [{ path: 'receivedAt', message: dateIssue }]);
  if (parsed.data.externalMessageId?.startsWith(WEBCHAT_EXTERNAL_ID_PREFIX)) {
    throw new HttpError(
      400,
      'reserved_external_id',
      `An externalMessageId starting with "${WEBCHAT_EXTERNAL_ID_PREFIX}" is the server's own web chat id; use an id of your own system.`,
      [{ path: 'externalMessageId', message: `must not start with "${WEBCHAT_EXTERNAL_ID_PREFIX}"` }],
    );
  }
  // The integration vouches for nothing it cannot know: its phone, email and social id are claims, and only its own
  // follow-ups recognise them again (docs/technical/channels.md, One customer across channels).
  // Its message id is scoped the same way: stored raw, it shared one namespace with every channel's own ids (a web chat
  // visitor's `<socialId>#…`, `webhook:<platform>:…`, `cti:…`, mail Message-IDs), so an integration could take a real
  // message's id before it arrived (dropped as a repeat), learn which ticket holds one, or pull a visitor's chat into its ticket.
  const { externalMessageId, ...contact } = parsed.data;
  const outcome = await deps.ingest({
    ...contact,
    ...(externalMessageId !== undefined ? { externalMessageId: inboundExternalMessageId(integration.name, externalMessageId) } : {}),
    claimScope: `api:${integration.name}`,
  });
  const { ticket, ...response } = outcome;
  const body: InboundResponse = response;
  if (!outcome.duplicate) {
    deps.log(
      `inbound ${parsed.data.channel}: ${outcome.created ? 'opened' : 'joined'} ${ticket.id}` +
        (ticket.assigneeId ? ` (${ticket.assigneeId}${ticket.assignmentReason ? `: ${ticket.assignmentReason.code}` : ''})` : ' (queued)'),
    );
  }
  // 201 whenever a message was stored (new ticket or joined one); a repeat stores nothing.
  sendJson(res, outcome.duplicate ? 200 : 201, body);
}

function singleValuedQuery(url: URL, what: string): Record<string, string> {
  const query: Record<string, string> = {};
  const repeated: FieldError[] = [];
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (values.length > 1) repeated.push({ path: key, message: 'must be given at most once' });
    query[key] = values[0]!;
  }
  if (repeated.length > 0) throw invalid(`The ${what} query is not valid.`, repeated);
  return query;
}

async function listTickets(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const user = await requireUser(deps, req);
  const parsed = ticketListQuerySchema.safeParse(singleValuedQuery(url, 'ticket list'));
  if (!parsed.success) throw invalid('The ticket list query is not valid.', fieldsOf(parsed.error));
  const { status, channel, customer, limit } = parsed.data;
  let cursor: TicketListCursor | undefined;
  if (parsed.data.cursor !== undefined) {
    cursor = decodeListCursor(parsed.data.cursor) ?? undefined;
    if (!cursor) throw invalid('The ticket list query is not valid.', [{ path: 'cursor', message: 'is not a cursor from a previous page' }]);
  }
  const page = await deps.store.listTickets(user, { status, channel, customer, limit, cursor });
  const body: TicketListResponse = { tickets: page.tickets, next: page.next ? encodeListCursor(page.next) : null };
  sendJson(res, 200, forRole(user.role, body, maskTicketList));
}

async function ticketDetail(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> {
  const user = await requireUser(deps, req);
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw invalid('The ticket id is not valid.', [{ path: 'ticketId', message: 'is not URL-encoded correctly' }]);
  }
  const parsed = ticketIdSchema.safeParse(id);
  if (!parsed.success) throw invalid('The ticket id is not valid.', fieldsOf(parsed.error, ['ticketId']));
  const bundle = await deps.store.getTicketBundle(parsed.data);
  // An invisible ticket answers exactly like a missing one, so ids cannot be probed.
  if (!bundle || !canUserSeeTicket(user, bundle.ticket)) throw new HttpError(404, 'not_found', `No ticket ${parsed.data}.`);
  sendJson(res, 200, forRole(user.role, bundle, maskBundle));
}

const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Sends a file to save: its name survives in every browser in Chinese too (RFC 6266/5987). */
function sendFile(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string, fileName: string, cacheControl = 'no-store'): void {
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': body.length,
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    'x-content-type-options': 'nosniff',
    'cache-control': cacheControl,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * `GET /api/v1/reports`: the KPIs of a day, week or month (in the organisation's time zone as
 * the policies say at the moment of the request) by channel,
 * type, group or agent, as JSON, CSV or XLSX. Leads and admins, and report-reader credentials. Overdue is judged at
 * the server's clock, so a date after today (nothing created yet) is refused.
 */
async function reports(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  await requireReportReader(deps, req, 'Reports');
  const parsed = reportQuerySchema.safeParse(singleValuedQuery(url, 'report'));
  if (!parsed.success) throw invalid('The report query is not valid.', fieldsOf(parsed.error));
  const now = deps.now();
  const timeZone = await orgTimeZone(deps);
  const today = localDateOf(now, timeZone);
  if (parsed.data.date > today) {
    throw invalid('The report query is not valid.', [{ path: 'date', message: `must not be after today (${today}, ${timeZone})` }]);
  }
  const { format, lang, ...request } = parsed.data;
  const report = await deps.reports.report(request, now, timeZone);
  if (format === 'json') {
    sendJson(res, 200, report);
    return;
  }
  if (format === 'csv') {
    sendFile(req, res, Buffer.from(reportCsv(report, lang), 'utf8'), 'text/csv; charset=utf-8', reportFileName(report, 'csv'));
    return;
  }
  sendFile(req, res, await reportXlsx(report, lang), XLSX_CONTENT_TYPE, reportFileName(report, 'xlsx'));
}

/**
 * `GET /api/v1/reports/charts`: the Board's charts (shared/charts.ts) as of the server's clock, in the organisation's time zone.
 * Leads and admins, and report-reader credentials, like reports; one request costs one point of `requestsPerUser`, and
 * the workstation asks once a minute while the Board is open.
 */
async function boardCharts(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  await requireReportReader(deps, req, 'Charts');
  const parsed = boardChartsQuerySchema.safeParse(singleValuedQuery(url, 'charts'));
  if (!parsed.success) throw invalid('The charts query is not valid.', fieldsOf(parsed.error));
  sendJson(res, 200, await deps.reports.charts(deps.now(), await orgTimeZone(deps)));
}

/** The organisation's time zone now: read from the policies on every request, so a change an admin made on any node counts at once. */
async function orgTimeZone(deps: HttpDependencies): Promise<string> {
  return (await deps.store.admin.getPolicies()).policies.timeZone;
}

/** The bytes of an attachment, for whoever may see its ticket; never as a page (servedContentType, nosniff, attachment). */
async function attachment(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> {
  const user = await requireUser(deps, req);
  const found = /^[A-Za-z0-9_-]{1,64}$/.test(rawId) ? await deps.store.getAttachment(rawId) : null;
  const ticket = found ? await deps.store.getTicket(found.ticketId) : null;
  if (!found || !ticket || !canUserSeeTicket(user, ticket)) throw new HttpError(404, 'not_found', `No attachment ${rawId}.`);
  sendFile(req, res, found.data, servedContentType(found.attachment.contentType), found.attachment.fileName, 'private, max-age=3600');
}

/** How long an upload waits for the reply that names it. */
const UNCLAIMED_UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

function refuseAttachment(res: ServerResponse, status: number, refusal: AttachmentRefusal, headers: Record<string, string> = {}): void {
  const body: ApiErrorBody = { error: { code: 'attachment_refused', message: `The file is refused: ${refusal.code}.`, refusal } };
  sendJson(res, status, body, headers);
}

/**
 * `PUT /api/v1/uploads/:id`: a file for a reply, under the client's id (idempotent: the same
 * bytes again answer 200). The limits of shared/attachments.ts are checked here again, before
 * and while reading, whatever the client checked; the reply mutation that names the id sends it.
 */
async function upload(deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> {
  const user = await requireUser(deps, req);
  const id = entityIdSchema.safeParse(rawId);
  if (!id.success) throw invalid('The upload id is not valid.', fieldsOf(id.error, ['id']));
  let fileName: string;
  try {
    fileName = decodeURIComponent(String(req.headers['x-file-name'] ?? ''));
  } catch {
    throw invalid('The file name is not valid.', [{ path: 'X-File-Name', message: 'is not URL-encoded correctly' }]);
  }
  const name = attachmentFileNameSchema.safeParse(fileName);
  if (!name.success) throw invalid('The file name is not valid.', fieldsOf(name.error, ['X-File-Name']));
  const contentType = String(req.headers['content-type'] ?? 'application/octet-stream').slice(0, 255) || 'application/octet-stream';
  const declared = Number(req.headers['content-length']);
  const early = checkAttachment({ fileName: name.data, contentType, size: Number.isFinite(declared) && declared > 0 ? declared : 1 });
  if (early) {
    refuseAttachment(res, early.code === 'attachment_too_large' ? 413 : 415, early, { connection: 'close' });
    return;
  }
  let data: Buffer;
  try {
    data = await readRawBody(req, ATTACHMENT_LIMITS.maxFileBytes);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) {
      refuseAttachment(res, 413, { code: 'attachment_too_large', fileName: name.data, limit: ATTACHMENT_LIMITS.maxFileBytes }, { connection: 'close' });
      return;
    }
    throw error;
  }
  const refusal = checkAttachment({ fileName: name.data, contentType, size: data.length });
  if (refusal) {
    refuseAttachment(res, refusal.code === 'attachment_too_large' ? 413 : refusal.code === 'attachment_type_denied' ? 415 : 400, refusal);
    return;
  }
  // Uploads no reply claimed within a day go (a composer closed before sending); any node's upload sweeps them.
  await deps.store.removeStaleReplyUploads(deps.now() - UNCLAIMED_UPLOAD_TTL_MS);
  const outcome = await deps.store.putReplyUpload(user.id, { id: id.data, fileName: name.data, contentType, data }, deps.now());
  if (outcome === 'conflict') throw new HttpError(409, 'conflict', `Upload ${id.data} already holds another file.`);
  if (outcome === 'over_quota') {
    refuseAttachment(res, 413, { code: 'uploads_over_quota', fileName: name.data, limit: ATTACHMENT_LIMITS.maxPendingBytes });
    return;
  }
  const body: UploadResponse = { attachment: { id: id.data, fileName: name.data, contentType, size: data.length }, created: outcome === 'stored' };
  sendJson(res, outcome === 'stored' ? 201 : 200, body);
}

// ---------------------------------------------------------------------------------------
// Routing of requests

type Handler = (deps: HttpDependencies, req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => void | Promise<void>;

interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
}

const ROUTES: Route[] = [
  {
    pattern: /^\/healthz$/,
    methods: {
      GET: async (deps, _req, res) => {
        const node = (await deps.nodeHealth?.()) ?? null;
        let seq: number | null = null;
        try {
          seq = (await deps.store.changeLogBounds()).maxSeq;
        } catch (error) {
          deps.log(`healthz: the database did not answer: ${error instanceof Error ? error.message : String(error)}`);
        }
        // A load balancer takes a node out when its database (or, on several nodes, Redis) does not answer.
        const ok = seq !== null && node?.redis !== 'unreachable';
        sendJson(res, ok ? 200 : 503, { ok, seq, uptimeMs: deps.now() - deps.startedAt, ...(node ?? {}) });
      },
    },
  },
  { pattern: /^\/api\/v1\/auth\/login$/, methods: { POST: (deps, req, res) => login(deps, req, res) } },
  { pattern: /^\/api\/v1\/auth\/logout$/, methods: { POST: (deps, req, res) => logout(deps, req, res) } },
  { pattern: /^\/api\/v1\/inbound$/, methods: { POST: (deps, req, res) => inbound(deps, req, res) } },
  { pattern: /^\/api\/v1\/tickets$/, methods: { GET: (deps, req, res, url) => listTickets(deps, req, res, url) } },
  { pattern: /^\/api\/v1\/tickets\/([^/]+)$/, methods: { GET: (deps, req, res, _url, params) => ticketDetail(deps, req, res, params[0]!) } },
  { pattern: /^\/api\/v1\/attachments\/([^/]+)$/, methods: { GET: (deps, req, res, _url, params) => attachment(deps, req, res, params[0]!) } },
  { pattern: /^\/api\/v1\/uploads\/([^/]+)$/, methods: { PUT: (deps, req, res, _url, params) => upload(deps, req, res, params[0]!) } },
  { pattern: /^\/api\/v1\/reports$/, methods: { GET: (deps, req, res, url) => reports(deps, req, res, url) } },
  { pattern: /^\/api\/v1\/reports\/charts$/, methods: { GET: (deps, req, res, url) => boardCharts(deps, req, res, url) } },
];

function channelRouteAsRoute(route: ChannelRoute): Route {
  const methods: Record<string, Handler> = {};
  for (const [method, handle] of Object.entries(route.methods)) methods[method] = (_deps, req, res, url, params) => handle(req, res, url, params);
  return { pattern: route.pattern, methods };
}

/**
 * The first route whose pattern matches, ours before the channels'. Walked in place: the inbound
 * API is answered ~200 times a second, and copying both lists and wrapping every channel route
 * for each request was work for nothing (only a matched channel route is wrapped).
 */
function matchRoute(deps: HttpDependencies, pathname: string): { route: Route; match: RegExpExecArray } | null {
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (match) return { route, match };
  }
  for (const channelRoute of deps.channelRoutes ?? []) {
    const match = channelRoute.pattern.exec(pathname);
    if (match) return { route: channelRouteAsRoute(channelRoute), match };
  }
  return null;
}

export function createRequestHandler(deps: HttpDependencies): (req: IncomingMessage, res: ServerResponse) => void {
  return function handleRequest(req, res) {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const found = matchRoute(deps, url.pathname);
        if (found) {
          const { route, match } = found;
          const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
          const handler = route.methods[method];
          if (!handler) {
            const allowed = Object.keys(route.methods).join(', ');
            throw new HttpError(405, 'invalid_request', `${String(req.method)} is not allowed here; use ${allowed}.`, undefined, { allow: allowed });
          }
          await handler(deps, req, res, url, match.slice(1));
          return;
        }
        throw new HttpError(404, 'not_found', `No route ${url.pathname}.`);
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof HttpError) {
          sendError(res, error);
          return;
        }
        if (error instanceof ChannelUnavailableError) {
          // Any channel route (the inbound API, webhooks, WeChat, CTI): the sender may retry later; 503 says exactly that.
          deps.log(`HTTP ${String(req.method)} ${String(req.url)} refused: the ${error.channel} channel is switched off`);
          sendError(res, new HttpError(503, 'channel_unavailable', error.message, undefined, { 'retry-after': '300' }));
          return;
        }
        // A rating link's token is a credential: never written to the log.
        const shownUrl = String(req.url).replace(/^(\/csat\/)[^/?#]+/, '$1…');
        deps.log(`HTTP ${String(req.method)} ${shownUrl} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        sendError(res, new HttpError(500, 'internal', 'The server failed to handle this request; it has been logged.'));
      }
    })();
  };
}
