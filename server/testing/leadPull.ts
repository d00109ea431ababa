/**
 * A lead's workstation reading what the server sends, as the security and repair tests check it:
 * the lead `lead1` made, signed in and connected over a real socket, and the change log pulled
 * page by page through `sync:pull`. The caller brings the reader (the core's own parser,
 * `parsePullAck`: server/ code may not import the core, its tests may).
 */
import type { Change, PullResult, UnreadableChange } from '../../shared/sync.js';
import { TEST_PASSWORD, type TestServer } from '../testHarness.js';
import { askSocket, openTestSocket, type TestSocket } from './sockets.js';

/** How a workstation reads a pull's ack: its changes, and those it cannot read set apart. */
export type PullAckReader = (raw: unknown, at: number) => PullResult & { unreadable: UnreadableChange[] };

export interface PulledChanges {
  /** Every change the lead read after `since`, oldest first. */
  changes: Change[];
  unreadable: UnreadableChange[];
  /** Where the next pull begins. */
  upTo: number;
}

export interface PullingLead {
  socket: TestSocket;
  /** Pulls every page after `since`; a pull that asks for a bootstrap fails the test. */
  pullSince(since: number): Promise<PulledChanges>;
}

/** Makes the lead `lead1` on `server` and connects as them; the caller disconnects `socket` before stopping the server. */
export async function connectPullingLead(server: TestServer, read: PullAckReader): Promise<PullingLead> {
  await server.store.createUser({ id: 'lead1', username: 'lead1', password: TEST_PASSWORD, displayName: '李主管', role: 'lead', channels: [] });
  const socket = await openTestSocket(server.url, 'lead1');
  return {
    socket,
    async pullSince(since) {
      const changes: Change[] = [];
      const unreadable: UnreadableChange[] = [];
      for (;;) {
        const page = read(await askSocket(socket, 'sync:pull', { since }, 10_000), server.clock.now());
        if (page.mustRefetch) throw new Error('the pull asked for a bootstrap');
        changes.push(...page.changes);
        unreadable.push(...page.unreadable);
        since = page.upTo;
        if (!page.more) return { changes, unreadable, upTo: since };
      }
    },
  };
}
