/**
 * Helpers for tests and benchmarks that start the REAL server: a temp data folder, a
 * controllable clock, users, sign-in and inbound over real HTTP. Nothing here fakes
 * the server; socket.io clients are made by the callers (this layer may not import them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Channel, Role, Ticket } from '../shared/domain.js';
import type { ApiErrorBody, LoginResponse } from '../shared/httpApi.js';
import { startServer, type RunningServer, type ServerOptions } from './app.js';
import type { ChannelFactory } from './channels/channel.js';
import { createWebchatChannel } from './channels/webchat/webchat.js';
import type { ServerStore } from './store.js';
import { createTestDatabase } from './testing/postgres.js';

/** A clock tests move by hand. */
export interface TestClock {
  now: () => number;
  set(epochMs: number): void;
  advance(ms: number): void;
}

/** 2024-11-08 10:00 in Beijing: ticket ids of the day are GD20241108…. */
export const TEST_EPOCH = Date.UTC(2024, 10, 8, 2, 0, 0);

export function createTestClock(start: number = TEST_EPOCH): TestClock {
  let current = start;
  return {
    now: () => current,
    set: (epochMs) => {
      current = epochMs;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

export function makeTempDir(prefix = 'omnidesk-server-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A running server on an ephemeral loopback port over a fresh temp folder. */
export interface TestServer {
  server: RunningServer;
  store: ServerStore;
  url: string;
  dataDir: string;
  clock: TestClock;
  logLines: string[];
  /** The PostgreSQL database the server runs on; null on SQLite. */
  databaseUrl: string | null;
  stop(): Promise<void>;
}

/** Which database a test server keeps its state in: a SQLite file, or a PostgreSQL database made (and dropped) for it. */
export type TestBackend = 'sqlite' | 'postgres';
export const TEST_BACKENDS: readonly TestBackend[] = ['sqlite', 'postgres'];

export async function startTestServer(options: Partial<ServerOptions> & { clock?: TestClock; backend?: TestBackend } = {}): Promise<TestServer> {
  const { backend, ...serverOptions } = options;
  const dataDir = options.dataDir ?? makeTempDir();
  const clock = options.clock ?? createTestClock();
  const logLines: string[] = [];
  const database = backend === 'postgres' && !options.databaseUrl ? await createTestDatabase() : null;
  const server = await startServer({
    port: 0,
    dataDir,
    now: clock.now,
    log: (line) => logLines.push(line),
    ...(database ? { databaseUrl: database.url } : {}),
    ...serverOptions,
  });
  return {
    server,
    store: server.store,
    url: server.url,
    dataDir,
    clock,
    logLines,
    databaseUrl: database?.url ?? options.databaseUrl ?? null,
    async stop() {
      await server.close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const TEST_PASSWORD = '密码-test-123';
export const TEST_INTEGRATION_TOKEN = 'integration-token-for-tests';

export interface TestUserSpec {
  username: string;
  displayName: string;
  role?: Role;
  channels: Channel[];
}

/** Creates users (password TEST_PASSWORD) whose ids equal their usernames, plus the integration token. */
export async function seedTestOrganisation(store: ServerStore, users: readonly TestUserSpec[]): Promise<void> {
  for (const spec of users) {
    await store.createUser({
      id: spec.username,
      username: spec.username,
      password: TEST_PASSWORD,
      displayName: spec.displayName,
      role: spec.role ?? 'agent',
      channels: spec.channels,
    });
  }
  await store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
}

/** The lead 李主管 gives `ticketId` to `to`, a user seedTestOrganisation made (its id is its username), now. */
export function assignByLead(
  store: ServerStore,
  ticketId: string,
  to: Pick<TestUserSpec, 'username' | 'displayName'>,
  now: number = Date.now(),
): Promise<Ticket> {
  return store.assignTicket({
    ticketId,
    assignee: { id: to.username, username: to.username, displayName: to.displayName },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now,
  });
}

export async function login(url: string, username: string, password: string = TEST_PASSWORD): Promise<LoginResponse> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login ${username} failed: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as LoginResponse;
}

export interface JsonResponse<T> {
  status: number;
  body: T;
}

/** POSTs a raw body (string or bytes) as JSON; returns status and parsed body. */
export async function postJson<T = unknown>(url: string, body: string | Uint8Array<ArrayBuffer>, token?: string): Promise<JsonResponse<T | ApiErrorBody>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as T | ApiErrorBody };
}

export async function getJson<T = unknown>(url: string, token?: string): Promise<JsonResponse<T | ApiErrorBody>> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, body: (await response.json()) as T | ApiErrorBody };
}

/** The web chat site tests use, with its identity secret. */
export const TEST_WEBCHAT_SITE = 'demo';
export const TEST_WEBCHAT_SECRET = 'demo-chat-secret';

/** The web chat channel with the test site (pages on the server's own origin, or `allowedOrigins`), for `startTestServer({ channels })`. */
export function testWebchatChannel(allowedOrigins: readonly string[] = []): ChannelFactory {
  return createWebchatChannel({ sites: new Map([[TEST_WEBCHAT_SITE, { secret: TEST_WEBCHAT_SECRET, allowedOrigins }]]) });
}
