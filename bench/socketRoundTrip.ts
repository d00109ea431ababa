/**
 * Phase 1, the raw floor: sequential `emitWithAck` round trips between a socket.io-client
 * here and a bare socket.io echo server in a child process. Every sync figure rides on
 * this transport, so it is the least any request/response of the product can cost now.
 */
import { io, type Socket } from 'socket.io-client';
import { percentile, progress, reportMetric, scaled, startBenchChild } from './benchSupport.js';

/** Round-trip percentiles of the bare transport, for the other phases to compare with. */
export interface SocketRoundTrip {
  p50Ms: number;
  p99Ms: number;
}

const WARM_UP_ROUND_TRIPS = 300;

export async function measureSocketRoundTrip(): Promise<SocketRoundTrip> {
  const roundTrips = scaled(3000, 200);
  const child = startBenchChild('echoServer.ts');
  let client: Socket | null = null;
  try {
    const { url } = await child.next<{ url: string }>(30_000);
    const connected = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    client = connected;
    await new Promise<void>((resolve, reject) => {
      connected.once('connect', () => resolve());
      connected.once('connect_error', reject);
    });
    // A payload the size of a small sync ack, so the floor is not an empty frame.
    const payload = { ok: true, result: { upTo: 123456, changes: [], more: false, note: '订单物流查询延迟' } };
    for (let i = 0; i < WARM_UP_ROUND_TRIPS; i++) await connected.timeout(5000).emitWithAck('echo', payload);
    progress(`socket.io floor: ${String(roundTrips)} sequential round trips`);
    const samples: number[] = [];
    for (let i = 0; i < roundTrips; i++) {
      const start = performance.now();
      await connected.timeout(5000).emitWithAck('echo', payload);
      samples.push(performance.now() - start);
    }
    const result = { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
    reportMetric('raw_socketio_ack_rtt_ms_p50', result.p50Ms);
    reportMetric('raw_socketio_ack_rtt_ms_p99', result.p99Ms);
    reportMetric('raw_socketio_ack_round_trips', samples.length);
    return result;
  } finally {
    client?.disconnect();
    await child.stop();
  }
}
