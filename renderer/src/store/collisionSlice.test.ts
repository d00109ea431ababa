/** What counts as "the ticket changed since the reply was started" (collisionSlice.ts): others' messages, a new assignee, a new status; never the agent's own. */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../shared/domain.js';
import type { TicketDetail } from '../../../shared/rpc.js';
import { baselineOf, changeSince } from './collisionSlice.js';

function message(id: string, authorId: string | null): Message {
  return {
    id,
    ticketId: 'GD20241108001',
    direction: authorId ? 'outbound' : 'inbound',
    channel: 'chat',
    authorId,
    authorName: authorId ?? '张伟',
    text: '…',
    externalMessageId: null,
    deliveryStatus: authorId ? 'sent' : 'received',
    createdAt: 1,
    attachments: [],
    source: null,
    call: null,
    deliveryError: null,
  };
}

function detail(messages: Message[], assigneeId = 'agent1', status: 'in_progress' | 'completed' = 'in_progress'): TicketDetail {
  return { ticket: { id: 'GD20241108001', assigneeId, status }, messages } as unknown as TicketDetail;
}

describe('changeSince', () => {
  const start = baselineOf(detail([message('m1', null)]));

  it('is nothing when only the agent wrote meanwhile', () => {
    expect(changeSince(start, detail([message('m1', null), message('m2', 'agent1')]), 'agent1')).toBeNull();
  });

  it('counts new customer and other agents’ messages, a new assignee and a new status', () => {
    expect(changeSince(start, detail([message('m1', null), message('m2', null), message('m3', 'agent2')]), 'agent1')).toEqual({
      newMessages: 2,
      reassigned: false,
      statusChanged: false,
    });
    expect(changeSince(start, detail([message('m1', null)], 'agent2', 'completed'), 'agent1')).toEqual({
      newMessages: 0,
      reassigned: true,
      statusChanged: true,
    });
  });

  it('ignores another ticket’s detail', () => {
    const other = { ...detail([message('x', null)]), ticket: { id: 'GD20241108002', assigneeId: 'agent1', status: 'in_progress' } } as unknown as TicketDetail;
    expect(changeSince(start, other, 'agent1')).toBeNull();
  });
});
