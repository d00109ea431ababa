/**
 * Seeds a server data folder for the inbox e2e: the demo organisation and `<count>` more
 * contacts (each its own customer and ticket, queued, one a minute up to now, every channel),
 * written through the store in a few transactions; then the server closes and the test
 * starts the real server process on the same folder.
 * Usage: `node --import tsx e2e/seedInbox.ts <dataDir> <count> <manifest.json>`.
 *
 * The manifest tells the test where each seeded ticket must land in lead1's inbox: the open
 * tickets lead1 could see before the seeding (the demo's), and every seeded ticket's number,
 * subject and customer, oldest first (the inbox lists newest first, so these fill its end).
 */
import { writeFileSync } from 'node:fs';
import { firstContact } from '../bench/sampleContacts.js';
import { startServer } from '../server/app.js';
import { CHANNELS, type TicketStatus } from '../shared/domain.js';

export interface SeedManifest {
  /** Open tickets (queued, in progress, awaiting the customer) lead1 could see before the seeding. */
  openBefore: number;
  /** Every ticket lead1 could see before the seeding, whatever its status. */
  visibleBefore: number;
  /** The seeded tickets, oldest first: one a minute, the newest a minute before the seeding began. */
  seeded: Array<{ id: string; subject: string; customer: string }>;
}

const OPEN: TicketStatus[] = ['unassigned', 'in_progress', 'awaiting_customer'];
const CLOSED: TicketStatus[] = ['completed', 'closed'];

const [dataDir, countArg, manifestPath] = process.argv.slice(2);
const count = Number(countArg);
if (!dataDir || !manifestPath || !Number.isInteger(count) || count < 1) throw new Error('usage: seedInbox.ts <dataDir> <count> <manifest.json>');

const server = await startServer({ port: 0, dataDir, demo: true, log: () => {} });
const lead = await server.store.getUserByUsername('lead1');
if (!lead) throw new Error('the demo organisation has no lead1');

/** lead1's tickets in these statuses (the demo has far fewer than one page of each). */
async function visible(statuses: TicketStatus[]): Promise<number> {
  let total = 0;
  for (const status of statuses) {
    const page = await server.store.listTickets(lead!, { status, limit: 500 });
    if (page.next) throw new Error(`more than 500 ${status} tickets before seeding`);
    total += page.tickets.length;
  }
  return total;
}
const openBefore = await visible(OPEN);
const visibleBefore = openBefore + (await visible(CLOSED));

const start = Date.now() - count * 60_000;
const seeded: SeedManifest['seeded'] = [];
const CHUNK = 1000;
for (let from = 0; from < count; from += CHUNK) {
  await server.store.withTransaction(async () => {
    for (let index = from; index < Math.min(count, from + CHUNK); index++) {
      const channel = CHANNELS[index % CHANNELS.length]!;
      const contact = firstContact(index, channel);
      const { ticketId } = await server.store.ingestInbound({ ...contact, proven: ['phone', 'email', 'socialId'] }, { now: start + index * 60_000 });
      seeded.push({ id: ticketId, subject: contact.subject ?? '', customer: contact.customer.name ?? '' });
    }
  });
}
await server.close();
const manifest: SeedManifest = { openBefore, visibleBefore, seeded };
writeFileSync(manifestPath, JSON.stringify(manifest));
process.stdout.write(`seeded ${String(count)} contacts\n`);
