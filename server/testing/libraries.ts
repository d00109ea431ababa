/**
 * What the shared libraries' tests (scripts 话术库, knowledge base 知识库) have in common: the
 * same team — a lead and two chat agents — on a store, on a server over sockets, and clients
 * that record the library's `…:changed` pushes.
 */
import type { User } from '../../shared/domain.js';
import type { Ack, ServerToClientEvents } from '../../shared/sync.js';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from '../rateLimits.js';
import type { ServerStore } from '../store.js';
import { seedTestOrganisation, startTestServer, type TestBackend, type TestServer, type TestUserSpec } from '../testHarness.js';
import { connectTestSocket, recordPushes } from './sockets.js';
import { openStoreOn } from './stores.js';

/** lead1 李主管 (lead), agent1 王芳 and agent2 赵磊 (chat agents), as `seedTestOrganisation` takes them. */
export const LIBRARY_TEAM: readonly TestUserSpec[] = [
  { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
  { username: 'agent1', displayName: '王芳', channels: ['chat'] },
  { username: 'agent2', displayName: '赵磊', channels: ['chat'] },
];

export interface StoreWithTeam {
  store: ServerStore;
  lead: User;
  /** agent1 王芳 */
  agent: User;
  /** agent2 赵磊 */
  other: User;
  /** Closes the store and removes its database. */
  close: () => Promise<void>;
}

/** A fresh store on `backend` with LIBRARY_TEAM's users (password 'pw'). */
export async function openStoreWithTeam(backend: TestBackend): Promise<StoreWithTeam> {
  const { store, cleanup } = await openStoreOn(backend);
  return {
    store,
    lead: await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] }),
    agent: await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] }),
    other: await store.createUser({ id: 'agent2', username: 'agent2', password: 'pw', displayName: '赵磊', role: 'agent', channels: ['chat'] }),
    close: async () => {
      await store.close();
      await cleanup();
    },
  };
}

/** A test server on `backend` (tokens valid an hour) with LIBRARY_TEAM; `rateLimits` change the defaults. */
export async function startLibraryServer(backend: TestBackend, rateLimits: Partial<RateLimitConfig>): Promise<TestServer> {
  const server = await startTestServer({ backend, tokenTtlMs: 60 * 60 * 1000, rateLimits: { ...DEFAULT_RATE_LIMITS, ...rateLimits } });
  await seedTestOrganisation(server.store, LIBRARY_TEAM);
  return server;
}

/** A signed-in socket and what it heard of one library push event (`kb:changed`, `scripts:changed`). */
export interface ListeningClient<T> {
  ask<R>(event: string, payload: unknown): Promise<Ack<R>>;
  changes: T[];
}

/** Connects as `username` (see `connectTestSocket`), recording every `event` pushed from before the connection opens. */
export async function connectListening<E extends 'kb:changed' | 'scripts:changed'>(
  server: TestServer,
  username: string,
  event: E,
): Promise<ListeningClient<Parameters<ServerToClientEvents[E]>[0]>> {
  const changes: Parameters<ServerToClientEvents[E]>[0][] = [];
  const { ask } = await connectTestSocket(server, username, { listen: recordPushes(event, changes) });
  return { ask, changes };
}
