/**
 * A signed-in workstation's socket for server tests: signs in over real HTTP, connects with
 * socket.io-client, and waits until routing has seen the connection (a sign-in is presence),
 * so what a test does next sees its outcome however busy the machine is.
 */
import { io as connect, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../../shared/sync.js';
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

export async function askSocket<T>(socket: TestSocket, event: string, payload: unknown): Promise<Ack<T>> {
  const emitter = socket.timeout(5000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  return (await emitter.emitWithAck(event, payload)) as Ack<T>;
}

/**
 * Connects as `username` (password TEST_PASSWORD). `listen` runs before the connection opens,
 * so no push sent on connect is missed.
 */
export async function connectTestSocket(
  server: TestServer,
  username: string,
  options: { clientId?: string; listen?: (socket: TestSocket) => void } = {},
): Promise<TestConnection> {
  const { token } = await login(server.url, username);
  const socket: TestSocket = connect(server.url, {
    auth: { token, clientId: options.clientId ?? `client-${username}` },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  });
  open.add(socket);
  options.listen?.(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
    socket.connect();
  });
  await server.server.routing.idle();
  return { socket, ask: (event, payload) => askSocket(socket, event, payload) };
}

/** Closes every socket `connectTestSocket` opened; call in `afterEach` before stopping the server. */
export function disconnectTestSockets(): void {
  for (const socket of open) socket.disconnect();
  open.clear();
}
