import { describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { chooseLeastLoaded, type RoutingCandidate } from './routing.js';

function candidate(username: string, displayName: string, openTickets: number, lastAssignedAt: number | null, channels: User['channels'] = ['chat']): RoutingCandidate {
  return {
    user: { id: username, username, displayName, role: 'agent', channels, groups: [], tier: 1, senior: false },
    openTickets,
    lastAssignedAt,
  };
}

describe('chooseLeastLoaded', () => {
  it('prefers the fewest open tickets', () => {
    const decision = chooseLeastLoaded('chat', [candidate('agent1', '王芳', 3, 1), candidate('agent2', '张强', 2, 5)]);
    expect(decision).toEqual({ assignee: { id: 'agent2', username: 'agent2', displayName: '张强' }, reason: 'Routed to 张强 (agent2): chat skill, fewest open tickets (2)' });
  });

  it('breaks a tie by the longest idle, then by username', () => {
    expect(chooseLeastLoaded('chat', [candidate('agent1', '王芳', 1, 200), candidate('agent2', '张强', 1, 100)]).reason).toBe(
      'Routed to 张强 (agent2): chat skill, fewest open tickets (1), idle longest',
    );
    expect(chooseLeastLoaded('chat', [candidate('agent1', '王芳', 1, 100), candidate('agent2', '张强', 1, null)]).assignee?.id).toBe('agent2');
    expect(chooseLeastLoaded('chat', [candidate('agent2', '张强', 0, null), candidate('agent1', '王芳', 0, null)]).reason).toBe(
      'Routed to 王芳 (agent1): chat skill, fewest open tickets (0), first by username',
    );
  });

  it('queues when nobody has the skill', () => {
    expect(chooseLeastLoaded('phone', [candidate('agent3', '刘洋', 0, null, ['email'])])).toEqual({
      assignee: null,
      reason: 'Queued: no agent with the phone skill is online',
    });
  });
});
