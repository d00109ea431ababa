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

  it('lets a pin go when a new type needs a skill the pinned agent lacks, and routes the ticket in its new group', () => {
    const engine = setup();
    // agent1 is busy: the ticket a lead pinned to them waits for them.
    engine.setPresence('agent1', 'busy', 'self', null, T0);
    const waiting = ticket('email', 'orders');
    engine.admit({ ticket: waiting, vipTier: 0 }, T0 + 1);
    const pin = engine.pin(waiting.id, 'agent1', '李主管', T0 + 2);
    expect(pin.ok).toBe(true);
    expect(engine.ticketView(waiting.id)).toMatchObject({ assigneeId: null, routing: { pinnedAgentId: 'agent1' } });
    const pinned: Ticket = { ...waiting, routing: { ...waiting.routing, pinnedAgentId: 'agent1', pinnedAgentName: '王芳' }, updatedAt: T0 + 2 };
    // Its type changes to after-sales, which agent1 does not work: waiting for them would be waiting for good.
    const retyped: Ticket = { ...pinned, type: 'after_sales', routing: { ...pinned.routing, group: 'after_sales' }, updatedAt: T0 + 3 };
    const effects = engine.observeTicket({ ticket: retyped, vipTier: 0 }, T0 + 3);
    const decisions = effects.flatMap((e) => (e.kind === 'ticket' && e.ticketId === waiting.id ? [e.audit?.decision] : []));
    expect(decisions).toEqual(['unpinned', 'assigned']);
    expect(ticketEffect(effects)).toMatchObject({ ticketId: waiting.id, assignee: { id: 'agent2' } });
    expect(engine.ticketView(waiting.id)).toMatchObject({ assigneeId: 'agent2', routing: { pinnedAgentId: null } });
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

  it('does not hand a ticket transferred to a queue straight back to whoever passed it on, unless they are the only one after the cool-down', () => {
    const engine = createRoutingEngine({ autoAccept: true, declineCooldownMs: 60_000 });
    engine.upsertUser(agent('agent1', '王芳', ['after_sales']), defaultAgentSettings(T0));
    engine.upsertUser(agent('agent3', '刘洋', ['after_sales']), defaultAgentSettings(T0));
    engine.connect('agent1', T0);
    const email = ticket('email', 'after_sales');
    expect(ticketEffect(engine.admit({ ticket: email, vipTier: 0 }, T0 + 1))).toMatchObject({ assignee: { id: 'agent1' } });
    // 王芳 passes it to the after-sales queue with a note; 刘洋 comes online meanwhile with more load than her.
    engine.connect('agent3', T0 + 2);
    const held = ticket('email', 'after_sales');
    held.id = 'GD20241108002';
    held.customerId = 'CUS20241108002';
    expect(ticketEffect(engine.admit({ ticket: held, vipTier: 0 }, T0 + 3))).toMatchObject({ assignee: { id: 'agent3' } });
    const passedOn: Ticket = {
      ...email,
      status: 'unassigned',
      assigneeId: null,
      assigneeName: null,
      assignmentReason: { code: 'transferred', byName: '王芳', group: 'after_sales', note: '需要售后处理退货' },
      updatedAt: T0 + 4,
    };
    const effects = engine.observeTicket({ ticket: passedOn, vipTier: 0 }, T0 + 4);
    // Not back to 王芳, though she now holds nothing and last handled this customer.
    expect(ticketEffect(effects)).toMatchObject({ ticketId: email.id, assignee: { id: 'agent3' } });

    // With 刘洋 gone, a second transfer waits while 王芳 cools down, then goes to her: nobody else can take it.
    engine.disconnect('agent3', T0 + 5);
    const again: Ticket = { ...passedOn, assigneeId: 'agent1', assigneeName: '王芳', status: 'in_progress', updatedAt: T0 + 6 };
    engine.observeTicket({ ticket: again, vipTier: 0 }, T0 + 6);
    expect(ticketEffect(engine.observeTicket({ ticket: { ...passedOn, updatedAt: T0 + 7 }, vipTier: 0 }, T0 + 7))).toBeUndefined();
    expect(engine.queuedTicketIds(T0 + 7)).toEqual([email.id]);
    expect(ticketEffect(engine.tick(T0 + 7 + 60_000))).toMatchObject({ ticketId: email.id, assignee: { id: 'agent1' } });
  });
});
