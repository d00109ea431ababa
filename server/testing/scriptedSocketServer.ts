/**
 * A bare socket.io server whose one connection a test drives by hand: it emits exactly the
 * pushes, in exactly the order, that a real cluster produces only under a rare interleaving
 * (a deposed leader's late push), and answers requests as the test says. For client tests
 * (main/core), whose layer may not use socket.io's server package itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';

export interface ScriptedSocketServer {
  url: string;
  /** The first connection, once it is made. */
  connection: Promise<Socket>;
  close(): Promise<void>;
}

export async function startScriptedSocketServer(onConnection: (socket: Socket) => void): Promise<ScriptedSocketServer> {
  const http = createServer();
  const io = new Server(http);
  const connection = new Promise<Socket>((resolve) =>
    io.on('connection', (socket) => {
      onConnection(socket);
      resolve(socket);
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((http.address() as AddressInfo).port)}`,
    connection,
    close: () => io.close(),
  };
}
