/**
 * The web chat channel: a widget the server serves itself (`/chat/widget.js`, the page
 * `/chat/?site=…`), talking over the socket.io namespace `/webchat` on the server's own
 * port, from pages on the site's allowed origins. Visitors are anonymous (a random id the
 * browser keeps: the only thing they prove) or verified by the site (an HMAC over its user
 * id, email, expiry and name, the expiry at most 10 minutes ahead). Their messages are ingested and routed like any contact, within rate
 * limits; a visitor only ever sees their own conversation (their messages and the replies
 * that answered them), never the rest of a ticket. Agent replies reach the widget live
 * through the `webchat` sender; typing and the read watermark pass between the widget and
 * the agents' sockets without being stored in the database. See docs/technical/channels.md (Web chat).
 *
 * Several server nodes (issue 10): a visitor and the agents may be connected to different
 * nodes. Every signal therefore goes to a socket.io room (the visitor's, or the agents' rooms
 * below), which the Redis adapter carries to every node; whether a visitor is connected is
 * asked of all nodes (`fetchSockets`); read marks live in the shared state (Redis). What a
 * reconnecting widget resumes (its conversations, history, current ticket) is read from the
 * store, so any node serves it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Namespace, Socket } from 'socket.io';
import type { z } from 'zod';
import { canUserSeeTicket, undeliverableError, type Attachment, type Message, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { isThumbnailType, servedContentType } from '../../../shared/attachments.js';
import { isOwnerOrLead } from '../../../shared/ticketRules.js';
import {
  QUEUE_RATE_WINDOW_MS,
  WEBCHAT_NAMESPACE,
  agentTypingRequestSchema,
  estimateQueueWait,
  chatReadEventSchema,
  isReadUpTo,
  WEBCHAT_IDENTITY_CLOCK_SKEW_MS,
  WEBCHAT_IDENTITY_MAX_LIFETIME_MS,
  webchatIdentityPayload,
  webchatHandshakeSchema,
  webchatHelloSchema,
  webchatOfflineSchema,
  webchatReadSchema,
  webchatReceiptSchema,
  webchatReceivedSchema,
  webchatSendSchema,
  webchatSiteSchema,
  webchatTypingSchema,
  type ChatReadEvent,
  type ChatTypingEvent,
  WEBCHAT_FILE_LINK_TTL_MS,
  type WebchatAck,
  type WebchatAttachment,
  type WebchatClientToServerEvents,
  type WebchatServerToClientEvents,
  type WebchatError,
  type WebchatErrorCode,
  type WebchatIdentity,
  type WebchatIdentityClaims,
  type WebchatMessage,
  type WebchatQueuePlace,
  type WebchatRated,
  type WebchatSent,
  type WebchatWelcome,
} from '../../../shared/webchat.js';
import type { ChannelRoute } from '../../http.js';
import type { SyncSocket } from '../../liveHub.js';
import { describeIssues } from '../../sync.js';
import type { ChannelContact, IngestOutcome } from '../../store.js';
import { ChannelUnavailableError } from '../../channelAvailability.js';
import type { Channel, ChannelContext, ChannelFactory } from '../channel.js';
import { PermanentDeliveryError, type ChannelSender } from '../delivery.js';
import type { SharedState } from '../../cluster/sharedState.js';
import { retryAfterSeconds, type RateLimiter } from '../../rateLimits.js';
import { renderChatPage, renderUnknownSitePage } from './page.js';
import { CSAT_LINK_PLACEHOLDER, webchatRateSchema } from '../../../shared/csat.js';
import { answerSurvey, csatLink } from '../../csat/csatRoutes.js';

/** One site that embeds the widget. */
export interface WebchatSite {
  /** Keys the identity HMAC (for verified visitors). */
  secret: string;
  /**
   * Origins (`https://shop.example.cn`) whose pages may open the widget, besides the server's
   * own (its `/chat/` page). A handshake from any other Origin, or none, is refused.
   */
  allowedOrigins: readonly string[];
}

export interface WebchatOptions {
  /** Site name → its secret and allowed origins. */
  sites: ReadonlyMap<string, WebchatSite>;
  /** How often connected widgets hear whether an agent is available; default 5 s. */
  availabilityPollMs?: number;
  /**
   * Where read marks live: default this process's memory (one node); on several nodes the app
   * passes the Redis one (server/cluster/sharedState.ts); default the server's (ChannelContext.sharedState), so every node knows every mark.
   */
  sharedState?: SharedState;
  /**
   * How long a reply waits for a receipts widget's acknowledgement before the attempt counts as
   * not delivered (the dispatcher retries it); default 10 s.
   */
  receiptTimeoutMs?: number;
}

/** Messages of the newest conversations a reconnecting widget gets back. */
const HISTORY_TICKETS = 5;
const HISTORY_MESSAGES = 200;
/** Bounded memory (or Redis) for read marks, and memory for the rate-limit refusals already logged. */
const MAX_REMEMBERED_TICKETS = 10_000;
/** Places beyond this are not told (the visitor's widget shows no place): one bounded read however long the queue. */
const MAX_TOLD_QUEUE_PLACES = 1_000;
const MAX_REMEMBERED_REFUSALS = 10_000;
/** Widget requests of one connection waiting for their turn to be admitted (each a counter's round trip); more are refused at once. */
const MAX_WAITING_REQUESTS = 32;
/**
 * Typing starts a visitor's connection may pass on per window: each is a database read and a
 * signal to every agent who sees the chat. The widget starts at most once per message typed, so
 * a person never meets this; a script toggling as fast as it can is held to it.
 */
export const WEBCHAT_TYPING_STARTS_PER_WINDOW = 10;
const TYPING_WINDOW_MS = 10_000;
const DEFAULT_RECEIPT_TIMEOUT_MS = 10_000;
/** The room of a visitor's tabs whose widget acknowledges replies (`receipts`): the sender asks them for a receipt. */
const receiptsRoom = (visitor: string) => `receipts:${visitor}`;
/** Both kinds of ticket a visitor can have: live chats, and offline-form messages answered by email. */
const VISITOR_CHANNELS = ['chat', 'email'] as const;
/** The shared map of read marks: ticket id → the JSON of its ChatReadEvent. */
const READ_MARKS_MAP = 'webchat:read-marks';
/** Rooms of the agents' sockets (the sync namespace) that chat signals are sent to; each rule of canUserSeeTicket has one. */
const STAFF_ROOM = 'webchat-signals:staff';
const agentRoom = (userId: string) => `webchat-signals:agent:${userId}`;
const channelRoom = (channel: string) => `webchat-signals:channel:${channel}`;

interface VisitorData {
  site: string;
  /** The client's address (`ctx.clientAddress` of the handshake: TRUST_PROXY honoured, IPv6 as its /64): the key of the per-address rate limits. */
  address: string;
  /** `webchat:<site>:v-<digest of the visitor id>` (anonymousVisitorSocialId) or `webchat:<site>:user:<userId>`: the customer's social id and the visitor's room. */
  socialId: string;
  identity: WebchatIdentity | null;
  anonymousName: string;
  /** The visitor's newest open conversation: typing signals belong to it and their next message joins it. */
  ticketId: string | null;
  typing: boolean;
  /** What this widget was last told about availability. */
  available: boolean | null;
  /** What this widget was last told about the chat channel being switched off. */
  unavailable: boolean | null;
  /** What this widget was last told about its place in the queue, as JSON (`'null'`: not waiting). */
  queuePlace: string;
  /**
   * Whether this widget acknowledges what it receives (its hello announced `receipts`); null
   * until its hello. Read by the sender on any node (`fetchSockets` carries it).
   */
  receipts: boolean | null;
}

type NoEvents = Record<string, never>;
type VisitorSocket = Socket<WebchatClientToServerEvents, WebchatServerToClientEvents, NoEvents, VisitorData>;
type VisitorNamespace = Namespace<WebchatClientToServerEvents, WebchatServerToClientEvents, NoEvents, VisitorData>;
type UntypedOn = (event: string, listener: (...args: unknown[]) => void) => void;

/** Reads `WEBCHAT_SITES` ("site:secret,site2:secret2"); throws with the reason on a bad entry. */
export function parseWebchatSites(text: string): Map<string, string> {
  const sites = new Map<string, string>();
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const colon = entry.indexOf(':');
    const site = colon < 0 ? entry : entry.slice(0, colon);
    const secret = colon < 0 ? '' : entry.slice(colon + 1);
    if (!webchatSiteSchema.safeParse(site).success) throw new Error(`WEBCHAT_SITES: "${site}" is not a site name (letters, digits, _ . -, at most 32).`);
    if (secret.length < 8) throw new Error(`WEBCHAT_SITES: the secret of site "${site}" must have at least 8 characters ("site:secret").`);
    if (sites.has(site)) throw new Error(`WEBCHAT_SITES: site "${site}" is given twice.`);
    sites.set(site, secret);
  }
  return sites;
}

/** An origin as browsers send it, `https://shop.example.cn` (scheme, host, port; no path); null when the text is not one. */
export function normaliseOrigin(text: string): string | null {
  try {
    const url = new URL(text.trim());
    const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    return (url.protocol === 'http:' || url.protocol === 'https:') && bare ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * Reads `WEBCHAT_ORIGINS` ("site=https://a.example|https://b.example,site2=…") for the sites
 * given; throws naming the bad entry (an unknown site, something that is not an origin).
 */
export function parseWebchatOrigins(text: string, siteNames: Iterable<string>): Map<string, string[]> {
  const known = new Set(siteNames);
  const origins = new Map<string, string[]>();
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const equals = entry.indexOf('=');
    const site = equals < 0 ? entry : entry.slice(0, equals);
    if (!known.has(site)) throw new Error(`WEBCHAT_ORIGINS: "${site}" is not a site of WEBCHAT_SITES ("site=https://origin|https://origin2").`);
    if (origins.has(site)) throw new Error(`WEBCHAT_ORIGINS: site "${site}" is given twice.`);
    const list: string[] = [];
    for (const given of (equals < 0 ? '' : entry.slice(equals + 1)).split('|').map((s) => s.trim())) {
      const origin = normaliseOrigin(given);
      if (!origin)
        throw new Error(`WEBCHAT_ORIGINS: "${given}" (site ${site}) is not an origin like https://shop.example.cn (scheme, host and port, no path).`);
      list.push(origin);
    }
    origins.set(site, list);
  }
  return origins;
}

/** The demo organisation's site (`/chat/?site=demo`) and its secret; its pages are the server's own. */
export const DEMO_WEBCHAT_SITE = 'demo';
export const DEMO_WEBCHAT_SECRET = 'demo-chat-secret';

/**
 * `WEBCHAT_SITES` ("site:secret,…") with `WEBCHAT_ORIGINS`; in demo mode without them, the
 * site `demo` (its chat page on the server's own origin); otherwise no web chat (null).
 */
export function webchatOptionsFromEnv(env: NodeJS.ProcessEnv, options: { demo: boolean }): WebchatOptions | null {
  const text = env.WEBCHAT_SITES?.trim();
  if (!text && !options.demo) return null;
  const secrets = text ? parseWebchatSites(text) : new Map([[DEMO_WEBCHAT_SITE, DEMO_WEBCHAT_SECRET]]);
  const origins = parseWebchatOrigins(env.WEBCHAT_ORIGINS ?? '', secrets.keys());
  return { sites: new Map([...secrets].map(([site, secret]) => [site, { secret, allowedOrigins: origins.get(site) ?? [] }])) };
}

/** The hex HMAC-SHA256 a site's backend computes to vouch for a visitor: over the user id, email, expiry and name together. */
export function signWebchatIdentity(secret: string, identity: WebchatIdentityClaims): string {
  return createHmac('sha256', secret).update(webchatIdentityPayload(identity), 'utf8').digest('hex');
}

function signatureMatches(secret: string, identity: WebchatIdentity): boolean {
  const expected = Buffer.from(signWebchatIdentity(secret, identity), 'hex');
  const given = Buffer.from(identity.signature.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Whether a handshake's Origin may open the widget of this site: one of its allowed origins,
 * or the server's own (the page is the server's `/chat/`: the Origin's host is the Host the
 * browser asked for). Browsers always send Origin on a WebSocket; a missing one is refused.
 */
function originAllowed(site: WebchatSite, origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return false;
  const normalised = normaliseOrigin(origin);
  if (!normalised) return false;
  if (site.allowedOrigins.includes(normalised)) return true;
  return host !== undefined && new URL(normalised).host === host.toLowerCase();
}

/** A refusal of one widget request, with the code the widget shows. */
class WebchatRefusal extends Error {
  constructor(
    readonly code: WebchatErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The answer a refused request gets, with the time to wait when there is one. */
function refusedAck(error: WebchatRefusal): WebchatAck<never> {
  return {
    ok: false,
    error: { code: error.code, message: error.message, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) },
  };
}

function refusal(code: WebchatErrorCode, message: string): Error {
  // socket.io hands `data` to the client's connect_error along with the message.
  return Object.assign(new Error(message), { data: { code, message } satisfies WebchatError });
}

/** Where this file's static assets are, whether run by tsx from the source or from a build next to it. */
const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

function readWidgetScript(): Buffer {
  return readFileSync(path.join(STATIC_DIR, 'widget.js'));
}

function readSocketIoClient(): Buffer {
  // The package's exports do not list its browser bundle; its package.json locates it.
  const require = createRequire(import.meta.url);
  return readFileSync(path.join(path.dirname(require.resolve('socket.io-client/package.json')), 'dist', 'socket.io.min.js'));
}

function sendAsset(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string): void {
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': body.length,
    'cache-control': 'public, max-age=300',
    'x-content-type-options': 'nosniff',
    // Sites embed the widget from their own origin.
    'access-control-allow-origin': '*',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendHtml(req: IncomingMessage, res: ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * An anonymous visitor's social id (and room): `webchat:<site>:v-<SHA-256 of the visitor id>`,
 * never the id itself. The visitor id is the visitor's bearer secret, while the social id is
 * what every agent who sees the ticket is shown (the customer record, message ids) and what
 * the log names: whoever reads it must not be able to connect as the visitor with it.
 */
export function anonymousVisitorSocialId(site: string, visitorId: string): string {
  return `webchat:${site}:v-${visitorDigest(visitorId)}`;
}

function visitorDigest(visitorId: string): string {
  return createHash('sha256').update(visitorId, 'utf8').digest('base64url');
}

/** The visitor's messages carry `<socialId>#<clientMessageId>` as their external id: dedupe, and how their conversations are found again. */
function externalIdPrefix(socialId: string): string {
  return `${socialId}#`;
}

/** The visitor (their room, `webchat:<site>:…`) who wrote an inbound web chat message; null for any other message. */
function visitorOf(message: Message): string | null {
  const id = message.externalMessageId;
  if (message.direction !== 'inbound' || !message.source?.startsWith('webchat:') || !id?.startsWith('webchat:')) return null;
  const hash = id.indexOf('#');
  return hash > 0 ? id.slice(0, hash) : null;
}

/**
 * Who each message of a ticket is for, in timeline order: an inbound message belongs to
 * whoever wrote it (a visitor's room, or null for a mail, a call, an API contact); an agent
 * reply answers the newest inbound message before it, so it belongs to that writer. A ticket
 * that holds more than one person's messages (two customers merged, a visitor joining a
 * ticket of the customer an agent merged them into) thus shows each visitor only their part.
 */
function addressees(bundle: TicketBundle): Array<{ message: Message; visitor: string | null }> {
  let current: string | null = null;
  return bundle.messages.map((message) => {
    if (message.direction === 'inbound') current = visitorOf(message);
    return { message, visitor: current };
  });
}

/** The visitor's own conversation on this ticket: their messages and the replies that answered them (no calls). */
function conversationOf(bundle: TicketBundle, room: string): Message[] {
  return addressees(bundle)
    .filter((entry) => entry.visitor === room && entry.message.call === null)
    .map((entry) => entry.message);
}

/** The visitor the ticket's newest inbound message came from: who an agent typing now is answering. */
function currentVisitor(bundle: TicketBundle): string | null {
  for (let i = bundle.messages.length - 1; i >= 0; i--) {
    const message = bundle.messages[i]!;
    if (message.direction === 'inbound') return visitorOf(message);
  }
  return null;
}

/** What a file link signs: the file, the visitor (their room) and when it expires. */
function fileLinkPayload(attachmentId: string, room: string, expires: number): string {
  return `webchat-file\n${attachmentId}\n${room}\n${String(expires)}`;
}

/** The HMAC (keyed by the site's secret, which every node has) of a file link; base64url. */
export function signFileLink(secret: string, attachmentId: string, room: string, expires: number): string {
  return createHmac('sha256', secret)
    .update(fileLinkPayload(attachmentId, room, expires))
    .digest('base64url');
}

/** The site of a visitor room `webchat:<site>:…`; null for anything else. */
function siteOfRoom(room: string): string | null {
  const match = /^webchat:([^:]+):/.exec(room);
  return match ? match[1]! : null;
}

type FileLinker = (attachment: Attachment) => WebchatAttachment;

function toWebchatMessage(message: Message, prefix: string | null, link?: FileLinker): WebchatMessage {
  const own = prefix !== null && message.direction === 'inbound' && message.externalMessageId?.startsWith(prefix);
  return {
    ...(link && message.attachments.length > 0 ? { attachments: message.attachments.map(link) } : {}),
    id: message.id,
    ticketId: message.ticketId,
    clientMessageId: own ? message.externalMessageId!.slice(prefix.length) : null,
    from: message.direction === 'inbound' ? 'visitor' : 'agent',
    // The widget says "You" for the visitor's own lines; their stored author is the customer record's name, which is not theirs to learn.
    authorName: message.direction === 'inbound' ? '' : message.authorName,
    text: message.text,
    createdAt: message.createdAt,
  };
}

function isOpen(ticket: Ticket): boolean {
  return ticket.status === 'unassigned' || ticket.status === 'in_progress' || ticket.status === 'awaiting_customer';
}

/** A Map that forgets its oldest entries beyond `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

export function createWebchatChannel(options: WebchatOptions): ChannelFactory {
  return (ctx: ChannelContext): Channel => startWebchat(ctx, options);
}

function startWebchat(ctx: ChannelContext, options: WebchatOptions): Channel {
  const { store, log, now, rateLimits } = ctx;
  const sites = options.sites;
  const widgetScript = readWidgetScript();
  let socketIoClient: Buffer | null = null;
  const nsp = ctx.io.of(WEBCHAT_NAMESPACE) as unknown as VisitorNamespace;
  /** Ticket → the newest agent message its visitor has seen. Never in the database: ephemeral by design. */
  const sharedState = options.sharedState ?? ctx.sharedState;
  /** Limiter and key pairs whose refusal is already logged, so a flood leaves one line, not thousands. */
  const loggedRefusals = new Map<string, true>();
  /** The events whose refusal a connection has already logged: a script repeating a bad request leaves one line per event, not one per request. */
  const refusalsLoggedOn = new WeakMap<VisitorSocket, Set<string>>();
  let pollTimer: NodeJS.Timeout | null = null;
  let checkScheduled = false;
  let stopped = false;

  /** Signed links to a message's files for this visitor (their room), valid for WEBCHAT_FILE_LINK_TTL_MS. */
  function fileLinks(room: string): FileLinker {
    const secret = sites.get(siteOfRoom(room) ?? '')?.secret ?? null;
    const expires = now() + WEBCHAT_FILE_LINK_TTL_MS;
    return (attachment) => {
      const query = secret === null ? null : new URLSearchParams({ v: room, e: String(expires), s: signFileLink(secret, attachment.id, room, expires) });
      return {
        id: attachment.id,
        fileName: attachment.fileName,
        contentType: attachment.contentType,
        size: attachment.size,
        thumbnail: isThumbnailType(attachment.contentType),
        url: query === null ? '' : `${ctx.publicUrl()}/chat/files/${encodeURIComponent(attachment.id)}?${query.toString()}`,
      };
    };
  }

  /**
   * `GET /chat/files/:id?v=<visitor room>&e=<expiry>&s=<signature>`: a file of the visitor's
   * own conversation. A link of another visitor, an altered or expired one, or none, is 403; a
   * file not in that visitor's conversation (another visitor's, an inbound mail's) is 404.
   * Served as a download (attachment, nosniff), never as a page; any node serves it (database).
   */
  async function serveFile(req: IncomingMessage, res: ServerResponse, url: URL, rawId: string): Promise<void> {
    const room = url.searchParams.get('v') ?? '';
    const expires = Number(url.searchParams.get('e'));
    const signature = Buffer.from(url.searchParams.get('s') ?? '', 'utf8');
    const secret = sites.get(siteOfRoom(room) ?? '')?.secret ?? null;
    const id = /^[A-Za-z0-9_-]{1,64}$/.test(rawId) ? rawId : null;
    const expected = secret !== null && id !== null && Number.isSafeInteger(expires) ? Buffer.from(signFileLink(secret, id, room, expires), 'utf8') : null;
    const plain = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
      res.end(text);
    };
    if (expected === null || signature.length !== expected.length || !timingSafeEqual(signature, expected) || expires < now()) {
      plain(403, 'forbidden');
      return;
    }
    const found = await store.getAttachment(id!);
    const bundle = found ? await store.getTicketBundle(found.ticketId) : null;
    const mine = bundle !== null && found !== null && conversationOf(bundle, room).some((message) => message.id === found.messageId);
    if (!found || !mine) {
      plain(404, 'not found');
      return;
    }
    res.writeHead(200, {
      'content-type': servedContentType(found.attachment.contentType),
      'content-length': found.data.length,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(found.attachment.fileName)}`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'cross-origin',
      'cache-control': 'private, no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : found.data);
  }

  /** Whether any tab of the visitor is connected, to any node (the adapter asks them all). */
  async function connected(room: string | null): Promise<boolean> {
    return room !== null && (await nsp.in(room).fetchSockets()).length > 0;
  }

  /**
   * Sends an ephemeral chat signal to every signed-in socket that may see the ticket (the same
   * rule as its changes, canUserSeeTicket): leads and admins; the assignee; or, while nobody
   * holds it, the agents of its channel. Rooms, so sockets on every node get it.
   */
  function toAgents(ticket: Ticket, event: 'chat:typing' | 'chat:read', payload: unknown): void {
    const to = ctx.io.to([STAFF_ROOM, ticket.assigneeId !== null ? agentRoom(ticket.assigneeId) : channelRoom(ticket.channel)]);
    if (event === 'chat:typing') to.emit('chat:typing', payload as ChatTypingEvent);
    else to.emit('chat:read', payload as ChatReadEvent);
  }

  /** Joins an agents' socket to the rooms `toAgents` sends to (its role is fixed for the socket's life; its channels follow an admin's change). */
  function joinSignalRooms(socket: SyncSocket): void {
    const user = socket.data.user;
    if (user.role !== 'agent') void socket.join(STAFF_ROOM);
    else void socket.join([agentRoom(user.id), ...user.channels.map(channelRoom)]);
  }

  function parseReadMark(raw: string | null): ChatReadEvent | null {
    if (raw === null) return null;
    try {
      const parsed = chatReadEventSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /**
   * Moves the ticket's read mark forward to `message` (never back); the new mark, or null when
   * it was already there. Compare-and-set, so two tabs on two nodes cannot move it backwards.
   */
  async function advanceReadMark(ticketId: string, message: Message): Promise<ChatReadEvent | null> {
    for (;;) {
      const raw = await sharedState.mapGet(READ_MARKS_MAP, ticketId);
      const previous = parseReadMark(raw);
      if (previous && isReadUpTo(message, previous)) return null;
      const mark: ChatReadEvent = { ticketId, messageId: message.id, messageCreatedAt: message.createdAt, at: now() };
      if (await sharedState.mapCompareAndSet(READ_MARKS_MAP, ticketId, raw, JSON.stringify(mark), MAX_REMEMBERED_TICKETS)) return mark;
    }
  }

  /**
   * Someone will answer a new chat: an available agent with the chat skill is connected. With
   * room (routing's own rule) they get it now; full, or on a live call, the chat waits in the
   * queue and the visitor is told their place. Agents set busy or away take nothing new, so
   * with only those the widget offers its offline form rather than a wait with no end.
   */
  async function agentsAvailable(): Promise<boolean> {
    for (const agent of ctx.agents()) {
      const onShift = agent.connected && agent.presence === 'available' && agent.channels.includes('chat');
      if (onShift && (await store.getUser(agent.userId))?.role === 'agent') return true;
    }
    return false;
  }

  /** A visitor in an open conversation keeps chatting (it waits in the queue); only a new one gets the offline form. */
  async function availableFor(data: VisitorData, anyone: boolean): Promise<boolean> {
    if (anyone || data.ticketId === null) return anyone;
    const ticket = await store.getTicket(data.ticketId);
    return ticket !== null && isOpen(ticket);
  }

  /** Switched off by an administrator (the channel registry, read from the database: every node sees a change at its next check). */
  async function chatSwitchedOff(): Promise<boolean> {
    return !(await store.admin.channelSettings('chat')).enabled;
  }

  async function checkAvailability(): Promise<void> {
    checkScheduled = false;
    if (stopped) return;
    const anyone = await agentsAvailable();
    const unavailable = await chatSwitchedOff();
    for (const socket of nsp.sockets.values()) {
      const available = await availableFor(socket.data, anyone);
      if (available === socket.data.available && unavailable === socket.data.unavailable) continue;
      socket.data.available = available;
      socket.data.unavailable = unavailable;
      socket.emit('webchat:availability', { agentsAvailable: available, chatUnavailable: unavailable });
    }
    await tellQueuePlaces();
  }

  /** Each of this node's visitors whose chat waits hears its place when it changed, and `null` once an agent has it. */
  async function tellQueuePlaces(): Promise<void> {
    const visitors = [...nsp.sockets.values()].filter((socket) => socket.data.ticketId !== null || socket.data.queuePlace !== 'null');
    if (visitors.length === 0) return;
    const at = now();
    const line = await store.queue.waitingLine('chat', at, at - QUEUE_RATE_WINDOW_MS, MAX_TOLD_QUEUE_PLACES);
    const positions = new Map(line.ids.map((id, index) => [id, index + 1]));
    for (const socket of visitors) {
      const position = socket.data.ticketId === null ? undefined : positions.get(socket.data.ticketId);
      const place: WebchatQueuePlace | null = position === undefined ? null : { position, estimatedWaitMs: estimateQueueWait(position, line.served) };
      const told = JSON.stringify(place);
      if (told === socket.data.queuePlace) continue;
      socket.data.queuePlace = told;
      socket.emit('webchat:queue', place);
    }
  }

  function availabilitySoon(): void {
    if (checkScheduled || stopped) return;
    checkScheduled = true;
    // After routing has counted the connection or disconnection that triggered this.
    setImmediate(() => void checkAvailability().catch((error: unknown) => log(`webchat: availability check failed: ${String(error)}`)));
  }

  function describeVisitor(data: VisitorData): string {
    return data.identity ? `${data.socialId} (verified)` : data.socialId;
  }

  /**
   * Spends one point of each limit in turn (the visitor's, then their address's); the first
   * one spent refuses the request with `rate_limited` and the time to wait. Counters live in
   * `ctx.rateLimits` (shared by every node once they are on Redis), never here.
   */
  async function withinLimits(data: VisitorData, checks: ReadonlyArray<{ limiter: RateLimiter; key: string; what: string }>): Promise<void> {
    for (const { limiter, key, what } of checks) {
      const verdict = await limiter.consume(key);
      const logKey = `${limiter.name} ${key}`;
      if (verdict.ok) {
        loggedRefusals.delete(logKey);
        continue;
      }
      const seconds = retryAfterSeconds(verdict.retryAfterMs);
      if (!loggedRefusals.has(logKey)) {
        remember(loggedRefusals, logKey, true, MAX_REMEMBERED_REFUSALS);
        log(
          `webchat: rate limit ${limiter.name} (${String(limiter.rule.points)}/${String(limiter.rule.durationSec)} s) refuses ${describeVisitor(data)} from ${data.address}; further refusals are not logged until it passes`,
        );
      }
      throw new WebchatRefusal('rate_limited', `Too many ${what}; try again in ${String(seconds)} s.`, verdict.retryAfterMs);
    }
  }

  // --- the widget's namespace -----------------------------------------------------------
  nsp.use((socket, next) => {
    // As the HTTP API counts it (TRUST_PROXY, IPv6 /64): behind the proxy the TCP peer is the proxy, one budget for every visitor.
    const address = ctx.clientAddress(socket.handshake);
    const parsed = webchatHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      const reason = describeIssues(parsed.error);
      log(`webchat: refused a widget connection from ${address}: invalid handshake (${reason})`);
      return next(refusal('invalid_request', `The chat widget's handshake is not valid: ${reason}`));
    }
    const { site, visitorId, identity } = parsed.data;
    const config = sites.get(site);
    if (config === undefined) {
      log(`webchat: refused a widget connection from ${address}: unknown site "${site}"`);
      return next(refusal('unknown_site', `Web chat is not set up for site "${site}".`));
    }
    const origin = socket.handshake.headers.origin;
    if (!originAllowed(config, origin, socket.handshake.headers.host)) {
      const shown = origin === undefined ? 'no Origin' : `Origin ${JSON.stringify(origin.slice(0, 200))}`;
      log(`webchat: refused a widget connection of site ${site} from ${address}: ${shown} is not allowed for this site`);
      return next(
        refusal(
          'origin_not_allowed',
          origin === undefined
            ? `The chat widget of site "${site}" must be opened from a web page (the connection has no Origin).`
            : `Pages on ${origin.slice(0, 200)} may not open the chat widget of site "${site}"; the site's administrator lists the allowed origins.`,
        ),
      );
    }
    if (identity && !signatureMatches(config.secret, identity)) {
      log(`webchat: refused visitor ${identity.userId} of site ${site} from ${address}: the identity signature does not match`);
      return next(
        refusal(
          'invalid_signature',
          `The identity of user "${identity.userId}" could not be verified: the signature is not the HMAC-SHA256 of its user id, email, exp and name with site ${site}'s secret.`,
        ),
      );
    }
    if (identity) {
      // Signed, but only for a short while: a link or page carrying an old identity is a replay (or someone else's identity planted in this browser).
      const expiresAt = identity.exp * 1000;
      const at = now();
      if (expiresAt <= at) {
        log(`webchat: refused visitor ${identity.userId} of site ${site} from ${address}: the identity expired at ${new Date(expiresAt).toISOString()}`);
        return next(
          refusal(
            'identity_expired',
            `The identity of user "${identity.userId}" expired at ${new Date(expiresAt).toISOString()}; the site must sign a fresh one for each page it serves.`,
          ),
        );
      }
      if (expiresAt > at + WEBCHAT_IDENTITY_MAX_LIFETIME_MS + WEBCHAT_IDENTITY_CLOCK_SKEW_MS) {
        log(`webchat: refused visitor ${identity.userId} of site ${site} from ${address}: the identity's exp is more than 10 minutes ahead`);
        return next(
          refusal(
            'identity_expiry_too_far',
            `The identity of user "${identity.userId}" is valid until ${new Date(expiresAt).toISOString()}, more than ${String(WEBCHAT_IDENTITY_MAX_LIFETIME_MS / 60_000)} minutes ahead; its exp must be at most that far ahead.`,
          ),
        );
      }
    }
    // Last, once everything else let it in: a refused visitor takes no slot. Before any of its
    // state exists; the widget tries again after a while (server/connectionLimits.ts).
    const admission = ctx.connectionLimits?.admitVisitor(socket) ?? { ok: true };
    if (!admission.ok) {
      return next(
        Object.assign(new Error(admission.refusal.message), {
          data: { code: 'too_many_connections', message: admission.refusal.message, retryAfterMs: admission.refusal.retryAfterMs } satisfies WebchatError,
        }),
      );
    }
    socket.data = {
      site,
      address,
      socialId: identity ? `webchat:${site}:user:${identity.userId}` : anonymousVisitorSocialId(site, visitorId),
      identity: identity ?? null,
      anonymousName: `访客 ${visitorDigest(visitorId).slice(0, 6)}`,
      ticketId: null,
      typing: false,
      available: null,
      unavailable: null,
      queuePlace: 'null',
      receipts: null,
    };
    next();
  });

  function handle<Request, Result>(
    socket: VisitorSocket,
    event: string,
    schema: z.ZodType<Request>,
    run: (request: Request) => Result | Promise<Result>,
    ackOptional = false,
  ): void {
    (socket.on as unknown as UntypedOn).call(socket, event, (raw: unknown, ack: unknown) => {
      if (typeof ack !== 'function' && !ackOptional) return;
      const reply = (typeof ack === 'function' ? ack : () => undefined) as (response: WebchatAck<Result>) => void;
      const logRefusal = (why: string): void => {
        let logged = refusalsLoggedOn.get(socket);
        if (logged === undefined) refusalsLoggedOn.set(socket, (logged = new Set()));
        if (logged.has(event)) return;
        logged.add(event);
        log(`webchat: refused ${event} from ${describeVisitor(socket.data)}: ${why}; further refusals of ${event} on this connection are not logged`);
      };
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const reason = describeIssues(parsed.error);
        logRefusal(reason);
        reply({ ok: false, error: { code: 'invalid_request', message: `Invalid ${event}: ${reason}` } });
        return;
      }
      const fail = (error: unknown): void => {
        if (error instanceof WebchatRefusal) {
          // Rate-limit refusals are logged where they are decided (once per flood).
          if (error.code !== 'rate_limited') logRefusal(error.message);
          reply(refusedAck(error));
          return;
        }
        log(`webchat: ${event} from ${describeVisitor(socket.data)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        reply({ ok: false, error: { code: 'internal', message: 'The server could not handle this; it has been logged.' } });
      };
      try {
        void Promise.resolve(run(parsed.data)).then((result) => reply({ ok: true, result }), fail);
      } catch (error) {
        fail(error);
      }
    });
  }

  /** The visitor's conversations on this site, newest first, as stored. */
  async function visitorBundles(data: VisitorData): Promise<TicketBundle[]> {
    const ids = await store.listTicketIdsByExternalIdPrefix(VISITOR_CHANNELS, externalIdPrefix(data.socialId), HISTORY_TICKETS);
    const bundles: TicketBundle[] = [];
    for (const id of ids) {
      const bundle = await store.getTicketBundle(id);
      if (bundle) bundles.push(bundle);
    }
    return bundles;
  }

  /** A web chat reply not yet recorded as having reached the visitor's device: queued (waiting, or between attempts) or failed (they had left). */
  function undeliveredWebchatReply(message: Message): boolean {
    return (
      message.direction === 'outbound' &&
      (message.deliveryStatus === 'failed' || message.deliveryStatus === 'queued') &&
      message.source?.split(':', 1)[0] === 'webchat'
    );
  }

  async function welcome(socket: VisitorSocket, receipts: boolean): Promise<WebchatWelcome> {
    const data = socket.data;
    // Said once per connection; a second hello (the widget's own, after a lost ack) may not take the capability back or give it.
    if (data.receipts === null) {
      data.receipts = receipts;
      if (receipts) await socket.join(receiptsRoom(data.socialId));
    }
    const bundles = await visitorBundles(data);
    const prefix = externalIdPrefix(data.socialId);
    // A ticket found by the id prefix alone is not theirs to continue: only one holding a message they wrote.
    const newestOpen = bundles.find((bundle) => isOpen(bundle.ticket) && conversationOf(bundle, data.socialId).length > 0);
    data.ticketId = newestOpen?.ticket.id ?? null;
    const own = bundles
      .flatMap((bundle) => conversationOf(bundle, data.socialId))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(-HISTORY_MESSAGES);
    // An older widget (no receipts) says nothing once it has the history: a reply recorded as not
    // delivered (the visitor had left) is taken as reaching them now, as before receipts. A receipts
    // widget's history changes nothing here: its `webchat:received` does, once the history is on its screen.
    // Only failed ones: a queued reply is still the dispatcher's (an attempt open or to come), which records it itself.
    if (!data.receipts) {
      for (const message of own) {
        if (undeliveredWebchatReply(message) && message.deliveryStatus === 'failed') {
          await store.setDeliveryStatus(message.id, { status: 'sent' }, now());
          log(`webchat: reply ${message.id} on ${message.ticketId} was sent to the older widget of ${describeVisitor(data)} on their return; now sent`);
        }
      }
    }
    // The name they typed into the offline form (stored as that message's author), never the customer record's.
    const lastGivenName = [...own].reverse().find((message) => message.direction === 'inbound' && message.channel === 'email')?.authorName ?? null;
    data.available = await availableFor(data, await agentsAvailable());
    data.unavailable = await chatSwitchedOff();
    // A survey invitation in the history carries no link (its token is never stored): a fresh one
    // while the survey is open, so a visitor who comes back can still rate; none once it closed.
    const history: WebchatMessage[] = [];
    const links = fileLinks(data.socialId);
    for (const message of own) {
      const shown = toWebchatMessage(message, prefix, links);
      if (message.direction === 'outbound' && message.text.includes(CSAT_LINK_PLACEHOLDER)) {
        // Each link is a stored row: a page reloaded in a loop is held to the rating budget of its address.
        const allowed = (await rateLimits.csatPerAddress.consume(data.address)).ok;
        const minted = allowed ? await store.csat.mintToken(message.id, now()) : 'rate_limited';
        shown.text = message.text.replace(CSAT_LINK_PLACEHOLDER, typeof minted === 'string' ? '' : csatLink(ctx.publicUrl(), minted.token));
      }
      history.push(shown);
    }
    return {
      history,
      agentsAvailable: data.available,
      chatUnavailable: data.unavailable,
      verified: data.identity !== null,
      name: data.identity?.name ?? lastGivenName,
      email: data.identity?.email ?? null,
    };
  }

  /**
   * A receipts widget has these replies of its history on screen: each one of the visitor's own
   * conversation (never another visitor's, nor a mail on the same ticket) still queued or failed
   * becomes sent. Ids of anything else change nothing. Returns how many were marked.
   */
  async function markReceived(data: VisitorData, messageIds: readonly string[]): Promise<number> {
    const wanted = new Set(messageIds);
    let marked = 0;
    for (const bundle of await visitorBundles(data)) {
      for (const message of conversationOf(bundle, data.socialId)) {
        if (!wanted.has(message.id) || !undeliveredWebchatReply(message)) continue;
        await store.setDeliveryStatus(message.id, { status: 'sent' }, now());
        log(
          `webchat: reply ${message.id} on ${message.ticketId} (${message.deliveryStatus}) reached ${describeVisitor(data)}, confirmed by their widget; now sent`,
        );
        marked += 1;
      }
    }
    return marked;
  }

  async function ingest(socket: VisitorSocket, contact: ChannelContact, what: string): Promise<WebchatSent> {
    const data = socket.data;
    let outcome: IngestOutcome;
    try {
      outcome = await ctx.ingest(contact);
    } catch (error) {
      if (!(error instanceof ChannelUnavailableError)) throw error;
      if (data.unavailable !== true) availabilitySoon(); // this widget (and the others) hear it at once, not at the next poll
      throw new WebchatRefusal('channel_unavailable', error.message);
    }
    const { ticket } = outcome;
    if (outcome.duplicate) {
      log(`webchat ${data.site}: repeat of ${String(contact.externalMessageId)} on ${ticket.id} ignored`);
      return { ticketId: outcome.ticketId, messageId: outcome.messageId, duplicate: true };
    }
    log(
      `webchat ${data.site}: ${what} from ${describeVisitor(data)} ${outcome.created ? 'opened' : 'joined'} ${ticket.id}` +
        (ticket.assigneeId ? ` (${ticket.assigneeId})` : ticket.routing.offer ? ` (offered to ${ticket.routing.offer.agentId})` : ' (queued)'),
    );
    if (data.ticketId !== ticket.id) {
      await setTyping(socket, false);
      data.ticketId = ticket.id;
    }
    const stored = (await store.getTicketBundle(ticket.id))?.messages.find((m) => m.id === outcome.messageId);
    // The visitor's other tabs show it too; the sending tab already does.
    if (stored) socket.to(data.socialId).emit('webchat:message', toWebchatMessage(stored, externalIdPrefix(data.socialId), fileLinks(data.socialId)));
    return { ticketId: ticket.id, messageId: outcome.messageId, duplicate: false };
  }

  /** A resend after a lost ack stores nothing and spends no rate-limit points. */
  async function alreadyStored(channel: 'chat' | 'email', externalMessageId: string): Promise<boolean> {
    return (await store.findTicketByExternalMessageIds(channel, [externalMessageId])) !== null;
  }

  /**
   * Who the visitor is to customer matching: a verified visitor proves the site's user id and
   * the signed email; an anonymous one only their random id. A typed name or email is a claim.
   */
  function visitorCustomer(data: VisitorData, typed?: { name: string; email: string }): Pick<ChannelContact, 'customer' | 'proven'> {
    const identity = data.identity;
    const email = identity?.email ?? typed?.email;
    return {
      customer: { name: identity?.name ?? typed?.name ?? data.anonymousName, ...(email ? { email } : {}), socialId: data.socialId },
      proven: identity?.email ? ['socialId', 'email'] : ['socialId'],
    };
  }

  async function setTyping(socket: VisitorSocket, typing: boolean): Promise<void> {
    const data = socket.data;
    if (data.ticketId === null || data.typing === typing) return;
    data.typing = typing;
    const ticket = await store.getTicket(data.ticketId);
    if (ticket) toAgents(ticket, 'chat:typing', { ticketId: ticket.id, typing, at: now() });
  }

  /** Typing from an event with nobody to answer: a failure is logged. */
  function setTypingSoon(socket: VisitorSocket, typing: boolean): void {
    setTyping(socket, typing).catch((error: unknown) => log(`webchat: typing of ${describeVisitor(socket.data)} not passed on: ${String(error)}`));
  }

  nsp.on('connection', (socket) => {
    const data = socket.data;
    void socket.join(data.socialId);

    // Before every handler: each request (malformed and unknown ones too) spends a point of the
    // visitor's request budget, on every node; over it, the answer is `rate_limited` and nothing runs.
    // Hellos and read marks store nothing and met no other budget: a script repeated them at wire
    // speed, each a read of the visitor's conversations. Typing has its own window (below), and
    // skips the queue so a start and its end keep their order. One packet at a time, in the order sent.
    let admitted: Promise<void> = Promise.resolve();
    let waitingAdmission = 0;
    socket.use((packet, next) => {
      if (packet[0] === 'webchat:typing') {
        next();
        return;
      }
      const ack: unknown = packet[packet.length - 1];
      const refuse = (error: WebchatRefusal): void => {
        if (typeof ack === 'function') (ack as (response: WebchatAck<never>) => void)(refusedAck(error));
      };
      // The queue holds each packet until the ones before it are admitted (a counter's round trip
      // each, on Redis): a script sending faster than that would grow it without end. Beyond the
      // cap a request is refused at once, as over the budget: the widget sends it again after the
      // wait (a reconnecting widget resends everything typed offline in one go).
      if (waitingAdmission >= MAX_WAITING_REQUESTS) {
        refuse(
          new WebchatRefusal('rate_limited', `More than ${String(MAX_WAITING_REQUESTS)} requests are waiting on this connection; send again shortly.`, 1_000),
        );
        return;
      }
      waitingAdmission += 1;
      const admit = async (): Promise<void> => {
        try {
          await withinLimits(data, [{ limiter: rateLimits.webchatRequestsPerVisitor, key: data.socialId, what: 'requests from this visitor' }]);
        } catch (error) {
          if (!(error instanceof WebchatRefusal)) {
            // The counters' store failing must not stop the chat: let the request through.
            log(`webchat: request limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
            next();
            return;
          }
          refuse(error);
          return;
        }
        next();
      };
      admitted = admitted
        .then(admit)
        .catch((error: unknown) => {
          log(`webchat: a request of ${describeVisitor(data)} could not be admitted: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          waitingAdmission -= 1;
        });
    });

    handle(socket, 'webchat:hello', webchatHelloSchema, async (request) => {
      const welcomed = await welcome(socket, request.capabilities?.includes('receipts') ?? false);
      availabilitySoon(); // a returning visitor whose chat still waits hears its place
      return welcomed;
    });

    handle(socket, 'webchat:send', webchatSendSchema, async (request) => {
      const externalMessageId = `${externalIdPrefix(data.socialId)}${request.clientMessageId}`;
      // The conversation goes on where it is (even an offline-form one an agent now answers live); a closed one is not reopened.
      const current = data.ticketId ? await store.getTicket(data.ticketId) : null;
      const continues = current !== null && isOpen(current);
      if (!(await alreadyStored('chat', externalMessageId))) {
        await withinLimits(data, [
          { limiter: rateLimits.webchatMessagesPerVisitor, key: data.socialId, what: 'messages from this visitor' },
          { limiter: rateLimits.webchatMessagesPerAddress, key: data.address, what: 'messages from this address' },
          ...(continues ? [] : [{ limiter: rateLimits.webchatConversationsPerAddress, key: data.address, what: 'new conversations from this address' }]),
        ]);
      }
      const sent = await ingest(
        socket,
        {
          channel: 'chat',
          ...visitorCustomer(data),
          text: request.text,
          externalMessageId,
          source: `webchat:${data.site}`,
          ...(continues ? { threadTicketId: current.id } : {}),
        },
        'message',
      );
      await setTyping(socket, false);
      availabilitySoon(); // a chat nobody could take waits: its place, at once rather than at the next poll
      return sent;
    });

    handle(socket, 'webchat:offline', webchatOfflineSchema, async (request) => {
      const externalMessageId = `${externalIdPrefix(data.socialId)}${request.clientMessageId}`;
      if (!(await alreadyStored('email', externalMessageId))) {
        await withinLimits(data, [
          { limiter: rateLimits.webchatMessagesPerVisitor, key: data.socialId, what: 'messages from this visitor' },
          { limiter: rateLimits.webchatConversationsPerAddress, key: data.address, what: 'new conversations from this address' },
        ]);
      }
      return ingest(
        socket,
        {
          // Nobody can answer live: the question waits with the email agents and the answer goes out by email.
          channel: 'email',
          // The typed address is where to answer, not proof of who asks: it never joins that address's customer.
          ...visitorCustomer(data, { name: request.name, email: request.email }),
          authorName: request.name,
          text: request.text,
          externalMessageId,
          source: `webchat:${data.site}`,
        },
        'offline-form message',
      );
    });

    // The rating card of a completed conversation: the token (from the invitation this visitor
    // received) names the ticket, so a visitor can rate no other; the address's budget applies.
    handle(socket, 'webchat:rate', webchatRateSchema, async (request): Promise<WebchatRated> => {
      const outcome = await answerSurvey({ store, rateLimits, now, log }, data.address, request.token, request.answer);
      return outcome.ok ? { outcome: 'thanks', feedbackId: outcome.result.feedbackId } : { outcome: outcome.refusal };
    });

    // Typing is fire-and-forget and had no budget: a script toggling it reached every agent at wire speed, and a
    // malformed one wrote a log line each. Starts are counted per window (an end only follows a start it let through).
    let typingWindowStart = Number.NEGATIVE_INFINITY;
    let typingStarts = 0;
    let badTypingLogged = false;
    (socket.on as unknown as UntypedOn).call(socket, 'webchat:typing', (raw: unknown) => {
      const parsed = webchatTypingSchema.safeParse(raw);
      if (!parsed.success) {
        if (!badTypingLogged) {
          badTypingLogged = true;
          log(`webchat: refused webchat:typing from ${describeVisitor(data)}: ${describeIssues(parsed.error)}; further ones on this connection are not logged`);
        }
        return;
      }
      if (parsed.data.typing && !data.typing) {
        const at = now();
        if (at - typingWindowStart >= TYPING_WINDOW_MS) {
          typingWindowStart = at;
          typingStarts = 0;
        }
        if (++typingStarts > WEBCHAT_TYPING_STARTS_PER_WINDOW) return;
      }
      setTypingSoon(socket, parsed.data.typing);
    });

    handle(
      socket,
      'webchat:read',
      webchatReadSchema,
      async (request) => {
        const bundle = await store.getTicketBundle(request.ticketId);
        // Only a reply in this visitor's own conversation (not another visitor's, nor a mail answered on the same ticket).
        const message = bundle ? conversationOf(bundle, data.socialId).find((m) => m.id === request.messageId && m.direction === 'outbound') : undefined;
        if (!bundle || !message) {
          throw new WebchatRefusal('not_found', `No agent message ${request.messageId} in this visitor's conversation ${request.ticketId}.`);
        }
        const mark = await advanceReadMark(bundle.ticket.id, message);
        if (mark) toAgents(bundle.ticket, 'chat:read', mark);
        return { ticketId: bundle.ticket.id };
      },
      true,
    );

    handle(socket, 'webchat:received', webchatReceivedSchema, async (request) => ({ marked: await markReceived(data, request.messageIds) }), true);

    socket.on('disconnect', () => {
      // The last tab of this visitor closing (on any node) ends their typing.
      if (!data.typing) return;
      connected(data.socialId).then(
        (stillThere) => {
          if (!stillThere) setTypingSoon(socket, false);
        },
        (error: unknown) => {
          log(`webchat: could not tell whether ${describeVisitor(data)} has other tabs open: ${error instanceof Error ? error.message : String(error)}`);
          setTypingSoon(socket, false);
        },
      );
    });
  });

  // --- the agents' side (the sync namespace) --------------------------------------------
  // A channel an admin took away: its unassigned chats' signals stop reaching the agent's open sockets at once.
  ctx.onSocketUserChanged((socket, before) => {
    const { user } = socket.data;
    if (user.role !== 'agent') return;
    for (const channel of before.channels) if (!user.channels.includes(channel)) void socket.leave(channelRoom(channel));
    void socket.join(user.channels.map(channelRoom));
  });
  ctx.io.on('connection', (socket) => {
    const user = socket.data.user;
    joinSignalRooms(socket);
    availabilitySoon();
    socket.on('disconnect', availabilitySoon);
    // Read marks are not in the database; a (re)connecting agent gets those of the tickets it sees.
    // The marks outlive their chats (the last MAX_REMEMBERED_TICKETS read): their tickets are read in batches, not one query each.
    void (async () => {
      const marks = (await sharedState.mapEntries(READ_MARKS_MAP)).map(([, raw]) => parseReadMark(raw)).filter((mark) => mark !== null);
      const visible = new Set(
        (await store.getTickets(marks.map((mark) => mark.ticketId))).filter((ticket) => canUserSeeTicket(user, ticket)).map((ticket) => ticket.id),
      );
      for (const mark of marks) if (visible.has(mark.ticketId) && socket.connected) socket.emit('chat:read', mark);
    })().catch((error: unknown) => log(`webchat: read marks for ${user.username} unavailable: ${error instanceof Error ? error.message : String(error)}`));
    socket.on('chat:typing', async (rawRequest: unknown) => {
      const parsed = agentTypingRequestSchema.safeParse(rawRequest);
      if (!parsed.success) {
        log(`webchat: refused chat:typing from ${user.username}: ${describeIssues(parsed.error)}`);
        return;
      }
      if (now() >= socket.data.tokenExpiresAt) return;
      const bundle = await store.getTicketBundle(parsed.data.ticketId);
      if (!bundle || !canUserSeeTicket(user, bundle.ticket)) {
        log(`webchat: refused chat:typing from ${user.username}: no ticket ${parsed.data.ticketId} in their view`);
        return;
      }
      // Seeing a queued chat of one's channel is not answering it: only whoever may reply now (its
      // holder, a lead or an admin) shows the visitor someone typing (attack-11). Before, every agent of
      // the channel could make a queued visitor see "王芳 is typing…" with nobody answering.
      if (!isOwnerOrLead(user, bundle.ticket)) {
        log(`webchat: refused chat:typing from ${user.username}: ticket ${bundle.ticket.id} is not theirs to answer`);
        return;
      }
      // Only the visitor the agent is answering (whoever wrote last) sees them typing.
      const visitor = currentVisitor(bundle);
      if (visitor !== null) nsp.to(visitor).emit('webchat:typing', { typing: parsed.data.typing, agentName: user.displayName });
    });
  });

  // --- delivery of agent replies ---------------------------------------------------------
  const receiptTimeoutMs = options.receiptTimeoutMs ?? DEFAULT_RECEIPT_TIMEOUT_MS;

  /**
   * Emits the reply to the visitor's receipts tabs (on every node, through the adapter) and waits
   * for their acknowledgements: true once one of them answered with this message's id. Tabs that
   * did not answer in time (closed meanwhile, a node gone) count for nothing; what did answer is kept.
   */
  function receiptFrom(visitor: string, shown: WebchatMessage): Promise<boolean> {
    return new Promise((resolve) => {
      const answered = (_error: Error | null, receipts: unknown[]) =>
        resolve(receipts.some((receipt) => webchatReceiptSchema.safeParse(receipt).data?.messageId === shown.id));
      // The typed operator wants every server→client event's ack spelt out; the answers are parsed here instead.
      (
        nsp.to(receiptsRoom(visitor)).timeout(receiptTimeoutMs) as unknown as { emit(event: string, message: WebchatMessage, ack: typeof answered): boolean }
      ).emit('webchat:message', shown, answered);
    });
  }
  const sender: ChannelSender = {
    async send(delivery) {
      const { message, ticket, customer } = delivery;
      const bundle = await store.getTicketBundle(ticket.id);
      const visitor = bundle ? (addressees(bundle).find((entry) => entry.message.id === message.id)?.visitor ?? null) : null;
      // Every tab of the visitor, on every node, with what its hello said (null: not said yet).
      const tabs = visitor === null ? [] : await nsp.in(visitor).fetchSockets();
      if (visitor !== null && tabs.length > 0) {
        const shown = toWebchatMessage(message, null, fileLinks(visitor));
        // Tabs that give no receipt get it as before: an older widget, or one whose hello is still on its way (its history will carry it).
        nsp.to(visitor).except(receiptsRoom(visitor)).emit('webchat:message', shown);
        if (tabs.some((tab) => tab.data.receipts === true) && (await receiptFrom(visitor, shown))) return {};
        // An older widget was there: it got the reply, and it cannot say so (the rule before receipts, kept for it alone).
        if (tabs.some((tab) => tab.data.receipts === false)) return {};
        // Nobody confirmed it (the tab closed meanwhile, a lost connection, no hello yet): not sent; the dispatcher tries again,
        // and then it goes by the rules below if the visitor has gone. A returning widget's history carries it meanwhile.
        throw new Error(undeliverableError('not_confirmed', 'webchat'));
      }
      const email = ctx.sender('email');
      const address = customer.email ?? customer.identities.find((identity) => identity.kind === 'email')?.value ?? null;
      if (address && email) {
        log(`webchat: the visitor of ${ticket.id} has left; reply ${message.id} continues by email to ${address}`);
        return email.send(delivery);
      }
      // Not delivered, and said so; if the visitor comes back, their widget shows it and it becomes sent (see welcome).
      throw new PermanentDeliveryError(undeliverableError(visitor === null ? 'no_visitor' : 'visitor_gone', 'webchat'));
    },
  };

  // --- the widget's files ------------------------------------------------------------------
  const routes: ChannelRoute[] = [
    { pattern: /^\/chat\/files\/([^/]+)$/, methods: { GET: (req, res, url, params) => serveFile(req, res, url, params[0]!) } },
    { pattern: /^\/chat\/widget\.js$/, methods: { GET: (req, res) => sendAsset(req, res, widgetScript, 'text/javascript; charset=utf-8') } },
    {
      pattern: /^\/chat\/socket\.io\.min\.js$/,
      methods: {
        GET: (req, res) => {
          socketIoClient ??= readSocketIoClient();
          sendAsset(req, res, socketIoClient, 'text/javascript; charset=utf-8');
        },
      },
    },
    {
      pattern: /^\/chat\/?$/,
      methods: {
        GET: (req, res, url) => {
          if (url.pathname === '/chat') {
            res.writeHead(308, { location: `/chat/${url.search}`, 'content-length': 0 });
            res.end();
            return;
          }
          const site = url.searchParams.get('site') ?? '';
          if (!sites.has(site)) {
            log(`webchat: page asked for unknown site "${site.slice(0, 64)}"`);
            sendHtml(req, res, 404, renderUnknownSitePage(site));
            return;
          }
          sendHtml(req, res, 200, renderChatPage(site, url.searchParams));
        },
      },
    },
  ];

  return {
    name: 'webchat',
    routes,
    senders: { webchat: sender },
    /* eslint-disable @typescript-eslint/require-await -- nothing to await, yet a throw must reject as Channel promises, so the server's start fails with it and the other channels still stop */
    async start() {
      const pollMs = options.availabilityPollMs ?? 5_000;
      // Presence set by hand (available/busy/away) has no hook here; a light poll tells connected widgets.
      pollTimer = setInterval(() => {
        if (nsp.sockets.size > 0) availabilitySoon();
      }, pollMs);
      pollTimer.unref();
      log(`webchat: sites ${[...sites.keys()].join(', ')}; widget at ${ctx.publicUrl()}/chat/widget.js`);
    },
    async stop() {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      // This node's visitors only: with the Redis adapter a plain disconnectSockets reaches every node's.
      nsp.local.disconnectSockets(true);
    },
    /* eslint-enable @typescript-eslint/require-await */
  };
}
