/**
 * The web chat channel: a widget the server serves itself (`/chat/widget.js`, the page
 * `/chat/?site=…`), talking over the socket.io namespace `/webchat` on the server's own
 * port. Visitors are anonymous (a random id the browser keeps) or verified by the site
 * (an HMAC of its user id). Their messages are ingested and routed like any contact; agent
 * replies reach the widget live through the `webchat` sender; typing and the read watermark
 * pass between the widget and the agents' sockets without being stored.
 * See docs/technical/channels.md (Web chat).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Namespace, Socket } from 'socket.io';
import type { z } from 'zod';
import { canUserSeeTicket, type Message, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { canTakeNewContact } from '../../../shared/routing.js';
import {
  WEBCHAT_NAMESPACE,
  agentTypingRequestSchema,
  isReadUpTo,
  webchatHandshakeSchema,
  webchatHelloSchema,
  webchatOfflineSchema,
  webchatReadSchema,
  webchatSendSchema,
  webchatSiteSchema,
  webchatTypingSchema,
  type ChatReadEvent,
  type ChatTypingEvent,
  type WebchatAck,
  type WebchatClientToServerEvents,
  type WebchatServerToClientEvents,
  type WebchatError,
  type WebchatErrorCode,
  type WebchatIdentity,
  type WebchatMessage,
  type WebchatSent,
  type WebchatWelcome,
} from '../../../shared/webchat.js';
import { HttpError, type ChannelRoute } from '../../http.js';
import type { SyncSocket } from '../../liveHub.js';
import { describeIssues } from '../../sync.js';
import type { ChannelContact } from '../../store.js';
import type { Channel, ChannelContext, ChannelFactory } from '../channel.js';
import type { ChannelSender } from '../delivery.js';
import { renderChatPage, renderUnknownSitePage } from './page.js';

export interface WebchatOptions {
  /** Site name → its secret (for verified identities). */
  sites: ReadonlyMap<string, string>;
  /** How often connected widgets hear whether an agent is available; default 5 s. */
  availabilityPollMs?: number;
}

/** Messages of the newest conversations a reconnecting widget gets back. */
const HISTORY_TICKETS = 5;
const HISTORY_MESSAGES = 200;
/** Bounded memory for ticket → visitor rooms and read marks (both rebuilt on demand). */
const MAX_REMEMBERED_TICKETS = 10_000;
/** Both kinds of ticket a visitor can have: live chats, and offline-form messages answered by email. */
const VISITOR_CHANNELS = ['chat', 'email'] as const;

interface VisitorData {
  site: string;
  /** `webchat:<site>:<visitorId>` or `webchat:<site>:user:<userId>`: the customer's social id and the visitor's room. */
  socialId: string;
  identity: WebchatIdentity | null;
  anonymousName: string;
  /** The visitor's newest open conversation: typing signals belong to it and their next message joins it. */
  ticketId: string | null;
  typing: boolean;
  /** What this widget was last told about availability. */
  available: boolean | null;
}

type NoEvents = Record<string, never>;
type VisitorSocket = Socket<WebchatClientToServerEvents, WebchatServerToClientEvents, NoEvents, VisitorData>;
type VisitorNamespace = Namespace<WebchatClientToServerEvents, WebchatServerToClientEvents, NoEvents, VisitorData>;
type UntypedOn = (event: string, listener: (...args: unknown[]) => void) => void;

/** Reads `WEBCHAT_SITES` ("site:secret,site2:secret2"); throws with the reason on a bad entry. */
export function parseWebchatSites(text: string): Map<string, string> {
  const sites = new Map<string, string>();
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
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

/** The demo organisation's site (`/chat/?site=demo`) and its secret. */
export const DEMO_WEBCHAT_SITE = 'demo';
export const DEMO_WEBCHAT_SECRET = 'demo-chat-secret';

/** `WEBCHAT_SITES` ("site:secret,…"); in demo mode without it, the site `demo`; otherwise no web chat (null). */
export function webchatOptionsFromEnv(env: NodeJS.ProcessEnv, options: { demo: boolean }): WebchatOptions | null {
  const text = env.WEBCHAT_SITES?.trim();
  if (text) return { sites: parseWebchatSites(text) };
  return options.demo ? { sites: new Map([[DEMO_WEBCHAT_SITE, DEMO_WEBCHAT_SECRET]]) } : null;
}

/** The hex HMAC-SHA256 of the user id a site's backend computes to vouch for a visitor. */
export function signWebchatUser(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

function signatureMatches(secret: string, identity: WebchatIdentity): boolean {
  const expected = Buffer.from(signWebchatUser(secret, identity.userId), 'hex');
  const given = Buffer.from(identity.signature.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
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

/** The visitor's messages carry `<socialId>#<clientMessageId>` as their external id: dedupe, and how their conversations are found again. */
function externalIdPrefix(socialId: string): string {
  return `${socialId}#`;
}

/** The visitor rooms of a ticket: the social ids in its web chat messages' external ids. */
function visitorRoomsIn(bundle: TicketBundle): string[] {
  const rooms = new Set<string>();
  for (const message of bundle.messages) {
    const id = message.externalMessageId;
    if (message.direction !== 'inbound' || !message.source?.startsWith('webchat:') || !id?.startsWith('webchat:')) continue;
    const hash = id.indexOf('#');
    if (hash > 0) rooms.add(id.slice(0, hash));
  }
  return [...rooms];
}

function toWebchatMessage(message: Message, prefix: string | null): WebchatMessage {
  const own = prefix !== null && message.direction === 'inbound' && message.externalMessageId?.startsWith(prefix);
  return {
    id: message.id,
    ticketId: message.ticketId,
    clientMessageId: own ? message.externalMessageId!.slice(prefix.length) : null,
    from: message.direction === 'inbound' ? 'visitor' : 'agent',
    authorName: message.authorName,
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
  const { store, log, now } = ctx;
  const sites = options.sites;
  const widgetScript = readWidgetScript();
  let socketIoClient: Buffer | null = null;
  const nsp = ctx.io.of(WEBCHAT_NAMESPACE) as unknown as VisitorNamespace;
  /** Ticket → the visitor rooms to reach (cached; recomputed from the ticket's messages when missing). */
  const ticketRooms = new Map<string, string[]>();
  /** Ticket → the newest agent message its visitor has seen. Ephemeral by design. */
  const readMarks = new Map<string, ChatReadEvent>();
  let pollTimer: NodeJS.Timeout | null = null;
  let checkScheduled = false;
  let stopped = false;

  function roomsOf(ticketId: string): string[] {
    const known = ticketRooms.get(ticketId);
    if (known) return known;
    const bundle = store.getTicketBundle(ticketId);
    const rooms = bundle ? visitorRoomsIn(bundle) : [];
    remember(ticketRooms, ticketId, rooms, MAX_REMEMBERED_TICKETS);
    return rooms;
  }

  function addRoom(ticketId: string, room: string): void {
    const rooms = roomsOf(ticketId);
    if (!rooms.includes(room)) remember(ticketRooms, ticketId, [...rooms, room], MAX_REMEMBERED_TICKETS);
  }

  function connectedRooms(rooms: readonly string[]): string[] {
    return rooms.filter((room) => (nsp.adapter.rooms.get(room)?.size ?? 0) > 0);
  }

  /** Sends an ephemeral chat signal to every signed-in socket that may see the ticket (the same rule as its changes). */
  function toAgents(ticket: Ticket, event: 'chat:typing' | 'chat:read', payload: unknown): void {
    for (const socket of ctx.io.sockets.sockets.values()) {
      const user = (socket as SyncSocket).data?.user;
      if (!user || !canUserSeeTicket(user, ticket)) continue;
      if (event === 'chat:typing') socket.emit('chat:typing', payload as ChatTypingEvent);
      else socket.emit('chat:read', payload as ChatReadEvent);
    }
  }

  /** Someone could take a new chat now: the same test routing applies (an available, connected agent with the chat skill and room for one more chat). */
  function agentsAvailable(): boolean {
    // The routing rule itself (shared/routing.ts): the widget never says "online" while routing would give nobody the chat.
    return ctx.agents().some((agent) => canTakeNewContact(agent, 'chat') && store.getUser(agent.userId)?.role === 'agent');
  }

  /** A visitor in an open conversation keeps chatting (it waits in the queue); only a new one gets the offline form. */
  function availableFor(data: VisitorData, anyone: boolean): boolean {
    if (anyone || data.ticketId === null) return anyone;
    const ticket = store.getTicket(data.ticketId);
    return ticket !== null && isOpen(ticket);
  }

  function checkAvailability(): void {
    checkScheduled = false;
    if (stopped) return;
    const anyone = agentsAvailable();
    for (const socket of nsp.sockets.values()) {
      const available = availableFor(socket.data, anyone);
      if (available === socket.data.available) continue;
      socket.data.available = available;
      socket.emit('webchat:availability', { agentsAvailable: available });
    }
  }

  function availabilitySoon(): void {
    if (checkScheduled || stopped) return;
    checkScheduled = true;
    // After routing has counted the connection or disconnection that triggered this.
    setImmediate(checkAvailability);
  }

  function describeVisitor(data: VisitorData): string {
    return data.identity ? `${data.socialId} (verified)` : data.socialId;
  }

  // --- the widget's namespace -----------------------------------------------------------
  nsp.use((socket, next) => {
    const address = socket.handshake.address;
    const parsed = webchatHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      const reason = describeIssues(parsed.error);
      log(`webchat: refused a widget connection from ${address}: invalid handshake (${reason})`);
      return next(refusal('invalid_request', `The chat widget's handshake is not valid: ${reason}`));
    }
    const { site, visitorId, identity } = parsed.data;
    const secret = sites.get(site);
    if (secret === undefined) {
      log(`webchat: refused a widget connection from ${address}: unknown site "${site}"`);
      return next(refusal('unknown_site', `Web chat is not set up for site "${site}".`));
    }
    if (identity && !signatureMatches(secret, identity)) {
      log(`webchat: refused visitor ${identity.userId} of site ${site} from ${address}: the identity signature does not match`);
      return next(
        refusal('invalid_signature', `The identity of user "${identity.userId}" could not be verified: the signature is not the HMAC-SHA256 of the user id with site ${site}'s secret.`),
      );
    }
    socket.data = {
      site,
      socialId: identity ? `webchat:${site}:user:${identity.userId}` : `webchat:${site}:${visitorId}`,
      identity: identity ?? null,
      anonymousName: `访客 ${visitorId.slice(0, 6)}`,
      ticketId: null,
      typing: false,
      available: null,
    };
    next();
  });

  function handle<Request, Result>(socket: VisitorSocket, event: string, schema: z.ZodType<Request>, run: (request: Request) => Result, ackOptional = false): void {
    (socket.on as unknown as UntypedOn).call(socket, event, (raw: unknown, ack: unknown) => {
      if (typeof ack !== 'function' && !ackOptional) return;
      const reply = (typeof ack === 'function' ? ack : () => undefined) as (response: WebchatAck<Result>) => void;
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const reason = describeIssues(parsed.error);
        log(`webchat: refused ${event} from ${describeVisitor(socket.data)}: ${reason}`);
        reply({ ok: false, error: { code: 'invalid_request', message: `Invalid ${event}: ${reason}` } });
        return;
      }
      try {
        reply({ ok: true, result: run(parsed.data) });
      } catch (error) {
        if (error instanceof HttpError && error.code === 'not_found') {
          log(`webchat: refused ${event} from ${describeVisitor(socket.data)}: ${error.message}`);
          reply({ ok: false, error: { code: 'not_found', message: error.message } });
          return;
        }
        log(`webchat: ${event} from ${describeVisitor(socket.data)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        reply({ ok: false, error: { code: 'internal', message: 'The server could not handle this; it has been logged.' } });
      }
    });
  }

  /** The visitor's conversations on this site, newest first, as stored. */
  function visitorBundles(data: VisitorData): TicketBundle[] {
    const ids = store.listTicketIdsByExternalIdPrefix(VISITOR_CHANNELS, externalIdPrefix(data.socialId), HISTORY_TICKETS);
    return ids.map((id) => store.getTicketBundle(id)).filter((bundle): bundle is TicketBundle => bundle !== null);
  }

  function ownsTicket(data: VisitorData, bundle: TicketBundle): boolean {
    const prefix = externalIdPrefix(data.socialId);
    return bundle.messages.some((m) => m.direction === 'inbound' && m.externalMessageId?.startsWith(prefix));
  }

  function welcome(socket: VisitorSocket): WebchatWelcome {
    const data = socket.data;
    const bundles = visitorBundles(data);
    const prefix = externalIdPrefix(data.socialId);
    const newestOpen = bundles.find((bundle) => isOpen(bundle.ticket));
    data.ticketId = newestOpen?.ticket.id ?? null;
    for (const bundle of bundles) addRoom(bundle.ticket.id, data.socialId);
    const history = bundles
      .flatMap((bundle) => bundle.messages)
      .filter((message) => message.call === null)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(-HISTORY_MESSAGES)
      .map((message) => toWebchatMessage(message, prefix));
    const customer = bundles[0]?.customer ?? null;
    data.available = availableFor(data, agentsAvailable());
    return {
      history,
      agentsAvailable: data.available,
      verified: data.identity !== null,
      name: data.identity?.name ?? (customer && customer.name !== data.anonymousName ? customer.name : null),
      email: data.identity?.email ?? customer?.email ?? null,
    };
  }

  function ingest(socket: VisitorSocket, contact: ChannelContact, what: string): WebchatSent {
    const data = socket.data;
    const outcome = ctx.ingest(contact);
    const { ticket } = outcome;
    if (outcome.duplicate) {
      log(`webchat ${data.site}: repeat of ${contact.externalMessageId} on ${ticket.id} ignored`);
      return { ticketId: outcome.ticketId, messageId: outcome.messageId, duplicate: true };
    }
    log(
      `webchat ${data.site}: ${what} from ${describeVisitor(data)} ${outcome.created ? 'opened' : 'joined'} ${ticket.id}` +
        (ticket.assigneeId ? ` (${ticket.assigneeId})` : ticket.routing.offer ? ` (offered to ${ticket.routing.offer.agentId})` : ' (queued)'),
    );
    addRoom(ticket.id, data.socialId);
    if (data.ticketId !== ticket.id) {
      setTyping(socket, false);
      data.ticketId = ticket.id;
    }
    const stored = store.getTicketBundle(ticket.id)?.messages.find((m) => m.id === outcome.messageId);
    // The visitor's other tabs show it too; the sending tab already does.
    if (stored) socket.to(data.socialId).emit('webchat:message', toWebchatMessage(stored, externalIdPrefix(data.socialId)));
    return { ticketId: ticket.id, messageId: outcome.messageId, duplicate: false };
  }

  function setTyping(socket: VisitorSocket, typing: boolean): void {
    const data = socket.data;
    if (data.ticketId === null || data.typing === typing) return;
    data.typing = typing;
    const ticket = store.getTicket(data.ticketId);
    if (ticket) toAgents(ticket, 'chat:typing', { ticketId: ticket.id, typing, at: now() });
  }

  nsp.on('connection', (socket) => {
    const data = socket.data;
    void socket.join(data.socialId);

    handle(socket, 'webchat:hello', webchatHelloSchema, () => welcome(socket));

    handle(socket, 'webchat:send', webchatSendSchema, (request) => {
      const identity = data.identity;
      // The conversation goes on where it is (even an offline-form one an agent now answers live); a closed one is not reopened.
      const current = data.ticketId ? store.getTicket(data.ticketId) : null;
      const sent = ingest(
        socket,
        {
          channel: 'chat',
          customer: {
            name: identity?.name ?? data.anonymousName,
            ...(identity?.email ? { email: identity.email } : {}),
            socialId: data.socialId,
          },
          text: request.text,
          externalMessageId: `${externalIdPrefix(data.socialId)}${request.clientMessageId}`,
          source: `webchat:${data.site}`,
          ...(current && isOpen(current) ? { threadTicketId: current.id } : {}),
        },
        'message',
      );
      setTyping(socket, false);
      return sent;
    });

    handle(socket, 'webchat:offline', webchatOfflineSchema, (request) =>
      ingest(
        socket,
        {
          // Nobody can answer live: the question waits with the email agents and the answer goes out by email.
          channel: 'email',
          customer: { name: data.identity?.name ?? request.name, email: data.identity?.email ?? request.email, socialId: data.socialId },
          authorName: request.name,
          text: request.text,
          externalMessageId: `${externalIdPrefix(data.socialId)}${request.clientMessageId}`,
          source: `webchat:${data.site}`,
        },
        'offline-form message',
      ),
    );

    (socket.on as unknown as UntypedOn).call(socket, 'webchat:typing', (raw: unknown) => {
      const parsed = webchatTypingSchema.safeParse(raw);
      if (!parsed.success) {
        log(`webchat: refused webchat:typing from ${describeVisitor(data)}: ${describeIssues(parsed.error)}`);
        return;
      }
      setTyping(socket, parsed.data.typing);
    });

    handle(
      socket,
      'webchat:read',
      webchatReadSchema,
      (request) => {
        const bundle = store.getTicketBundle(request.ticketId);
        const message = bundle?.messages.find((m) => m.id === request.messageId && m.direction === 'outbound');
        if (!bundle || !message || !ownsTicket(data, bundle)) {
          throw new HttpError(404, 'not_found', `No agent message ${request.messageId} in this visitor's conversation ${request.ticketId}.`);
        }
        const previous = readMarks.get(bundle.ticket.id);
        if (previous && isReadUpTo(message, previous)) return { ticketId: bundle.ticket.id };
        const mark: ChatReadEvent = { ticketId: bundle.ticket.id, messageId: message.id, messageCreatedAt: message.createdAt, at: now() };
        remember(readMarks, bundle.ticket.id, mark, MAX_REMEMBERED_TICKETS);
        toAgents(bundle.ticket, 'chat:read', mark);
        return { ticketId: bundle.ticket.id };
      },
      true,
    );

    socket.on('disconnect', () => {
      // The last tab of this visitor closing ends their typing.
      if ((nsp.adapter.rooms.get(data.socialId)?.size ?? 0) === 0) setTyping(socket, false);
    });
  });

  // --- the agents' side (the sync namespace) --------------------------------------------
  ctx.io.on('connection', (socket) => {
    const user = socket.data.user;
    availabilitySoon();
    socket.on('disconnect', availabilitySoon);
    // Read marks live in memory only; a (re)connecting agent gets those of the tickets it sees.
    for (const mark of readMarks.values()) {
      const ticket = store.getTicket(mark.ticketId);
      if (ticket && canUserSeeTicket(user, ticket)) socket.emit('chat:read', mark);
    }
    socket.on('chat:typing', (rawRequest: unknown) => {
      const parsed = agentTypingRequestSchema.safeParse(rawRequest);
      if (!parsed.success) {
        log(`webchat: refused chat:typing from ${user.username}: ${describeIssues(parsed.error)}`);
        return;
      }
      if (now() >= socket.data.tokenExpiresAt) return;
      const ticket = store.getTicket(parsed.data.ticketId);
      if (!ticket || !canUserSeeTicket(user, ticket)) {
        log(`webchat: refused chat:typing from ${user.username}: no ticket ${parsed.data.ticketId} in their view`);
        return;
      }
      const rooms = connectedRooms(roomsOf(ticket.id));
      if (rooms.length > 0) nsp.to(rooms).emit('webchat:typing', { typing: parsed.data.typing, agentName: user.displayName });
    });
  });

  // --- delivery of agent replies ---------------------------------------------------------
  const sender: ChannelSender = {
    async send(delivery) {
      const { message, ticket, customer } = delivery;
      const rooms = roomsOf(ticket.id);
      const live = connectedRooms(rooms);
      if (live.length > 0) {
        nsp.to(live).emit('webchat:message', toWebchatMessage(message, null));
        return {};
      }
      const email = ctx.sender('email');
      const address = customer.email ?? customer.identities.find((identity) => identity.kind === 'email')?.value ?? null;
      if (address && email) {
        log(`webchat: the visitor of ${ticket.id} has left; reply ${message.id} continues by email to ${address}`);
        return email.send(delivery);
      }
      // Kept for the widget: the visitor gets it with the history when they come back.
      return {};
    },
  };

  // --- the widget's files ------------------------------------------------------------------
  const routes: ChannelRoute[] = [
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
    async start() {
      const pollMs = options.availabilityPollMs ?? 5_000;
      // Presence set by hand (available/busy/away) has no hook here; a light poll tells connected widgets.
      pollTimer = setInterval(() => {
        if (nsp.sockets.size > 0) checkAvailability();
      }, pollMs);
      pollTimer.unref();
      log(`webchat: sites ${[...sites.keys()].join(', ')}; widget at ${ctx.publicUrl()}/chat/widget.js`);
    },
    async stop() {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      nsp.disconnectSockets(true);
    },
  };
}
