/**
 * A bare socket.io server for tests of client halves: it sends whatever a test asks to the
 * one client that connects, including what no real server would send (a broken or hostile
 * server), so a client's schema checks can be tested over a real socket.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

export interface PushServer {
  url: string;
  /** Resolves once a client is connected; `send` emits to it. */
  connected: Promise<(event: string, payload: unknown) => void>;
  close(): Promise<void>;
}

/** `answers`: what the server acks to each request event (the `result` of an ok ack). */
export async function startPushServer(answers: Record<string, unknown> = {}): Promise<PushServer> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { serveClient: false });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const connected = new Promise<(event: string, payload: unknown) => void>((resolve) =>
    io.on('connection', (socket) => {
      for (const [event, result] of Object.entries(answers)) {
        socket.on(event, (_request: unknown, ack: unknown) => {
          if (typeof ack === 'function') (ack as (response: unknown) => void)({ ok: true, result });
        });
      }
      resolve((event, payload) => socket.emit(event, payload));
    }),
  );
  return { url: `http://127.0.0.1:${String(port)}`, connected, close: () => io.close() };
}
