/**
 * Replies on two server nodes (in this process, one PostgreSQL database, one Redis): a reply
 * queued on node A, claimed by A's dispatcher and never sent (A's way to the platform hangs,
 * as a node that died holding the claim), is sent by node B once A's claim runs out, although
 * nothing is queued on B meanwhile. B's dispatcher must hear A's commit to watch A's claim.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PushResult } from '../../shared/sync.js';
import { seedTestOrganisation, type TestServer } from '../testHarness.js';
import { createTestCluster, type TestCluster } from '../testing/cluster.js';
import { askSocket } from '../testing/sockets.js';
import { createWebhookChannel } from './webhook/webhookChannel.js';

const SECRET = 'weibo-secret-cluster-3xQ';
const CLAIM_MS = 2_000;

/** The platform's callback endpoint: `/hang` never answers (until closed), `/reply` answers 200. */
interface Platform {
  url: string;
  hung: string[];
  answered: string[];
  close(): Promise<void>;
}

async function startPlatform(): Promise<Platform> {
  const hung: string[] = [];
  const answered: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { messageId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messageId: string };
      if (req.url === '/hang') {
        hung.push(messageId);
        return;
      }
      answered.push(messageId);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ externalMessageId: `wb-${messageId}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    hung,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let cluster: TestCluster;
let platform: Platform;
let a: TestServer;
let b: TestServer;

describe('replies on a cluster of two nodes', () => {
  beforeEach(async () => {
    platform = await startPlatform();
    cluster = await createTestCluster('delivery_cluster', { deliveryClaimMs: CLAIM_MS, deliveryRetryDelayMs: 50 });
    // The same platform on both nodes; node A reaches it through a route that hangs.
    a = await cluster.startNode('node-a', {
      channels: [createWebhookChannel({ platforms: [{ name: 'weibo', secret: SECRET, callbackUrl: `${platform.url}/hang` }] })],
    });
    await seedTestOrganisation(a.store, [{ username: 'lead1', displayName: '李主管', role: 'lead', channels: [] }]);
    b = await cluster.startNode('node-b', {
      channels: [createWebhookChannel({ platforms: [{ name: 'weibo', secret: SECRET, callbackUrl: `${platform.url}/reply` }] })],
    });
  });

  afterEach(async () => {
    // Ends A's hung request first, so A's dispatcher can stop.
    await platform.close();
    await cluster.stop();
  });

  it('sends a reply another node claimed and never sent, with nothing queued on this node to wake it', async () => {
    const { ticketId } = await a.store.ingestInbound(
      { channel: 'social', customer: { socialId: 'weibo:u-cluster' }, text: '在吗', proven: ['socialId'], source: 'webhook:weibo', newConversation: true },
      { now: Date.now() },
    );
    const leadOnA = await cluster.connect(a, 'lead1');
    const pushed = await askSocket<PushResult>(
      leadOnA,
      'sync:push',
      { mutations: [{ mutationId: 'm-reply-1', kind: 'reply', ticketId, messageId: 'reply-cluster-1', text: '您好，在的', createdAt: Date.now() }] },
      10_000,
    );
    expect(pushed.ok ? pushed.result.results[0] : pushed.error.code).toMatchObject({ ok: true });

    // Past A's claim (2 s), B sends it: nothing else is queued anywhere to wake B.
    await vi.waitFor(
      async () => {
        const row = await b.store.sql.get<{ delivery_status: string; claimed_by: string | null }>(
          'SELECT delivery_status, claimed_by FROM messages WHERE id = ?',
          ['reply-cluster-1'],
        );
        expect(row).toEqual({ delivery_status: 'sent', claimed_by: null });
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(platform.answered).toEqual(['reply-cluster-1']);
  });
});
