/**
 * The core's board session against a real socket.io server that sends what it likes: a push
 * that is not a board (a hostile or broken server) is logged and ignored, an older board
 * never replaces a newer one, and after `stop` nothing more is passed on.
 */
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPushServer } from '../../../server/testing/pushServer.js';
import { EMPTY_BOARD_DAY_TOTALS, boardDayOf, type BoardSnapshot } from '../../../shared/board.js';
import { EMPTY_TOTALS, kpisFromTotals } from '../../../shared/kpi.js';
import type { WorkstationSocket } from '../sync/syncClient.js';
import { startBoardSession } from './boardSession.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function board(at: number, chatPending: number): BoardSnapshot {
  return {
    at,
    day: '2024-11-08',
    backlogThreshold: 50,
    rows: (['phone', 'chat', 'social', 'email'] as const).map((channel) => ({
      channel,
      pending: channel === 'chat' ? chatPending : 0,
      inProgress: 0,
      today: kpisFromTotals(EMPTY_TOTALS),
      day: boardDayOf(EMPTY_BOARD_DAY_TOTALS),
      firstResponseOverdue: 0,
    })),
    queues: chatPending > 0 ? [{ channel: 'chat', group: null, waiting: chatPending, oldestSince: at, breaching: 0, breached: 0 }] : [],
    agents: [],
  };
}

async function serverAndClient(): Promise<{ send: (payload: unknown) => void; client: WorkstationSocket }> {
  const server = await startPushServer();
  const client: WorkstationSocket = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const emit = await server.connected;
  const send = (payload: unknown) => emit('board:snapshot', payload);
  closers.push(async () => {
    client.disconnect();
    await server.close();
  });
  return { send, client };
}

describe('board session', () => {
  it('passes boards on, ignores a push that is not a board and an older board, and stops', async () => {
    const { send, client } = await serverAndClient();
    const events: BoardSnapshot[] = [];
    const logged: string[] = [];
    const session = startBoardSession({
      socket: client,
      emit: (_event, payload) => events.push((payload as { board: BoardSnapshot }).board),
      log: (line) => logged.push(line),
    });
    expect(session.current()).toBeNull();

    send({ at: 1000, rows: 'everything' });
    send({ ...board(2000, 3), rows: [{ channel: 'fax', pending: -1 }] });
    send(board(3000, 7));
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]?.rows[1]).toMatchObject({ channel: 'chat', pending: 7 });
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(/^board: ignored a push that is not a board/);

    send(board(2500, 1));
    send(board(4000, 9));
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(session.current()?.at).toBe(4000);

    session.stop();
    send(board(5000, 11));
    send(board(6000, 12));
    // A round trip after the pushes: they have arrived, and were not passed on.
    await new Promise<void>((resolve) => {
      client.once('board:snapshot', () => resolve());
      send(board(7000, 13));
    });
    expect(events).toHaveLength(2);
    expect(session.current()?.at).toBe(4000);
  });
});
