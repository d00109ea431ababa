/**
 * Child process of the offline-replay bench: the REAL server (store, sync, fan-out) in its
 * own process, so replaying the outbox is measured across two event loops as in
 * production. Commands on stdin: `{cmd:'start'}` starts it (the first time on an
 * ephemeral port with a small organisation and tickets assigned to agent1, later on the
 * same port and data), `{cmd:'stop'}` closes it; each is answered with one JSON line.
 */
import { startServer, type RunningServer } from '../server/app.js';
import { TEST_PASSWORD, makeTempDir, seedTestOrganisation } from '../server/testHarness.js';
import { connectToParent, removeDir } from './benchSupport.js';

const parent = connectToParent();
const dataDir = makeTempDir('omnidesk-bench-offline-server-');
let server: RunningServer | null = null;
let port = 0;
let ticketIds: string[] = [];

parent.onCommand(async (command) => {
  const cmd = (command as { cmd?: string }).cmd;
  if (cmd === 'start') {
    server = await startServer({ port, dataDir, log: () => {} });
    if (port === 0) {
      port = server.port;
      await seedTestOrganisation(server.store, [
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['chat', 'phone'] },
      ]);
      const subjects = ['订单物流查询延迟', '退款进度咨询', '发票抬头修改', '会员积分未到账', '商品质量投诉'];
      ticketIds = [];
      for (const [i, subject] of subjects.entries()) {
        const { ticketId } = await server.store.ingestInbound(
          { channel: 'chat', customer: { name: `客户${String(i + 1)}`, phone: `1380013800${String(i)}` }, subject, text: `${subject}，请尽快处理` },
          { now: Date.now() },
        );
        await server.store.assignTicket({
          ticketId,
          assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
          reason: { code: 'assigned_by_lead', byName: '李主管' },
          now: Date.now(),
        });
        ticketIds.push(ticketId);
      }
    }
    parent.send({ url: server.url, port, ticketIds, password: TEST_PASSWORD });
  } else if (cmd === 'stop') {
    await server?.close();
    server = null;
    parent.send({ stopped: true });
  } else if (cmd === 'count') {
    let notes = 0;
    for (const id of ticketIds) notes += (await server?.store.getTicketBundle(id))?.notes.length ?? 0;
    parent.send({ notes });
  }
});

parent.onShutdown(async () => {
  await server?.close();
  removeDir(dataDir);
});
