/**
 * How large a frame the server reads from one connection (docs/technical/security.md, Frame
 * limits). engine.io has one `maxHttpBufferSize` for its whole server, applied before any
 * socket.io namespace has seen a token: set to what a workstation's push needs, it let anyone
 * who can reach the port (the web chat widget is public) make the server buffer and parse
 * 16 MiB frames. So the server starts every connection at MAX_UNAUTHENTICATED_FRAME_BYTES and
 * raises one connection to MAX_SIGNED_IN_FRAME_BYTES only while a socket on it is signed in
 * on the sync namespace (server/sync.ts). Nothing changes for clients: a workstation of any
 * version sends its token in the same handshake and its pushes after it.
 */
import { MAX_PUSH_FRAME_BYTES } from '../shared/sync.js';
import type { SyncSocket } from './liveHub.js';

/**
 * What a peer that has not signed in may send in one frame. The widget's largest event (5,000
 * characters of text plus a name and an email, each character at most 6 bytes as JSON) is
 * about 32 KiB; handshakes are far smaller.
 */
export const MAX_UNAUTHENTICATED_FRAME_BYTES = 64 * 1024;

/**
 * A signed-in workstation's largest frame: a push, which the core cuts to MAX_PUSH_FRAME_BYTES
 * (1 MiB; shared/sync.ts pushBatchLength). Was 16 MiB, what 200 replies of 20,000 characters
 * could reach, on every signed-in connection, any number of them per user (attack-9). A larger
 * frame closes its own connection (ws: close code 1009; long-polling: 413), no other.
 */
export const MAX_SIGNED_IN_FRAME_BYTES = MAX_PUSH_FRAME_BYTES;

type EngineConnection = SyncSocket['conn'];
type EngineTransport = EngineConnection['transport'];

/**
 * Sets the largest frame one transport accepts. Polling reads its public `maxHttpBufferSize`
 * per request. A WebSocket's limit is the `ws` receiver's, fixed when engine.io accepted the
 * upgrade and not exposed by engine.io, so it is set on the receiver (ws checks it against each
 * frame's header, before buffering the frame). False when the shape is not there (another ws),
 * so the caller can say so rather than silently refuse workstations' pushes.
 */
function setTransportLimit(transport: EngineTransport, bytes: number): boolean {
  if (transport.name === 'polling') {
    (transport as unknown as { maxHttpBufferSize: number }).maxHttpBufferSize = bytes;
    return true;
  }
  if (transport.name === 'websocket') {
    const receiver = (transport as unknown as { socket?: { _receiver?: { _maxPayload?: unknown } } }).socket?._receiver;
    if (!receiver || typeof receiver._maxPayload !== 'number') return false;
    receiver._maxPayload = bytes;
    return true;
  }
  return false;
}

interface SignedIn {
  count: number;
  /** Keeps a transport the connection upgrades to (polling → WebSocket) at the raised limit. */
  follow: (transport: EngineTransport) => void;
}

const signedInOn = new WeakMap<EngineConnection, SignedIn>();
let unsupportedLogged = false;

/**
 * Raises the connection of a socket that has just signed in to MAX_SIGNED_IN_FRAME_BYTES, before
 * socket.io tells the client it is connected (so its first push already fits). The limit drops
 * back when the last signed-in socket of that connection disconnects (a session ended, the
 * namespace left) while the connection stays open.
 */
export function allowSignedInFrames(socket: SyncSocket, log: (line: string) => void): void {
  const conn = socket.conn;
  let entry = signedInOn.get(conn);
  if (!entry) {
    const follow = (transport: EngineTransport) => {
      if (!setTransportLimit(transport, MAX_SIGNED_IN_FRAME_BYTES) && !unsupportedLogged) {
        unsupportedLogged = true;
        log(
          `socket: cannot raise the frame limit of a ${transport.name} connection (engine.io or ws changed); signed-in pushes over ${String(MAX_UNAUTHENTICATED_FRAME_BYTES)} bytes will be refused`,
        );
      }
    };
    entry = { count: 0, follow };
    signedInOn.set(conn, entry);
    follow(conn.transport);
    conn.on('upgrading', follow);
    conn.on('upgrade', follow);
    // ws ends the connection at an oversize frame's header; say so once per connection, it is either a bug or an attack.
    // engine.io wraps ws's RangeError in an Error whose message is the RangeError's text.
    conn.once('close', (_reason: string, description?: unknown) => {
      if (description instanceof Error && description.message.includes('Max payload size exceeded')) {
        log(
          `socket: closed ${socket.data.user.username}'s connection from ${socket.handshake.address}: a frame over ${String(MAX_SIGNED_IN_FRAME_BYTES)} bytes`,
        );
      }
    });
  }
  entry.count += 1;
  const signedIn = entry;
  socket.once('disconnect', () => {
    signedIn.count -= 1;
    if (signedIn.count > 0 || signedInOn.get(conn) !== signedIn) return;
    signedInOn.delete(conn);
    conn.off('upgrading', signedIn.follow);
    conn.off('upgrade', signedIn.follow);
    setTransportLimit(conn.transport, MAX_UNAUTHENTICATED_FRAME_BYTES);
  });
}
