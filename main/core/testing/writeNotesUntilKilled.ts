/**
 * A child process for the kill -9 durability test: resumes the stored session in
 * `<dataDir>` (the server is down), then adds notes to one ticket in a loop and prints
 * each note's id only after `ticket.addNote` resolved — i.e. after the agent would have
 * seen it. The parent kills it with SIGKILL and checks every printed id survived.
 * Usage: node --import tsx writeNotesUntilKilled.ts <dataDir> <serverUrl> <ticketId>
 */
import { createWorkstationCore } from '../index.js';
import { call } from './coreCalls.js';

async function main(): Promise<void> {
  const [dataDir, serverUrl, ticketId] = process.argv.slice(2);
  if (!dataDir || !serverUrl || !ticketId) throw new Error('usage: writeNotesUntilKilled <dataDir> <serverUrl> <ticketId>');
  const core = await createWorkstationCore({ dataDir, serverUrl });
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    const note = await call(core, 'ticket.addNote', { ticketId, text: `断电测试备注 ${String(i)}` });
    process.stdout.write(`${note.id}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
