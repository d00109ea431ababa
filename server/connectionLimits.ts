/**
 * How many socket.io connections one client address may hold on this node before they sign in
 * (docs/technical/security.md, Connection limits). Every connection costs the node memory, a
 * handshake and socket.io state, and before sign-in anyone who can reach the port may open one
 * (the web chat widget is public): without a cap one address could open thousands.
 *
 * Each engine.io connection is, at any moment, one of:
 * - pre-auth: no socket on it signed in on the sync namespace, none a web chat visitor. Capped
 *   at `preAuthPerAddress`; a new connection over the cap is refused with HTTP 429 before
 *   engine.io allocates anything (an engine.io middleware, which sees the request first);
 * - a visitor's: a socket on it joined `/webchat` (visitors never sign in). Capped at
 *   `webchatVisitorsPerAddress`, checked by the widget's namespace before the visitor's state
 *   is set up (`too_many_connections` in the connect_error's data);
 * - signed in: a socket on it signed in on the sync namespace. Not counted against its address,
 *   so any number of agents behind one corporate NAT work; only their handshakes in flight count.
 *   Counted against its USER instead: at most `signedInPerUser` connections of one user on this
 *   node, each of which may send the push's large frames (server/frameLimits.ts); the sign-in
 *   over it is refused with USER_CONNECTION_LIMIT (before, a signed-in user could open any number,
 *   each allowed 16 MiB frames).
 * A connection moves between them as its sockets sign in, join and leave; it stops counting
 * when it closes. The counts are per node: see the docs for why not across nodes.
 *
 * A connection may stay pre-auth for `signInDeadlineMs` at a time: from its opening, and again
 * from the moment it becomes pre-auth once more (its session ended, by sign-out, revocation or
 * expiry, its last visitor left). Then it is closed, told why first (SIGN_IN_DEADLINE), so
 * nobody holds one of the address's slots for ever: neither a script that opens connections and
 * joins a namespace once, past socket.io's connectTimeout (which only ends connections that
 * never joined one), nor a client that keeps its connection after the server ended its session.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Socket } from 'socket.io';
import {
  CONNECTION_LIMIT_RETRY_AFTER_MS,
  DEFAULT_SIGN_IN_DEADLINE_MS,
  SIGN_IN_DEADLINE,
  TOO_MANY_CONNECTIONS,
  USER_CONNECTION_LIMIT,
  TOO_MANY_CONNECTIONS_STATUS,
  type ConnectionRefusal,
} from '../shared/connection.js';
import type { SyncServer } from './liveHub.js';
import { retryAfterSeconds } from './rateLimits.js';

/** engine.io's connection (socket.io's `socket.conn`), named through socket.io: the server layer imports socket.io only. */
type EngineSocket = Socket['conn'];

export interface ConnectionLimitConfig {
  /** Connections of one address that have not signed in (handshakes in flight, refused sign-ins not yet closed, idle ones until the sign-in deadline). */
  preAuthPerAddress: number;
  /** Web chat visitor connections of one address (every open page with the widget is one). */
  webchatVisitorsPerAddress: number;
  /** How long a connection may stay pre-auth at a time (from its opening, or from its session's end) before it is closed. */
  signInDeadlineMs: number;
  /** Connections one user may hold signed in on this node (windows, devices, and dropped ones the server has not noticed yet). */
  signedInPerUser: number;
}

/**
 * Per node. 256 connections still signing in: 1,000 agents behind one NAT reconnecting at once
 * after a restart arrive within about a second (the core's first backoff with its jitter), each
 * handshake in flight for a few hundred milliseconds at worst, so a few hundred at a time; the
 * few refused retry with the backoff. 256 visitor connections: an office or a mobile carrier's
 * NAT with a few hundred shop pages open at once. At ~64 KiB of frame each at most, one
 * address's share stays a few tens of MB however it behaves.
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimitConfig> = {
  preAuthPerAddress: 256,
  webchatVisitorsPerAddress: 256,
  signInDeadlineMs: DEFAULT_SIGN_IN_DEADLINE_MS,
  signedInPerUser: 16,
};

/** Each setting's variable, its unit as the message names it, and what one unit is in the config. */
const ENV_SETTINGS: Readonly<Record<keyof ConnectionLimitConfig, { name: string; unit: string; scale: number }>> = {
  preAuthPerAddress: { name: 'CONNECTIONS_PREAUTH_PER_ADDRESS', unit: 'connections', scale: 1 },
  webchatVisitorsPerAddress: { name: 'CONNECTIONS_WEBCHAT_PER_ADDRESS', unit: 'connections', scale: 1 },
  signInDeadlineMs: { name: 'CONNECTIONS_SIGNIN_DEADLINE_SECONDS', unit: 'seconds', scale: 1000 },
  signedInPerUser: { name: 'CONNECTIONS_SIGNED_IN_PER_USER', unit: 'connections', scale: 1 },
};

/** Reads CONNECTIONS_PREAUTH_PER_ADDRESS, CONNECTIONS_WEBCHAT_PER_ADDRESS, CONNECTIONS_SIGNIN_DEADLINE_SECONDS and CONNECTIONS_SIGNED_IN_PER_USER over the defaults; a bad value stops the server at start. */
export function connectionLimitsFromEnv(env: NodeJS.ProcessEnv): ConnectionLimitConfig {
  const config: ConnectionLimitConfig = { ...DEFAULT_CONNECTION_LIMITS };
  for (const key of Object.keys(ENV_SETTINGS) as Array<keyof ConnectionLimitConfig>) {
    const { name, unit, scale } = ENV_SETTINGS[key];
    const text = env[name]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value * scale) || value < 1) {
      throw new Error(`${name} must be a whole number of ${unit}, at least 1; got "${text}".`);
    }
    config[key] = value * scale;
  }
  return config;
}

/** One address's connections on this node, by kind. */
export interface AddressConnections {
  preAuth: number;
  visitors: number;
}

export type VisitorAdmission = { ok: true } | { ok: false; refusal: ConnectionRefusal };
export type SignedInAdmission = { ok: true } | { ok: false; message: typeof USER_CONNECTION_LIMIT };

export interface ConnectionLimits {
  readonly config: Readonly<ConnectionLimitConfig>;
  /**
   * The socket of `userId` signed in on the sync namespace: its connection stops counting against
   * its address until its last signed-in socket leaves, and counts as one of the user's; refused
   * (nothing counted) when it would be the user's connection over `signedInPerUser` on this node.
   */
  admitSignedIn(socket: Socket, userId: string): SignedInAdmission;
  /** A web chat visitor's socket asks to join: counted as its address's visitor connection, or refused when the address has its cap. */
  admitVisitor(socket: Socket): VisitorAdmission;
  /** The counts by address (only addresses with a connection counted: an address whose connections all closed is gone). */
  byAddress(): ReadonlyMap<string, Readonly<AddressConnections>>;
  /** Signed-in connections by user on this node (only users holding one). */
  byUser(): ReadonlyMap<string, number>;
}

interface Tracked {
  conn: EngineSocket;
  address: string;
  /** Signed-in sockets on it by user: the connection is one of each such user's, and signed in while any is. */
  users: Map<string, number>;
  visitors: number;
  closed: boolean;
  /** Set while the connection is pre-auth: closes it at the sign-in deadline. */
  deadline: NodeJS.Timeout | null;
}

type Kind = 'preAuth' | 'visitors' | null;

function kindOf(connection: Tracked): Kind {
  if (connection.closed || connection.users.size > 0) return null;
  return connection.visitors > 0 ? 'visitors' : 'preAuth';
}

function refusalOf(message: string): ConnectionRefusal {
  return { code: TOO_MANY_CONNECTIONS, message, retryAfterMs: CONNECTION_LIMIT_RETRY_AFTER_MS };
}

/**
 * The refusal as an HTTP response: on a long-polling request, or written raw on the socket of a
 * WebSocket upgrade; `written` once it is handed to the OS (engine.io then destroys the socket).
 */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: ConnectionRefusal, written: () => void): void {
  const body = JSON.stringify(refusal);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'retry-after': String(retryAfterSeconds(refusal.retryAfterMs)),
    'cache-control': 'no-store',
    connection: 'close',
  };
  // engine.io hands its middlewares a stand-in response for an upgrade, whose only way out is the socket itself.
  const upgradeSocket: NetSocket | undefined = req.headers.upgrade !== undefined ? (res as unknown as { socket?: NetSocket }).socket : undefined;
  if (upgradeSocket) {
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    upgradeSocket.on('error', () => undefined);
    upgradeSocket.end(`HTTP/1.1 ${String(TOO_MANY_CONNECTIONS_STATUS)} Too Many Requests\r\n${head.join('')}\r\n${body}`, written);
    return;
  }
  res.writeHead(TOO_MANY_CONNECTIONS_STATUS, headers);
  res.end(body);
  written();
}

/**
 * The engine.io session a request continues, '' for a new connection: read from the request's
 * URL as engine.io reads it (the last `sid` wins; an empty one is a handshake too), so a request
 * engine.io handshakes is never let past the cap as one continuing a session.
 */
function sessionIdOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://engine.invalid').searchParams.getAll('sid').at(-1) ?? '';
}

/** Refused connections already logged per address, so a flood leaves one line per run, not one per attempt. */
const MAX_REMEMBERED_REFUSALS = 10_000;

/**
 * Namespace joins (socket.io CONNECT packets) one connection may send; the one that reaches it
 * is handled, then the connection is closed. A client joins once or twice per connection (the
 * workstation's sync socket, a widget's /webchat socket; refused, both open a new connection);
 * a script that kept sending CONNECT packets on one connection made the server look a token up,
 * check a signature or write a log line (a refused widget's Origin or site, an outdated core's
 * client id, which the script picks) for each, at wire speed, until the sign-in deadline (attack-8).
 */
export const MAX_JOINS_PER_CONNECTION = 8;

export function attachConnectionLimits(
  io: SyncServer,
  deps: {
    config: ConnectionLimitConfig;
    /** The request's client address as the HTTP API counts it (server/http.ts `clientAddress`: TRUST_PROXY, IPv6 /64). */
    clientAddress: (req: IncomingMessage) => string;
    log: (line: string) => void;
  },
): ConnectionLimits {
  const { config, log } = deps;
  const counts = new Map<string, AddressConnections>();
  const tracked = new WeakMap<EngineSocket, Tracked>();
  const refusalLogged = new Set<string>();
  /** Open connections with a signed-in socket of the user, by user id. */
  const userConnections = new Map<string, number>();

  function countUser(userId: string, delta: number): void {
    const held = (userConnections.get(userId) ?? 0) + delta;
    if (held <= 0) {
      userConnections.delete(userId);
      refusalLogged.delete(`user ${userId}`);
    } else userConnections.set(userId, held);
  }

  /** One signed-in socket of the user on the connection more (+1) or less (-1); the user's count follows the first and the last. */
  function userSocket(connection: Tracked, userId: string, delta: 1 | -1): void {
    if (connection.closed) return;
    const sockets = (connection.users.get(userId) ?? 0) + delta;
    if (sockets <= 0) {
      connection.users.delete(userId);
      countUser(userId, -1);
    } else {
      if (delta > 0 && sockets === 1) countUser(userId, 1);
      connection.users.set(userId, sockets);
    }
  }

  function count(address: string, kind: Kind, delta: number): void {
    if (kind === null) return;
    const entry = counts.get(address) ?? { preAuth: 0, visitors: 0 };
    entry[kind] += delta;
    // An address with nothing counted is forgotten: the map holds what is open now, never more.
    if (entry.preAuth <= 0 && entry.visitors <= 0) {
      counts.delete(address);
      refusalLogged.delete(`deadline ${address}`);
      refusalLogged.delete(`visitor sockets ${address}`);
      refusalLogged.delete(`joins ${address}`);
    } else counts.set(address, entry);
    if (kind === 'preAuth' && entry.preAuth < config.preAuthPerAddress) refusalLogged.delete(`preAuth ${address}`);
    if (kind === 'visitors' && entry.visitors < config.webchatVisitorsPerAddress) refusalLogged.delete(`visitors ${address}`);
  }

  /** Applies a change to one connection and moves it between the kinds it counts as. */
  function change(connection: Tracked, mutate: () => void): void {
    const before = kindOf(connection);
    mutate();
    const after = kindOf(connection);
    if (before === after) return;
    count(connection.address, before, -1);
    count(connection.address, after, 1);
    watchDeadline(connection);
  }

  /** A pre-auth connection gets the sign-in deadline from now; any other kind (or a closed one) has none. */
  function watchDeadline(connection: Tracked): void {
    const preAuth = kindOf(connection) === 'preAuth';
    if (preAuth && connection.deadline === null) {
      connection.deadline = setTimeout(() => closeAtDeadline(connection), config.signInDeadlineMs);
      // A timer must not keep a stopping server's process alive; the connection's close clears it anyway.
      connection.deadline.unref();
    } else if (!preAuth && connection.deadline !== null) {
      clearTimeout(connection.deadline);
      connection.deadline = null;
    }
  }

  function closeAtDeadline(connection: Tracked): void {
    connection.deadline = null;
    if (kindOf(connection) !== 'preAuth') return;
    logOnce(
      `deadline ${connection.address}`,
      `socket: closed a connection from ${connection.address}: no socket on it signed in within ${String(config.signInDeadlineMs / 1000)} s (CONNECTIONS_SIGNIN_DEADLINE_SECONDS); further ones are not logged while the address holds connections`,
    );
    // Why, as a connect_error of the sync namespace (socket.io's CONNECT_ERROR packet, type 4, for
    // "/"): a client whose sign-in is still in flight hears it instead of a bare transport close.
    // engine.io sends what is buffered before it closes.
    connection.conn.write(`4${JSON.stringify({ message: SIGN_IN_DEADLINE, data: { code: SIGN_IN_DEADLINE } })}`);
    connection.conn.close();
  }

  function logOnce(key: string, line: string): void {
    if (refusalLogged.has(key)) return;
    if (refusalLogged.size >= MAX_REMEMBERED_REFUSALS) refusalLogged.clear();
    refusalLogged.add(key);
    log(line);
  }

  // Before engine.io verifies the request or allocates a connection; every request of the
  // engine passes here, only a new connection's (no session id yet) is checked. It is counted
  // at engine.io's 'connection', which follows in the same turn of the event loop (middleware
  // promises, verify, the ws upgrade and the handshake involve no I/O wait), so no other
  // request can pass the check in between and overshoot the cap.
  io.engine.use((req: IncomingMessage, res: ServerResponse, next: (error?: Error) => void) => {
    if (sessionIdOf(req) !== '') {
      next();
      return;
    }
    const address = deps.clientAddress(req);
    const held = counts.get(address)?.preAuth ?? 0;
    if (held < config.preAuthPerAddress) {
      next();
      return;
    }
    logOnce(
      `preAuth ${address}`,
      `socket: refused new connections from ${address}: it holds ${String(held)} that have not signed in (CONNECTIONS_PREAUTH_PER_ADDRESS ${String(config.preAuthPerAddress)}); further refusals are not logged until one closes`,
    );
    // Then engine.io ends its side (the response is already written, so it adds nothing).
    refuse(req, res, refusalOf('Too many connections from this address have not signed in yet; try again later.'), () => next(new Error(TOO_MANY_CONNECTIONS)));
  });

  io.engine.on('connection', (conn: EngineSocket) => {
    const connection: Tracked = { conn, address: deps.clientAddress(conn.request), users: new Map(), visitors: 0, closed: false, deadline: null };
    tracked.set(conn, connection);
    count(connection.address, kindOf(connection), 1);
    watchDeadline(connection);
    conn.once('close', () => {
      change(connection, () => {
        // Its users are counted out here: a socket refused or never connected after this has no disconnect to do it.
        // Inside the change, so that the kind it leaves is read while the users still mark it signed in.
        for (const userId of connection.users.keys()) countUser(userId, -1);
        connection.users.clear();
        connection.closed = true;
      });
    });
    let joins = 0;
    // socket.io's CONNECT (type 0) is the only packet a client sends that starts with '0'. The join
    // that reaches the cap is still handled; engine.io ignores every packet after close() is called.
    conn.on('packet', (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message' || typeof packet.data !== 'string' || !packet.data.startsWith('0')) return;
      joins += 1;
      if (joins !== MAX_JOINS_PER_CONNECTION) return;
      logOnce(
        `joins ${connection.address}`,
        `socket: closed a connection from ${connection.address}: ${String(MAX_JOINS_PER_CONNECTION)} namespace joins on it; further ones are not logged while the address holds connections`,
      );
      // engine.io sends what is buffered (the answers to the joins) before it closes.
      conn.close();
    });
  });

  return {
    config,
    admitSignedIn(socket, userId) {
      const connection = tracked.get(socket.conn);
      if (!connection) return { ok: true };
      // Counted before any await can come between the check and the count: parallel handshakes cannot overshoot.
      const held = userConnections.get(userId) ?? 0;
      if (!connection.users.has(userId) && held >= config.signedInPerUser) {
        logOnce(
          `user ${userId}`,
          `socket: refused a sign-in of user ${userId} from ${connection.address}: the user holds ${String(held)} signed-in connections on this node (CONNECTIONS_SIGNED_IN_PER_USER ${String(config.signedInPerUser)}); further refusals are not logged until one closes`,
        );
        return { ok: false, message: USER_CONNECTION_LIMIT };
      }
      change(connection, () => userSocket(connection, userId, 1));
      // A socket refused after this (its connection closed meanwhile) never disconnects: the
      // connection's close already took it out of the counts.
      socket.once('disconnect', () => {
        change(connection, () => userSocket(connection, userId, -1));
      });
      return { ok: true };
    },
    admitVisitor(socket) {
      const connection = tracked.get(socket.conn);
      if (!connection) return { ok: true };
      // One visitor per connection: the widget opens one socket on /webchat per page, but socket.io
      // lets a connection join a namespace again and again, and each join was a visitor of its own
      // (its state, its rooms, a fresh per-visitor request budget) on a connection counted once, so
      // one connection held any number of them past the cap (attack-8). A join after a leave is fine.
      if (connection.visitors > 0) {
        logOnce(
          `visitor sockets ${connection.address}`,
          `webchat: refused a second visitor socket on one connection from ${connection.address} (one widget per connection); further ones are not logged while the address holds connections`,
        );
        return { ok: false, refusal: refusalOf('This connection already carries a chat; open the widget once per connection.') };
      }
      const held = counts.get(connection.address)?.visitors ?? 0;
      if (connection.visitors === 0 && kindOf(connection) === 'preAuth' && held >= config.webchatVisitorsPerAddress) {
        logOnce(
          `visitors ${connection.address}`,
          `webchat: refused a widget connection from ${connection.address}: it holds ${String(held)} visitor connections (CONNECTIONS_WEBCHAT_PER_ADDRESS ${String(config.webchatVisitorsPerAddress)}); further refusals are not logged until one closes`,
        );
        return { ok: false, refusal: refusalOf('Too many chat connections from this address; the widget tries again shortly.') };
      }
      change(connection, () => (connection.visitors += 1));
      socket.once('disconnect', () => change(connection, () => (connection.visitors -= 1)));
      return { ok: true };
    },
    byAddress: () => counts,
    byUser: () => userConnections,
  };
}
