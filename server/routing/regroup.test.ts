/**
 * The engine follows a queued ticket whose skills changed in a committed snapshot: a new
 * type (so topic group) set by a lead, or a transfer back to a group's queue. Pure engine,
 * no I/O.
 */
import { describe, expect, it } from 'vitest';
import { defaultTicketRouting, type Channel, type Ticket, type TicketGroup, type User } from '../../shared/domain.js';
import { dueAtFor } from '../../shared/sla.js';
import { createRoutingEngine, defaultAgentSettings, type RoutingEffect } from './engine.js';

const T0 = Date.UTC(2024, 10, 8, 1, 0, 0);

function agent(id: string, displayName: string, groups: TicketGroup[]): User {
  return { id, username: id, displayName, role: 'agent', channels: ['chat', 'email'], groups, tier: 1, senior: false, languages: ['zh'], extension: null };
}

function ticket(channel: Channel, group: TicketGroup): Ticket {
  return {
    id: 'GD20241108001',
    customerId: 'CUS20241108001',
    channel,
    type: 'consult',
    subject: '想退货',
    priority: 'normal',
    status: 'unassigned',
    assigneeId: null,
    assigneeName: null,
    assignmentReason: null,
    createdAt: T0,
    updatedAt: T0,
    assignedAt: null,
    firstResponseAt: null,
    dueAt: dueAtFor(T0, 'normal'),
    completedAt: null,
    lastMessagePreview: '想退货',
    lastMessageAt: T0,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: { ...defaultTicketRouting(), group, language: 'zh' },
  };
}

function setup() {
  const engine = createRoutingEngine({ autoAccept: false });
  engine.upsertUser(agent('agent1', '王芳', ['orders']), defaultAgentSettings(T0));
  engine.upsertUser(agent('agent2', '张强', ['after_sales']), defaultAgentSettings(T0));
  engine.connect('agent1', T0);
  engine.connect('agent2', T0);
  return engine;
}

const ticketEffect = (effects: RoutingEffect[]) =>
  effects.find((e): e is Extract<RoutingEffect, { kind: 'ticket' }> => e.kind === 'ticket' && e.assignee !== null);

describe('a queued ticket whose type or group changes', () => {
  it('waits while nobody has its group, and goes to the agent of the new group once its type changes', () => {
    const engine = setup();
    const waiting = ticket('email', 'technical');
    expect(ticketEffect(engine.admit({ ticket: waiting, vipTier: 0 }, T0 + 1))).toBeUndefined();
    expect(engine.queuedTicketIds(T0 + 1)).toEqual([waiting.id]);
    const retyped: Ticket = { ...waiting, type: 'after_sales', routing: { ...waiting.routing, group: 'after_sales' }, updatedAt: T0 + 2 };
    expect(ticketEffect(engine.observeTicket({ ticket: retyped, vipTier: 0 }, T0 + 2))).toMatchObject({ assignee: { id: 'agent2' } });
    expect(engine.queuedTicketIds(T0 + 2)).toEqual([]);
  });

  it('withdraws a chat offer the new group no longer allows and offers it in the new group', () => {
    const engine = setup();
    const chat = ticket('chat', 'orders');
    const admitted = engine.admit({ ticket: chat, vipTier: 0 }, T0 + 1);
    expect(admitted).toContainEqual(expect.objectContaining({ kind: 'offer', agentId: 'agent1' }));
    const transferred: Ticket = { ...chat, routing: { ...chat.routing, group: 'after_sales' }, updatedAt: T0 + 2 };
    const effects = engine.observeTicket({ ticket: transferred, vipTier: 0 }, T0 + 2);
    expect(effects).toContainEqual({ kind: 'withdrawn', ticketId: chat.id, agentId: 'agent1', reason: 'reassigned' });
    expect(effects).toContainEqual(expect.objectContaining({ kind: 'offer', ticketId: chat.id, agentId: 'agent2' }));
  });
});
