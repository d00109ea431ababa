/**
 * Development tool, not a bench phase: the store's work per first contact counted in ways a
 * loaded machine cannot disturb (CPU time moves with the load; these do not). Each contact is
 * what the HTTP inbound path asks of the store, one after another: the integration token's
 * look-up (a read outside any transaction) and then `ingestInbound` in a group commit of its own
 * (one commit per contact, as at 200/s on a quiet server). No HTTP, no routing, no timers.
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg/callgrind.out.%p node --import tsx bench/ingestInstructions.ts
 *     prints `store_instructions_per_contact` (every thread, the window only: callgrind's
 *     counters are zeroed at its start and dumped at its end with `callgrind_control`)
 *   INGEST_PAGES=1 node --import tsx bench/ingestInstructions.ts
 *     prints `store_wal_frames_per_contact`: pages written into the WAL per contact (the writer's
 *     automatic checkpoints are turned off for the window, so the WAL only grows)
 *
 * `INGEST_WARMUP` (default 300) contacts first, then `INGEST_CONTACTS` (default 300) measured.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3-multiple-ciphers';
import { createGroupCommit } from '../server/groupCommit.js';
import { openServerStore } from '../server/store.js';
import type { ChannelContact } from '../server/store.js';
import type { Channel } from '../shared/domain.js';
import { makeBenchDir, removeDir } from './benchSupport.js';
import { firstContact } from './sampleContacts.js';

const TOKEN = 'instructions-integration-token';
const CHANNEL_MIX: readonly Channel[] = ['email', 'phone', 'chat', 'social'];

/** Under callgrind: its counters zeroed now, or dumped and the instructions since the zero returned. */
async function callgrind(action: 'zero' | 'dump'): Promise<number> {
  const outFile = process.env.CALLGRIND_DIR ?? process.cwd();
  // Awaited, not synchronous: valgrind answers callgrind_control only while this process runs.
  await promisify(execFile)('callgrind_control', [action === 'zero' ? '--zero' : '--dump=window', String(process.pid)]);
  if (action === 'zero') return 0;
  const dumps = readdirSync(outFile)
    .filter((name) => name.startsWith(`callgrind.out.${String(process.pid)}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const text = readFileSync(path.join(outFile, dumps[dumps.length - 1]!), 'utf8');
  const summary = /^summary: (\d+)/m.exec(text);
  if (!summary) throw new Error('no summary in the callgrind dump');
  return Number(summary[1]);
}

async function main(): Promise<void> {
  const warmup = Number(process.env.INGEST_WARMUP ?? '300');
  const contacts = Number(process.env.INGEST_CONTACTS ?? '300');
  const underCallgrind = process.env.INGEST_PAGES !== '1';
  const dataDir = makeBenchDir('ingest-instructions');
  const filePath = path.join(dataDir, 'server.sqlite');
  const store = openServerStore({ filePath });
  await store.createIntegrationToken('bench', TOKEN);
  const ingest = createGroupCommit(
    (fn) => store.withTransaction(fn),
    (contact: ChannelContact) => store.ingestInbound(contact, { now: Date.now() }),
  );
  const one = async (index: number): Promise<void> => {
    const found = await store.lookupToken(TOKEN, Date.now());
    if (found.status !== 'valid') throw new Error('token not found');
    await ingest({ ...firstContact(index, CHANNEL_MIX[index % 4]!), claimScope: 'api:bench' });
  };
  for (let k = 0; k < warmup; k++) await one(1_000_000 + k);
  let walBytes = 0;
  if (!underCallgrind) {
    // The writer is the connection that commits: checkpoints off on it for the window, so the WAL only grows.
    const prototype = Database.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const exec = prototype.exec!;
    prototype.exec = function (this: Database.Database, text: unknown) {
      if (String(text).startsWith('BEGIN')) this.pragma('wal_autocheckpoint = 0');
      return exec.call(this, text);
    };
    await one(2_000_000); // the first commit with checkpoints off
    walBytes = statSync(`${filePath}-wal`).size;
  } else await callgrind('zero');
  for (let k = 0; k < contacts; k++) await one(k);
  if (underCallgrind) {
    const instructions = await callgrind('dump');
    process.stdout.write(`store_instructions_per_contact=${String(Math.round(instructions / contacts))}\n`);
  } else {
    const grown = statSync(`${filePath}-wal`).size - walBytes;
    const probe = new Database(filePath, { readonly: true });
    const pageSize = Number(probe.pragma('page_size', { simple: true }));
    probe.close();
    const frames = grown / (pageSize + 24);
    process.stdout.write(`store_wal_frames_per_contact=${(frames / contacts).toFixed(2)}\n`);
  }
  await store.close();
  removeDir(dataDir);
}

await main();
