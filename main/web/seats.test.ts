/**
 * Browser mode's seats (issue 12) through the real browser host, real cores and a real demo
 * server: two pages of different browser profiles sign in as different users side by side,
 * each gets only its own core's answers and events; a page without a seat never lands in a
 * seat whose page is open; tabs of one profile share a seat; the seat limit, idle close,
 * shutdown, and a restart that resumes the stored sessions.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../server/app.js';
import { BROWSER_SEATS_FULL_CLOSE_CODE, type RpcMethod, type SessionState } from '../../shared/rpc.js';
import type { WorkstationCore } from '../core/api.js';
import { createWorkstationCore } from '../core/index.js';
import { readSettings } from '../core/settings.js';
import { rawDataToString, startBrowserHost, type BrowserHost } from './browserHost.js';
import { createSeats, seatDataDir, type Seats } from './seats.js';

let root: string;
let server: RunningServer;
let staticDir: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'omnidesk-seats-'));
  staticDir = path.join(root, 'renderer');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>全渠道工作台</title>');
  server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Envelope {
  type: string;
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: { code: string };
  event?: string;
  payload?: unknown;
  seatId?: string;
}

/** A page as the browser host sees it: the launch key, maybe a seat, and everything it was sent. */
interface Page {
  seatId: string | null;
  events: Envelope[];
  closeCode: Promise<number>;
  call<T>(method: RpcMethod, params: unknown): Promise<T>;
  /** Resolves once an event matching `check` arrived (now or before). */
  eventWhere(check: (envelope: Envelope) => boolean): Promise<Envelope>;
  close(): Promise<void>;
}

function openPage(host: BrowserHost, seat: string | null): Promise<Page> {
  const key = new URL(host.launchUrl).hash.replace(/^#k=/, '');
  const query = `k=${encodeURIComponent(key)}${seat === null ? '' : `&s=${encodeURIComponent(seat)}`}`;
  const ws = new WebSocket(`ws://127.0.0.1:${String(host.port)}/rpc?${query}`, { origin: host.url });
  const events: Envelope[] = [];
  const answers = new Map<number, (envelope: Envelope) => void>();
  const eventWaiters: Array<{ check: (e: Envelope) => boolean; resolve: (e: Envelope) => void }> = [];
  let nextId = 1;
  const closeCode = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const page: Page = {
      seatId: null,
      events,
      closeCode,
      call<T>(method: RpcMethod, params: unknown) {
        const id = nextId++;
        return new Promise<T>((done, fail) => {
          answers.set(id, (envelope) => (envelope.ok ? done(envelope.result as T) : fail(new Error(`${method}: ${envelope.error?.code ?? '?'}`))));
          ws.send(JSON.stringify({ type: 'request', id, method, params }));
        });
      },
      eventWhere(check) {
        const seen = events.find(check);
        if (seen) return Promise.resolve(seen);
        return new Promise((done) => eventWaiters.push({ check, resolve: done }));
      },
      async close() {
        if (ws.readyState === ws.CLOSED) return;
        ws.close();
        await closeCode;
      },
    };
    ws.on('message', (data) => {
      const envelope = JSON.parse(rawDataToString(data)) as Envelope;
      if (envelope.type === 'seat') {
        page.seatId = envelope.seatId!;
        resolve(page);
      } else if (envelope.type === 'response') {
        answers.get(envelope.id!)?.(envelope);
      } else if (envelope.type === 'event') {
        events.push(envelope);
        for (const waiter of eventWaiters.filter((w) => w.check(envelope))) {
          eventWaiters.splice(eventWaiters.indexOf(waiter), 1);
          waiter.resolve(envelope);
        }
      }
    });
    ws.once('close', () => resolve(page));
    ws.once('error', reject);
  });
}

const online = (envelope: Envelope) => envelope.event === 'connection' && (envelope.payload as { status: string }).status === 'online';
const signedOut = (envelope: Envelope) => envelope.event === 'connection' && (envelope.payload as { status: string }).status === 'signed_out';

async function signIn(page: Page, username: string): Promise<void> {
  await page.call('session.signIn', { username, password: 'demo' });
  await page.eventWhere(online);
}

async function whoIs(page: Page): Promise<string | null> {
  return (await page.call<SessionState>('session.get', {})).user?.username ?? null;
}

/** Seats over real cores, and the slots whose core is open now, as the cores themselves saw it (opened, not yet closed). */
function seatsIn(dataDir: string, maxSeats: number, idleCloseMs = 60_000): { seats: Seats; openSlots: () => number[] } {
  const open = new Set<number>();
  const slotOf = (seatDir: string) => (seatDir === dataDir ? 1 : Number(path.basename(seatDir)));
  const seats = createSeats({
    dataDir,
    maxSeats,
    idleCloseMs,
    openCore: async (seatDir): Promise<WorkstationCore> => {
      const core = await createWorkstationCore({ dataDir: seatDir, serverUrl: server.url });
      const slot = slotOf(seatDir);
      open.add(slot);
      return {
        invoke: (method, params) => core.invoke(method, params),
        onEvent: (listener) => core.onEvent(listener),
        close: async () => {
          await core.close();
          open.delete(slot);
        },
      };
    },
  });
  return { seats, openSlots: () => [...open].sort((a, b) => a - b) };
}

/** Polls what the seats report (no timing asserted: it waits until the state holds). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let tries = 0; tries < 400; tries++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

describe('browser mode seats', () => {
  it('two profiles sign in side by side: calls go to their own core, events reach their own pages only, and a page without a seat never enters an open one', async () => {
    const dataDir = path.join(root, 'desk');
    const { seats, openSlots } = seatsIn(dataDir, 3);
    const host = await startBrowserHost({ seats, port: 0, staticDir });
    try {
      const agent = await openPage(host, null);
      const lead = await openPage(host, null);
      expect(agent.seatId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(lead.seatId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(lead.seatId).not.toBe(agent.seatId);

      await signIn(agent, 'agent1');
      // The lead's page heard nothing of the agent's sign-in, and its core is still signed out.
      expect(lead.events).toEqual([]);
      expect(await whoIs(lead)).toBeNull();

      await signIn(lead, 'lead1');
      // Side by side: the lead's sign-in did not sign the agent out.
      expect(await whoIs(agent)).toBe('agent1');
      expect(await whoIs(lead)).toBe('lead1');
      // Own folders, own settings files, own stored sessions.
      expect(readSettings(seatDataDir(dataDir, 1))?.session?.user.username).toBe('agent1');
      expect(readSettings(seatDataDir(dataDir, 2))?.session?.user.username).toBe('lead1');

      // A second tab of the agent's profile shares the agent's seat.
      const agentTab = await openPage(host, agent.seatId);
      expect(agentTab.seatId).toBe(agent.seatId);
      expect(await whoIs(agentTab)).toBe('agent1');

      // Abuse: a third profile (no seat, or a made-up one) while both pages are open gets a
      // seat of its own, signed out; never the agent's or the lead's session.
      const stranger = await openPage(host, 'AAAAAAAAAAAAAAAAAAAAAA');
      expect([agent.seatId, lead.seatId]).not.toContain(stranger.seatId);
      expect(await whoIs(stranger)).toBeNull();

      // All three seats in use: a fourth profile is told so with the close code, not a seat.
      const fourth = await openPage(host, null);
      expect(fourth.seatId).toBeNull();
      expect(await fourth.closeCode).toBe(BROWSER_SEATS_FULL_CLOSE_CODE);

      // The agent signs out: both of the agent's pages hear it, the lead's page does not.
      const leadEventsBefore = lead.events.length;
      await agent.call('session.signOut', {});
      await agent.eventWhere(signedOut);
      await agentTab.eventWhere(signedOut);
      expect(lead.events.slice(leadEventsBefore).filter(signedOut)).toEqual([]);
      expect(await whoIs(lead)).toBe('lead1');
      await stranger.close();
      await agent.close();
      await agentTab.close();

      // The lead's page closes (a restart of the browser, a new profile): a page without a
      // seat then takes over the signed-in seat that has no page, under a NEW id…
      await lead.close();
      const back = await openPage(host, null);
      expect(await whoIs(back)).toBe('lead1');
      expect(back.seatId).not.toBe(lead.seatId);
      // …so a page still holding the old id does not come back into it.
      const stale = await openPage(host, lead.seatId);
      expect(await whoIs(stale)).toBeNull();
      await stale.close();
      await back.close();
    } finally {
      await host.close();
      await seats.close();
    }
    // Shutdown closed every core.
    expect(openSlots()).toEqual([]);
    expect(await seats.place(null)).toBeNull();
  }, 90_000);

  it('a seat with no page and nobody signed in closes; a restart resumes the signed-in seats for their pages', async () => {
    const dataDir = path.join(root, 'restart');
    const { seats, openSlots } = seatsIn(dataDir, 4, 300);
    const host = await startBrowserHost({ seats, port: 0, staticDir });
    let agentSeat: string;
    try {
      const agent = await openPage(host, null);
      const idle = await openPage(host, null);
      await signIn(agent, 'agent1');
      expect(openSlots()).toEqual([1, 2]);
      agentSeat = agent.seatId!;
      await idle.close();
      // Nobody signed in there and no page: closed after the idle time. The agent's seat stays, page or not.
      await agent.close();
      await until('the idle seat closed', () => openSlots().length === 1);
      expect(openSlots()).toEqual([1]);
    } finally {
      await host.close();
      await seats.close();
    }
    expect(existsSync(path.join(dataDir, 'seats.json'))).toBe(true);

    // The workstation restarts: the agent's seat resumes its stored session before any page comes.
    const { seats: again, openSlots: openAgain } = seatsIn(dataDir, 4);
    await again.start();
    expect(openAgain()).toEqual([1]);
    const hostAgain = await startBrowserHost({ seats: again, port: 0, staticDir });
    try {
      const agentAgain = await openPage(hostAgain, agentSeat);
      expect(agentAgain.seatId).toBe(agentSeat);
      expect(await whoIs(agentAgain)).toBe('agent1');
      await agentAgain.close();
    } finally {
      await hostAgain.close();
      await again.close();
    }
  }, 90_000);
});
