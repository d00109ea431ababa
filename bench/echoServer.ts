/**
 * Child process of the socket.io floor: a bare socket.io 4.8 server on an ephemeral
 * loopback port that acknowledges every `echo` with its payload. Nothing else runs in it,
 * so its round trip is what socket.io itself costs on this machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { connectToParent } from './benchSupport.js';

const parent = connectToParent();
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('echo', (payload: unknown, ack: unknown) => {
    if (typeof ack === 'function') (ack as (reply: unknown) => void)(payload);
  });
});
httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  parent.send({ url: `http://127.0.0.1:${String(port)}` });
});
parent.onShutdown(async () => {
  const closed = io.close();
  httpServer.closeAllConnections();
  await closed;
});
