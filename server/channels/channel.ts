/**
 * The seam every real channel plugs into: it receives what the server offers (ingest with
 * routing, the socket.io server, the clock, the log) and returns the HTTP routes it serves,
 * the senders for its outbound replies and its own start/stop (listeners, pollers).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelRoute } from '../http.js';
import type { SyncServer, SyncSocket } from '../liveHub.js';
import type { User } from '../../shared/domain.js';
import type { ChannelContact, IngestOutcome, ServerStore } from '../store.js';
import type { AgentStatus } from '../../shared/routing.js';
import type { ChannelSender, ChannelSenders } from './delivery.js';
import type { RateLimiters } from '../rateLimits.js';
import type { ConnectionLimits } from '../connectionLimits.js';
import type { SharedState } from '../cluster/sharedState.js';

/** What a channel may use of the running server. */
export interface ChannelContext {
  store: ServerStore;
  /** Stores an inbound contact and routes it, in one transaction; the agents see it at once. */
  ingest: (contact: ChannelContact) => Promise<IngestOutcome>;
  io: SyncServer;
  now: () => number;
  log: (line: string) => void;
  /** The server's own base URL (e.g. for links in a chat widget), known once it listens. */
  publicUrl(): string;
  /** Every agent's presence, skills and load as routing sees them now (a chat widget offers its offline form when nobody can answer). */
  agents(): AgentStatus[];
  /**
   * A call started or ended on this agent's extension (committed in the store): routing reads the call state again.
   * `afterTalk`: a call this agent answered has just ended, so they go into wrap-up (a missed call starts none).
   */
  callStateChanged(agentId: string, afterTalk?: boolean): Promise<void>;
  /**
   * The sender registered for a source family, once the server has started (undefined before,
   * or when no channel sends for it): lets one channel hand a reply to another, e.g. web chat
   * to email when the visitor has left.
   */
  sender(family: string): ChannelSender | undefined;
  /**
   * The client address of a socket's handshake, as the HTTP API counts it (server/http.ts
   * `peerAddress`: TRUST_PROXY honoured, an IPv6 address as its /64): the key of per-address limits.
   */
  clientAddress(handshake: { address: string; headers: IncomingHttpHeaders }): string;
  /** The server's rate limits (server/rateLimits.ts), shared with the HTTP API. */
  rateLimits: RateLimiters;
  /** The per-address caps on connections not signed in (server/connectionLimits.ts): the widget's namespace admits its visitors through it. */
  connectionLimits?: Pick<ConnectionLimits, 'admitVisitor'>;
  /** State every node must see the same (web chat read marks, WeChat tokens): this process's memory on one node, Redis on several. */
  sharedState: SharedState;
  /** An admin changed the user of one of this node's sockets (server/sync.ts): rooms joined for the old skills are left. */
  onSocketUserChanged(listener: (socket: SyncSocket, before: User) => void): () => void;
}

/** One channel as the server runs it. */
export interface Channel {
  /** For logs: 'email', 'webchat', 'wechat', 'webhook', 'cti'. */
  name: string;
  routes?: readonly ChannelRoute[];
  /** Source family → sender of replies (e.g. { email: smtpSender }). */
  senders?: ChannelSenders;
  /** Called after the HTTP server listens; a channel that cannot start fails the server start with its reason. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** Builds a channel once the server's parts exist. */
export type ChannelFactory = (context: ChannelContext) => Channel | Promise<Channel>;
