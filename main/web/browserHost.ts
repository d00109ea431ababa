/**
 * The browser host: serves the built renderer over HTTP and carries the RPC contract of
 * shared/rpc.ts over a WebSocket, so the same renderer and core run in a plain browser
 * (browser mode, end-to-end tests) exactly as they do inside Electron.
 *
 * Security: the workstation holds the agent's session, so only the page the agent opened
 * may drive it. It listens on loopback only, and the WebSocket upgrade is refused unless
 * the Origin (cross-site pages) and the Host header (DNS rebinding) name this host AND the
 * handshake carries this launch's random key, which reaches the page only through the
 * launch link printed at start (never in anything this host serves). See
 * docs/technical/hosts.md for the threat reasoning.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  BROWSER_LAUNCH_KEY_PARAM,
  BROWSER_RPC_PATH,
  BROWSER_SEAT_PARAM,
  BROWSER_SEATS_FULL_CLOSE_CODE,
  rpcRequestEnvelopeSchema,
  type BrowserSeatEnvelope,
  type RpcEventEnvelope,
  type RpcEventName,
  type RpcResponseEnvelope,
} from '../../shared/rpc.js';
import type { WorkstationCore } from '../core/api.js';
import { singleCoreSeats, type SeatDirectory, type SeatPlacement } from './seats.js';

/** What `startBrowserHost` needs: one core every page shares, or seats (one core per browser profile, seats.ts). */
export type BrowserHostOptions = BrowserHostCommonOptions & ({ core: WorkstationCore; seats?: never } | { seats: SeatDirectory; core?: never });

interface BrowserHostCommonOptions {
  /** 0 picks a free port. */
  port: number;
  /** Loopback only: 127.0.0.1 (default) or localhost. */
  host?: string;
  /** Folder with the built renderer (index.html at its root), e.g. dist/renderer. */
  staticDir: string;
}

/** A running browser host. */
export interface BrowserHost {
  /** e.g. http://127.0.0.1:4781 */
  url: string;
  /**
   * What the agent opens: `url` with this launch's key in the fragment
   * (`http://127.0.0.1:4781/#k=…`). A fragment is never sent in a request, so the key
   * reaches only the page, which presents it on the WebSocket handshake.
   */
  launchUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Large enough that a 1 MB reply (3 MB of UTF-8 Chinese) reaches the core and gets its own "too long" error. */
export const BROWSER_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

// WebSocket close codes (RFC 6455).
const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_INVALID_PAYLOAD = 1007;
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_INTERNAL_ERROR = 1011;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/** The Origin values a page served by this host sends; nothing else may open the socket. */
export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${String(port)}`, `http://localhost:${String(port)}`]);
}

/** The Host header values a request to this host carries; anything else is DNS rebinding. */
export function allowedHostHeaders(port: number): Set<string> {
  return new Set([`127.0.0.1:${String(port)}`, `localhost:${String(port)}`]);
}

/** A new per-launch key: 32 random bytes, base64url (43 characters). */
export function newLaunchKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether `presented` is the launch key, in time that does not depend on where they
 * differ: both are hashed first, so even a key of another length costs the same compare.
 */
export function isLaunchKey(presented: string | null, launchKey: string): boolean {
  if (presented === null) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(launchKey));
}

/** The launch key a handshake request carries in its query (`/rpc?k=…`), or null. */
export function presentedLaunchKey(requestUrl: string | undefined): string | null {
  return queryParam(requestUrl, BROWSER_LAUNCH_KEY_PARAM);
}

/** The seat a handshake request presents (`/rpc?k=…&s=…`), or null; seats.ts checks its form. */
export function presentedSeat(requestUrl: string | undefined): string | null {
  return queryParam(requestUrl, BROWSER_SEAT_PARAM);
}

function queryParam(requestUrl: string | undefined, name: string): string | null {
  const query = (requestUrl ?? '').split('#')[0]!.split('?')[1];
  if (query === undefined) return null;
  return new URLSearchParams(query).get(name);
}

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React style props and Vite's CSS are fine; inline <style> from the build is allowed, inline scripts are not.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${String(port)} ws://localhost:${String(port)}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Maps a request path to a file inside `staticDir`, or null when it would leave it
 * (`..`, encoded `..`, NUL bytes, backslashes) or is malformed.
 */
export function resolveStaticPath(staticDir: string, requestPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').includes('..')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const root = path.resolve(staticDir);
  const file = path.resolve(root, relative);
  const fromRoot = path.relative(root, file);
  if (fromRoot === '' || fromRoot.startsWith('..') || path.isAbsolute(fromRoot)) return null;
  return file;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { staticDir } = options;
  const seats: SeatDirectory = options.seats !== undefined ? options.seats : singleCoreSeats(options.core);
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new Error(
      `The browser host listens on loopback only (127.0.0.1 or localhost), not "${host}": anyone who can reach it could act as the signed-in agent.`,
    );
  }

  // Made fresh on every start; never written to disk nor served.
  const launchKey = newLaunchKey();
  // Filled in once listening (the port may have been 0).
  let port = 0;
  let origins = new Set<string>();
  let hostHeaders = new Set<string>();
  let csp = '';

  const server = createServer((request, response) => {
    serveStatic(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendPlain(response, 500, 'Internal error');
      else response.destroy();
      console.error('[browser host] static file error:', error);
    });
  });

  async function serveStatic(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader('Content-Security-Policy', csp);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Referrer-Policy', 'no-referrer');
    if (!hostHeaders.has(request.headers.host ?? '')) {
      sendPlain(response, 403, 'Forbidden: unexpected Host header');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      sendPlain(response, 405, 'Method not allowed');
      return;
    }
    const pathname = (request.url ?? '/').split('?')[0]!.split('#')[0]!;
    const file = resolveStaticPath(staticDir, pathname);
    if (!file) {
      sendPlain(response, 404, 'Not found');
      return;
    }
    let body: Buffer;
    try {
      const info = await stat(file);
      if (!info.isFile()) {
        sendPlain(response, 404, 'Not found');
        return;
      }
      body = await readFile(file);
    } catch {
      sendPlain(response, 404, 'Not found');
      return;
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    response.statusCode = 200;
    response.setHeader('Content-Type', type);
    response.setHeader('Content-Length', body.length);
    // index.html names the hashed bundles, so it must never be stale; the bundles may be cached.
    response.setHeader('Cache-Control', type.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600');
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: BROWSER_MAX_PAYLOAD_BYTES });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (request.url ?? '').split('?')[0];
    if (pathname !== BROWSER_RPC_PATH) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const origin = request.headers.origin;
    if (origin === undefined || !origins.has(origin) || !hostHeaders.has(request.headers.host ?? '')) {
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    // Origin and Host are only headers: any local process can write them. The key is what
    // only the page opened from the launch link holds.
    if (!isLaunchKey(presentedLaunchKey(request.url), launchKey)) {
      refuseUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
    });
  });

  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    // Requests that arrive while the seat's core opens wait for it, in order.
    const placed = placePage(ws, presentedSeat(request.url));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void placed.then((placement) => {
        if (placement) handleMessage(ws, placement.core, data, isBinary);
      });
    });
    ws.on('error', (error) => {
      // e.g. a frame over maxPayload: ws closes the socket with 1009 itself.
      console.warn('[browser host] WebSocket error:', error.message);
    });
  });

  /**
   * Puts the page in its seat: its calls go to that seat's core only, and only that core's
   * events reach it. Tells the page its seat first; refuses it with a close code when every
   * seat is in use.
   */
  async function placePage(ws: WebSocket, presented: string | null): Promise<SeatPlacement | null> {
    let placement: SeatPlacement | null;
    try {
      placement = await seats.place(presented);
    } catch (error) {
      console.error('[browser host] could not open a seat:', error);
      ws.close(CLOSE_INTERNAL_ERROR, 'The workstation could not open a seat for this page');
      return null;
    }
    if (!placement) {
      ws.close(BROWSER_SEATS_FULL_CLOSE_CODE, 'Every seat of this workstation is in use');
      return null;
    }
    if (ws.readyState !== ws.OPEN) {
      placement.leave();
      return null;
    }
    const seat = placement;
    const unsubscribe = seat.core.onEvent((event: RpcEventName, payload: unknown) => {
      const envelope: RpcEventEnvelope = { type: 'event', event, payload };
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(envelope));
    });
    ws.once('close', () => {
      unsubscribe();
      seat.leave();
    });
    if (seat.seatId !== null) {
      const envelope: BrowserSeatEnvelope = { type: 'seat', seatId: seat.seatId };
      ws.send(JSON.stringify(envelope));
    }
    return seat;
  }

  function handleMessage(ws: WebSocket, core: WorkstationCore, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      ws.close(CLOSE_UNSUPPORTED_DATA, 'Binary messages are not supported; send JSON text');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(rawDataToString(data));
    } catch {
      ws.close(CLOSE_INVALID_PAYLOAD, 'Bad message: not JSON');
      return;
    }
    const parsed = rpcRequestEnvelopeSchema.safeParse(message);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`).join('; ');
      const id = recoverRequestId(message);
      if (id === null) {
        ws.close(CLOSE_POLICY_VIOLATION, truncateCloseReason(`Bad request envelope: ${detail}`));
        return;
      }
      send(ws, {
        type: 'response',
        id,
        ok: false,
        error: { code: 'invalid_params', message: `Bad request envelope: ${detail}` },
      });
      return;
    }
    const { id, method, params } = parsed.data;
    // Nothing to await here: each request answers on its own, and the chain cannot reject
    // (a failed invoke becomes an `internal` error answer, send() writes only to an open socket).
    void core
      .invoke(method, params)
      .catch((error: unknown) => ({
        ok: false as const,
        error: { code: 'internal' as const, message: error instanceof Error ? error.message : String(error) },
      }))
      .then((outcome) => {
        const envelope: RpcResponseEnvelope = outcome.ok
          ? { type: 'response', id, ok: true, result: outcome.result }
          : { type: 'response', id, ok: false, error: outcome.error };
        send(ws, envelope);
      });
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    wss.close();
    throw error;
  }

  port = (server.address() as AddressInfo).port;
  origins = allowedOrigins(port);
  hostHeaders = allowedHostHeaders(port);
  csp = contentSecurityPolicy(port);

  let closing: Promise<void> | null = null;
  function close(): Promise<void> {
    closing ??= (async () => {
      for (const client of wss.clients) client.close(CLOSE_GOING_AWAY, 'Workstation shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      // Clients that do not answer the close handshake promptly are cut off.
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return closing;
  }

  const url = `http://${host}:${String(port)}`;
  return { url, launchUrl: `${url}/#${BROWSER_LAUNCH_KEY_PARAM}=${launchKey}`, port, close };
}

function send(ws: WebSocket, envelope: RpcResponseEnvelope): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(envelope));
}

function recoverRequestId(message: unknown): number | null {
  if (typeof message !== 'object' || message === null || !('id' in message)) return null;
  const id = message.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

/** A WebSocket message as text, whichever of ws's three buffer shapes it arrived in. */
export function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** A close reason is limited to 123 bytes of UTF-8. */
function truncateCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let result = reason;
  while (Buffer.byteLength(result) > 120) result = result.slice(0, -1);
  return `${result}…`;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${String(status)} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sendPlain(response: ServerResponse, status: number, text: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.end(text);
}
