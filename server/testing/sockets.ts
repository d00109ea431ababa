/**
 * A signed-in workstation's socket for server tests: signs in over real HTTP, connects with
 * socket.io-client, and waits until routing has seen the connection (a sign-in is presence),
 * so what a test does next sees its outcome however busy the machine is.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { workstationHandshakeAuth, type Ack, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/sync.js';
import { login, type TestServer } from '../testHarness.js';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestConnection {
  socket: TestSocket;
  /** Emits `event` and resolves with its ack (5 s timeout), unchecked: the test checks it. */
  ask: <T>(event: string, payload: unknown) => Promise<Ack<T>>;
}

const open = new Set<TestSocket>();

/** The result of an ack that must be ok; a refusal fails the test with its code. */
export function okResult<T>(answer: Ack<T>): T {
  if (!answer.ok) throw new Error(`refused: ${answer.error.code} ${answer.error.message}`);
  return answer.result;
}

/** Emits `event` and resolves with its ack, unchecked; no ack within `timeoutMs` fails the test. */
export async function askSocket<T>(socket: TestSocket, event: string, payload: unknown, timeoutMs = 5000): Promise<Ack<T>> {
  const emitter = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  return (await emitter.emitWithAck(event, payload)) as Ack<T>;
}

export interface SocketOptions {
  /** Default `client-<username>`. */
  clientId?: string;
  /** Runs before the connection opens, so no push sent on connect is missed. */
  listen?: (socket: TestSocket) => void;
}

/**
 * Signs in as `username` (password TEST_PASSWORD) at `url` and connects, without waiting for
 * routing (a cluster node may not lead it); the caller disconnects the socket.
 */
export async function openTestSocket(url: string, username: string, options: SocketOptions = {}): Promise<TestSocket> {
  const { token } = await login(url, username);
  const socket: TestSocket = connect(url, {
    auth: workstationHandshakeAuth(token, options.clientId ?? `client-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  });
  options.listen?.(socket);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
      socket.connect();
    });
  } catch (error) {
    socket.disconnect();
    throw error;
  }
  return socket;
}

/** Connects as `username` (see `openTestSocket`) and waits until routing has seen the connection. */
export async function connectTestSocket(server: TestServer, username: string, options: SocketOptions = {}): Promise<TestConnection> {
  const socket = await openTestSocket(server.url, username, options);
  open.add(socket);
  await server.server.routing.idle();
  return { socket, ask: (event, payload) => askSocket(socket, event, payload) };
}

/** Closes every socket `connectTestSocket` opened; call in `afterEach` before stopping the server. */
export function disconnectTestSockets(): void {
  for (const socket of open) socket.disconnect();
  open.clear();
}

/**
 * A `listen` for `connectTestSocket` or a cluster's `connect`: records every `event` pushed to
 * the socket (`kb:changed`, `scripts:changed`) into `into`.
 */
export function recordPushes<E extends keyof ServerToClientEvents>(event: E, into: Parameters<ServerToClientEvents[E]>[0][]): (socket: TestSocket) => void {
  return (socket) => {
    const on = socket.on.bind(socket) as unknown as (name: string, listener: (payload: Parameters<ServerToClientEvents[E]>[0]) => void) => void;
    on(event, (payload) => into.push(payload));
  };
}
