/**
 * How this server node runs, from the environment (issue 10):
 * - neither `DATABASE_URL` nor `REDIS_URL`: one node on embedded SQLite, exactly as before;
 * - `DATABASE_URL` only: one node on PostgreSQL (no other node may run beside it);
 * - both: one of several nodes sharing PostgreSQL and Redis.
 * `NODE_ID` names the node (leader table, connection names, logs); default hostname-pid.
 * A bad value stops the server at start, naming the variable and what is wrong with it,
 * never echoing a password from a URL.
 */
import { hostname } from 'node:os';
import { z } from 'zod';

export type ClusterConfig =
  | { mode: 'single-sqlite'; nodeId: string }
  | { mode: 'single-postgres'; nodeId: string; databaseUrl: string }
  | { mode: 'cluster'; nodeId: string; databaseUrl: string; redisUrl: string };

export type ClusterConfigProblem = 'not_postgres_url' | 'not_redis_url' | 'redis_without_database' | 'bad_node_id';

export interface ClusterConfigIssue {
  variable: 'DATABASE_URL' | 'REDIS_URL' | 'NODE_ID';
  problem: ClusterConfigProblem;
}

/** Every problem found at once, so an operator fixes them in one go. */
export class ClusterConfigError extends Error {
  constructor(readonly issues: readonly ClusterConfigIssue[]) {
    super(issues.map((issue) => `${issue.variable}: ${EXPLANATIONS[issue.problem]}`).join('; '));
    this.name = 'ClusterConfigError';
  }
}

const EXPLANATIONS: Record<ClusterConfigProblem, string> = {
  not_postgres_url: 'must be a postgres:// or postgresql:// URL with a host, e.g. postgres://omnidesk@db.internal:5432/omnidesk',
  not_redis_url: 'must be a redis:// or rediss:// URL with a host, e.g. redis://cache.internal:6379',
  redis_without_database: 'is set but DATABASE_URL is not; nodes share state through PostgreSQL, so set both (or neither for one SQLite node)',
  bad_node_id: 'must be 1–48 characters of A–Z a–z 0–9 . _ - starting with a letter or digit',
};

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

/** An unset or blank variable counts as absent, as `DATA_DIR=` does elsewhere. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function urlWithScheme(schemes: readonly string[]) {
  return optionalText.refine((value) => {
    if (value === undefined) return true;
    try {
      const url = new URL(value);
      return schemes.includes(url.protocol) && url.hostname !== '';
    } catch {
      return false;
    }
  });
}

const environment = z.object({
  DATABASE_URL: urlWithScheme(['postgres:', 'postgresql:']),
  REDIS_URL: urlWithScheme(['redis:', 'rediss:']),
  NODE_ID: optionalText.refine((value) => value === undefined || NODE_ID.test(value)),
});

/** Each variable can be wrong in one way only (the value's text is never echoed: it may hold a password). */
const PROBLEM_OF: Record<ClusterConfigIssue['variable'], ClusterConfigProblem> = {
  DATABASE_URL: 'not_postgres_url',
  REDIS_URL: 'not_redis_url',
  NODE_ID: 'bad_node_id',
};

/** hostname-pid, with anything a node id may not hold replaced. */
export function defaultNodeId(host: string = hostname(), pid: number = process.pid): string {
  const cleanHost = host.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'node';
  const suffix = `-${String(pid)}`;
  return `${cleanHost.slice(0, 48 - suffix.length)}${suffix}`;
}

export function clusterConfigFromEnv(env: Readonly<Record<string, string | undefined>>, nodeIdFallback: () => string = defaultNodeId): ClusterConfig {
  const parsed = environment.safeParse({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL, NODE_ID: env.NODE_ID });
  const issues: ClusterConfigIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = issue.path[0] as ClusterConfigIssue['variable'];
      issues.push({ variable, problem: PROBLEM_OF[variable] });
    }
    throw new ClusterConfigError(issues);
  }
  const { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = parsed.data;
  if (redisUrl !== undefined && databaseUrl === undefined) throw new ClusterConfigError([{ variable: 'REDIS_URL', problem: 'redis_without_database' }]);
  const nodeId = parsed.data.NODE_ID ?? nodeIdFallback();
  if (databaseUrl === undefined) return { mode: 'single-sqlite', nodeId };
  if (redisUrl === undefined) return { mode: 'single-postgres', nodeId, databaseUrl };
  return { mode: 'cluster', nodeId, databaseUrl, redisUrl };
}

/** For logs: the URL without its password. */
export function redactedUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}
