/**
 * Seeds a server data folder for the inbox e2e: the demo organisation and `<count>` more
 * contacts (each its own customer and ticket, queued, one a minute up to now, every channel),
 * written through the store in a few transactions; then the server closes and the test
 * starts the real server process on the same folder. Usage: `node --import tsx e2e/seedInbox.ts <dataDir> <count>`.
 */
import { firstContact } from '../bench/sampleContacts.js';
import { startServer } from '../server/app.js';
import { CHANNELS } from '../shared/domain.js';

const [dataDir, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!dataDir || !Number.isInteger(count) || count < 1) throw new Error('usage: seedInbox.ts <dataDir> <count>');

const server = await startServer({ port: 0, dataDir, demo: true, log: () => {} });
const start = Date.now() - count * 60_000;
const CHUNK = 1000;
for (let from = 0; from < count; from += CHUNK) {
  await server.store.withTransaction(async () => {
    for (let index = from; index < Math.min(count, from + CHUNK); index++) {
      const channel = CHANNELS[index % CHANNELS.length]!;
      await server.store.ingestInbound({ ...firstContact(index, channel), proven: ['phone', 'email', 'socialId'] }, { now: start + index * 60_000 });
    }
  });
}
await server.close();
process.stdout.write(`seeded ${String(count)} contacts\n`);
