import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAIR_ADVISORY_LOCK_KEYS, SINGLE_ADVISORY_LOCK_KEYS } from './lockKeys.js';

const serverRoot = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('advisory lock keys', () => {
  it('gives every job of the bigint key space its own key', () => {
    const values = Object.values(SINGLE_ADVISORY_LOCK_KEYS);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives every job of the pair key space its own pair', () => {
    const pairs = Object.values(PAIR_ADVISORY_LOCK_KEYS).map(([classId, objId]) => `${String(classId)}:${String(objId)}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('keeps the keys a running cluster already agrees on', () => {
    // A rolling upgrade runs old and new nodes together: these must not move.
    expect(SINGLE_ADVISORY_LOCK_KEYS).toMatchObject({
      MIGRATION_LOCK_KEY: 0x0d_e5_c0_01,
      ROUTING_TURN_LOCK_KEY: 0x0d_e5_c0_02,
      HISTORY_RETENTION_LOCK_KEY: 0x0d_e5_c0_03,
    });
    expect(PAIR_ADVISORY_LOCK_KEYS.LEADER_LOCK_ROUTING).toEqual([0x6f6d6e69, 1]);
  });

  it('has no numeric lock key declared outside lockKeys.ts', () => {
    const strays = sourceFiles(serverRoot)
      .filter((path) => !path.endsWith(join('db', 'lockKeys.ts')))
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => /\bconst\s+(\w+_)?LOCK(_\w+)?\s*=\s*(0x[\da-fA-F_]+|\d[\d_]*)\s*;/.test(line))
          .map((line) => `${relative(serverRoot, path)}: ${line.trim()}`),
      );
    expect(strays).toEqual([]);
  });
});
