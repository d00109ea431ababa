/**
 * CLI: `npm run server [-- --demo]`. PORT (default 4780), HOST (default 127.0.0.1), DATA_DIR (default ./.data/server),
 * `--demo` or DEMO=1 seeds the demo organisation on the first start. OFFER_TIMEOUT_MS overrides the
 * 20 s a phone/chat offer waits for the agent (end-to-end tests use a short one). IDLE_AWAY_MS sets an
 * available agent Away after that long without activity (routing's `idleAwayMs`; off when unset). RATE_LIMITS overrides
 * the rate limits ("name=points/seconds,…", see server/rateLimits.ts). TOKEN_TTL_MS is how long a
 * sign-in lasts (default 12 h). TRUST_PROXY=1 takes client addresses from X-Forwarded-For (only
 * behind exactly one reverse proxy; see clientAddress in server/http.ts). DATABASE_URL keeps the state
 * in PostgreSQL (one node per database; NODE_ID names it); with REDIS_URL too, the node is one of
 * several on that database, sharing events, routing and counters through Redis; REDIS_PREFIX
 * (default `omnidesk:`) keeps deployments sharing one Redis apart (docs/technical/deployment.md).
 * RETENTION_CHANGE_LOG_DAYS, RETENTION_IDEMPOTENCY_DAYS, RETENTION_EXPIRED_TOKENS_DAYS and
 * RETENTION_EXPIRED_CSAT_DAYS override how long the history retention keeps each kind (server/retention.ts).
 * CONNECTIONS_PREAUTH_PER_ADDRESS and CONNECTIONS_WEBCHAT_PER_ADDRESS cap one client address's socket
 * connections not signed in and its web chat visitors' on this node; CONNECTIONS_SIGNIN_DEADLINE_SECONDS
 * is how long a connection may stay not signed in before it is closed; CONNECTIONS_SIGNED_IN_PER_USER
 * caps one user's signed-in connections on this node (server/connectionLimits.ts).
 */
import { DEFAULT_SERVER_PORT } from '../shared/httpApi.js';
import { startServer } from './app.js';
import { configuredChannels } from './channels/index.js';
import { clusterConfigFromEnv } from './cluster/config.js';
import type { LeaderLease } from './cluster/leaderLease.js';
import { claimSingleNode } from './cluster/singleNode.js';
import { DEMO_INTEGRATION_TOKEN, DEMO_PASSWORD, DEMO_USERS } from './demo.js';
import { rateLimitsFromEnv } from './rateLimits.js';
import { connectionLimitsFromEnv } from './connectionLimits.js';
import { historyRetentionFromEnv } from './retention.js';

export async function main(): Promise<void> {
  // The database and everything else the server writes are for this OS user only.
  process.umask(0o077);
  const cluster = clusterConfigFromEnv(process.env);
  // Checked before anything starts, so a typo stops the server instead of pruning by a window nobody chose.
  const retention = historyRetentionFromEnv(process.env);
  let lease: LeaderLease | null = null;
  if (cluster.mode === 'single-postgres') {
    lease = await claimSingleNode({
      databaseUrl: cluster.databaseUrl,
      nodeId: cluster.nodeId,
      onLost: (reason) => {
        // Fail-stop: without the lease another node may start routing on this database.
        console.error(`${new Date().toISOString()} lost the database lease (${reason}); stopping so that no two nodes route`);
        process.exit(1);
      },
    });
  }
  const port = process.env.PORT !== undefined && process.env.PORT !== '' ? Number(process.env.PORT) : DEFAULT_SERVER_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got ${String(process.env.PORT)}`);
  const dataDir = process.env.DATA_DIR || './.data/server';
  const demo = process.argv.includes('--demo') || process.env.DEMO === '1';

  // A short offer timeout for end-to-end tests of real processes (in-process tests inject `routing` directly).
  const offerTimeoutMs = process.env.OFFER_TIMEOUT_MS ? Number(process.env.OFFER_TIMEOUT_MS) : undefined;
  if (offerTimeoutMs !== undefined && (!Number.isInteger(offerTimeoutMs) || offerTimeoutMs <= 0)) {
    throw new Error(`OFFER_TIMEOUT_MS must be a positive number of milliseconds, got ${String(process.env.OFFER_TIMEOUT_MS)}`);
  }
  const idleAwayMs = process.env.IDLE_AWAY_MS ? Number(process.env.IDLE_AWAY_MS) : undefined;
  if (idleAwayMs !== undefined && (!Number.isInteger(idleAwayMs) || idleAwayMs <= 0)) {
    throw new Error(`IDLE_AWAY_MS must be a positive number of milliseconds, got ${String(process.env.IDLE_AWAY_MS)}`);
  }
  const tokenTtlMs = process.env.TOKEN_TTL_MS ? Number(process.env.TOKEN_TTL_MS) : undefined;
  if (tokenTtlMs !== undefined && (!Number.isInteger(tokenTtlMs) || tokenTtlMs <= 0)) {
    throw new Error(`TOKEN_TTL_MS must be a positive number of milliseconds, got ${String(process.env.TOKEN_TTL_MS)}`);
  }
  const ingestCommitDelayMs = process.env.INGEST_COMMIT_DELAY_MS ? Number(process.env.INGEST_COMMIT_DELAY_MS) : undefined;
  if (ingestCommitDelayMs !== undefined && (!Number.isFinite(ingestCommitDelayMs) || ingestCommitDelayMs < 0 || ingestCommitDelayMs > 1000)) {
    throw new Error(`INGEST_COMMIT_DELAY_MS must be 0 to 1000 milliseconds, got ${String(process.env.INGEST_COMMIT_DELAY_MS)}`);
  }
  const trustProxy = process.env.TRUST_PROXY ?? '';
  if (!['', '0', '1', 'false', 'true'].includes(trustProxy)) throw new Error(`TRUST_PROXY must be 1 or 0, got ${trustProxy}`);
  const server = await startServer({
    port,
    host: process.env.HOST || '127.0.0.1',
    dataDir,
    ...(cluster.mode !== 'single-sqlite' ? { databaseUrl: cluster.databaseUrl } : {}),
    ...(cluster.mode === 'cluster'
      ? { cluster: { redisUrl: cluster.redisUrl, ...(process.env.REDIS_PREFIX ? { keyPrefix: process.env.REDIS_PREFIX } : {}) } }
      : {}),
    nodeId: cluster.nodeId,
    demo,
    channels: configuredChannels(process.env, { demo }),
    rateLimits: rateLimitsFromEnv(process.env.RATE_LIMITS),
    connectionLimits: connectionLimitsFromEnv(process.env),
    trustProxy: trustProxy === '1' || trustProxy === 'true',
    ...(tokenTtlMs !== undefined ? { tokenTtlMs } : {}),
    ...(ingestCommitDelayMs !== undefined ? { ingestCommitDelayMs } : {}),
    retention,
    ...(offerTimeoutMs !== undefined || idleAwayMs !== undefined
      ? { routing: { ...(offerTimeoutMs !== undefined ? { offerTimeoutMs } : {}), ...(idleAwayMs !== undefined ? { idleAwayMs } : {}) } }
      : {}),
  });
  if (demo) {
    const lines = [`Demo organisation on ${server.url} — every password is "${DEMO_PASSWORD}":`];
    for (const user of DEMO_USERS) {
      lines.push(
        `  ${user.username.padEnd(7)} ${user.role.padEnd(6)} ${user.displayName}  channels: ${user.channels.join(', ')}  groups: ${(user.groups ?? []).join(', ')}`,
      );
    }
    lines.push(`Integration token: ${DEMO_INTEGRATION_TOKEN}   (POST ${server.url}/api/v1/inbound with Authorization: Bearer ${DEMO_INTEGRATION_TOKEN})`);
    console.log(lines.join('\n'));
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${new Date().toISOString()} ${signal}: shutting down`);
    server
      .close()
      .then(() => lease?.stop())
      .then(
        () => {
          console.log(`${new Date().toISOString()} server stopped`);
          process.exit(0);
        },
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
