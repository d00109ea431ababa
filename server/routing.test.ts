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
    expect(decision).toEqual({ assignee: { id: 'agent2', username: 'agent2', displayName: '张强' }, reason: { code: 'least_loaded', channel: 'chat', openTickets: 2, tieBreak: 'none' } });
  });

  it('breaks a tie by the longest idle, then by username', () => {
    expect(chooseLeastLoaded('chat', [candidate('agent1', '王芳', 1, 200), candidate('agent2', '张强', 1, 100)]).reason).toEqual({
      code: 'least_loaded',
      channel: 'chat',
      openTickets: 1,
      tieBreak: 'idle_longest',
    });
    expect(chooseLeastLoaded('chat', [candidate('agent1', '王芳', 1, 100), candidate('agent2', '张强', 1, null)]).assignee?.id).toBe('agent2');
    const tie = chooseLeastLoaded('chat', [candidate('agent2', '张强', 0, null), candidate('agent1', '王芳', 0, null)]);
    expect(tie.assignee?.id).toBe('agent1');
    expect(tie.reason).toEqual({ code: 'least_loaded', channel: 'chat', openTickets: 0, tieBreak: 'username' });
  });

  it('queues when nobody has the skill', () => {
    expect(chooseLeastLoaded('phone', [candidate('agent3', '刘洋', 0, null, ['email'])])).toEqual({
      assignee: null,
      reason: { code: 'no_agent_online', channel: 'phone' },
    });
  });
});
