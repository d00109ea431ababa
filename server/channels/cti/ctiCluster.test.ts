/**
 * Call events on two server nodes (in this process, one PostgreSQL database, one Redis). Behind
 * a load balancer the events of one call reach different nodes, at once when they come close
 * together: `ringing` on node A and `answered` on node B. Each event reads the call, decides, and
 * writes the call's row back whole; two of them overlapping must not undo each other.
 *
 * The overlap is made exact, not hoped for: the test holds, in a transaction of its own, the row
 * A's `ringing` is about to note (`cti_call_events`), so A's handler has read the call (none yet)
 * and waits; B's `answered` is posted then; the test lets A go once B has answered or waits too.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CtiEventInput } from '../../../shared/cti.js';
import { TEST_PASSWORD, type TestServer } from '../../testHarness.js';
import { signedWebhookHeaders } from '../signature.js';
import { createTestCluster, type TestCluster } from '../../testing/cluster.js';
import { ctiChannel, type CtiEventResponse } from './ctiChannel.js';

const SECRET = 'cti-secret-cluster';
const CALL_ID = 'call-race-1';
const WAIT = { timeout: 20_000, interval: 50 };

let cluster: TestCluster;
let a: TestServer;
let b: TestServer;
let holder: pg.Client;
/** Looks at the sessions from outside the holder's transaction (which would see one snapshot of them). */
let observer: pg.Client;

async function postEvent(node: TestServer, event: Pick<CtiEventInput, 'event'> & Partial<CtiEventInput>): Promise<{ status: number; body: CtiEventResponse }> {
  const body = JSON.stringify({ callId: CALL_ID, at: new Date().toISOString(), from: '13800138000', to: '4008001234', agentExtension: '8001', ...event });
  const response = await fetch(`${node.url}/channels/cti/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(SECRET, body, Date.now()) },
    body,
  });
  return { status: response.status, body: (await response.json()) as CtiEventResponse };
}

/** The node session noting an event of the call and waiting for the row the test holds (null: none yet). */
async function blockedNoter(): Promise<number | null> {
  const { rows } = await observer.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO cti_call_events%' ",
  );
  return rows[0]?.pid ?? null;
}

/** Whether a session waits for an advisory lock that session `pid` holds. */
async function waitsForLockOf(pid: number): Promise<boolean> {
  const { rows } = await observer.query<{ n: string }>(
    `SELECT COUNT(*) AS n FROM pg_locks w JOIN pg_locks h
       ON h.locktype = 'advisory' AND h.granted AND h.pid = $1 AND h.classid = w.classid AND h.objid = w.objid AND h.objsubid = w.objsubid
     WHERE w.locktype = 'advisory' AND NOT w.granted`,
    [pid],
  );
  return Number(rows[0]!.n) > 0;
}

describe('call events on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('cti_cluster', { channels: [ctiChannel({ secret: SECRET, twilio: null })] });
    a = await cluster.startNode('node-a');
    await a.store.createUser({
      id: 'agent1',
      username: 'agent1',
      password: TEST_PASSWORD,
      displayName: '王芳',
      role: 'agent',
      channels: ['phone'],
      extension: '8001',
    });
    b = await cluster.startNode('node-b');
    holder = new pg.Client({ connectionString: cluster.database.url });
    await holder.connect();
    observer = new pg.Client({ connectionString: cluster.database.url });
    await observer.connect();
  });

  afterEach(async () => {
    await holder.end();
    await observer.end();
    await cluster.stop();
  });

  it('keeps a call answered on one node when its ringing, handled at the same time on the other, commits last', async () => {
    await holder.query('BEGIN');
    await holder.query("INSERT INTO cti_call_events (call_id, event, at, received_at, source) VALUES ($1, 'ringing', 0, 0, 'test')", [CALL_ID]);

    const ringing = postEvent(a, { event: 'ringing' });
    // A has read the call (none yet) and waits on the held row.
    let noter: number | null = null;
    await vi.waitFor(async () => expect((noter = await blockedNoter())).not.toBeNull(), WAIT);

    let answeredSettled = false;
    const answered = postEvent(b, { event: 'answered' }).finally(() => (answeredSettled = true));
    // B has answered the call, or waits for A to be done with it.
    await vi.waitFor(async () => expect(answeredSettled || (await waitsForLockOf(noter!))).toBe(true), WAIT);
    await holder.query('ROLLBACK');

    expect((await ringing).status).toBe(200);
    const answer = await answered;
    expect(answer.status).toBe(200);
    expect(answer.body.state).toBe('answered');
    const call = await a.store.cti.getCall(CALL_ID);
    expect(call).toMatchObject({ state: 'answered', agentId: 'agent1', ticketId: answer.body.ticketId });

    // The call ends without a measured talk time: it was answered, so it is not a missed call.
    const ended = await postEvent(b, { event: 'ended' });
    expect(ended.body).toMatchObject({ state: 'ended', ticketId: answer.body.ticketId });
  });
});
