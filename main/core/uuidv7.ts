/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter, then random bits.
 * Ids made by one process sort in creation order, which keeps the outbox and message
 * ids ordered even when several are made in the same millisecond or the clock steps back.
 */
import { randomFillSync, randomInt } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * Random bytes drawn 4 KiB at a time (as Node's randomUUID does): one `randomBytes(16)` per id
 * was a call into the CSPRNG and a new Buffer per note or status change, several microseconds
 * of a local write's budget (benchmarks.md, "local_write"). The bytes are as random either way.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let pooled = POOL_BYTES;

function randomBlock(): Buffer {
  if (pooled + 16 > POOL_BYTES) {
    randomFillSync(pool);
    pooled = 0;
  }
  // A copy: the pool is refilled in place.
  const block = Buffer.from(pool.subarray(pooled, pooled + 16));
  pooled += 16;
  return block;
}

export function uuidv7(nowMs: number = Date.now()): string {
  let ms = Math.max(Math.floor(nowMs), lastMs);
  if (ms === lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      ms += 1;
      counter = randomInt(0, 0x400);
    }
  } else {
    // Start low in the counter space so many ids fit in one millisecond.
    counter = randomInt(0, 0x400);
  }
  lastMs = ms;

  const bytes = randomBlock();
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
