/**
 * The channel board over real sockets: leads and admins get `board:snapshot` on connect and
 * when a contact arrives through the HTTP API; agents never get it, and `board:get` answers
 * them `forbidden`. Both backends.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boardSnapshotSchema, type BoardSnapshot } from '../../shared/board.js';
import type { InboundContact, InboundResponse } from '../../shared/httpApi.js';
import type { Ack } from '../../shared/sync.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';
import { askSocket, connectTestSocket, disconnectTestSockets, type TestSocket } from '../testing/sockets.js';

let t: TestServer | null = null;

afterEach(async () => {
  disconnectTestSockets();
  await t?.stop();
  t = null;
});

async function connectAs(server: TestServer, username: string): Promise<{ socket: TestSocket; boards: BoardSnapshot[] }> {
  const boards: BoardSnapshot[] = [];
  // Every push is checked against the shared schema, as the workstation does.
  const { socket } = await connectTestSocket(server, username, {
    listen: (socket) => socket.on('board:snapshot', (board) => boards.push(boardSnapshotSchema.parse(board))),
  });
  return { socket, boards };
}

function boardGet(socket: TestSocket, payload: unknown): Promise<Ack<{ board: BoardSnapshot }>> {
  return askSocket(socket, 'board:get', payload);
}

async function inbound(server: TestServer, contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${server.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)}`);
  return response.body as InboundResponse;
}

function pending(board: BoardSnapshot | undefined, channel: string): number | undefined {
  return board?.rows.find((row) => row.channel === channel)?.pending;
}

for (const backend of TEST_BACKENDS) {
  describe(`channel board sockets on ${backend}`, () => {
    async function start(): Promise<TestServer> {
      t = await startTestServer({ backend, tokenTtlMs: 60 * 60 * 1000, boardIntervalMs: 20 });
      await seedTestOrganisation(t.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'lead2', displayName: '陈主管', role: 'lead', channels: [] },
        { username: 'admin1', displayName: '管理员', role: 'admin', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
      ]);
      return t;
    }

    it('pushes the board to leads and admins when a contact arrives, and never to agents', async () => {
      const server = await start();
      const agent = await connectAs(server, 'agent1');
      const lead1 = await connectAs(server, 'lead1');
      const lead2 = await connectAs(server, 'lead2');
      const admin = await connectAs(server, 'admin1');
      for (const watcher of [lead1, lead2, admin]) await vi.waitFor(() => expect(pending(watcher.boards.at(-1), 'chat')).toBe(0));

      await inbound(server, { channel: 'chat', customer: { name: '何静', phone: '13100131008' }, text: '订单什么时候到？' });
      for (const watcher of [lead1, lead2, admin]) await vi.waitFor(() => expect(pending(watcher.boards.at(-1), 'chat')).toBe(1));
      // One computation for everybody: the three watchers got the very same snapshot.
      const pushed = lead1.boards.at(-1)!;
      expect(lead2.boards.at(-1)).toEqual(pushed);
      expect(admin.boards.at(-1)).toEqual(pushed);
      expect(pushed.rows.find((row) => row.channel === 'chat')?.today.volume).toBe(1);

      // The agent's ack comes after anything the server sent that socket before: no board among it.
      const refused = await boardGet(agent.socket, {});
      expect(refused).toEqual({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('leads') as string } });
      expect(agent.boards).toEqual([]);
    });

    it('is computed only while a lead watches, once per interval for all of them, not once per socket', async () => {
      const server = await start();
      const computations = () => server.server.board.computations();
      // Only an agent online: contacts arrive, nothing is computed.
      const agent = await connectAs(server, 'agent1');
      for (let index = 0; index < 3; index += 1) {
        await inbound(server, { channel: 'email', customer: { name: `客户${String(index)}`, email: `c${String(index)}@example.cn` }, text: '你好' });
      }
      await boardGet(agent.socket, {});
      expect(computations()).toBe(0);

      const watchers = [await connectAs(server, 'lead1'), await connectAs(server, 'lead2'), await connectAs(server, 'admin1')];
      for (const watcher of watchers) await vi.waitFor(() => expect(watcher.boards.length).toBeGreaterThan(0));
      const before = computations();
      const contacts = 10;
      for (let index = 0; index < contacts; index += 1) {
        await inbound(server, { channel: 'chat', customer: { name: `访客${String(index)}`, phone: `1391234000${String(index)}` }, text: '在吗' });
      }
      for (const watcher of watchers)
        await vi.waitFor(() => expect(watcher.boards.at(-1)?.rows.find((row) => row.channel === 'chat')?.today.volume).toBe(contacts));
      // At most one computation per commit (usually fewer: commits within an interval share one), whatever the number of watchers.
      expect(computations() - before).toBeLessThanOrEqual(contacts + 1);
      expect(computations() - before).toBeGreaterThan(0);
      expect(agent.boards).toEqual([]);
    });

    it('answers board:get to a lead with the current board and refuses bad input', async () => {
      const server = await start();
      const lead = await connectAs(server, 'lead1');
      await inbound(server, { channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票' });
      await vi.waitFor(async () => {
        const answer = await boardGet(lead.socket, {});
        expect(answer.ok && pending(answer.result.board, 'email')).toBe(1);
      });
      const bad = await boardGet(lead.socket, { channel: 'chat' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    });
  });
}
