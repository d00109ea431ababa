/**
 * When the customer panel reloads the history for a new satisfaction answer: one more CSAT
 * note on the open ticket (the note the server adds with the answer), not any note.
 */
import { describe, expect, it } from 'vitest';
import { CSAT_AUTHOR_ID } from '../../../shared/csat.js';
import type { PendingNote } from '../../../shared/rpc.js';
import { csatNotesOf } from './customerSlice.js';

function noteBy(authorId: string, n: number): PendingNote {
  return { id: `n${String(n)}`, ticketId: 'GD20261204001', authorId, authorName: authorId, text: 'x', createdAt: n, pending: false };
}

describe('csatNotesOf', () => {
  it('counts the CSAT notes only, and none without an open ticket', () => {
    expect(csatNotesOf(null)).toBe(0);
    expect(csatNotesOf({ notes: [noteBy('agent1', 1), noteBy('agent2', 2)] })).toBe(0);
    expect(csatNotesOf({ notes: [noteBy('agent1', 1), noteBy(CSAT_AUTHOR_ID, 2)] })).toBe(1);
  });
});
