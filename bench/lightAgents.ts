/**
 * Child process of the ingest benchmark: the crowd of light agents. It receives the
 * server's url and one token per agent, opens one socket.io-client socket per agent
 * (handshake `auth: {token, clientId}`), makes each live with `sync:pull {since: 0}`,
 * accepts every routing offer at once (as a working agent would), and counts the
 * `sync:changes` batches. It runs apart from the measured cores so that decoding the
 * crowd's traffic never delays their event loop.
 * Commands: `{cmd: 'connect', url, agents}` → `{connected}`; `{cmd: 'mark'}` → counters and
 * event-loop utilisation since the previous mark.
 */
import { io, type Socket } from 'socket.io-client';
import { connectToParent, createEventLoopMeter } from './benchSupport.js';

/** The crowd's counters between two marks. */
export interface LightAgentsMark {
  batches: number;
  offers: number;
  /** Event-loop utilisation of this process since the previous mark (0..1). */
  eventLoopUtilization: number;
}

interface ConnectCommand {
  cmd: 'connect';
  url: string;
  agents: Array<{ userId: string; token: string }>;
}

const CONNECT_WAVE = 50;

const parent = connectToParent();
const sockets: Socket[] = [];
let batches = 0;
let offers = 0;
let marked = { batches: 0, offers: 0 };
const eventLoopSinceMark = createEventLoopMeter();

async function connectAgent(url: string, token: string, clientId: string): Promise<Socket> {
  const socket = io(url, { auth: { token, clientId }, transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(error);
    });
  });
  socket.on('sync:changes', () => {
    batches++;
  });
  socket.on('routing:offer', (offer: { ticketId?: unknown }) => {
    offers++;
    if (typeof offer.ticketId === 'string') socket.emit('offer:respond', { ticketId: offer.ticketId, accept: true }, () => {});
  });
  const ack = (await socket.timeout(30_000).emitWithAck('sync:pull', { since: 0 })) as { ok: boolean; result?: { mustRefetch: boolean; more?: boolean } };
  if (!ack.ok || !ack.result || ack.result.mustRefetch || ack.result.more) throw new Error(`sync:pull did not make the socket live: ${JSON.stringify(ack).slice(0, 200)}`);
  return socket;
}

parent.onCommand(async (raw) => {
  const command = raw as ConnectCommand | { cmd: 'mark' };
  if (command.cmd === 'connect') {
    for (let from = 0; from < command.agents.length; from += CONNECT_WAVE) {
      const wave = command.agents.slice(from, from + CONNECT_WAVE);
      sockets.push(...(await Promise.all(wave.map((agent, offset) => connectAgent(command.url, agent.token, `bench-light-${from + offset}`)))));
    }
    parent.send({ connected: sockets.length });
    return;
  }
  const mark: LightAgentsMark = { batches: batches - marked.batches, offers: offers - marked.offers, eventLoopUtilization: eventLoopSinceMark() };
  marked = { batches, offers };
  parent.send(mark);
});

parent.onShutdown(() => {
  for (const socket of sockets) socket.disconnect();
});
