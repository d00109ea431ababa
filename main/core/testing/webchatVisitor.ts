/**
 * The customer's side of the web chat for tests that drive the workstation: a socket.io
 * connection to the server's `/webchat` namespace speaking the widget's events
 * (shared/webchat.ts), so a test outside the server can play the visitor.
 */
import { io, type Socket } from 'socket.io-client';
import type { WebchatAck, WebchatMessage } from '../../../shared/webchat.js';

/** A connected visitor with what the agent's side sent it. */
export interface TestVisitor {
  socket: Socket;
  /** The agent's typing notices, in order. */
  agentTyping: Array<{ typing: boolean; agentName: string }>;
  /** Agent replies delivered live, in order. */
  arrived: WebchatMessage[];
  /** Sends a request the widget sends and returns its result; a refusal throws with the server's message. */
  ask<T>(event: string, payload: unknown): Promise<T>;
  close(): void;
}

/** Connects as a browser on the server's own chat page would (its Origin is the server's). */
export async function connectTestVisitor(serverUrl: string, auth: { site: string; visitorId: string }): Promise<TestVisitor> {
  const socket = io(`${serverUrl}/webchat`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: serverUrl } });
  const visitor: TestVisitor = {
    socket,
    agentTyping: [],
    arrived: [],
    async ask<T>(event: string, payload: unknown) {
      const response = (await socket.timeout(5_000).emitWithAck(event, payload)) as WebchatAck<T>;
      if (!response.ok) throw new Error(`${event}: ${response.error.message}`);
      return response.result;
    },
    close: () => socket.disconnect(),
  };
  socket.on('webchat:typing', (event: { typing: boolean; agentName: string }) => visitor.agentTyping.push(event));
  socket.on('webchat:message', (message: WebchatMessage) => visitor.arrived.push(message));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return visitor;
}
