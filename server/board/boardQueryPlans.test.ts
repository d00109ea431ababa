/**
 * The board recount's day reads on a real SQLite file at the latest schema: the plans SQLite
 * picks, since a wrong one does not change a figure, only turns a seek into a scan of every
 * ticket ever made (bench/board.ts `board_recount_snapshot_ms_*`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrations/index.js';
import { COMPLETED_IN_DAY_SQL, CSAT_ANSWERED_IN_DAY_SQL } from './boardRepository.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'board-plans-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  migrate(db);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string, ...parameters: number[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((step) => step.detail);
}

describe("the board recount's day reads on SQLite", () => {
  it('seeks the finished tickets by completion time', () => {
    expect(plan(COMPLETED_IN_DAY_SQL, 0, 1_000)[0]).toMatch(/^SEARCH t USING INDEX tickets_finished_at \(completed_at>\? AND completed_at<\?\)$/);
  });

  it("reads the surveys and looks up each one's ticket, never walking the tickets", () => {
    const steps = plan(CSAT_ANSWERED_IN_DAY_SQL, 0, 1_000);
    expect(steps[0]).toMatch(/^SCAN s\b/);
    expect(steps[1]).toMatch(/^SEARCH t USING INDEX sqlite_autoindex_tickets_1 \(id=\?\)$/);
    expect(steps.join(' | ')).not.toMatch(/SCAN t\b/);
  });
});
