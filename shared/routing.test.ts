/** The one rule for an agent's own presence change, applied by the core and the window alike before the server's push; and the leads' roster diff and its merge. */
import { describe, expect, it } from 'vitest';
import {
  agentsDiff,
  agentsPushSchema,
  agentsPushVerdict,
  agentStatusSchema,
  applyAgentsPush,
  epochAfterPush,
  presenceAfterOwnChange,
  type AgentStatus,
  type PresenceChanged,
} from './routing.js';

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

describe('the leads roster diff', () => {
  const base: AgentStatus = agentStatusSchema.parse({
    userId: 'agent1',
    username: 'agent1',
    displayName: '王芳',
    presence: 'available',
    presenceCause: 'self',
    presenceSince: 1_000,
    connected: true,
    capacity: { phone: 1, chat: 3, social: 5, email: 10 },
    phoneBlocksChat: true,
    load: { phone: 0, chat: 1, social: 0, email: 2 },
    openTickets: 3,
    offers: 0,
    channels: ['phone', 'chat'],
    groups: ['orders'],
    tier: 1,
    senior: false,
    languages: ['zh'],
    lastAssignedAt: null,
  });
  const changes: Array<Partial<AgentStatus>> = [
    { presence: 'away', awayReason: 'break' },
    { presenceSince: 2_000 },
    { connected: false },
    { capacity: { ...base.capacity, email: 9 } },
    { load: { ...base.load, social: 1 } },
    { onCall: true },
    { wrapUpUntil: 5_000, wrapUpChannel: 'chat' },
    { openTickets: 4 },
    { offers: 1 },
    { channels: ['phone', 'email'] },
    { groups: ['orders', 'billing'] },
    { languages: [] },
    { tier: 2 },
    { senior: true },
    { displayName: '王芳芳' },
    { lastAssignedAt: 3_000 },
    { phoneBlocksChat: false },
  ];

  it('sends an agent again only when one of its fields changed, and names the ones gone', () => {
    const other = { ...base, userId: 'agent2', username: 'agent2' };
    const pushed = new Map([
      [base.userId, base],
      [other.userId, other],
    ]);
    // Equal but not the same objects (the engine builds new ones every push): nothing to send.
    expect(agentsDiff(pushed, [structuredClone(base), structuredClone(other)], 10)).toEqual({ agents: [], at: 10, complete: false, removed: [] });
    for (const change of changes) {
      const changed = { ...structuredClone(base), ...change };
      expect(agentsDiff(pushed, [changed, other], 10).agents, JSON.stringify(change)).toEqual([changed]);
    }
    const newcomer = { ...base, userId: 'agent3', username: 'agent3' };
    expect(agentsDiff(pushed, [base, newcomer], 20)).toEqual({ agents: [newcomer], at: 20, complete: false, removed: ['agent2'] });
  });

  it('applies a diff on top of the roster held and replaces it with a complete push', () => {
    const roster = new Map([[base.userId, base]]);
    const other = { ...base, userId: 'agent2', username: 'agent2' };
    const away = { ...base, presence: 'away' as const };
    const merged = applyAgentsPush(roster, { agents: [away, other], at: 5, complete: false, removed: [] });
    expect([...merged.values()]).toEqual([away, other]);
    expect(roster.get('agent1')).toBe(base);
    expect([...applyAgentsPush(merged, { agents: [], at: 6, complete: false, removed: ['agent1'] }).keys()]).toEqual(['agent2']);
    expect([...applyAgentsPush(merged, { agents: [base], at: 7, complete: true, removed: [] }).keys()]).toEqual(['agent1']);
    // An older server's push has no `complete`: it is the whole roster.
    expect(agentsPushSchema.parse({ agents: [], at: 8 })).toMatchObject({ complete: true, removed: [] });
  });

  it('stamps a diff with the leader’s epoch, and fences pushes by it', () => {
    expect(agentsDiff(new Map(), [base], 10, 7)).toEqual({ agents: [base], at: 10, complete: false, removed: [], epoch: 7 });
    // A deposed leader's late push, complete or not, is older than the roster held: dropped.
    expect(agentsPushVerdict(8, { complete: false, epoch: 7 })).toBe('stale');
    expect(agentsPushVerdict(8, { complete: true, epoch: 7 })).toBe('stale');
    // The same leader's diff applies; a newer leader's diff needs its whole roster first.
    expect(agentsPushVerdict(8, { complete: false, epoch: 8 })).toBe('apply');
    expect(agentsPushVerdict(8, { complete: false, epoch: 9 })).toBe('needs_complete');
    expect(agentsPushVerdict(8, { complete: true, epoch: 9 })).toBe('apply');
    // Without epochs (one node, an older server) pushes apply as they always did; a diff without one onto an epoch's roster cannot be placed.
    expect(agentsPushVerdict(null, { complete: false })).toBe('apply');
    expect(agentsPushVerdict(null, { complete: false, epoch: 3 })).toBe('apply');
    expect(agentsPushVerdict(8, { complete: false })).toBe('needs_complete');
    expect(agentsPushVerdict(8, { complete: true })).toBe('apply');
    expect(epochAfterPush(8, { complete: true, epoch: 9 })).toBe(9);
    expect(epochAfterPush(8, { complete: true })).toBeNull();
    expect(epochAfterPush(8, { complete: false, epoch: 8 })).toBe(8);
  });
});
