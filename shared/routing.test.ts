/** The one rule for an agent's own presence change, applied by the core and the window alike before the server's push. */
import { describe, expect, it } from 'vitest';
import { presenceAfterOwnChange, type PresenceChanged } from './routing.js';

const wrappingUp: PresenceChanged = {
  presence: 'available',
  cause: 'self',
  awayReason: null,
  byName: null,
  at: 1_000,
  skipped: [{ channel: 'chat', reason: 'at_capacity', load: 3, capacity: 3, waiting: 2 }],
  wrapUpUntil: 31_000,
  wrapUpChannel: 'phone',
};

describe('presenceAfterOwnChange', () => {
  it('ends a wrap-up when the agent says Available, keeping what routing said it skips', () => {
    expect(presenceAfterOwnChange({ presence: 'available', cause: 'self', awayReason: null, at: 2_000 }, wrappingUp)).toEqual({
      ...wrappingUp,
      at: 2_000,
      wrapUpUntil: null,
      wrapUpChannel: null,
    });
  });

  it('leaves a wrap-up running on any other choice, and drops the skips (only an available agent is passed over)', () => {
    expect(presenceAfterOwnChange({ presence: 'away', cause: 'self', awayReason: 'break', at: 2_000 }, wrappingUp)).toEqual({
      presence: 'away',
      cause: 'self',
      awayReason: 'break',
      byName: null,
      at: 2_000,
      skipped: [],
      wrapUpUntil: 31_000,
      wrapUpChannel: 'phone',
    });
  });

  it('starts from nothing known', () => {
    expect(presenceAfterOwnChange({ presence: 'busy', cause: 'self', awayReason: null, at: 5 }, null)).toMatchObject({
      skipped: [],
      wrapUpUntil: null,
      wrapUpChannel: null,
    });
  });
});
