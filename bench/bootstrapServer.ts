/**
 * Child process of the bootstrap benchmark: the real server (`startServer`) on an
 * ephemeral port over a temp folder, seeded through the store with `<tickets>` tickets
 * (each with its own customer and one or two messages), all queued so a lead sees them.
 * Answers `{cmd: 'profile'}` with where the server's share of a bootstrap goes: building
 * the pages from SQLite and encoding them the way socket.io does; `{cmd: 'cpu'}` with the
 * CPU time this process has used so far (`ServerCpu`), so the parent can take the server's
 * share of a bootstrap as a difference.
 */
import { Encoder, PacketType } from 'socket.io-parser';
import { startServer } from '../server/app.js';
import type { ChannelContact } from '../server/store.js';
import type { BootstrapPage } from '../shared/sync.js';
import { CHANNELS } from '../shared/domain.js';
import { connectToParent, makeBenchDir, removeDir } from './benchSupport.js';
import { firstContact, followUpContact } from './sampleContacts.js';

/** Each sample contact is identified the way its channel proves people, so a follow-up joins the open ticket. */
const CHANNEL_PROOF: ChannelContact['proven'] = ['phone', 'email', 'socialId'];

/** What the parent learns once the server is seeded. */
export interface SeededBootstrapServer {
  url: string;
  lead: { username: string; password: string };
  tickets: number;
  messages: number;
  seedMs: number;
  /** Alarms the server raised for the seeded tickets before it said it was ready. */
  alarmsRaised: number;
  alarmCatchUpMs: number;
}

/** The server's share of a bootstrap, measured in this process. */
export interface ServerPageProfile {
  pages: number;
  bundles: number;
  buildMs: number;
  encodeMs: number;
  encodedBytes: number;
}

/** CPU time (user + system, every thread) the server process has used since it started. */
export interface ServerCpu {
  cpuMs: number;
}

const LEAD_PASSWORD = '组长-bench-密码';
/** Ingest calls per store transaction while seeding (one fsync each). */
const SEED_CHUNK = 5000;
/** Every third ticket gets a second customer message, as real conversations do. */
const FOLLOW_UP_EVERY = 3;
/** 2024-11-08 10:00 Beijing; one new contact a minute, so ticket ids span many days. */
const SEED_EPOCH = Date.UTC(2024, 10, 8, 2, 0, 0);
const CONTACT_SPACING_MS = 60_000;

const parent = connectToParent();
const tickets = Number(process.argv[2] ?? '100000');
const dataDir = makeBenchDir('bootstrap-server');
const server = await startServer({ port: 0, dataDir, log: () => {} });
parent.onShutdown(async () => {
  await server.close();
  removeDir(dataDir);
});

const { store } = server;
const seedStart = performance.now();
const lead = await store.createUser({ id: 'lead', username: 'lead', password: LEAD_PASSWORD, displayName: '王组长', role: 'lead', channels: [...CHANNELS] });
let messages = 0;
for (let from = 0; from < tickets; from += SEED_CHUNK) {
  const to = Math.min(tickets, from + SEED_CHUNK);
  await store.withTransaction(async () => {
    for (let index = from; index < to; index++) {
      const channel = CHANNELS[index % CHANNELS.length]!;
      const at = SEED_EPOCH + index * CONTACT_SPACING_MS;
      await store.ingestInbound({ ...firstContact(index, channel), proven: CHANNEL_PROOF }, { now: at });
      messages++;
      if (index % FOLLOW_UP_EVERY === 0) {
        await store.ingestInbound({ ...followUpContact(index, channel), proven: CHANNEL_PROOF }, { now: at + 1000 });
        messages++;
      }
    }
  });
  if (to % 20_000 === 0 || to === tickets) process.stderr.write(`[bootstrapServer] seeded ${String(to)}/${String(tickets)} tickets\n`);
}
const seedMs = performance.now() - seedStart;
// The seeded tickets are weeks old, so each has crossed its alarms (breach, unassigned, first
// response). A server in service raised them as the tickets aged; this one's alarm walk would
// catch up 200 tickets per kind a second for minutes, in the middle of the ingest and bootstrap
// measurements (this server and the ingest server run side by side). Caught up first.
const catchUpStart = performance.now();
let alarmsRaised = 0;
for (let raised = await server.alarms.evaluate(); raised.length > 0; raised = await server.alarms.evaluate()) alarmsRaised += raised.length;
const ready: SeededBootstrapServer = {
  url: server.url,
  lead: { username: 'lead', password: LEAD_PASSWORD },
  tickets,
  messages,
  seedMs,
  alarmsRaised,
  alarmCatchUpMs: performance.now() - catchUpStart,
};
parent.send(ready);

parent.onCommand(async (command) => {
  const request = command as { cmd: 'profile'; pageSize: number } | { cmd: 'cpu' };
  if (request.cmd === 'cpu') {
    const used = process.cpuUsage();
    parent.send({ cpuMs: (used.user + used.system) / 1000 } satisfies ServerCpu);
    return;
  }
  const { pageSize } = request;
  const encoder = new Encoder();
  const profile: ServerPageProfile = { pages: 0, bundles: 0, buildMs: 0, encodeMs: 0, encodedBytes: 0 };
  let after: string | null = null;
  for (;;) {
    const buildStart = performance.now();
    const page: BootstrapPage = await store.bootstrapPage(lead, after, pageSize);
    const encodeStart = performance.now();
    // Exactly what socket.io does with an ack: a binary scan, then JSON.
    const encoded = encoder.encode({ type: PacketType.ACK, id: profile.pages, nsp: '/', data: [{ ok: true, result: page }] });
    const encodeEnd = performance.now();
    profile.buildMs += encodeStart - buildStart;
    profile.encodeMs += encodeEnd - encodeStart;
    for (const part of encoded) profile.encodedBytes += typeof part === 'string' ? Buffer.byteLength(part) : 0;
    profile.pages++;
    profile.bundles += page.bundles.length;
    if (page.next === null) break;
    after = page.next;
  }
  parent.send(profile);
});
