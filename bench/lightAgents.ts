/**
 * Child process of the ingest benchmark: one share of the crowd of light agents (the bench
 * starts several, so that no single client process saturates and the bench measures the
 * server, not itself). Each agent is one WebSocket that speaks socket.io's wire protocol
 * (Engine.IO 4 / socket.io 5, text frames) itself instead of through socket.io-client:
 * - the handshake carries the agent's real token and the protocol version (`40{"token","clientId","protocol"}`), and a refusal fails the run;
 * - `sync:pull {since: 0}` with an ack makes it live, and the ack is checked with the shared schema;
 * - every `routing:offer` is accepted at once with `offer:respond` and its ack (as a working agent would);
 * - the server's pings are answered, so no socket times out.
 * A `sync:changes` frame, ~99 % of the traffic, is only recognised by its first bytes and
 * counted: it is never turned into a string, parsed or stored, which is what made the one
 * crowd process of before (socket.io-client decoding every batch for 1,000 sockets) the
 * bottleneck of the whole bench.
 * Commands: `{cmd: 'connect', agents: [{url, token, clientId}]}` → `{connected}`;
 * `{cmd: 'mark'}` → `LightAgentsMark` since the previous mark.
 *
 * Leads' sockets for the ingest phase's board windows live here too (not in the bench's own
 * process, so the clients are not what is measured): `{cmd: 'leads', leads: [...], live}` →
 * `{connected}`, `{cmd: 'drop-leads'}` → `{closed}`. A lead socket subscribes as the
 * workstation's does: its handshake puts it in the server's board room (a `board:snapshot` on
 * connect, then one per change of the figures); with `live` it also goes live the way a signed-in
 * lead's core does after its bootstrap (`sync:bootstrap` for the log position, then `sync:pull`
 * from there), so it is sent every change as well. Each `board:snapshot` is parsed (about one
 * a second per lead) for today's total volume and noted with when it arrived; everything else
 * a lead receives is only counted, like the agents' batches.
 */
import { WebSocket, type RawData } from 'ws';
import { offerResponseResultSchema } from '../shared/routing.js';
import { ackSchema, bootstrapPageSchema, pullResultSchema, workstationHandshakeAuth } from '../shared/sync.js';
import { connectToParent, createCpuMeter, createEventLoopMeter } from './benchSupport.js';

/** This process's counters between two marks. */
export interface LightAgentsMark {
  batches: number;
  /** Bytes of every frame received (the fan-out's volume). */
  bytes: number;
  offers: number;
  /** Offers whose `offer:respond` ack said `accepted`. */
  offersAccepted: number;
  /** Sockets the server closed (or that broke) after they were connected. */
  dropped: number;
  /** Event-loop utilisation of this process since the previous mark (0..1). */
  eventLoopUtilization: number;
  /** CPU time of this process (ms). */
  cpuMs: number;
  /** What the lead sockets of this process received since the previous mark. */
  leads: LeadsMark;
}

/** One `board:snapshot` as a lead socket received it. */
export interface BoardPushSeen {
  /** Which lead socket (its clientId). */
  lead: string;
  /** Epoch ms (`performance.timeOrigin + performance.now()`, comparable across the bench's processes). */
  receivedAt: number;
  /** The snapshot's `at` (server clock). */
  at: number;
  /** Today's tickets over every channel (the sum of the rows' `today.volume`). */
  volume: number;
}

export interface LeadsMark {
  /** Every frame the lead sockets received (board pushes, change batches, queue summaries…), bytes. */
  bytes: number;
  boardPushes: number;
  boardBytes: number;
  /** `sync:changes` batches (live leads only) and their bytes. */
  syncBatches: number;
  syncBytes: number;
  /** Lead sockets the server closed while they were meant to be connected. */
  dropped: number;
  pushes: BoardPushSeen[];
  /** Bytes by socket.io event name (`ack`, `other` for the rest): what else a lead is sent. */
  bytesByEvent: Record<string, number>;
}

/** One agent socket to open: which node, whose token. */
export interface LightAgentAssignment {
  url: string;
  token: string;
  clientId: string;
}

interface ConnectCommand {
  cmd: 'connect';
  agents: LightAgentAssignment[];
}

interface LeadsCommand {
  cmd: 'leads';
  leads: LightAgentAssignment[];
  /** Go live as well (every change), as a signed-in lead's workstation does; else in the board room only. */
  live: boolean;
}

const CONNECT_WAVE = 50;
const ACK_TIMEOUT_MS = 30_000;

// First bytes of the frames (Engine.IO packet type, then socket.io packet type).
const ENGINE_OPEN = 0x30; // '0'
const ENGINE_CLOSE = 0x31; // '1'
const ENGINE_PING = 0x32; // '2'
const ENGINE_MESSAGE = 0x34; // '4'
const IO_CONNECT = 0x30; // '0'
const IO_DISCONNECT = 0x31; // '1'
const IO_EVENT = 0x32; // '2'
const IO_ACK = 0x33; // '3'
const IO_CONNECT_ERROR = 0x34; // '4'
const SYNC_CHANGES_FRAME = Buffer.from('42["sync:changes",');
const OFFER_FRAME = Buffer.from('42["routing:offer",');
const BOARD_FRAME = Buffer.from('42["board:snapshot",');

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

const parent = connectToParent();
const sockets: WebSocket[] = [];
const counters = { batches: 0, bytes: 0, offers: 0, offersAccepted: 0, dropped: 0 };
let marked = { ...counters };
const leadSockets: WebSocket[] = [];
const leadCounters = { bytes: 0, boardPushes: 0, boardBytes: 0, syncBatches: 0, syncBytes: 0, dropped: 0 };
let leadsMarked = { ...leadCounters };
let leadPushes: BoardPushSeen[] = [];
let leadBytesByEvent: Record<string, number> = {};
const EVENT_FRAME = Buffer.from('42["');

/** A lead frame's socket.io event name (leads get few frames, so reading it is cheap). */
function eventNameOf(frame: Buffer): string {
  if (frame[0] === ENGINE_MESSAGE && frame[1] === IO_ACK) return 'ack';
  if (!startsWith(frame, EVENT_FRAME)) return 'other';
  const end = frame.indexOf(0x22, EVENT_FRAME.length);
  return end < 0 ? 'other' : frame.toString('utf8', EVENT_FRAME.length, end);
}
let closingLeads = false;
const eventLoopSinceMark = createEventLoopMeter();
const cpuSinceMark = createCpuMeter();
let shuttingDown = false;

function frameOf(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Notes one board push: when it arrived and today's total volume in it. */
function noteBoardPush(lead: string, frame: Buffer): void {
  const receivedAt = performance.timeOrigin + performance.now();
  const [, board] = JSON.parse(frame.toString('utf8', 2)) as [string, { at: number; rows: Array<{ today: { volume: number } }> }];
  leadCounters.boardPushes++;
  leadCounters.boardBytes += frame.length;
  leadPushes.push({ lead, receivedAt, at: board.at, volume: board.rows.reduce((total, row) => total + row.today.volume, 0) });
}

/**
 * Opens one socket; resolves once the server accepted its token and (agents, live leads) its
 * pull made it live. `lead`: null for an agent; else whether the lead goes live.
 */
function connectAgent({ url, token, clientId }: LightAgentAssignment, lead: { live: boolean } | null = null): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false, skipUTF8Validation: true });
  const acks = new Map<number, (args: unknown[]) => void>();
  let nextAckId = 0;
  let connected = false;

  function emitWithAck(event: string, payload: unknown): Promise<unknown> {
    const id = nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        acks.delete(id);
        reject(new Error(`${event}: no ack within ${String(ACK_TIMEOUT_MS)} ms`));
      }, ACK_TIMEOUT_MS);
      acks.set(id, (args) => {
        clearTimeout(timer);
        resolve(args[0]);
      });
      ws.send(`42${String(id)}${JSON.stringify([event, payload])}`);
    });
  }

  function acceptOffer(frame: Buffer): void {
    counters.offers++;
    const [, offer] = JSON.parse(frame.toString('utf8', 2)) as [string, { ticketId?: unknown }];
    if (typeof offer.ticketId !== 'string') throw new Error(`routing:offer without a ticket id: ${frame.toString('utf8', 0, 200)}`);
    // An ack of the wrong shape crashes this process (the run fails loudly); one that never
    // comes (a server far behind) only leaves the offer out of `offersAccepted`.
    void emitWithAck('offer:respond', { ticketId: offer.ticketId, accept: true }).then(
      (answer) => {
        const response = ackSchema(offerResponseResultSchema).parse(answer);
        if (response.ok && response.result.outcome === 'accepted') counters.offersAccepted++;
      },
      () => {},
    );
  }

  /** What a lead's core does once bootstrapped: pull from the bootstrap's log position until nothing more, which makes the socket live. */
  async function goLiveAsLead(): Promise<void> {
    const page = ackSchema(bootstrapPageSchema).parse(await emitWithAck('sync:bootstrap', { after: null, limit: 1 }));
    if (!page.ok) throw new Error(`${clientId}: sync:bootstrap refused: ${page.error.message}`);
    let since = page.result.seq;
    for (;;) {
      const pulled = ackSchema(pullResultSchema).parse(await emitWithAck('sync:pull', { since }));
      if (!pulled.ok || pulled.result.mustRefetch) throw new Error(`${clientId}: sync:pull did not make the lead live`);
      if (!pulled.result.more) return;
      since = pulled.result.upTo;
    }
  }

  return new Promise((resolve, reject) => {
    ws.on('message', (data, isBinary) => {
      const frame = frameOf(data);
      if (lead) {
        leadCounters.bytes += frame.length;
        const event = eventNameOf(frame);
        leadBytesByEvent[event] = (leadBytesByEvent[event] ?? 0) + frame.length;
      } else counters.bytes += frame.length;
      if (isBinary) throw new Error('the server sent a binary frame; the light agents expect text only');
      if (frame[0] === ENGINE_PING) return ws.send('3');
      if (frame[0] === ENGINE_OPEN) return ws.send(`40${JSON.stringify(workstationHandshakeAuth(token, clientId))}`);
      if (frame[0] === ENGINE_CLOSE) return ws.close();
      if (frame[0] !== ENGINE_MESSAGE) return;
      switch (frame[1]) {
        case IO_EVENT:
          if (lead) {
            if (startsWith(frame, BOARD_FRAME)) noteBoardPush(clientId, frame);
            else if (startsWith(frame, SYNC_CHANGES_FRAME)) {
              leadCounters.syncBatches++;
              leadCounters.syncBytes += frame.length;
            }
          } else if (startsWith(frame, SYNC_CHANGES_FRAME)) counters.batches++;
          else if (startsWith(frame, OFFER_FRAME)) acceptOffer(frame);
          return;
        case IO_ACK: {
          const text = frame.toString('utf8', 2);
          const bracket = text.indexOf('[');
          const id = Number(text.slice(0, bracket));
          const settle = acks.get(id);
          acks.delete(id);
          settle?.(JSON.parse(text.slice(bracket)) as unknown[]);
          return;
        }
        case IO_CONNECT:
          connected = true;
          if (lead) {
            if (!lead.live) return resolve(ws);
            goLiveAsLead().then(() => resolve(ws), reject);
            return;
          }
          emitWithAck('sync:pull', { since: 0 })
            .then((answer) => {
              const pulled = ackSchema(pullResultSchema).parse(answer);
              if (!pulled.ok || pulled.result.mustRefetch || pulled.result.more)
                throw new Error(`sync:pull did not make the socket live: ${JSON.stringify(answer).slice(0, 200)}`);
              resolve(ws);
            })
            .catch(reject);
          return;
        case IO_CONNECT_ERROR:
          reject(new Error(`the server refused ${clientId}: ${frame.toString('utf8', 2)}`));
          ws.close();
          return;
        case IO_DISCONNECT:
          ws.close();
          return;
      }
    });
    ws.on('error', reject);
    ws.once('close', () => {
      if (lead) {
        if (connected && !shuttingDown && !closingLeads) leadCounters.dropped++;
      } else if (connected && !shuttingDown) counters.dropped++;
      reject(new Error(`${clientId}: the socket closed before it was live`));
    });
  });
}

parent.onCommand(async (raw) => {
  const command = raw as ConnectCommand | LeadsCommand | { cmd: 'drop-leads' } | { cmd: 'mark' };
  if (command.cmd === 'leads') {
    closingLeads = false;
    leadSockets.push(...(await Promise.all(command.leads.map((assignment) => connectAgent(assignment, { live: command.live })))));
    parent.send({ connected: leadSockets.length });
    return;
  }
  if (command.cmd === 'drop-leads') {
    closingLeads = true;
    const closing = leadSockets.splice(0);
    await Promise.all(
      closing.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close();
          }),
      ),
    );
    parent.send({ closed: closing.length });
    return;
  }
  if (command.cmd === 'connect') {
    for (let from = 0; from < command.agents.length; from += CONNECT_WAVE) {
      sockets.push(...(await Promise.all(command.agents.slice(from, from + CONNECT_WAVE).map((agent) => connectAgent(agent)))));
    }
    parent.send({ connected: sockets.length });
    return;
  }
  const mark: LightAgentsMark = {
    batches: counters.batches - marked.batches,
    bytes: counters.bytes - marked.bytes,
    offers: counters.offers - marked.offers,
    offersAccepted: counters.offersAccepted - marked.offersAccepted,
    dropped: counters.dropped - marked.dropped,
    eventLoopUtilization: eventLoopSinceMark(),
    cpuMs: cpuSinceMark().cpuMs,
    leads: {
      bytes: leadCounters.bytes - leadsMarked.bytes,
      boardPushes: leadCounters.boardPushes - leadsMarked.boardPushes,
      boardBytes: leadCounters.boardBytes - leadsMarked.boardBytes,
      syncBatches: leadCounters.syncBatches - leadsMarked.syncBatches,
      syncBytes: leadCounters.syncBytes - leadsMarked.syncBytes,
      dropped: leadCounters.dropped - leadsMarked.dropped,
      pushes: leadPushes,
      bytesByEvent: leadBytesByEvent,
    },
  };
  marked = { ...counters };
  leadsMarked = { ...leadCounters };
  leadPushes = [];
  leadBytesByEvent = {};
  parent.send(mark);
});

parent.onShutdown(() => {
  shuttingDown = true;
  for (const socket of [...sockets, ...leadSockets]) socket.close();
});
